"""`dockhand demo`: a seeded SQLite warehouse, the server, a simulated OMS and simulated
stations, each in its own process, so a newcomer sees waves moving within a minute."""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests


def _cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "app.cli", *args]


def _wait_http(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def run_demo(args: argparse.Namespace) -> int:
    data = Path(args.data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    db = data / "dockhand.db"
    if args.fresh and db.exists():
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    oms_url = f"http://127.0.0.1:{args.oms_port}"
    app_url = f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "DOCKHAND_DATABASE_URL": f"sqlite:///{db}",
        "DOCKHAND_OMS_URL": oms_url,
        # The demo makes its own secrets; production sets them in the environment.
        "DOCKHAND_OMS_SECRET": os.environ.get("DOCKHAND_OMS_SECRET") or secrets.token_hex(24),
        "DOCKHAND_SECRET_KEY": os.environ.get("DOCKHAND_SECRET_KEY") or secrets.token_hex(32),
    }
    subprocess.run(_cmd("db", "upgrade"), env=env, check=True)
    if not args.fresh and db.exists():
        seeded = subprocess.run(_cmd("seed", "--demo"), env=env, capture_output=True, text=True)
        print(seeded.stdout.strip() or "demo warehouse already seeded: reusing it")
    else:
        subprocess.run(_cmd("seed", "--demo"), env=env, check=True)

    procs: list[subprocess.Popen[bytes]] = []

    def stop_all(*_: object) -> None:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()

    def on_term(*_: object) -> None:
        stop_all()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_term)
    try:
        server = subprocess.Popen(
            _cmd("serve", "--host", "127.0.0.1", "--port", str(args.port)), env=env
        )
        procs.append(server)
        _wait_http(f"{app_url}/healthz", server)
        oms = subprocess.Popen(
            _cmd(
                "demo-oms",
                "--port",
                str(args.oms_port),
                "--app-url",
                app_url,
                "--rate",
                str(args.rate),
            ),
            env=env,
        )
        procs.append(oms)
        _wait_http(f"{oms_url}/stats", oms)
        sim = subprocess.Popen(
            _cmd(
                "simulate",
                "--url",
                app_url,
                "--pickers",
                str(args.pickers),
                "--minutes",
                str(args.minutes),
            ),
            env=env,
        )
        procs.append(sim)
        print(
            f"\n  Dockhand demo is running.\n"
            f"  Open {app_url}/ (supervisor dashboard: {app_url}/supervisor, badge U0001)\n"
            f"  Simulated OMS: {oms_url}/stats shows the events it received.\n"
            f"  Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(p.poll() is None for p in procs[:2]):
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop_all()
