"""Prometheus metrics: scans by station and result, acknowledgement latency, and the outbox
backlog read from the database at scrape time (a gauge that cannot drift)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Flask, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
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

metrics = Blueprint("metrics", __name__)


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


@metrics.get("/metrics")
def scrape() -> Response:
    return Response(generate_latest(REGISTRY), mimetype=CONTENT_TYPE_LATEST)


def observe(namespace: str, event: str, result: str, seconds: float) -> None:
    STATION_EVENTS.labels(namespace, event, result).inc()
    ACK_SECONDS.labels(namespace, event).observe(seconds)
