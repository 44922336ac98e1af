"""Under gevent a SQLite COMMIT (an fsync with synchronous=FULL) runs on a native thread pool
of its own (app/adapters/db/engine.py): every station shares the one event loop, and a commit
waiting for a slow disk must not stop the other handhelds' scans from being read and answered.

The probe makes one commit slow for real: SQLite's trace callback, which it calls on the
thread that runs each statement, sleeps 0.3 s when the statement is the COMMIT. Meanwhile a
ticker greenlet counts 10 ms sleeps. The commit still happens (the row is there after it).
Commits have a thread pool of their own: a shift's sign-ins (argon2 PIN checks, 120 ms
each) filling the hub's shared pool do not hold them up."""

from __future__ import annotations

from pathlib import Path

from tests.support.probes import TICKER, run_python

PROBE = (
    """
import sys, threading, time
from gevent import monkey
monkey.patch_all()
import gevent
from sqlalchemy import text
from app.adapters.db.engine import make_engine
from app.adapters.db.uow import SessionFactory

real_sleep = monkey.get_original("time", "sleep")
main_thread = threading.get_native_id()
engine = make_engine("sqlite:///" + sys.argv[1])
uow = SessionFactory(engine)
with uow() as tx:
    tx.session.execute(text("CREATE TABLE t (x INTEGER)"))
    tx.commit()
committed_on = []

def slow_commit(statement):
    if statement == "COMMIT":
        committed_on.append(threading.get_native_id())
        real_sleep(0.3)  # a disk that takes its time
"""
    + TICKER
    + """
gevent.sleep(0.05)
with uow() as tx:
    tx.session.connection().connection.driver_connection.set_trace_callback(slow_commit)
    tx.session.execute(text("INSERT INTO t VALUES (42)"))
    before = ticks
    tx.commit()
    during = ticks - before
with uow.reader() as tx:
    rows = tx.session.execute(text("SELECT x FROM t")).scalars().all()
# The hub's shared pool busy for a second (twenty slow PIN checks, say), then a commit.
busy = [gevent.get_hub().threadpool.spawn(real_sleep, 1.0) for _ in range(20)]
gevent.sleep(0.05)
t0 = time.perf_counter()
with uow() as tx:
    tx.session.execute(text("INSERT INTO t VALUES (43)"))
    tx.commit()
behind = time.perf_counter() - t0
print(during, committed_on[0] != main_thread, round(behind, 3), rows)
"""
)


def test_a_slow_commit_under_gevent_does_not_stop_the_other_greenlets(tmp_path: Path) -> None:
    out = run_python(PROBE, str(tmp_path / "offload.db"))
    during, elsewhere, behind, rows = out.split(maxsplit=3)
    assert rows.strip() == "[42]"  # committed, durable, readable
    assert elsewhere == "True"  # the COMMIT ran off the event loop's thread
    assert int(during) >= 10  # the ticker ran through the 0.3 s commit (about 30 ticks)
    assert float(behind) < 0.5  # not queued behind the shared pool's second of work
