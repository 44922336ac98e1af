"""Under gevent a SQLite writer that finds the write lock taken waits for it on a native
thread (app/adapters/db/engine.py): a command-line tool holding the lock (a stock import, a
count close) must not stop every station the server process serves for as long.

The probe: a second connection (standing in for the tool) holds BEGIN IMMEDIATE; a greenlet
lets go of it after 0.5 s. Meanwhile the server's unit of work begins a write, and a ticker
greenlet counts 10 ms sleeps. Waiting inside SQLite on the loop's thread, the greenlet that
lets go could never run: the write would fail after the busy timeout (3 s in the probe) with
"database is locked" and the ticker would stop for all of it."""

from __future__ import annotations

from pathlib import Path

from tests.support.probes import TICKER, run_python

PROBE = (
    """
import sqlite3, sys, time
from gevent import monkey
monkey.patch_all()
import gevent
from sqlalchemy import text
from app.adapters.db import engine as engines
engines.BUSY_TIMEOUT_S = 3
from app.adapters.db.uow import SessionFactory

path = sys.argv[1]
uow = SessionFactory(engines.make_engine("sqlite:///" + path))
with uow() as tx:
    tx.session.execute(text("CREATE TABLE t (x INTEGER)"))
    tx.commit()
"""
    + TICKER
    + """
tool = sqlite3.connect(path, isolation_level=None)
tool.execute("BEGIN IMMEDIATE")
tool.execute("INSERT INTO t VALUES (1)")
gevent.spawn_later(0.5, tool.execute, "COMMIT")
gevent.sleep(0.05)
t0 = time.perf_counter()
before = ticks
try:
    with uow() as tx:
        tx.session.execute(text("INSERT INTO t VALUES (2)"))
        tx.commit()
    outcome = "written"
except Exception as exc:
    outcome = type(exc).__name__
waited = time.perf_counter() - t0
during = ticks - before
with uow.reader() as tx:
    rows = sorted(tx.session.execute(text("SELECT x FROM t")).scalars().all())
# The lock free: no wait, no thread.
t0 = time.perf_counter()
with uow() as tx:
    tx.session.execute(text("INSERT INTO t VALUES (3)"))
    tx.commit()
free = time.perf_counter() - t0
print(outcome, round(waited, 2), during, round(free, 3), rows)
"""
)


def test_a_writer_waiting_for_another_connections_lock_does_not_stop_the_loop(
    tmp_path: Path,
) -> None:
    out = run_python(PROBE, str(tmp_path / "begin.db"))
    outcome, waited, during, free, rows = out.split(maxsplit=4)
    assert outcome == "written"  # it waited for the tool's commit, then wrote
    assert 0.4 <= float(waited) < 2.5  # about the 0.5 s the tool held the lock
    assert int(during) >= 20  # the other greenlets ran meanwhile (about 45 ticks)
    assert float(free) < 0.5
    assert rows.strip() == "[1, 2]"
