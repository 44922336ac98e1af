"""A real Dockhand server for the end-to-end tests: `dockhand db upgrade`, `dockhand seed
--demo`, then `dockhand serve` (gevent) on a free loopback port, over a fresh SQLite file."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from app.domain.signing import signed_headers

REPO = Path(__file__).resolve().parents[2]
SECRET = "e2e-secret-" + "y" * 24


class ServerFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Server:
    base_url: str
    database_url: str
    secret: str
    log: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def post_allocation(self, doc: dict[str, Any]) -> requests.Response:
        body = json.dumps(doc).encode()
        headers = {"Content-Type": "application/json"}
        headers.update(signed_headers(self.secret, body, time.time()))
        return requests.post(
            self.url("/api/v1/allocations"), data=body, headers=headers, timeout=10
        )

    def get_signed(self, path: str) -> requests.Response:
        headers = signed_headers(self.secret, b"", time.time())
        return requests.get(self.url(path), headers=headers, timeout=10)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def dockhand(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("dockhand")  # the venv's console script
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "app.cli", *args]  # the same entry point, without PATH


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextmanager
def running_server(folder: Path, skus: int = 30, start_timeout_s: float = 30) -> Iterator[Server]:
    """Migrate and seed a new SQLite file in `folder`, serve it, stop the server afterwards."""
    database_url = f"sqlite:///{folder / 'dockhand.db'}"
    # Only our settings: a developer's DOCKHAND_OMS_URL must not receive test events.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
    env["DOCKHAND_DATABASE_URL"] = database_url
    for args in (("db", "upgrade"), ("seed", "--demo", "--skus", str(skus))):
        done = subprocess.run(
            dockhand(*args), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise ServerFailed(f"dockhand {' '.join(args)} failed:\n{done.stderr}")

    port = free_port()
    log = folder / "server.log"
    env["DOCKHAND_OMS_SECRET"] = SECRET
    with log.open("wb") as out:
        proc = subprocess.Popen(
            dockhand("serve", "--host", "127.0.0.1", "--port", str(port)),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + start_timeout_s
        while True:
            if proc.poll() is not None:
                raise ServerFailed(f"dockhand serve exited with {proc.returncode}:\n{tail(log)}")
            try:
                if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise ServerFailed(f"no answer on /healthz in {start_timeout_s} s:\n{tail(log)}")
            time.sleep(0.1)
        yield Server(base_url, database_url, SECRET, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
