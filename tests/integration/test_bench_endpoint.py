"""The scan-load benchmark's bare handler (/bench, only with `bench_endpoints` on): one
scan-log row per event, written and committed by the group-commit writer before the ack."""

from __future__ import annotations

from sqlalchemy import select

from app import socketio
from app.adapters.db.models import ScanLog
from tests.support.warehouse import make_app, uow_of


def test_a_bare_event_commits_one_scan_log_row_before_its_answer(sqlite_url: str) -> None:
    app = make_app(sqlite_url, bench_endpoints=True)
    client = socketio.test_client(app, namespace="/bench")
    answers = [
        client.emit("bare", {"code": f"B-{n}"}, namespace="/bench", callback=True) for n in range(3)
    ]
    assert answers == [{"ok": True, "result": "bare_ok"}] * 3
    with uow_of(app).reader() as tx:
        rows = tx.session.execute(
            select(ScanLog.raw, ScanLog.result).where(ScanLog.station == "bench")
        ).all()
    assert sorted(rows) == [("B-0", "bare_ok"), ("B-1", "bare_ok"), ("B-2", "bare_ok")]
    bad = client.emit("bare", {"code": "x" * 65}, namespace="/bench", callback=True)
    assert bad["ok"] is False and bad["field"] == "code"
