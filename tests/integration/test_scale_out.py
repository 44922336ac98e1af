"""Two worker processes on one PostgreSQL database and one Redis message queue: a scan
handled by one worker reaches a supervisor dashboard connected to the other. Clients use the
websocket transport only, so no sticky sessions are needed."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio

from app.domain.signing import signed_headers
from tests.e2e.live import free_port
from tests.support.metrics import counter_total
from tests.support.warehouse import (
    REDIS_URL,
    SECRET,
    allocation_doc,
    fresh_postgres_db,
    post_allocation_to,
    prepare_database,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        reason = f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the Redis tests: {reason}")
        pytest.skip(reason)


class Worker:
    def __init__(self, database_url: str, channel: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
        env.update(
            DOCKHAND_DATABASE_URL=database_url,
            DOCKHAND_OMS_SECRET=SECRET,
            DOCKHAND_MESSAGE_QUEUE=REDIS_URL,
            DOCKHAND_MESSAGE_QUEUE_CHANNEL=channel,
        )
        self.log = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"worker did not start: {log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[Worker, Worker]]:
    require_redis()
    with fresh_postgres_db() as url:
        prepare_database(url)
        channel = f"dockhand-test-{uuid.uuid4().hex[:8]}"
        a = Worker(url, channel, tmp_path / "a.log")
        b = Worker(url, channel, tmp_path / "b.log")
        try:
            yield a, b
        finally:
            a.stop()
            b.stop()


def client(url: str, namespace: str, badge: str) -> socketio.Client:
    sio = socketio.Client()
    sio.connect(url, namespaces=[namespace], transports=["websocket"], wait_timeout=10)
    ack = sio.call("sign_in", {"badge": badge, "pin": "1234"}, namespace=namespace, timeout=10)
    assert ack["ok"], ack
    return sio


def test_a_scan_on_one_worker_updates_a_dashboard_on_the_other(
    two_workers: tuple[Worker, Worker],
) -> None:
    a, b = two_workers
    pushes: list[dict[str, Any]] = []
    arrived = threading.Event()
    supervisor_b = client(b.url, "/supervisor", "U0001")

    @supervisor_b.on("dashboard", namespace="/supervisor")
    def _on_dashboard(data: dict[str, Any]) -> None:
        pushes.append(data)
        if data["scans"].get("pick"):
            arrived.set()

    assert post_allocation_to(a.url, allocation_doc("AL-SO")).status_code == 202
    supervisor_a = client(a.url, "/supervisor", "U0001")
    wave = supervisor_a.call("build_wave", {"release": True}, namespace="/supervisor")
    assert wave["ok"], wave
    # Nobody watches on A: A learns from Redis that somebody does on B (app/adapters/audience.py).
    supervisor_a.disconnect()
    picker_a = client(a.url, "/pick", "U0010")
    task = picker_a.call("next_task", {}, namespace="/pick")["task"]
    reply = picker_a.call(
        "scan", {"task_id": task["task_id"], "code": task["location"]}, namespace="/pick"
    )
    assert reply["ok"], reply
    assert arrived.wait(15), f"no dashboard push reached worker B: {pushes[-1:]}"
    assert pushes[-1]["scans"]["pick"] >= 1
    assert (
        pushes[-1]["allocations"].get("released", 0) + pushes[-1]["allocations"].get("picking", 0)
        == 1
    )
    for sio in (supervisor_b, picker_a):
        sio.disconnect()


def pushes_of(worker: Worker) -> float:
    text = requests.get(worker.url + "/metrics", timeout=10).text
    return counter_total(text, "dockhand_dashboard_pushes_total")


def test_one_worker_pushes_the_dashboard_for_both(two_workers: tuple[Worker, Worker]) -> None:
    """Both workers handle scans; one of them computes and pushes the snapshots (a second
    each at most), not each its own: before, a supervisor got a push a second from every
    worker with changes, each a snapshot's worth of reads."""
    a, b = two_workers
    for i in range(2):
        assert post_allocation_to(a.url, allocation_doc(f"AL-P{i}")).status_code == 202
    boss = client(b.url, "/supervisor", "U0001")
    assert boss.call("build_wave", {"release": True}, namespace="/supervisor")["ok"]
    pushes: list[float] = []
    boss.on("dashboard", lambda _d: pushes.append(time.monotonic()), namespace="/supervisor")
    pickers = [(client(w.url, "/pick", badge), w) for w, badge in ((a, "U0010"), (b, "U0011"))]
    tasks = [p.call("next_task", {}, namespace="/pick")["task"] for p, _w in pickers]
    assert all(tasks), tasks
    time.sleep(2.5)  # the leadership settles (a worker asks every 2 s)
    before = {w.url: pushes_of(w) for w in (a, b)}
    pushes.clear()
    start = time.monotonic()
    while time.monotonic() - start < 4:  # both workers change the floor all the time
        for (picker, _w), task in zip(pickers, tasks, strict=True):
            ack = picker.call(
                "scan", {"task_id": task["task_id"], "code": task["location"]}, namespace="/pick"
            )
            assert ack["ok"], ack
        time.sleep(0.05)
    time.sleep(1.5)
    grew = [w.url for w in (a, b) if pushes_of(w) > before[w.url]]
    assert len(grew) == 1, f"workers that pushed: {grew}"
    assert 2 <= len(pushes) <= 7, f"{len(pushes)} pushes in 5.5 s"
    for sio in (boss, *(p for p, _w in pickers)):
        sio.disconnect()


def test_serve_with_several_workers_runs_one_order_across_them(tmp_path: Path) -> None:
    require_redis()
    with fresh_postgres_db() as url:
        prepare_database(url)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
        env.update(
            DOCKHAND_DATABASE_URL=url,
            DOCKHAND_OMS_SECRET=SECRET,
            DOCKHAND_MESSAGE_QUEUE=REDIS_URL,
            DOCKHAND_MESSAGE_QUEUE_CHANNEL=f"dockhand-test-{uuid.uuid4().hex[:8]}",
        )
        log = (tmp_path / "gunicorn.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            pids: set[int] = set()
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and len(pids) < 2:
                try:
                    pids.add(requests.get(base + "/healthz", timeout=2).json()["worker_pid"])
                except requests.RequestException:
                    time.sleep(0.3)
            assert len(pids) == 2, (tmp_path / "gunicorn.log").read_text()[-2000:]
            assert post_allocation_to(base, allocation_doc("AL-GW")).status_code == 202
            sup = client(base, "/supervisor", "U0001")
            assert sup.call("build_wave", {"release": True}, namespace="/supervisor")["ok"]
            picker = client(base, "/pick", "U0010")
            while task := picker.call("next_task", {}, namespace="/pick")["task"]:
                codes = [task["location"]] + [task["barcode"]] * task["qty"]
                for code in [*codes, task["tote"] or "T0001"]:
                    ack = picker.call(
                        "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick"
                    )
                    assert ack["ok"], ack
            state = requests.get(
                base + "/api/v1/allocations/AL-GW",
                headers=signed_headers(SECRET, b"", time.time()),
                timeout=10,
            ).json()
            assert state["status"] == "picked"
            sup.disconnect()
            picker.disconnect()
        finally:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
            log.close()
