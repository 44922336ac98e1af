"""Scale drivers against real bytes: each SerialScale protocol over a virtual serial pair made
by socat, with a fake scale device in a thread on the other end; HidScale on a FIFO standing
in for /dev/hidrawN; SimulatedScale and the config factory.

The fake devices are written from the protocol descriptions, byte for byte, independently of
the parsers under test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import serial

from app.adapters.scales import (
    HidScale,
    SerialScale,
    SimulatedScale,
    make_scale,
    stability_filter_for,
)
from app.domain.scale_protocols import NciDialect, Reading, ReadingStatus, StabilityFilter

OK, MOTION, OVERLOAD = ReadingStatus.OK, ReadingStatus.MOTION, ReadingStatus.OVERLOAD
UNDER, ERROR = ReadingStatus.UNDER_ZERO, ReadingStatus.ERROR
PROTOCOLS = ["nci", "mt-sics", "toledo-8213", "toledo-continuous"]
ON_DEMAND = ["nci", "mt-sics", "toledo-8213"]
WEIGH_COMMAND = {"nci": b"W\r", "mt-sics": b"SI\r\n", "toledo-8213": b"W"}
ZERO_COMMAND = {"nci": b"Z\r", "mt-sics": b"Z\r\n", "toledo-8213": b"Z"}
# Noise with frame delimiters in it, then a frame of each protocol cut short.
GARBAGE = b"\x00\xff\x13noise\r\n\x03\x02\x7f"
TRUNCATED = {
    "nci": b"\n  9.99k",
    "mt-sics": b"S S     99",
    "toledo-8213": b"\x02009.",
    "toledo-continuous": b"\x02,0 0009",
}


# --- the virtual serial pair ---------------------------------------------------------------


@dataclass
class PtyPair:
    scale: str  # the device's end
    host: str  # the end SerialScale opens
    process: subprocess.Popen[bytes]


@pytest.fixture
def pty_pair(tmp_path: Path) -> Iterator[PtyPair]:
    socat = shutil.which("socat")
    if socat is None:
        reason = "socat is not on PATH (apt-get install socat): no virtual serial port pair"
        if os.environ.get("CI"):
            pytest.fail(reason + "; .ci/install-debian-packages should have installed it")
        pytest.skip(reason)
    scale, host, log = tmp_path / "scale", tmp_path / "host", tmp_path / "socat.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [
                socat,
                "-d",
                "-d",
                f"pty,raw,echo=0,link={scale}",
                f"pty,raw,echo=0,link={host}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=log_file,
        )
    try:
        deadline = time.monotonic() + 5.0
        while not (scale.exists() and host.exists()):
            if process.poll() is not None:
                pytest.fail(f"socat exited with {process.returncode}: {log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"socat made no pty pair within 5 s: {log.read_text()}")
            time.sleep(0.01)
        yield PtyPair(str(scale), str(host), process)
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


# --- fake scale devices --------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    kind: str  # stable | motion | overload | under
    grams: int = 0


def nci_answer(command: bytes, state: State) -> bytes:
    """NCI: weight in kg with 3 decimals, two status bytes (bits 4 and 5 always set)."""
    motion = 0x01 if state.kind == "motion" else 0
    at_zero = 0x02 if state.grams == 0 and state.kind == "stable" else 0
    under = 0x01 if state.kind == "under" else 0
    over = 0x02 if state.kind == "overload" else 0
    status = bytes([0x30 | motion | at_zero, 0x30 | under | over])
    if command == b"W":
        if state.kind == "overload":
            weight = b"^^^^^^^^"
        elif state.kind == "under":
            weight = b"________"
        else:
            weight = f"{state.grams / 1000:7.3f}kg".encode()
        return b"\n" + weight + b"\r\n" + status + b"\r\x03"
    if command == b"S":
        return b"\n" + status + b"\r\x03"
    if command == b"Z":
        return b"\n" + bytes([0x32, 0x30]) + b"\r\x03"
    return b"\n?\r\x03"


def mt_sics_answer(command: bytes, state: State) -> bytes:
    if command in (b"S", b"SI"):
        if state.kind == "overload":
            return b"S +\r\n"
        if state.kind == "under":
            return b"S -\r\n"
        flag = "S" if state.kind == "stable" else "D"
        return f"S {flag} {state.grams:>10.2f} g\r\n".encode()
    if command == b"Z":
        return b"Z A\r\n"
    return b"ES\r\n"


def toledo_8213_answer(command: bytes, state: State) -> bytes:
    """8213 in kg: `<STX>XXX.XX<CR>`, or `<STX>?<status><CR>` (bits 5, 6 always set)."""
    if command == b"W":
        if state.kind == "stable":
            return b"\x02" + f"{state.grams / 1000:06.2f}".encode() + b"\r"
        bit = {"motion": 0x01, "overload": 0x02, "under": 0x04}[state.kind]
        return b"\x02?" + bytes([0x60 | bit]) + b"\r"
    if command == b"Z":
        return b"\x02?" + bytes([0x60 | 0x10]) + b"\r"  # centre of zero
    return b""


def toledo_continuous_frame(state: State, checksum: bool, corrupt: bool = False) -> bytes:
    """STX, SWA (x1, XXXX.XX), SWB (kg + flags), SWC, weight in 10 g counts, tare, CR."""
    swa = 0x20 | 0x08 | 0x04
    swb = 0x20 | 0x10
    swb |= {"stable": 0, "motion": 0x08, "overload": 0x04, "under": 0x04 | 0x02}[state.kind]
    counts = 0 if state.kind in ("overload", "under") else state.grams // 10
    frame = bytes([0x02, swa, swb, 0x20]) + f"{counts:06d}000000\r".encode()
    if checksum:
        total = (-sum(frame) & 0x7F) ^ (1 if corrupt else 0)
        frame += bytes([total])
    return frame


class FakeScale:
    """A scale device on the other end of the pty pair, in a thread.

    On-demand protocols: answers each command with the current state; after each weigh answer
    the next state in `states` (if any) becomes current. Continuous: sends a frame of the
    current state every `period_s`. `garbage` goes out before every answer or frame; `silent`
    answers nothing at all."""

    def __init__(
        self,
        path: str,
        protocol: str,
        states: list[State],
        *,
        garbage: bytes = b"",
        silent: bool = False,
        checksum: bool = False,
        corrupt_checksum: bool = False,
        period_s: float = 0.02,
    ) -> None:
        self.protocol = protocol
        self.states = list(states)
        self.garbage = garbage
        self.silent = silent
        self.checksum = checksum
        self.corrupt_checksum = corrupt_checksum
        self.period_s = period_s
        self.received = bytearray()
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

    @property
    def state(self) -> State:
        return self.states[0]

    def set_state(self, state: State) -> None:
        self.states = [state]

    def _run(self) -> None:
        pending = b""
        while not self._stop.is_set():
            if self.protocol == "toledo-continuous":
                self.received += self._port.read(self._port.in_waiting or 1)
                if not self.silent:
                    frame = toledo_continuous_frame(
                        self.state, self.checksum, self.corrupt_checksum
                    )
                    self._port.write(self.garbage + frame)
                self._stop.wait(self.period_s)
                continue
            data = self._port.read(self._port.in_waiting or 1)
            self.received += data
            commands, pending = self._split(pending + data)
            for command in commands:
                self.commands.append(command)
                if not self.silent:
                    self._port.write(self.garbage + self._answer(command))

    def _split(self, pending: bytes) -> tuple[list[bytes], bytes]:
        """Complete commands (without their terminator) and the incomplete rest."""
        if self.protocol == "toledo-8213":  # single-character commands
            return [bytes([b]) for b in pending], b""
        end = b"\r\n" if self.protocol == "mt-sics" else b"\r"
        *commands, rest = pending.split(end)
        return commands, rest

    def _answer(self, command: bytes) -> bytes:
        state = self.state
        if command in (b"W", b"SI", b"S") and len(self.states) > 1:
            self.states.pop(0)
        if self.protocol == "nci":
            return nci_answer(command, state)
        if self.protocol == "mt-sics":
            return mt_sics_answer(command, state)
        return toledo_8213_answer(command, state)


def open_scale(pair: PtyPair, protocol: str, timeout_s: float = 1.0, **options: Any) -> SerialScale:
    unit = "kg" if protocol == "toledo-8213" else "lb"  # the 8213 sends no unit
    return SerialScale(pair.host, protocol, timeout_s=timeout_s, unit=unit, **options)


def read_until(scale: SerialScale, status: ReadingStatus, tries: int = 10) -> list[Reading]:
    readings = []
    for _ in range(tries):
        readings.append(scale.read())
        if readings[-1].status is status:
            break
    return readings


# --- every protocol over a real pty pair ---------------------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_stable_weight(pty_pair: PtyPair, protocol: str) -> None:
    with (
        FakeScale(pty_pair.scale, protocol, [State("stable", 2500)]) as device,
        open_scale(pty_pair, protocol) as scale,
    ):
        for _ in range(3):
            reading = scale.read()
            assert (reading.status, reading.weight_g, reading.stable) == (OK, 2500, True), reading
            assert reading.usable
        if protocol in WEIGH_COMMAND:
            assert bytes(device.received) == WEIGH_COMMAND[protocol] * 3  # byte-exact polling
        else:
            assert bytes(device.received) == b""  # a continuous scale is only listened to


@pytest.mark.parametrize("protocol", ON_DEMAND)
def test_motion_then_stable_polled(pty_pair: PtyPair, protocol: str) -> None:
    states = [State("motion", 2300), State("motion", 2700), State("stable", 2500)]
    rule = StabilityFilter(count=3, resolution_g=2)
    with FakeScale(pty_pair.scale, protocol, states), open_scale(pty_pair, protocol) as scale:
        readings = [scale.read() for _ in range(5)]
    assert [r.status for r in readings] == [MOTION, MOTION, OK, OK, OK]
    assert [r.stable for r in readings] == [False, False, True, True, True]
    if protocol != "toledo-8213":  # the 8213 sends no weight while moving
        assert [r.weight_g for r in readings[:2]] == [2300, 2700]
    assert [rule.feed(r) for r in readings] == [None, None, None, None, 2500]


def test_motion_then_stable_continuous(pty_pair: PtyPair) -> None:
    protocol = "toledo-continuous"
    with (
        FakeScale(pty_pair.scale, protocol, [State("motion", 2300)]) as device,
        open_scale(pty_pair, protocol) as scale,
    ):
        moving = scale.read()
        assert (moving.status, moving.weight_g, moving.stable) == (MOTION, 2300, False)
        device.set_state(State("stable", 2500))
        readings = read_until(scale, OK)
    assert readings[-1].status is OK and readings[-1].weight_g == 2500
    assert all(r.status is MOTION for r in readings[:-1])  # at most a frame already on its way


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_scale_that_never_settles_reads_as_motion(pty_pair: PtyPair, protocol: str) -> None:
    rule = StabilityFilter(count=3, resolution_g=5)
    with (
        FakeScale(pty_pair.scale, protocol, [State("motion", 1800)]),
        open_scale(pty_pair, protocol, timeout_s=0.5) as scale,
    ):
        readings = [scale.read() for _ in range(6)]
    assert {r.status for r in readings} == {MOTION}
    assert not any(r.stable for r in readings)
    assert [rule.feed(r) for r in readings] == [None] * 6


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize(("kind", "status"), [("overload", OVERLOAD), ("under", UNDER)])
def test_overload_and_under_zero(
    pty_pair: PtyPair, protocol: str, kind: str, status: ReadingStatus
) -> None:
    with (
        FakeScale(pty_pair.scale, protocol, [State(kind, 0)]),
        open_scale(pty_pair, protocol) as scale,
    ):
        reading = scale.read()
    assert reading.status is status, reading
    assert reading.weight_g is None and not reading.usable


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_garbage_and_cut_frames_between_frames_are_skipped(
    pty_pair: PtyPair, protocol: str
) -> None:
    garbage = GARBAGE + TRUNCATED[protocol]
    with (
        FakeScale(pty_pair.scale, protocol, [State("stable", 1230)], garbage=garbage) as device,
        open_scale(pty_pair, protocol) as scale,
    ):
        readings = [scale.read() for _ in range(4)]
    assert [(r.status, r.weight_g) for r in readings] == [(OK, 1230)] * 4
    if protocol in WEIGH_COMMAND:
        assert device.commands == [WEIGH_COMMAND[protocol].rstrip(b"\r\n")] * 4


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_silent_scale_is_an_error_within_the_timeout(pty_pair: PtyPair, protocol: str) -> None:
    with (
        FakeScale(pty_pair.scale, protocol, [State("stable", 1000)], silent=True),
        open_scale(pty_pair, protocol, timeout_s=0.5) as scale,
    ):
        started = time.monotonic()
        reading = scale.read()
        elapsed = time.monotonic() - started
    assert reading.status is ERROR and reading.weight_g is None
    assert reading.message == f"no answer from the scale on {pty_pair.host} within 0.5 s"
    assert 0.45 <= elapsed < 1.0


def test_noise_only_is_reported_as_such(pty_pair: PtyPair) -> None:
    with (
        FakeScale(pty_pair.scale, "toledo-continuous", [State("stable", 1000)]),
        open_scale(pty_pair, "nci", timeout_s=0.3) as scale,  # wrong protocol configured
    ):
        reading = scale.read()
    assert reading.status is ERROR
    assert reading.message.startswith(f"no answer from the scale on {pty_pair.host} within 0.3 s")
    assert "unrecognised bytes received: check the protocol (nci)" in reading.message


@pytest.mark.parametrize("protocol", ON_DEMAND)
def test_zero(pty_pair: PtyPair, protocol: str) -> None:
    with (
        FakeScale(pty_pair.scale, protocol, [State("stable", 0)]) as device,
        open_scale(pty_pair, protocol) as scale,
    ):
        zeroed = scale.zero()
        after = scale.read()
    assert (zeroed.status, zeroed.message) == (OK, "zeroed"), zeroed
    assert bytes(device.received) == ZERO_COMMAND[protocol] + WEIGH_COMMAND[protocol]
    assert (after.status, after.weight_g) == (OK, 0)


def test_zero_on_a_continuous_scale_sends_the_command(pty_pair: PtyPair) -> None:
    with (
        FakeScale(pty_pair.scale, "toledo-continuous", [State("stable", 0)]) as device,
        open_scale(pty_pair, "toledo-continuous") as scale,
    ):
        reading = scale.zero()
        time.sleep(0.1)
    assert reading.status is OK and "does not acknowledge" in reading.message
    assert bytes(device.received) == b"Z"


def test_toledo_continuous_with_checksum(pty_pair: PtyPair) -> None:
    with (
        FakeScale(pty_pair.scale, "toledo-continuous", [State("stable", 4560)], checksum=True),
        open_scale(pty_pair, "toledo-continuous", checksum=True) as scale,
    ):
        reading = scale.read()
    assert (reading.status, reading.weight_g) == (OK, 4560)


def test_toledo_continuous_bad_checksums_are_an_error_after_the_timeout(pty_pair: PtyPair) -> None:
    with (
        FakeScale(
            pty_pair.scale,
            "toledo-continuous",
            [State("stable", 4560)],
            checksum=True,
            corrupt_checksum=True,
        ),
        open_scale(pty_pair, "toledo-continuous", timeout_s=0.3, checksum=True) as scale,
    ):
        reading = scale.read()
    assert reading.status is ERROR
    assert "no valid frame" in reading.message and "checksum mismatch" in reading.message


def test_unknown_command_answer_is_an_error(pty_pair: PtyPair) -> None:
    class Broken(NciDialect):
        weigh_command = b"Q\r"

    with (
        FakeScale(pty_pair.scale, "nci", [State("stable", 1)]),
        SerialScale(pty_pair.host, Broken()) as scale,
    ):
        reading = scale.read()
    assert reading.status is ERROR and "did not understand" in reading.message


def test_make_scale_builds_a_working_serial_scale(pty_pair: PtyPair) -> None:
    config = {
        "driver": "serial",
        "port": pty_pair.host,
        "protocol": "mt-sics",
        "baudrate": 9600,
        "timeout_s": 1.0,
        "stable_count": 2,
        "resolution_g": 1,
    }
    rule = stability_filter_for(config)
    scale = make_scale(config)
    try:
        with FakeScale(pty_pair.scale, "mt-sics", [State("stable", 777)]):
            assert [rule.feed(scale.read()) for _ in range(2)] == [None, 777]
    finally:
        scale.close()


def test_port_going_away_is_an_error_not_a_hang(pty_pair: PtyPair) -> None:
    scale = SerialScale(pty_pair.host, "mt-sics", timeout_s=0.5)
    with FakeScale(pty_pair.scale, "mt-sics", [State("stable", 500)]):
        assert scale.read().weight_g == 500
    pty_pair.process.terminate()
    pty_pair.process.wait(timeout=5)
    started = time.monotonic()
    reading = scale.read()
    assert reading.status is ERROR
    assert time.monotonic() - started < 1.5
    assert pty_pair.host in reading.message
    scale.close()
    assert "closed" in scale.read().message


def test_missing_port_is_an_error_reading() -> None:
    scale = SerialScale("/dev/does-not-exist-scale", "nci", timeout_s=0.2)
    reading = scale.read()
    assert reading.status is ERROR
    assert reading.message.startswith("cannot open the scale port /dev/does-not-exist-scale")
    assert scale.zero().status is ERROR
    scale.close()


# --- HidScale on a FIFO standing in for /dev/hidrawN ---------------------------------------


@pytest.fixture
def hid_fifo(tmp_path: Path) -> Iterator[tuple[str, int]]:
    path = tmp_path / "hidraw0"
    os.mkfifo(path)
    writer = os.open(path, os.O_RDWR)  # keeps the FIFO open without blocking
    try:
        yield str(path), writer
    finally:
        os.close(writer)


def test_hid_scale_reads_the_newest_data_report(hid_fifo: tuple[str, int]) -> None:
    path, writer = hid_fifo
    scale = HidScale(path, timeout_s=0.5)
    try:
        os.write(writer, bytes([3, 3, 11, 0xFF, 0x28, 0x00]))  # moving, 4.0 oz
        first = scale.read()
        assert (first.status, first.weight_g, first.unit) == (MOTION, 113, "oz")
        os.write(writer, bytes([3, 3, 11, 0xFF, 0x29, 0x00]) + bytes([3, 4, 11, 0xFF, 0x2A, 0x00]))
        newest = scale.read()
        assert (newest.status, newest.weight_g, newest.stable) == (OK, 119, True)  # 4.2 oz
        os.write(writer, bytes([3, 4, 12, 0xFE, 0x7D, 0x00]))  # 1.25 lb
        assert scale.read().weight_g == 567
        started = time.monotonic()
        silent = scale.read()
        assert silent.status is ERROR
        assert silent.message == f"no report from the HID scale {path} within 0.5 s"
        assert time.monotonic() - started < 1.0
        assert "press ZERO" in scale.zero().message
    finally:
        scale.close()


def test_hid_scale_missing_device_and_hidapi_paths() -> None:
    reading = HidScale("/dev/does-not-exist-hidraw").read()
    assert reading.status is ERROR and "cannot open the HID scale" in reading.message
    with pytest.raises(ValueError, match="hid:0922:8003"):
        HidScale("hid:nonsense")
    by_id = HidScale("hid:0922:8003", timeout_s=0.1).read()
    assert by_id.status is ERROR  # hidapi is optional: not installed, or no such device here


# --- SimulatedScale ------------------------------------------------------------------------


def test_simulated_scale_moves_then_settles_with_noise() -> None:
    scale = SimulatedScale(target_g=1200, noise_g=3, settle_readings=4, seed=7)
    readings = [scale.read() for _ in range(20)]
    assert [r.status for r in readings[:4]] == [MOTION] * 4
    assert all(r.status is OK and r.stable for r in readings[4:])
    assert all(r.weight_g is not None and abs(r.weight_g - 1200) <= 3 for r in readings[4:])
    rule = StabilityFilter(count=3, resolution_g=6)
    accepted = [rule.feed(r) for r in readings]
    assert accepted[:6] == [None] * 6 and accepted[6] is not None


def test_simulated_scale_place_zero_overload_and_never_settling() -> None:
    scale = SimulatedScale(target_g=500, settle_readings=0, seed=1)
    assert scale.read().weight_g == 500
    assert scale.zero().message == "zeroed"
    assert scale.read().weight_g == 0
    scale.place(800)
    assert scale.read().weight_g == 300  # still tared by the zero
    scale.place(40_000)
    assert scale.read().status is OVERLOAD
    restless = SimulatedScale(target_g=900, noise_g=2, settle_readings=None, seed=2)
    assert {restless.read().status for _ in range(30)} == {MOTION}
    restless.close()
    assert restless.read().status is ERROR


# --- the factory ---------------------------------------------------------------------------


def test_make_scale_drivers() -> None:
    simulated = make_scale({"driver": "simulated", "target_g": 700, "settle_readings": 0})
    assert isinstance(simulated, SimulatedScale)
    assert simulated.read().weight_g == 700
    assert isinstance(make_scale({"driver": "hid", "path": "/dev/hidraw0"}), HidScale)
    serial_scale = make_scale(
        {
            "driver": "serial",
            "port": "/dev/ttyUSB0",
            "protocol": "toledo-8213",
            "unit": "kg",
            "parity": "E",
            "bytesize": 7,
        }
    )
    assert isinstance(serial_scale, SerialScale)
    assert serial_scale.dialect.name == "toledo-8213"
    never = make_scale({"driver": "simulated", "settle_readings": None})
    assert never.read().status is MOTION


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({}, "scale driver must be one of"),
        ({"driver": "usb"}, "scale driver must be one of"),
        ({"driver": "serial", "protocol": "nci"}, "needs 'port'"),
        ({"driver": "serial", "port": "/dev/ttyS0"}, "needs 'protocol'"),
        ({"driver": "serial", "port": "/dev/ttyS0", "protocol": "dibal"}, "unknown scale protocol"),
        ({"driver": "serial", "port": "/dev/ttyS0", "protocol": "nci", "baud": 9600}, "'baud'"),
        (
            {"driver": "serial", "port": "/dev/ttyS0", "protocol": "nci", "baudrate": "9600"},
            "'baudrate' must be int",
        ),
        (
            {"driver": "serial", "port": "/dev/ttyS0", "protocol": "nci", "parity": "X"},
            "parity",
        ),
        ({"driver": "hid"}, "needs 'path'"),
        ({"driver": "simulated", "target_g": True}, "must not be true/false"),
        ({"driver": "simulated", "noise_g": -1}, "noise_g"),
    ],
)
def test_make_scale_rejects_bad_configs(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make_scale(config)
