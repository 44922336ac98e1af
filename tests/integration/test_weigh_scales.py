"""Real scale bytes feeding a weigh station: a Mettler Toledo MT-SICS scale and an NCI scale on
a virtual serial pair made by socat (a fake device in a thread on the far end), and a Chrome
kiosk's WebHID / Web Serial bytes reported over Socket.IO. The fake devices and byte fixtures
are written from the protocol descriptions, independently of the parsers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import serial
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import Carton
from tests.support.serial_pair import PtyPair, socat_pair
from tests.support.warehouse import make_app, socket_client, uow_of
from tests.support.weigh import NS, close_hub, config_dir, emit, pack_carton, readings, wait_for


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[PtyPair]:
    """Two linked pseudo-terminals from socat: the device's end and the server's end."""
    with socat_pair(tmp_path) as pair:
        yield pair


class FakeScale:
    """A bench scale on the far end of the pair. MT-SICS: answers `SI` with
    `S S <weight> g` (stable), `S D <weight> g` (moving), `S +` (overload) and `Z` with
    `Z A`. NCI: answers `W` with `<LF>weight kg<CR><LF>status<CR><ETX>`. `silent` answers
    nothing (a scale switched off); `garbage` goes out before every answer."""

    def __init__(self, path: str, protocol: str) -> None:
        self.protocol = protocol
        self.kind = "stable"
        self.grams = 0
        self.silent = False
        self.garbage = b""
        self.commands: list[bytes] = []
        self._port = serial.Serial(path, 9600, timeout=0.01)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeScale:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._port.close()

    def set(self, kind: str, grams: int = 0) -> None:
        self.kind, self.grams = kind, grams

    def _run(self) -> None:
        pending = b""
        end = b"\r\n" if self.protocol == "mt-sics" else b"\r"
        while not self._stop.is_set():
            pending += self._port.read(self._port.in_waiting or 1)
            *commands, pending = pending.split(end)
            for command in commands:
                self.commands.append(command)
                if not self.silent:
                    self._port.write(self.garbage + self._answer(command))

    def _answer(self, command: bytes) -> bytes:
        if self.protocol == "mt-sics":
            if command == b"Z":
                return b"Z A\r\n"
            if self.kind == "overload":
                return b"S +\r\n"
            flag = "S" if self.kind == "stable" else "D"
            return f"S {flag} {self.grams:>10.1f} g\r\n".encode()
        # NCI: two status bytes, bits 4 and 5 set; byte 1 bit 0 motion; byte 2 bit 1 over.
        motion = 0x01 if self.kind == "moving" else 0
        over = 0x02 if self.kind == "overload" else 0
        status = bytes([0x30 | motion, 0x30 | over])
        weight = b"^^^^^^^" if over else f"{self.grams / 1000:6.3f}kg".encode()
        return b"\n" + weight + b"\r\n" + status + b"\r\x03"


def station_toml(driver_table: str) -> str:
    return f"""
[weigh]
default_station = "BENCH"
not_stable_after_s = 0.8

[stations.BENCH]
name = "Bench"
  [stations.BENCH.scale]
{driver_table}
"""


@pytest.fixture
def make(sqlite_url: str, tmp_path: Path) -> Iterator[Any]:
    apps: list[Flask] = []

    def build(driver_table: str) -> Flask:
        app = make_app(sqlite_url, config_dir=config_dir(tmp_path, station_toml(driver_table)))
        apps.append(app)
        return app

    yield build
    for app in apps:
        close_hub(app)
        app.extensions["dockhand"].uow.engine.dispose()


def join(app: Flask, badge: str = "U0041") -> Any:
    client = socket_client(app, NS, badge)
    ack = emit(client, "join", {})
    assert ack["ok"], ack
    return client


def serial_table(pair: PtyPair, protocol: str) -> str:
    return f"""  driver = "serial"
  port = "{pair.host}"
  protocol = "{protocol}"
  unit = "kg"
  timeout_s = 0.3
  stable_count = 3
  resolution_g = 2
  poll_s = 0.05"""


# --- a serial scale on a real (virtual) serial port ------------------------------------------


def test_a_serial_mt_sics_scale_feeds_the_station_and_its_settled_weight_is_recorded(
    make: Any, pty_pair: PtyPair
) -> None:
    app = make(serial_table(pty_pair, "mt-sics"))
    carton = pack_carton(app, "AL-S1")
    expected = carton["expected_weight_g"]
    with FakeScale(pty_pair.scale, "mt-sics") as device:
        device.set("moving", expected - 150)
        device.garbage = b"\x00\xffnoise"
        client = join(app)
        moving = wait_for(client, lambda r: r["status"] == "motion")
        assert moving["weight_g"] == expected - 150 and moving["accepted_g"] is None
        early = emit(client, "capture", {"carton": carton["code"]})
        assert early["error"] == "not_stable"

        device.set("stable", expected + 3)
        settled = wait_for(client, lambda r: r["accepted_g"] is not None)
        assert settled["accepted_g"] == expected + 3 and settled["unit"] == "g"
        done = emit(client, "capture", {"carton": carton["code"]})
        assert done["ok"] and done["measured_g"] == expected + 3, done
        assert set(device.commands) == {b"SI"}  # polled with the MT-SICS immediate weigh command

        device.set("stable", 0)
        wait_for(client, lambda r: r["accepted_g"] == 0)
        zeroed = emit(client, "zero", {})
        assert zeroed["ok"] and zeroed["message"] == "Zeroed."
        assert b"Z" in device.commands
    with uow_of(app)() as tx:
        row = tx.session.scalars(select(Carton).where(Carton.code == carton["code"])).one()
        assert (row.status, row.weight_g) == ("weighed", expected + 3)


def test_a_serial_scale_that_never_settles_or_goes_silent_gives_no_weight(
    make: Any, pty_pair: PtyPair
) -> None:
    app = make(serial_table(pty_pair, "mt-sics"))
    carton = pack_carton(app, "AL-S2")
    with FakeScale(pty_pair.scale, "mt-sics") as device:
        device.set("moving", 1_000)
        client = join(app)
        shaky = wait_for(client, lambda r: r["not_settling"])
        assert shaky["message"].startswith("Not stable for")
        refused = emit(client, "capture", {"carton": carton["code"]})
        assert refused["error"] == "not_stable" and "Not stable for" in refused["message"]

        device.silent = True
        readings(client)
        dead = wait_for(client, lambda r: r["status"] == "error")
        assert "no answer from the scale on" in dead["message"]
        assert dead["message"].startswith("Scale problem:")
        refused = emit(client, "capture", {"carton": carton["code"]})
        assert refused["result"] == "scale_fault"


def test_an_nci_scale_over_capacity_says_so(make: Any, pty_pair: PtyPair) -> None:
    app = make(serial_table(pty_pair, "nci"))
    with FakeScale(pty_pair.scale, "nci") as device:
        device.set("stable", 2_500)
        client = join(app)
        ok = wait_for(client, lambda r: r["accepted_g"] is not None)
        assert ok["accepted_g"] == 2_500
        device.set("overload")
        over = wait_for(client, lambda r: r["status"] == "overload")
        assert over["message"] == "Over capacity: take weight off the scale."
        assert set(device.commands) == {b"W"}


# --- a scale read by a Chrome kiosk ------------------------------------------------------------


def hid(status: int, grams: int) -> list[int]:
    """A USB HID POS scale data report: id 3, status, unit 2 (g), exponent 0, LE weight."""
    return [0x03, status, 0x02, 0x00, grams & 0xFF, grams >> 8]


def test_webhid_reports_from_a_kiosk_are_weighed_by_the_server(make: Any) -> None:
    app = make('  driver = "browser"\n  transport = "hid"\n  stable_count = 3')
    carton = pack_carton(app, "AL-B1")
    expected = carton["expected_weight_g"]
    kiosk = join(app)
    watcher = join(app, "U0042")  # another page at the same station sees it live
    assert emit(kiosk, "join", {})["station"]["browser"] == {"transport": "hid", "poll_ms": 200}
    lives = [
        emit(kiosk, "scale_data", {"data": report})["live"]
        for report in (hid(3, expected - 80), hid(4, expected), hid(4, expected))
    ]
    assert [lv["status"] for lv in lives] == ["motion", "ok", "ok"]
    assert all(lv["accepted_g"] is None for lv in lives)
    refused = emit(kiosk, "capture", {"carton": carton["code"]})
    assert refused["error"] == "not_stable"
    last = emit(kiosk, "scale_data", {"data": hid(4, expected + 1)})["live"]
    assert last["accepted_g"] == expected
    assert wait_for(watcher, lambda r: r["accepted_g"] == expected)["station"] == "BENCH"
    assert emit(kiosk, "capture", {"carton": carton["code"]})["ok"]

    bad = emit(kiosk, "scale_data", {"data": [3, 6, 2, 0, 0, 0]})["live"]  # status 6: over
    assert bad["status"] == "overload"
    assert emit(kiosk, "scale_data", {"data": "0304"})["field"] == "data"
    zero = emit(kiosk, "zero", {})
    assert zero["ok"] is False and "press ZERO on the scale" in zero["message"]


def toledo(grams: int, moving: bool = False) -> bytes:
    """Toledo continuous output, grams: STX, SWA (no decimal, x1), SWB (motion bit 3), SWC
    (bits 0-2 = 001: grams), six weight digits, six tare digits, CR."""
    swb = 0x20 | (0x08 if moving else 0)
    return bytes([0x02, 0x20 | 0x08 | 0x02, swb, 0x21]) + f"{grams:06d}000000\r".encode()


def test_web_serial_chunks_from_a_kiosk_are_framed_and_weighed_by_the_server(make: Any) -> None:
    app = make(
        '  driver = "browser"\n  transport = "serial"\n  protocol = "toledo-continuous"\n'
        "  baudrate = 9600"
    )
    kiosk = join(app)
    settings = emit(kiosk, "join", {})["station"]["browser"]
    assert settings["continuous"] is True and settings["weigh_command"] == []
    stream = b"\x00garbage" + toledo(1234, moving=True) + b"".join(toledo(1234) for _ in range(3))
    live = None
    for i in range(0, len(stream), 7):  # chunks that cut frames anywhere, as a port delivers
        answer = emit(kiosk, "scale_data", {"data": list(stream[i : i + 7])})
        assert answer["ok"], answer
        live = answer["live"] or live
    assert live is not None and live["accepted_g"] == 1234
    pushed = readings(kiosk)
    assert [r["status"] for r in pushed][:2] == ["motion", "ok"]


def test_a_browser_serial_scale_is_zeroed_by_the_kiosk(make: Any) -> None:
    app = make('  driver = "browser"\n  transport = "serial"\n  protocol = "nci"')
    kiosk = join(app)
    zero = emit(kiosk, "zero", {})
    assert zero["ok"] and zero["send"] == list(b"Z\r")
