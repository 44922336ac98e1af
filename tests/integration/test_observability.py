"""What an operator's monitoring sees: health of the database and queue, and metrics."""

from __future__ import annotations

import gc

from flask import Flask

from tests.support.metrics import gc_pauses
from tests.support.warehouse import allocation_doc, signed_post, socket_client
from tests.test_support import release


def test_health_reports_database_and_queue(app: Flask) -> None:
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["message_queue"] == "not configured"
    c = app.extensions["dockhand"]
    # A queue nobody answers on (settings only: the Socket.IO server itself stays local).
    c.settings = c.settings.with_overrides(message_queue="redis://127.0.0.1:1/0")
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["message_queue"].startswith("error")


def test_metrics_count_scans_by_result_and_show_the_outbox_backlog(app: Flask) -> None:
    signed_post(app.test_client(), "/api/v1/allocations", allocation_doc())
    release(app, "AL-1")
    picker = socket_client(app, "/pick", "U0010")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    picker.emit(
        "scan", {"task_id": task["task_id"], "code": "A99-99-9"}, namespace="/pick", callback=True
    )
    text = app.test_client().get("/metrics").get_data(as_text=True)
    assert (
        'dockhand_station_events_total{event="scan",namespace="/pick",'
        'result="wrong_location"}' in text
    )
    assert 'dockhand_ack_seconds_count{event="scan",namespace="/pick"}' in text
    pending = next(
        line
        for line in text.splitlines()
        if line.startswith('dockhand_outbox_events{status="pending"}')
    )
    assert float(pending.split()[-1]) >= 1


def test_metrics_show_how_long_garbage_collections_stopped_the_process(app: Flask) -> None:
    """A full collection stops every station the process serves: an operator chasing slow
    scans sees how many there were and how long they took."""
    client = app.test_client()
    count, total = gc_pauses(client.get("/metrics").get_data(as_text=True))[2]
    gc.collect()
    gc.collect()
    after_count, after_total = gc_pauses(client.get("/metrics").get_data(as_text=True))[2]
    assert after_count >= count + 2
    assert after_total > total
