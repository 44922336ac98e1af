"""Helpers for the ship station tests: a weighed carton made through the real stations, a
controllable clock, and a loopback TCP "label printer" that records what it is sent and
answers ``~HS`` like a Zebra printer."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from app.adapters.printers import StationPrinter
from app.container import container
from tests.support.warehouse import allocation_doc, signed_post, socket_client

HS_READY = (
    b"\x02030,0,0,1218,000,0,0,0,000,0,0,0\x03\r\n"
    b"\x02001,0,0,0,0,2,6,0,00000000,1,000\x03\r\n"
    b"\x021234,0\x03\r\n"
)
HS_PAPER_OUT_HEAD_UP = (
    b"\x02030,1,0,1218,002,0,0,0,000,0,0,0\x03\r\n"
    b"\x02001,0,1,0,0,2,6,0,00000000,1,000\x03\r\n"
    b"\x021234,0\x03\r\n"
)


class Clock:
    """A clock the test moves; the app's container uses it instead of the system clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def use_clock(app: Flask, now: datetime) -> Clock:
    clock = Clock(now)
    container(app).clock = clock
    return clock


def use_printer(app: Flask, station: str, printer: StationPrinter | None) -> None:
    c = container(app)
    printers = dict(c.ship.printers)
    if printer is None:
        printers.pop(station, None)
    else:
        printers[station] = printer
    c.ship = dataclasses.replace(c.ship, printers=printers)


def weighed_carton(app: Flask, allocation_id: str = "AL-1", **doc: Any) -> dict[str, Any]:
    """Post an allocation, pick, pack and weigh it through the stations' events; returns the
    closed carton ({code, expected_weight_g, ...}) now waiting at the ship station."""
    resp = signed_post(
        app.test_client(), "/api/v1/allocations", allocation_doc(allocation_id, **doc)
    )
    assert resp.status_code == 202, resp.get_json()
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit(
        "build_wave",
        {"allocation_ids": [allocation_id], "release": True},
        namespace="/supervisor",
        callback=True,
    )
    assert ack["ok"], ack
    picker = socket_client(app, "/pick", "U0010")
    while True:
        ack = picker.emit("next_task", {}, namespace="/pick", callback=True)
        assert ack["ok"], ack
        task = ack["task"]
        if task is None:
            break
        for code in (
            [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or "T0001"]
        ):
            reply = picker.emit(
                "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
            )
            assert reply["ok"], reply
    packer = socket_client(app, "/pack", "U0040")
    ack = packer.emit("open", {"code": allocation_id}, namespace="/pack", callback=True)
    assert ack["ok"], ack
    reply: dict[str, Any] = {}
    for line in ack["order"]["lines"]:
        for _ in range(line["picked"]):
            reply = packer.emit(
                "scan",
                {"allocation_id": allocation_id, "code": line["barcode"]},
                namespace="/pack",
                callback=True,
            )
            assert reply["ok"], reply
    order = reply["order"]
    closed = packer.emit(
        "close_carton",
        {"allocation_id": allocation_id, "carton_type": order["recommendation"]["code"]},
        namespace="/pack",
        callback=True,
    )
    assert closed["ok"], closed
    carton: dict[str, Any] = closed["carton"]
    weigher = socket_client(app, "/weigh", "U0040")
    reply = weigher.emit(
        "weight",
        {"carton": carton["code"], "weight_g": carton["expected_weight_g"] + 12},
        namespace="/weigh",
        callback=True,
    )
    assert reply["ok"], reply
    return carton


@dataclasses.dataclass
class FakePrinter:
    """A raw-port label printer on 127.0.0.1: keeps every job, answers ~HS with ``status``
    (or stays silent when ``status`` is None, as a printer with its head open does)."""

    port: int
    jobs: list[bytes]
    status: bytes | None = HS_READY

    def wait_for(self, count: int, timeout_s: float = 5.0) -> list[bytes]:
        """The jobs once ``count`` have arrived: the sender closes before our thread stores
        the last one, so a test must not look the instant the ack comes back."""
        deadline = time.monotonic() + timeout_s
        while len(self.jobs) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # and no more than that
        return list(self.jobs)

    def printer(self, station: str = "ship-1", timeout_s: float = 1.0) -> StationPrinter:
        return StationPrinter(station, "zpl", "127.0.0.1", self.port, 203, timeout_s, "Zebra test")


@contextmanager
def fake_printer() -> Iterator[FakePrinter]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    fake = FakePrinter(server.getsockname()[1], [])
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        data = b""
        conn.settimeout(2)
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    break
                if not chunk:
                    break
                data += chunk
                if data == b"~HS":
                    if fake.status is not None:
                        conn.sendall(fake.status)
                    else:
                        stop.wait(3)
                    return
        fake.jobs.append(data)

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        stop.set()
        thread.join(2)
        server.close()


def now_utc(hour: int = 10, minute: int = 0) -> datetime:
    """Thursday 26 November 2026 (a pickup day) at the given UTC time."""
    return datetime(2026, 11, 26, hour, minute, tzinfo=UTC)
