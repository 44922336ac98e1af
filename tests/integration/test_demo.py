"""`dockhand demo` on a clean data directory: within a minute the simulated OMS has received
allocation.shipped events with tracking numbers and carton weights."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_ships_orders_to_the_simulated_oms_within_a_minute(tmp_path: Path) -> None:
    port, oms_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "demo",
            "--port",
            str(port),
            "--oms-port",
            str(oms_port),
            "--rate",
            "120",
            "--pickers",
            "2",
            "--data-dir",
            str(tmp_path),
            "--fresh",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    shipped: list[dict[str, object]] = []
    stats: dict[str, object] = {}
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(shipped) < 3:
            time.sleep(1)
            try:
                stats = requests.get(f"http://127.0.0.1:{oms_port}/stats", timeout=2).json()
            except requests.RequestException:
                continue
            shipped = stats.get("shipped", [])  # type: ignore[assignment]
        assert len(shipped) >= 3, f"no shipped events within 60 s: {json.dumps(stats)[:500]}"
        for ev in shipped:
            cartons = ev["cartons"]  # type: ignore[index]
            assert cartons and all(c["tracking_number"] and c["weight_g"] > 0 for c in cartons)
        assert stats["rejected_signatures"] == 0
        # From outside, without the demo's secret: refused, and nothing changes.
        outsider = requests.post(
            f"http://127.0.0.1:{port}/api/v1/allocations", json={"allocation_id": "X"}, timeout=5
        )
        assert outsider.status_code == 401
        page = requests.get(f"http://127.0.0.1:{port}/supervisor", timeout=5)
        assert page.status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
