"""Run by tests/integration/test_group_commit.py: 300 callers under gevent's monkey-patching,
as `dockhand serve` runs them, each answered only after its row is committed. Prints the
writer's count of jobs and group transactions."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402

import gevent  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app.adapters.db.engine import make_engine  # noqa: E402
from app.adapters.db.group_commit import GroupCommitter  # noqa: E402
from app.adapters.db.uow import SessionFactory  # noqa: E402

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
uow = SessionFactory(make_engine(sys.argv[1]))
writer = GroupCommitter(uow, lambda: NOW)
CALLERS, RATE = 300, 1000.0


INSERT = text(
    "INSERT INTO scan_log (client_scan_id, station, raw, result, at) "
    "VALUES (:c, 'pick', :c, 'item_ok', :at)"
)


def busy(seconds: float) -> None:
    t = time.perf_counter()
    while time.perf_counter() - t < seconds:
        pass


def log(cid: str) -> Callable[[Session, datetime], str]:
    def job(s: Session, now: datetime) -> str:
        s.execute(INSERT, {"c": cid, "at": now})
        busy(0.002)  # a scan's work in the writer: longer than the time between arrivals
        return cid

    return job


def caller(i: int, start: float) -> None:
    gevent.sleep(max(0.0, start + i / RATE - time.perf_counter()))
    busy(0.0003)  # reading the request: a little CPU
    assert writer.run(log(f"g{i}")) == f"g{i}"


start = time.perf_counter() + 0.05
gevent.joinall([gevent.spawn(caller, i, start) for i in range(CALLERS)], raise_error=True)
print(json.dumps({"jobs": writer.jobs, "batches": writer.batches}))
