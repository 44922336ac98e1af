"""Scale drivers for weigh stations: serial (pyserial), USB HID (/dev/hidrawN), simulated.

Every driver answers `read()` and `zero()` with a `Reading` and never hangs or raises for a
device problem: an unplugged port, a silent scale or noise on the line come back as an ERROR
reading whose message says what happened ("no answer from the scale on /dev/ttyUSB0 within
1.0 s"). A scale that never settles keeps answering MOTION readings; whether a weight is
good enough to record is `StabilityFilter`'s call. Only a bad configuration raises
(ValueError, from the constructors and `make_scale`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import os
import random
import select
import threading
import time
from collections.abc import Callable, Mapping
from types import ModuleType, TracebackType
from typing import Any, Protocol

import serial

from app.domain.scale_protocols import (
    HID_SCALE_DATA_REPORT,
    Reading,
    ReadingStatus,
    ScaleDialect,
    StabilityFilter,
    dialect_for,
    parse_hid_report,
)

__all__ = [
    "HidScale",
    "Scale",
    "SerialScale",
    "SimulatedScale",
    "make_scale",
    "stability_filter_for",
]


class Scale(Protocol):
    def read(self) -> Reading: ...

    def zero(self) -> Reading: ...

    def close(self) -> None: ...


try:  # POSIX ports raise termios.error (not an OSError) when the other end is gone
    from termios import error as _TermiosError

    _PORT_ERRORS: tuple[type[BaseException], ...] = (
        serial.SerialException,
        OSError,
        _TermiosError,
    )
except ImportError:  # pragma: no cover - Windows
    _PORT_ERRORS = (serial.SerialException, OSError)


_OPEN_ERRORS: tuple[type[BaseException], ...] = (*_PORT_ERRORS, ValueError)


def _seconds(value: float) -> str:
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"


# --- serial ------------------------------------------------------------------------------

_POLL_SLICE_S = 0.05  # how often a blocking read wakes up to check its deadline
_BYTESIZES = (5, 6, 7, 8)
_PARITIES = ("N", "E", "O", "M", "S")
_STOPBITS = (1, 1.5, 2)


class SerialScale:
    """A scale on a serial port (RS-232, USB-serial, or a pty) speaking one `dialect`.

    On-demand protocols (NCI, MT-SICS, Toledo 8213) are polled: each `read()` discards stale
    input, sends the weigh command and waits for one answer frame. Continuous protocols (Toledo
    continuous output) are listened to: each `read()` discards stale input and returns the
    next well-formed frame. The port opens lazily and reopens after an error, so a scale that
    is unplugged and plugged back in recovers by itself.
    """

    def __init__(
        self,
        port: str,
        protocol: str | ScaleDialect,
        baudrate: int = 9600,
        timeout_s: float = 1.0,
        *,
        bytesize: int = 8,
        parity: str = "N",
        stopbits: float = 1,
        unit: str = "lb",
        checksum: bool = False,
        zero_timeout_s: float | None = None,
    ) -> None:
        if not port:
            raise ValueError("a serial scale needs a port, e.g. /dev/ttyUSB0")
        if baudrate <= 0:
            raise ValueError(f"baudrate must be positive: {baudrate}")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive: {timeout_s}")
        if bytesize not in _BYTESIZES:
            raise ValueError(f"bytesize must be one of {_BYTESIZES}: {bytesize}")
        if parity not in _PARITIES:
            raise ValueError(f"parity must be one of {_PARITIES}: {parity!r}")
        if stopbits not in _STOPBITS:
            raise ValueError(f"stopbits must be one of {_STOPBITS}: {stopbits}")
        self.port = port
        self.dialect = (
            protocol
            if isinstance(protocol, ScaleDialect)
            else dialect_for(protocol, unit=unit, checksum=checksum)
        )
        self.baudrate = baudrate
        self.timeout_s = float(timeout_s)
        # MT-SICS `Z` waits for a stable weight before it answers: give zeroing longer.
        self.zero_timeout_s = float(zero_timeout_s) if zero_timeout_s else max(5.0, timeout_s)
        self._settings = {"bytesize": bytesize, "parity": parity, "stopbits": stopbits}
        self._serial: Any = None
        self._framer = self.dialect.framer()
        self._lock = threading.Lock()
        self._closed = False

    def __repr__(self) -> str:
        return f"SerialScale({self.port!r}, {self.dialect.name!r}, baudrate={self.baudrate})"

    def __enter__(self) -> SerialScale:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def read(self) -> Reading:
        with self._lock:
            if self.dialect.continuous:
                return self._exchange(b"", self.dialect.parse, self.timeout_s, skip_errors=True)
            return self._exchange(
                self.dialect.weigh_command, self.dialect.parse, self.timeout_s, skip_errors=False
            )

    def zero(self) -> Reading:
        with self._lock:
            if not self.dialect.continuous:
                return self._exchange(
                    self.dialect.zero_command,
                    self.dialect.parse_zero,
                    self.zero_timeout_s,
                    skip_errors=False,
                )
            reading = self._exchange(
                self.dialect.zero_command, self.dialect.parse, self.timeout_s, skip_errors=True
            )
            if reading.status is ReadingStatus.ERROR:
                return reading
            note = "zero command sent (continuous output does not acknowledge it)"
            return dataclasses.replace(reading, message=note)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    # -- internals --

    def _open(self) -> Reading | None:
        if self._closed:
            return Reading.error(b"", f"the scale on {self.port} has been closed")
        if self._serial is not None:
            return None
        try:
            self._serial = serial.Serial(
                port=self.port,
                baudrate=self.baudrate,
                timeout=min(_POLL_SLICE_S, self.timeout_s),
                write_timeout=self.timeout_s,
                **self._settings,
            )
        except _OPEN_ERRORS as exc:
            return Reading.error(b"", f"cannot open the scale port {self.port}: {exc}")
        return None

    def _drop(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            with contextlib.suppress(*_PORT_ERRORS):
                port.close()

    def _exchange(
        self,
        command: bytes,
        parse: Callable[[bytes], Reading],
        timeout_s: float,
        *,
        skip_errors: bool,
    ) -> Reading:
        """Send `command` (if any) and return the first answer frame, parsed. With
        `skip_errors`, malformed frames are passed over while time remains."""
        failed = self._open()
        if failed is not None:
            return failed
        port = self._serial
        framer = self._framer
        framer.clear()
        last_error: Reading | None = None
        deadline = time.monotonic() + timeout_s
        try:
            port.reset_input_buffer()
            if command:
                port.write(command)
            while time.monotonic() < deadline:
                chunk = port.read(max(1, port.in_waiting))
                if not chunk:
                    continue
                for frame in framer.feed(chunk):
                    reading = parse(frame)
                    if skip_errors and reading.status is ReadingStatus.ERROR:
                        last_error = reading
                        continue
                    return reading
        except _PORT_ERRORS as exc:
            self._drop()
            return Reading.error(b"", f"serial error on {self.port}: {exc}")
        within = f"within {_seconds(timeout_s)} s"
        if last_error is not None:
            return Reading.error(
                last_error.raw,
                f"no valid frame from the scale on {self.port} {within} "
                f"(last frame: {last_error.message})",
            )
        message = f"no answer from the scale on {self.port} {within}"
        noise = framer.discarded + len(framer.pending)
        if noise:
            message += (
                f" ({noise} unrecognised bytes received: check the protocol "
                f"({self.dialect.name}), baud rate and framing)"
            )
        return Reading.error(framer.pending[-64:], message)


# --- USB HID -----------------------------------------------------------------------------


def _load_hidapi() -> ModuleType | None:
    try:
        return importlib.import_module("hid")
    except ImportError:
        return None


class HidScale:
    """A USB HID point-of-sale scale (usage page 0x8D).

    `path` is a hidraw node (`/dev/hidraw3`), read as a plain file: each read returns one
    report, and the newest data report (id 3) wins. `hid:VVVV:PPPP` (hex vendor and product
    ids) uses the optional `hidapi` package instead, where it is installed.
    """

    REPORT_SIZE = 6
    _MAX_DRAIN = 256  # reports read per call at most, for a scale that never stops sending

    def __init__(self, path: str, timeout_s: float = 1.0) -> None:
        if not path:
            raise ValueError("a HID scale needs a path such as /dev/hidraw0")
        if not timeout_s > 0:
            raise ValueError(f"timeout_s must be positive: {timeout_s}")
        self.path = path
        self.timeout_s = float(timeout_s)
        self._vid_pid = self._parse_hid_id(path) if path.startswith("hid:") else None
        self._fd: int | None = None
        self._device: Any = None
        self._lock = threading.Lock()
        self._closed = False

    @staticmethod
    def _parse_hid_id(path: str) -> tuple[int, int]:
        try:
            _, vid, pid = path.split(":")
            return int(vid, 16), int(pid, 16)
        except ValueError:
            raise ValueError(f"HID id must look like hid:0922:8003, got {path!r}") from None

    def __repr__(self) -> str:
        return f"HidScale({self.path!r})"

    def read(self) -> Reading:
        with self._lock:
            failed = self._open()
            if failed is not None:
                return failed
            try:
                if self._device is not None:
                    return self._read_hidapi()
                return self._read_hidraw()
            except OSError as exc:
                self._drop()
                return Reading.error(b"", f"HID scale {self.path} failed: {exc}")

    def zero(self) -> Reading:
        return Reading.error(
            b"", f"the HID scale {self.path} cannot be zeroed from the host: press ZERO on it"
        )

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._drop()

    def _open(self) -> Reading | None:
        if self._closed:
            return Reading.error(b"", f"the HID scale {self.path} has been closed")
        if self._fd is not None or self._device is not None:
            return None
        if self._vid_pid is not None:
            hid = _load_hidapi()
            if hid is None:
                return Reading.error(
                    b"", f"{self.path} needs the hidapi package; or use its /dev/hidrawN path"
                )
            try:
                device = hid.device()
                device.open(*self._vid_pid)
            except (OSError, ValueError) as exc:
                return Reading.error(b"", f"cannot open the HID scale {self.path}: {exc}")
            self._device = device
            return None
        try:
            self._fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        except OSError as exc:
            return Reading.error(b"", f"cannot open the HID scale {self.path}: {exc}")
        return None

    def _drop(self) -> None:
        fd, self._fd = self._fd, None
        device, self._device = self._device, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.close(fd)
        if device is not None:
            with contextlib.suppress(OSError, ValueError):
                device.close()

    def _reports(self, data: bytes) -> list[bytes]:
        # A hidraw read returns exactly one report; a pipe standing in for one may return
        # several at once.
        size = self.REPORT_SIZE
        if len(data) > size and len(data) % size == 0:
            return [data[i : i + size] for i in range(0, len(data), size)]
        return [data]

    def _take(self, data: bytes, latest: Reading | None) -> tuple[Reading | None, Reading | None]:
        """(newest data report, newest other report) among the reports in `data`."""
        other: Reading | None = None
        for report in self._reports(data):
            if report[:1] == bytes([HID_SCALE_DATA_REPORT]):
                latest = parse_hid_report(report)
            else:
                other = parse_hid_report(report)
        return latest, other

    def _nothing(self, other: Reading | None) -> Reading:
        message = f"no report from the HID scale {self.path} within {_seconds(self.timeout_s)} s"
        if other is not None:
            message += f" (only other reports: {other.message})"
        return Reading.error(other.raw if other else b"", message)

    def _read_hidraw(self) -> Reading:
        assert self._fd is not None
        fd = self._fd
        deadline = time.monotonic() + self.timeout_s
        latest: Reading | None = None
        other: Reading | None = None
        for _ in range(self._MAX_DRAIN):
            try:
                data = os.read(fd, 64)
            except BlockingIOError:
                data = None
            if data == b"":
                self._drop()
                return Reading.error(b"", f"the HID scale {self.path} went away (end of file)")
            if data:
                latest, odd = self._take(data, latest)
                other = odd or other
                continue
            if latest is not None:
                return latest
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            select.select([fd], [], [], remaining)
        return latest if latest is not None else self._nothing(other)

    def _read_hidapi(self) -> Reading:
        device = self._device
        deadline = time.monotonic() + self.timeout_s
        latest: Reading | None = None
        other: Reading | None = None
        for _ in range(self._MAX_DRAIN):
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            data = bytes(device.read(64, 0 if latest is not None else remaining_ms))
            if not data:
                if latest is not None or remaining_ms == 0:
                    break
                continue
            latest, odd = self._take(data, latest)
            other = odd or other
        return latest if latest is not None else self._nothing(other)


# --- simulated ---------------------------------------------------------------------------


class SimulatedScale:
    """A scale for the demo and tests: after a load is placed it is in motion for
    `settle_readings` reads, then stable at the load ± `noise_g`. `settle_readings=None`
    never settles. Above `capacity_g` it reports OVERLOAD."""

    def __init__(
        self,
        target_g: int = 0,
        noise_g: int = 0,
        settle_readings: int | None = 3,
        *,
        seed: int | None = None,
        capacity_g: int | None = 30_000,
    ) -> None:
        if noise_g < 0:
            raise ValueError("noise_g cannot be negative")
        if settle_readings is not None and settle_readings < 0:
            raise ValueError("settle_readings cannot be negative (None: never settles)")
        self.target_g = target_g
        self.noise_g = noise_g
        self.settle_readings = settle_readings
        self.capacity_g = capacity_g
        self._rng = random.Random(seed)
        self._reads_since_placed = 0
        self._zero_offset_g = 0
        self._closed = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SimulatedScale(target_g={self.target_g}, noise_g={self.noise_g})"

    def place(self, target_g: int) -> None:
        """Put a new load on the platter: the scale is in motion again."""
        with self._lock:
            self.target_g = target_g
            self._reads_since_placed = 0

    def _settled(self) -> bool:
        return self.settle_readings is not None and self._reads_since_placed > self.settle_readings

    def read(self) -> Reading:
        with self._lock:
            if self._closed:
                return Reading.error(b"", "the simulated scale has been closed")
            self._reads_since_placed += 1
            if self.capacity_g is not None and self.target_g > self.capacity_g:
                return Reading(None, False, ReadingStatus.OVERLOAD, b"S +\r\n", None, "overload")
            load = self.target_g - self._zero_offset_g
            noise = self._rng.randint(-self.noise_g, self.noise_g) if self.noise_g else 0
            if self._settled():
                weight = load + noise
                return Reading(weight, True, ReadingStatus.OK, self._raw("S", weight), "g")
            swing = max(20, 5 * self.noise_g, abs(load) // 10)
            weight = load + self._rng.randint(-swing, swing)
            raw = self._raw("D", weight)
            return Reading(weight, False, ReadingStatus.MOTION, raw, "g", "in motion")

    @staticmethod
    def _raw(kind: str, weight: int) -> bytes:
        return f"S {kind} {weight:>10} g\r\n".encode("ascii")  # as an MT-SICS balance says it

    def zero(self) -> Reading:
        with self._lock:
            if self._closed:
                return Reading.error(b"", "the simulated scale has been closed")
            self._zero_offset_g = self.target_g
            return Reading(None, True, ReadingStatus.OK, b"Z A\r\n", None, "zeroed")

    def close(self) -> None:
        with self._lock:
            self._closed = True


# --- factory -----------------------------------------------------------------------------

_SHARED_KEYS = {"driver", "name", "stable_count", "resolution_g"}
_DRIVER_KEYS = {
    "serial": {
        "port",
        "protocol",
        "baudrate",
        "timeout_s",
        "bytesize",
        "parity",
        "stopbits",
        "unit",
        "checksum",
        "zero_timeout_s",
    },
    "hid": {"path", "timeout_s"},
    "simulated": {"target_g", "noise_g", "settle_readings", "seed", "capacity_g"},
}


def _get(config: Mapping[str, object], key: str, kind: type | tuple[type, ...]) -> Any:
    value = config[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        raise ValueError(f"scale config {key!r} must not be true/false: {value!r}")
    if not isinstance(value, kinds):
        names = " or ".join(k.__name__ for k in kinds)
        raise ValueError(f"scale config {key!r} must be {names}, got {value!r}")
    return value


def _options(
    config: Mapping[str, object], spec: dict[str, type | tuple[type, ...]]
) -> dict[str, Any]:
    return {key: _get(config, key, kind) for key, kind in spec.items() if key in config}


def make_scale(config: Mapping[str, object]) -> Scale:
    """A scale from a station's config, e.g.
    `{"driver": "serial", "port": "/dev/ttyUSB0", "protocol": "mt-sics", "baudrate": 9600}`,
    `{"driver": "hid", "path": "/dev/hidraw0"}` or `{"driver": "simulated", "target_g": 1200}`.
    Raises ValueError naming what is wrong with the config."""
    driver = config.get("driver")
    if driver not in _DRIVER_KEYS:
        raise ValueError(f"scale driver must be one of {sorted(_DRIVER_KEYS)}, got {driver!r}")
    assert isinstance(driver, str)
    unknown = set(config) - _SHARED_KEYS - _DRIVER_KEYS[driver]
    if unknown:
        allowed = sorted(_DRIVER_KEYS[driver] | _SHARED_KEYS)
        raise ValueError(f"unknown {driver} scale setting(s) {sorted(unknown)}; known: {allowed}")
    number = (int, float)
    if driver == "serial":
        for key in ("port", "protocol"):
            if key not in config:
                raise ValueError(f"a serial scale config needs {key!r}")
        return SerialScale(
            _get(config, "port", str),
            _get(config, "protocol", str),
            **_options(
                config,
                {
                    "baudrate": int,
                    "timeout_s": number,
                    "bytesize": int,
                    "parity": str,
                    "stopbits": number,
                    "unit": str,
                    "checksum": bool,
                    "zero_timeout_s": number,
                },
            ),
        )
    if driver == "hid":
        if "path" not in config:
            raise ValueError("a hid scale config needs 'path', e.g. /dev/hidraw0")
        return HidScale(_get(config, "path", str), **_options(config, {"timeout_s": number}))
    settle: int | None = 3
    if "settle_readings" in config:
        settle = _get(config, "settle_readings", (int, type(None)))
    return SimulatedScale(
        settle_readings=settle,
        **_options(
            config,
            {
                "target_g": int,
                "noise_g": int,
                "seed": int,
                "capacity_g": (int, type(None)),
            },
        ),
    )


def stability_filter_for(config: Mapping[str, object]) -> StabilityFilter:
    """The stability rule a station config asks for (`stable_count`, `resolution_g`)."""
    count = _get(config, "stable_count", int) if "stable_count" in config else 3
    resolution = _get(config, "resolution_g", int) if "resolution_g" in config else 2
    return StabilityFilter(count=count, resolution_g=resolution)
