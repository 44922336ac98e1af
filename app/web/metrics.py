"""Prometheus metrics: scans by station and result, acknowledgement latency, the outbox
backlog read from the database at scrape time (a gauge that cannot drift), and the garbage
collector's pauses (each stops every station the process serves)."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

from app.container import container
from app.services.outbox import backlog

REGISTRY = CollectorRegistry(auto_describe=True)
STATION_EVENTS = Counter(
    "dockhand_station_events_total",
    "Station events handled, by namespace, event and result",
    ["namespace", "event", "result"],
    registry=REGISTRY,
)
ACK_SECONDS = Histogram(
    "dockhand_ack_seconds",
    "Time from receiving a station event to its acknowledgement (commit included)",
    ["namespace", "event"],
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
    registry=REGISTRY,
)
DASHBOARD_PUSHES = Counter(
    "dockhand_dashboard_pushes_total",
    "Dashboard snapshots computed and pushed to the supervisors (only while somebody watches)",
    registry=REGISTRY,
)

metrics = Blueprint("metrics", __name__)


GC_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


class GcPauses(Collector):
    """`dockhand_gc_pause_seconds`: each garbage collection of this process and how long it
    stopped it, by generation. Timed by a gc.callbacks hook, installed once per process.
    The hook takes no lock (it may run in any thread, under gevent too): collections never
    overlap, so it is the only writer of its counts, which a scrape copies."""

    def __init__(self) -> None:
        self.installed = False
        self._started = 0.0
        # generation -> [count, sum of seconds, count per bucket (cumulative at scrape)]
        self._seen: dict[int, list[Any]] = {g: [0, 0.0, [0] * len(GC_BUCKETS)] for g in range(3)}

    def install(self) -> None:
        if not self.installed:
            self.installed = True
            gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        seen = self._seen.get(info["generation"])
        if seen is None:
            return
        seen[0] += 1
        seen[1] += took
        for i, bound in enumerate(GC_BUCKETS):
            if took <= bound:
                seen[2][i] += 1
                break

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(
            "dockhand_gc_pause_seconds",
            "Garbage collections of this process and how long each stopped it",
            labels=["generation"],
        )
        for generation, (count, total, buckets) in sorted(self._seen.items()):
            cumulative, running = [], 0
            for bound, n in zip(GC_BUCKETS, list(buckets), strict=True):
                running += n
                cumulative.append((str(bound), running))
            cumulative.append(("+Inf", count))
            family.add_metric([str(generation)], cumulative, total)
        yield family


_GC = GcPauses()
REGISTRY.register(_GC)


class OutboxCollector(Collector):
    """Registered once per process; reads the database of the app this process serves."""

    def __init__(self) -> None:
        self.app: Flask | None = None

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily(
            "dockhand_outbox_events", "Outbox events by status", labels=["status"]
        )
        try:
            if self.app is None:
                return
            counts = backlog(container(self.app).uow)
        except Exception:
            return
        for status in ("pending", "dead", "sent"):
            gauge.add_metric([status], float(counts[status]))
        yield gauge


_OUTBOX = OutboxCollector()
REGISTRY.register(_OUTBOX)


def register_metrics(app: Flask) -> None:
    app.register_blueprint(metrics)
    _OUTBOX.app = app
    _GC.install()


@metrics.get("/metrics")
def scrape() -> Response:
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


def observe(namespace: str, event: str, result: str, seconds: float) -> None:
    key = (namespace, event, result)
    children = _CHILDREN.get(key)
    if children is None:
        # labels() takes a lock and builds the key on every call: 2 % of a pick scan.
        children = (STATION_EVENTS.labels(*key), ACK_SECONDS.labels(namespace, event))
        if len(_CHILDREN) < _CHILDREN_MAX:  # results are a closed set; bound it anyway
            _CHILDREN[key] = children
    children[0].inc()
    children[1].observe(seconds)


_CHILDREN: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_CHILDREN_MAX = 10_000
