"""Station cameras: a fixed camera over a pack bench, read by the server through OpenCV.

`config/stations.toml` gives a station its camera in a `[stations.<id>.camera]` table, one of:

    device = 0                                   # a USB camera: OpenCV device index
    url = "http://10.0.4.21:8080/video.mjpg"     # a stream OpenCV (FFmpeg) opens: MJPEG, RTSP...
    snapshot_url = "http://10.0.4.21/snap.jpg"   # an IP camera's still image, fetched per frame
    file = "var/camera/bench.jpg"                # an image file standing in for a camera (demo)

with optional `name`, `width` / `height` (device capture size), `timeout_s` (how long to wait
for a frame, default 5) and `idle_s` (release the device after this long without use,
default 120).

Device and stream cameras are read continuously by a native thread (not a greenlet: the read
blocks inside FFmpeg), which keeps only the newest frame: a buffered stream would otherwise
answer with what it saw seconds ago. `frame(fresh_after=t)` waits for a frame captured after
`t`, so "take the photo now" gets the box as it is now. The thread lets go of the camera after
`idle_s` without a request and starts again on the next one.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import time
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)

Frame = NDArray[np.uint8]
KINDS = ("device", "url", "snapshot_url", "file")


class CameraError(RuntimeError):
    """No frame from the camera: not connected, not answering, or not an image."""


@dataclass(frozen=True)
class CameraConfig:
    station: str
    kind: str  # device, url, snapshot_url, file
    source: str
    name: str = ""
    width: int = 0
    height: int = 0
    timeout_s: float = 5.0
    idle_s: float = 120.0

    @property
    def label(self) -> str:
        return self.name or f"{self.station} camera"

    def describe(self) -> str:
        """Where the frames come from, without credentials in a URL."""
        if self.kind in ("url", "snapshot_url"):
            scheme, _, rest = self.source.partition("://")
            host = rest.split("/", 1)[0].rsplit("@", 1)[-1]
            return f"{scheme}://{host}"
        return f"{self.kind} {self.source}"


def parse_camera(station: str, table: dict[str, Any]) -> CameraConfig:
    where = f"stations.toml [stations.{station}.camera]"
    given = [k for k in KINDS if k in table]
    if len(given) != 1:
        raise ValueError(f"{where}: give exactly one of {', '.join(KINDS)}")
    kind = given[0]
    raw = table[kind]
    if kind == "device":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ValueError(f"{where}: device must be a camera index (0, 1, ...)")
    elif not isinstance(raw, str) or not raw.strip():
        raise ValueError(f"{where}: {kind} must be text")
    elif kind in ("url", "snapshot_url") and "://" not in raw:
        raise ValueError(f"{where}: {kind} must be a URL such as http://host/path")
    unknown = set(table) - {*KINDS, "name", "width", "height", "timeout_s", "idle_s"}
    if unknown:
        raise ValueError(f"{where}: unknown setting(s) {sorted(unknown)}")

    def number(key: str, default: float, minimum: float) -> float:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ValueError(f"{where}: {key} must be a number ≥ {minimum:g}")
        return float(value)

    return CameraConfig(
        station=station,
        kind=kind,
        source=str(raw).strip(),
        name=str(table.get("name", "")),
        width=int(number("width", 0, 0)),
        height=int(number("height", 0, 0)),
        timeout_s=number("timeout_s", 5.0, 0.1),
        idle_s=number("idle_s", 120.0, 1.0),
    )


def load_station_cameras(path: Path) -> dict[str, CameraConfig]:
    """The `[stations.<id>.camera]` tables of config/stations.toml; a missing file: none."""
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    found: dict[str, CameraConfig] = {}
    for station, table in (data.get("stations") or {}).items():
        cam = table.get("camera") if isinstance(table, dict) else None
        if cam is None:
            continue
        if not isinstance(cam, dict):
            raise ValueError(f"stations.toml [stations.{station}].camera must be a table")
        found[station] = parse_camera(station, cam)
    return found


# ------------------------------------------------------------------------------ threads


def _original(module: str, name: str) -> Any:
    """The unpatched function when gevent has monkey-patched the standard library."""
    try:
        from gevent import monkey

        return monkey.get_original(module, name)
    except ImportError:  # pragma: no cover - gevent is a dependency
        import importlib

        return getattr(importlib.import_module(module), name)


def encode_jpeg(frame: Frame, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", frame, [int(cv2.IMWRITE_JPEG_QUALITY), quality])
    if not ok:
        raise CameraError("could not encode the frame as JPEG")
    return bytes(buf.tobytes())


def decode_frame(data: bytes) -> Frame:
    arr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if arr is None:
        raise CameraError("the camera sent something that is not an image")
    return np.asarray(arr, dtype=np.uint8)


# ------------------------------------------------------------------------------ cameras


class Camera(Protocol):
    config: CameraConfig

    def frame(self, fresh_after: float | None = None) -> tuple[float, Frame]:
        """(monotonic capture time, BGR frame). CameraError when there is none in time."""
        ...

    def close(self, wait_s: float = 0.0) -> None: ...


class FileCamera:
    """An image file as a camera: each frame is the file as it is now."""

    def __init__(self, config: CameraConfig) -> None:
        self.config = config

    def frame(self, fresh_after: float | None = None) -> tuple[float, Frame]:
        path = Path(self.config.source)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CameraError(f"{self.config.label}: cannot read {path}: {exc}") from exc
        return time.monotonic(), decode_frame(data)

    def close(self, wait_s: float = 0.0) -> None:
        pass


class SnapshotCamera:
    """An IP camera's still-image URL, fetched once per frame."""

    def __init__(self, config: CameraConfig) -> None:
        self.config = config

    def frame(self, fresh_after: float | None = None) -> tuple[float, Frame]:
        try:
            with urllib.request.urlopen(  # the URL is the operator's own config
                self.config.source, timeout=self.config.timeout_s
            ) as resp:
                data = resp.read(20_000_000)
        except OSError as exc:
            raise CameraError(
                f"{self.config.label}: no picture from {self.config.describe()}: {exc}"
            ) from exc
        return time.monotonic(), decode_frame(data)

    def close(self, wait_s: float = 0.0) -> None:
        pass


class StreamCamera:
    """A device index or stream URL read by OpenCV on a native thread keeping the newest frame."""

    def __init__(self, config: CameraConfig) -> None:
        self.config = config
        self._latest: tuple[float, Frame] | None = None
        self._error: str | None = None
        self._running = False
        self._stop = False
        self._last_request = 0.0

    def _open(self) -> Any:
        if self.config.kind == "device":
            cap = cv2.VideoCapture(int(self.config.source))
            if self.config.width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.config.width)
            if self.config.height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.config.height)
        else:
            # FFmpeg waits forever on a stream that stops talking unless told otherwise.
            timeout_ms = int(self.config.timeout_s * 1000)
            cap = cv2.VideoCapture(
                self.config.source,
                cv2.CAP_FFMPEG,
                [
                    cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
                    timeout_ms,
                    cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                    timeout_ms,
                ],
            )
        with contextlib.suppress(cv2.error):  # not every backend has a buffer to size
            cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        return cap

    def _run(self) -> None:
        sleep = _original("time", "sleep")
        cap = None
        try:
            while not self._stop:
                if time.monotonic() - self._last_request > self.config.idle_s:
                    break  # nobody is looking: free the device
                if cap is None:
                    cap = self._open()
                    if not cap.isOpened():
                        self._error = f"cannot open {self.config.describe()}"
                        cap.release()
                        cap = None
                        sleep(1.0)
                        continue
                ok, frame = cap.read()
                if not ok or frame is None:
                    self._error = f"{self.config.describe()} stopped sending frames"
                    cap.release()
                    cap = None
                    sleep(0.5)
                    continue
                self._error = None
                self._latest = (time.monotonic(), frame)
        except Exception as exc:  # the thread must never die silently
            self._error = f"{self.config.describe()}: {exc}"
            log.exception("camera %s failed", self.config.station)
        finally:
            if cap is not None:
                cap.release()
            self._running = False

    def _ensure_running(self) -> None:
        self._last_request = time.monotonic()
        if self._running:
            return
        self._running = True
        self._stop = False
        start = _original("_thread", "start_new_thread")
        start(self._run, ())

    def frame(self, fresh_after: float | None = None) -> tuple[float, Frame]:
        self._ensure_running()
        deadline = time.monotonic() + self.config.timeout_s
        while True:
            latest = self._latest
            if latest is not None and (fresh_after is None or latest[0] >= fresh_after):
                return latest
            if time.monotonic() >= deadline:
                why = self._error or "no frame in time"
                raise CameraError(f"{self.config.label}: {why}")
            time.sleep(0.02)  # a greenlet sleep under gevent: other events go on
            self._ensure_running()

    def close(self, wait_s: float = 0.0) -> None:
        """Stop reading; with `wait_s`, wait that long for the reader to let go."""
        self._stop = True
        sleep = _original("time", "sleep")
        deadline = time.monotonic() + wait_s
        while self._running and time.monotonic() < deadline:
            sleep(0.02)


def make_camera(config: CameraConfig) -> Camera:
    if config.kind == "file":
        return FileCamera(config)
    if config.kind == "snapshot_url":
        return SnapshotCamera(config)
    return StreamCamera(config)


class CameraHub:
    """One camera object per station, made on first use and kept for the process."""

    def __init__(self, configs: dict[str, CameraConfig]) -> None:
        self.configs = dict(configs)
        self._cameras: dict[str, Camera] = {}
        atexit.register(self.close)

    def config(self, station: str) -> CameraConfig | None:
        return self.configs.get(station)

    def camera(self, station: str) -> Camera:
        cam = self._cameras.get(station)
        if cam is None:
            config = self.configs.get(station)
            if config is None:
                known = ", ".join(sorted(self.configs)) or "none"
                raise CameraError(f"station {station!r} has no camera (stations with one: {known})")
            cam = make_camera(config)
            self._cameras[station] = cam
        return cam

    def close(self, wait_s: float = 2.0) -> None:
        """Let go of every camera (at exit: a reader thread must not outlive the process's
        OpenCV state)."""
        for cam in self._cameras.values():
            cam.close(wait_s)
        self._cameras.clear()
