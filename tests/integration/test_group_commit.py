"""The group-commit writer on real databases: jobs arriving together share one commit, each
caller answered after it; one job's failure rolls back only its own work; a fast attempt
either answers or leaves nothing behind, and a failing one leaves the job to its full path."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from app.adapters.db.engine import make_engine
from app.adapters.db.group_commit import GroupCommitter
from app.adapters.db.migrate import upgrade
from app.adapters.db.models import ScanLog
from app.adapters.db.prepared import Cursor, Insert
from app.adapters.db.uow import SessionFactory

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


@pytest.fixture
def uow(empty_uow: SessionFactory) -> SessionFactory:
    return empty_uow


def _log(s: Session, cid: str) -> str:
    s.add(ScanLog(client_scan_id=cid, station="pick", raw=cid, result="item_ok", at=NOW))
    s.flush()
    return cid


def _raw_log(s: Session, cid: str) -> None:
    s.execute(
        text(
            "INSERT INTO scan_log (client_scan_id, station, raw, result, at) "
            "VALUES (:c, 'pick', :c, 'item_ok', :at)"
        ),
        {"c": cid, "at": NOW},
    )


def _logged(uow: SessionFactory) -> list[str]:
    with uow() as tx:
        return sorted(
            c for c in tx.session.scalars(select(ScanLog.client_scan_id)) if c is not None
        )


def _together(writer: GroupCommitter, calls: list[Any]) -> list[Any]:
    """Run the calls while the writer is busy, so that they share one group transaction."""
    release = threading.Event()
    answers: list[Any] = [None] * len(calls)

    def busy(s: Session, now: datetime) -> None:
        release.wait(10)

    blocker = threading.Thread(target=writer.run, args=(busy,))
    blocker.start()

    def call(i: int, fn: Any) -> None:
        try:
            answers[i] = fn()
        except Exception as exc:  # the caller's own error comes back to it
            answers[i] = exc

    threads = [threading.Thread(target=call, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10  # every call queued behind the busy job, then go
    while writer.queued() < len(calls) and time.monotonic() < deadline:
        time.sleep(0.005)
    release.set()
    for t in [blocker, *threads]:
        t.join(20)
    return answers


def test_jobs_arriving_together_share_a_commit_and_a_failure_stays_its_own(
    uow: SessionFactory,
) -> None:
    writer = GroupCommitter(uow, lambda: NOW)

    def boom(s: Session, now: datetime) -> None:
        _log(s, "doomed")
        raise ValueError("this job fails")

    answers = _together(
        writer,
        [
            lambda: writer.run(lambda s, now: _log(s, "a")),
            lambda: writer.run(boom),
            lambda: writer.run(lambda s, now: _log(s, "b")),
        ],
    )
    assert answers[0] == "a" and answers[2] == "b"
    assert isinstance(answers[1], ValueError)
    assert _logged(uow) == ["a", "b"]  # the failed job's row was rolled back, alone
    assert writer.batches <= 2  # the busy job's batch, then all three together


def test_a_fast_attempt_answers_or_leaves_nothing_and_a_failing_one_falls_back(
    uow: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    writer = GroupCommitter(uow, lambda: NOW)

    def fast_answers(s: Session, now: datetime) -> str:
        _raw_log(s, "fast")
        return "fast"

    def fast_declines(s: Session, now: datetime) -> None:
        return None

    def fast_fails(s: Session, now: datetime) -> None:
        _raw_log(s, "half-done")
        raise RuntimeError("a bug in the fast path")

    def slow(cid: str) -> Any:
        return lambda s, now: _log(s, cid)

    answers = _together(
        writer,
        [
            lambda: writer.run(slow("never"), fast=fast_answers),
            lambda: writer.run(slow("declined"), fast=fast_declines),
            lambda: writer.run(slow("fell-back"), fast=fast_fails),
            lambda: writer.run(slow("plain")),
        ],
    )
    assert answers == ["fast", "declined", "fell-back", "plain"]
    # The failing attempt's row is gone; the full path did the job instead.
    assert _logged(uow) == ["declined", "fast", "fell-back", "plain"]
    assert "fast path failed" in caplog.text
    with uow() as tx:
        assert tx.session.scalar(select(func.count(ScanLog.id))) == 4


def test_batched_writes_that_fail_roll_back_and_the_full_path_answers(
    uow: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """The fast pick path's last writes go in one batch (PostgreSQL: psycopg's pipeline,
    whose error surfaces only when the block ends). A failure there (here a duplicate key,
    as a replay racing another worker would meet) must roll the attempt back, earlier
    writes of the attempt included, and leave the connection fit for the full path."""
    writer = GroupCommitter(uow, lambda: NOW)
    writer.run(lambda s, now: _log(s, "taken"))
    log_row = Insert(cast(Table, ScanLog.__table__))

    def row(cid: str) -> dict[str, Any]:
        return {
            "client_scan_id": cid,
            "station": "pick",
            "raw": cid,
            "result": "item_ok",
            "at": NOW,
        }

    def fast_batch_fails(s: Session, now: datetime) -> str:
        cur = Cursor(s)
        try:
            cur.executemany(log_row, [row("attempt")])  # before the batch: rolled back too
            with cur.batched():
                cur.executemany(log_row, [row("batched")])
                cur.executemany(log_row, [row("taken")])  # the unique client_scan_id
            return "fast"
        finally:
            cur.close()

    answer = writer.run(lambda s, now: _log(s, "full"), fast=fast_batch_fails)
    assert answer == "full"
    assert "fast path failed" in caplog.text
    assert _logged(uow) == ["full", "taken"]


def test_a_reader_neither_waits_for_the_writer_nor_writes(uow: SessionFactory) -> None:
    """Dashboards and hints read through `reader()`: on SQLite outside the one-writer lock,
    from a snapshot; a write there is refused, never waited for; it cannot commit."""
    writer = GroupCommitter(uow, lambda: NOW)
    writer.run(lambda s, now: _log(s, "before"))
    holding = threading.Event()
    done = threading.Event()
    seen: list[list[str]] = []

    def hold_the_writer(s: Session, now: datetime) -> None:
        _log(s, "uncommitted")
        holding.set()
        done.wait(10)

    blocker = threading.Thread(target=writer.run, args=(hold_the_writer,))
    blocker.start()
    assert holding.wait(10)
    try:
        with uow.reader() as tx:  # would wait here if readers took the writer's lock
            ids = tx.session.scalars(select(ScanLog.client_scan_id))
            seen.append(sorted(c for c in ids if c))
            with pytest.raises(Exception, match=r"readonly|read-only|read only"):
                _log(tx.session, "sneaky")
            with pytest.raises(RuntimeError):
                tx.commit()
    finally:
        done.set()
        blocker.join(10)
    assert seen == [["before"]]  # the committed rows, not the writer's work in progress
    assert _logged(uow) == ["before", "uncommitted"]


def test_one_sqlite_connection_writes_batch_after_batch(sqlite_url: str) -> None:
    """SQLite keeps a connection's page cache only while no other connection writes: when
    the writer took the pool's idle connections in turn, each batch read every page it
    touched again from the file (a tenth of a pick scan's CPU at saturation, benchmark of
    2026-11-27). The pool hands out the connection returned last, so batch after batch is
    written on one connection even after several readers were open at once."""
    upgrade(sqlite_url)
    uow = SessionFactory(make_engine(sqlite_url))
    writer = GroupCommitter(uow, lambda: NOW)
    with uow.reader() as a, uow.reader() as b, uow.reader() as c:
        for tx in (a, b, c):  # each holds a connection: three idle in the pool afterwards
            tx.session.execute(text("SELECT 1"))

    def connection(s: Session, now: datetime) -> int:
        _log(s, f"batch-{now.timestamp()}-{len(used)}")
        return id(s.connection().connection.dbapi_connection)

    used: list[int] = []
    for _ in range(4):
        used.append(writer.run(connection))
    assert len(set(used)) == 1, used
    uow.engine.dispose()


def test_under_gevent_scans_arriving_together_share_a_commit(uow: SessionFactory) -> None:
    """`dockhand serve` runs the writer as a greenlet: while it runs a job and commits,
    nobody else runs. On SQLite (where nothing in a job waits on a socket) it used to take
    each batch's first job and find nothing else queued: 300 jobs, 300 commits, however
    busy. The commit now waits on a native thread while the loop runs, and the writer lets
    the loop run dry before a batch (seen: 5-7 group transactions here)."""
    root = Path(__file__).resolve().parents[2]
    url = uow.engine.url.render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, str(root / "tests/support/gevent_writer.py"), url],
        capture_output=True,
        text=True,
        cwd=root,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
    )
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    assert counts["jobs"] == 300
    assert len(_logged(uow)) == 300  # every answered caller's row is there
    assert counts["batches"] <= 60, counts
