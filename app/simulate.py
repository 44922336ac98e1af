"""Simulated handhelds and stations. They connect to a running server over the very
Socket.IO events the pages use, so a simulated wave exercises the real stack end to end."""

from __future__ import annotations

import contextlib
import random
import statistics
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    acks_ms: list[float] = field(default_factory=list)
    scans: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    waves: int = 0
    tasks: int = 0
    cartons: int = 0
    weighed: int = 0
    shipped: int = 0

    def add(self, **counts: int) -> None:
        with self.lock:
            for k, v in counts.items():
                setattr(self, k, getattr(self, k) + v)

    def report(self) -> dict[str, Any]:
        with self.lock:
            acks = sorted(self.acks_ms)
            return {
                "scans": self.scans,
                "rejected": self.rejected,
                "waves": self.waves,
                "tasks_done": self.tasks,
                "cartons": self.cartons,
                "weighed": self.weighed,
                "shipped": self.shipped,
                "ack_ms_p50": round(statistics.median(acks), 2) if acks else None,
                "ack_ms_p95": round(acks[int(len(acks) * 0.95) - 1], 2) if len(acks) > 1 else None,
                "errors": self.errors[-10:],
            }


class Station:
    """One simulated device: its own connection to one namespace, signed in by badge."""

    def __init__(self, url: str, namespace: str, badge: str, tally: Tally) -> None:
        self.namespace = namespace
        self.tally = tally
        self.badge = badge
        self.url = url
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.5)
        self.sio.on("connect", self._signed_in_again, namespace=namespace)

    def _signed_in_again(self) -> None:
        # The server's session is per connection: sign in again after every reconnect.
        threading.Thread(target=self._sign_in_quietly, daemon=True).start()

    def _sign_in_quietly(self) -> None:
        with contextlib.suppress(Exception):
            self.sio.call(
                "sign_in",
                {"badge": self.badge, "pin": "1234"},
                namespace=self.namespace,
                timeout=10,
            )

    def connect(self) -> None:
        self.sio.connect(
            self.url, namespaces=[self.namespace], transports=["websocket"], wait_timeout=10
        )
        ack = self.call("sign_in", {"badge": self.badge, "pin": "1234"})
        if not ack.get("ok"):
            raise RuntimeError(f"{self.namespace} sign-in failed: {ack}")

    def call(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        ack: dict[str, Any] = self.sio.call(event, payload, namespace=self.namespace, timeout=15)
        elapsed = (time.perf_counter() - started) * 1000
        with self.tally.lock:
            self.tally.acks_ms.append(elapsed)
            if event in ("scan", "weight"):
                self.tally.scans += 1
                if not ack.get("ok"):
                    self.tally.rejected += 1
            if not ack.get("ok") and ack.get("error") not in (None, "invalid", "conflict"):
                self.tally.errors.append(f"{self.namespace} {event}: {ack.get('message')}")
        return ack

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sio.disconnect()


def _picker(
    st: Station, index: int, stop: threading.Event, pace_s: float, rng: random.Random
) -> None:
    totes = 0
    while not stop.is_set():
        ack = st.call("next_task", {})
        task = ack.get("task") if ack.get("ok") else None
        if not task:
            stop.wait(1.0)
            continue
        codes: list[str] = []
        if not task["location_confirmed"]:
            codes.append(task["location"])
        codes += [task["barcode"]] * (task["qty"] - task["picked"])
        if task["tote"]:
            codes.append(task["tote"])
        else:
            totes += 1
            codes.append(f"T{index:02d}{totes:04d}")
        for code in codes:
            if stop.is_set():
                return
            stop.wait(pace_s * rng.uniform(0.5, 1.5))
            reply = st.call(
                "scan",
                {
                    "task_id": task["task_id"],
                    "code": code,
                    "client_scan_id": str(uuid.uuid4()),
                    "device": st.badge,
                },
            )
            if reply.get("result") == "tote_in_use":
                totes += 1
                st.call(
                    "scan",
                    {
                        "task_id": task["task_id"],
                        "code": f"T{index:02d}{totes:04d}",
                        "client_scan_id": str(uuid.uuid4()),
                    },
                )
            elif not reply.get("ok"):
                break
        else:
            st.tally.add(tasks=1)


def _packer(st: Station, stop: threading.Event, pace_s: float) -> None:
    while not stop.is_set():
        queue = st.call("queue", {}).get("queue") or []
        if not queue:
            stop.wait(1.0)
            continue
        for item in queue:
            opened = st.call("open", {"code": item["tote"]})
            if not opened.get("ok"):
                continue
            order = opened["order"]
            for line in order["lines"]:
                for _ in range(line["picked"] - line["verified"]):
                    stop.wait(pace_s / 2)
                    st.call(
                        "scan",
                        {
                            "allocation_id": order["allocation_id"],
                            "code": line["barcode"],
                            "client_scan_id": str(uuid.uuid4()),
                        },
                    )
            order = st.call("open", {"code": order["allocation_id"]}).get("order") or order
            rec = order.get("recommendation") or {}
            if rec.get("code"):
                closed = st.call(
                    "close_carton",
                    {"allocation_id": order["allocation_id"], "carton_type": rec["code"]},
                )
                if closed.get("ok"):
                    st.tally.add(cartons=1)
            if stop.is_set():
                return


def _weigher(st: Station, stop: threading.Event, rng: random.Random) -> None:
    while not stop.is_set():
        queue = st.call("queue", {}).get("queue") or []
        if not queue:
            stop.wait(1.0)
            continue
        for item in queue:
            opened = st.call("open", {"code": item["carton"]})
            if not opened.get("ok"):
                continue
            expected = opened["carton"]["expected_weight_g"]
            reading = expected + rng.randint(-15, 15)  # the simulated scale's noise
            if st.call(
                "weight", {"carton": item["carton"], "weight_g": reading, "source": "simulated"}
            ).get("ok"):
                st.tally.add(weighed=1)


def _shipper(st: Station, stop: threading.Event) -> None:
    while not stop.is_set():
        queue = st.call("queue", {}).get("queue") or []
        if not queue:
            stop.wait(1.0)
            continue
        for item in queue:
            if st.call("ship", {"carton": item["carton"]}).get("ok"):
                st.tally.add(shipped=1)


def _supervisor(st: Station, stop: threading.Event, pickers: int) -> None:
    while not stop.is_set():
        snap = st.call("snapshot", {}).get("dashboard") or {}
        active = [w for w in snap.get("waves", []) if w["status"] == "released"]
        open_tasks = sum(w["tasks"] - w["tasks_done"] for w in active)
        if snap.get("waiting") and open_tasks < pickers * 4:
            ack = st.call("build_wave", {"release": True, "max_orders": max(4, pickers * 3)})
            if ack.get("ok"):
                st.tally.add(waves=1)
        stop.wait(2.0)


def run(
    url: str,
    pickers: int,
    minutes: float,
    supervisor: bool = True,
    pace_s: float = 0.2,
    seed: int = 1,
) -> dict[str, Any]:
    tally = Tally()
    stop = threading.Event()
    rng = random.Random(seed)
    stations: list[Station] = []
    threads: list[threading.Thread] = []

    def start(namespace: str, badge: str, target: Any, *args: Any) -> None:
        st = Station(url, namespace, badge, tally)
        st.connect()
        stations.append(st)
        t = threading.Thread(
            target=target, args=(st, *args), daemon=True, name=f"sim{namespace}-{badge}"
        )
        threads.append(t)
        t.start()

    try:
        if supervisor:
            start("/supervisor", "U0001", _supervisor, stop, pickers)
        for i in range(pickers):
            start(
                "/pick", f"U{10 + i:04d}", _picker, i + 1, stop, pace_s, random.Random(rng.random())
            )
        start("/pack", "U0040", _packer, stop, pace_s)
        start("/weigh", "U0041", _weigher, stop, random.Random(rng.random()))
        start("/ship", "U0060", _shipper, stop)
        stop.wait(minutes * 60)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=20)
        for st in stations:
            st.close()
    return tally.report()
