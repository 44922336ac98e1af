"""A real Dockhand server (`dockhand serve`, gevent, fresh seeded SQLite file) and a headless
Chromium for the end-to-end tests. Both are started once per session and shared."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from app.domain.signing import signed_headers

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
SECRET = "e2e-secret-" + "y" * 24
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _dockhand(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("dockhand")  # the venv's console script
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-m", "app.cli", *args]  # the same entry point, without PATH


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("e2e-server")
    database_url = f"sqlite:///{tmp / 'dockhand.db'}"
    # Only our settings: a developer's DOCKHAND_OMS_URL must not receive test events.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
    env["DOCKHAND_DATABASE_URL"] = database_url
    for args in (("db", "upgrade"), ("seed", "--demo", "--skus", "30")):
        done = subprocess.run(
            _dockhand(*args), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"dockhand {' '.join(args)} failed:\n{done.stderr}"

    port = _free_port()
    log = tmp / "server.log"
    env["DOCKHAND_OMS_SECRET"] = SECRET
    with log.open("wb") as out:
        proc = subprocess.Popen(
            _dockhand("serve", "--host", "127.0.0.1", "--port", str(port)),
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"dockhand serve exited with {proc.returncode}:\n{_tail(log)}")
            try:
                if requests.get(base_url + "/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dockhand serve did not answer /healthz in 30 s:\n{_tail(log)}")
            time.sleep(0.1)
        yield Server(base_url, database_url, SECRET, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the e2e tests: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
