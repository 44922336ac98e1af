"""The dashboard push is computed only while a supervisor watches (app/adapters/audience.py):
a snapshot of a busy floor holds every handheld's scans up for tens of milliseconds a second.
Nothing may be lost by skipping it: the first push after somebody signs in carries every
change made meanwhile. With several workers, a worker learns from Redis that somebody
watches on another worker, and only one worker pushes, from every worker's changes
(tests/integration/test_scale_out.py runs the two processes)."""

from __future__ import annotations

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

from app.adapters.audience import RoomAudience
from app.adapters.change_relay import ChangeRelay
from tests.e2e.live import Server, ServerFailed, running_server
from tests.integration.test_scale_out import require_redis
from tests.support.metrics import counter_total
from tests.support.warehouse import REDIS_URL, allocation_doc


def pushes_so_far(server: Server) -> float:
    text = requests.get(server.url("/metrics"), timeout=10).text
    return counter_total(text, "dockhand_dashboard_pushes_total")


def signed_in(server: Server, namespace: str, badge: str) -> socketio.Client:
    sio = socketio.Client()
    sio.connect(server.base_url, namespaces=[namespace], transports=["websocket"])
    ack = sio.call("sign_in", {"badge": badge, "pin": "1234"}, namespace=namespace, timeout=10)
    assert ack["ok"], ack
    return sio


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    try:
        with running_server(tmp_path, skus=12) as live:
            yield live
    except ServerFailed as exc:
        pytest.fail(str(exc))


def test_no_push_while_nobody_watches_and_the_next_watcher_sees_every_change(
    server: Server,
) -> None:
    doc = allocation_doc("AL-AUD", lines=[{"line_id": "1", "sku": "MUG-BLK-S", "qty": 3}])
    assert server.post_allocation(doc).status_code == 202
    boss = signed_in(server, "/supervisor", "U0001")
    assert boss.call("build_wave", {"release": True}, namespace="/supervisor")["ok"]
    boss.disconnect()
    time.sleep(1.5)  # a push for the wave may still have gone out while the boss was there
    before = pushes_so_far(server)

    picker = signed_in(server, "/pick", "U0010")
    task = picker.call("next_task", {}, namespace="/pick", timeout=10)["task"]
    assert picker.call(
        "scan", {"task_id": task["task_id"], "code": task["location"]}, namespace="/pick"
    )["ok"]
    time.sleep(2.5)  # two ticks of the push loop, with a change to push
    assert pushes_so_far(server) == before, "a snapshot was computed with nobody watching"

    arrived = threading.Event()
    seen: list[dict[str, Any]] = []
    boss = socketio.Client()

    @boss.on("dashboard", namespace="/supervisor")
    def _pushed(data: dict[str, Any]) -> None:
        seen.append(data)
        arrived.set()

    boss.connect(server.base_url, namespaces=["/supervisor"], transports=["websocket"])
    assert boss.call("sign_in", {"badge": "U0001", "pin": "1234"}, namespace="/supervisor")["ok"]
    # The scan made while nobody watched is pushed to the first watcher without another
    # change on the floor.
    assert arrived.wait(5), "no dashboard push after a supervisor signed in"
    assert seen[-1]["scans"].get("pick", 0) >= 1
    assert pushes_so_far(server) > before
    for sio in (boss, picker):
        sio.disconnect()


def room_of(audience: RoomAudience, server: socketio.Server, sid: str) -> None:
    server.manager.enter_room(sid, audience.namespace, audience.room, eio_sid="e" + sid)


def test_one_process_without_a_queue_counts_its_own_room() -> None:
    sio = socketio.Server()
    here = RoomAudience(sio, "/supervisor", "dashboard")
    assert not here.anyone()
    room_of(here, sio, "s1")
    assert here.anyone()
    sio.manager.leave_room("s1", "/supervisor", "dashboard")
    assert not here.anyone()


def test_workers_learn_of_each_others_watchers_until_one_stops_saying_so() -> None:
    require_redis()
    channel = f"dockhand-test-{uuid.uuid4().hex[:8]}"
    a_server, b_server = socketio.Server(), socketio.Server()
    a = RoomAudience(a_server, "/supervisor", "dashboard", REDIS_URL, channel, ttl_s=1)
    b = RoomAudience(b_server, "/supervisor", "dashboard", REDIS_URL, channel, ttl_s=1)
    assert not a.anyone() and not b.anyone()
    room_of(b, b_server, "s1")
    b.keep_saying()
    assert a.anyone(), "worker A does not know that somebody watches on worker B"
    # B's supervisor leaves (or B dies): B stops renewing, and the word expires.
    b_server.manager.leave_room("s1", "/supervisor", "dashboard")
    b.keep_saying()
    deadline = time.monotonic() + 5
    while a.anyone() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not a.anyone()
    redis.Redis.from_url(REDIS_URL).delete(f"{channel}:watched:/supervisor:dashboard")


def test_a_queue_it_cannot_ask_counts_as_somebody_watching() -> None:
    # Nothing listens on port 1: the push goes out, as it did before anybody counted.
    down = RoomAudience(socketio.Server(), "/supervisor", "dashboard", "redis://127.0.0.1:1/0")
    assert down.anyone()
    other = RoomAudience(socketio.Server(), "/supervisor", "dashboard", "amqp://127.0.0.1//")
    assert other.anyone()


def test_changes_told_on_any_worker_are_taken_once_by_the_one_that_pushes() -> None:
    require_redis()
    channel = f"dockhand-test-{uuid.uuid4().hex[:8]}"
    a = ChangeRelay.for_queue(REDIS_URL, channel)
    b = ChangeRelay.for_queue(REDIS_URL, channel)
    assert a is not None and b is not None
    assert not b.take()
    assert a.tell()
    assert b.take(), "the pushing worker did not learn of another worker's change"
    assert not b.take(), "one change was pushed twice"
    assert ChangeRelay.for_queue("", channel) is None  # one process: it pushes its own


def test_a_relay_that_cannot_reach_redis_pushes_rather_than_loses_a_change() -> None:
    down = ChangeRelay.for_queue("redis://127.0.0.1:1/0", "dockhand")
    assert down is not None
    assert not down.tell()  # the worker then pushes its own change
    assert down.take()  # and the pushing worker pushes, changed or not
