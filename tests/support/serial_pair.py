"""A virtual serial port pair made by socat, and a Mettler Toledo MT-SICS bench scale on the
far end of it (a thread answering ``SI`` with ``S S <weight> g``), for tests that set a
station's scale to a real serial port."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import serial


@dataclass(frozen=True)
class PtyPair:
    scale: str  # the device's end
    host: str  # the end Dockhand opens


@contextmanager
def socat_pair(folder: Path) -> Iterator[PtyPair]:
    socat = shutil.which("socat")
    if socat is None:
        reason = "socat is not on PATH (apt-get install socat): no virtual serial port pair"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    scale, host, log = folder / "scale", folder / "host", folder / "socat.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [socat, "-d", "-d", f"pty,raw,echo=0,link={scale}", f"pty,raw,echo=0,link={host}"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + 5
        while not (scale.exists() and host.exists()):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"socat made no pty pair: {log.read_text()}")
            time.sleep(0.01)
        yield PtyPair(str(scale), str(host))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


class MtSicsScale:
    """Answers ``SI`` (weigh immediately) with a stable ``S S <grams> g`` and ``Z`` with
    ``Z A``; keeps the commands it received."""

    def __init__(self, path: str, grams: float = 0.0) -> None:
        self.grams = grams
        self.commands: list[bytes] = []
        self._port = serial.Serial(path, 9600, timeout=0.01)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MtSicsScale:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._port.close()

    def _run(self) -> None:
        pending = b""
        while not self._stop.is_set():
            pending += self._port.read(self._port.in_waiting or 1)
            *commands, pending = pending.split(b"\r\n")
            for command in commands:
                self.commands.append(command)
                if command == b"Z":
                    self._port.write(b"Z A\r\n")
                else:
                    self._port.write(f"S S {self.grams:>10.1f} g\r\n".encode())
