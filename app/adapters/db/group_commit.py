"""Group commit: many callers' work in one transaction, each caller answered after the
commit. On SQLite with synchronous=FULL a commit is an fsync (about 5 ms here); sharing it
between everyone who arrived meanwhile is what makes durable writes fast.

Each job runs in its own savepoint, so one caller's failure rolls back only its own work
(a job's fast attempt runs without one, and if it raises the batch is written again with
one per attempt: `_run_fast`).
The threading primitives become cooperative under gevent's monkey-patching; the writer is
then a greenlet, and it lets the event loop run dry before it takes a batch (`_settler`).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session

from app.adapters.db.prepared import connection_of
from app.adapters.db.uow import SessionFactory

T = TypeVar("T")
log = logging.getLogger(__name__)
TRANSIENT_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def is_transient(exc: BaseException) -> bool:
    """A database error that a retry of the same work may not meet again."""
    orig = getattr(exc, "orig", None) or exc
    return getattr(orig, "sqlstate", None) in TRANSIENT_SQLSTATES


Job = Callable[[Session, datetime], T]

# Under gevent, how long the writer waits at most for the loop to run dry before a batch.
# Under saturation the loop never runs dry and every batch waits all of it: 2 ms cost the
# full scan handler 5-8 % of its throughput at 32 clients; 0.25-1 ms measured alike
# (docs/scan-throughput.md, "Tenth session").
SETTLE_MAX_S = 0.0005


def _no_wait() -> None:
    return None


def _settler() -> Callable[[], None]:
    """What the writer does between taking a batch's first job and the rest.

    A real thread needs nothing: callers queue up while it commits. Under gevent the writer
    is a greenlet, and while it runs jobs no other greenlet runs. When the commit ran on the
    loop too, nobody could queue anything meanwhile: every batch was one job, one commit per
    scan (measured: batches of 1 at 400 scans a second, the writer busy 60-70 % of the
    time). The commit now waits on a native thread (engine.py) while the loop serves the
    stations, and the next batch gathers then; before taking a batch the writer still waits
    until the event loop has nothing else to do (every scan already read off a socket has
    reached the queue), at most SETTLE_MAX_S, which under saturation is spent serving them.
    """
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return _no_wait
    if not monkey.is_module_patched("threading"):
        return _no_wait
    import gevent

    def settle() -> None:
        with gevent.Timeout(SETTLE_MAX_S, False):
            gevent.idle()

    return settle


FastJob = Callable[[Session, datetime], T | None]


class _Rerun(Exception):
    """A fast attempt raised outside any savepoint: the batch must be written again."""


@dataclass
class _Pending(Generic[T]):
    job: Job[T]
    fast: FastJob[T] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None
    changed: bool = True


class GroupCommitter:
    def __init__(
        self, uow: SessionFactory, clock: Callable[[], datetime], max_batch: int = 200
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending[Any]] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._running = 0  # the process id whose writer runs
        self._lock = threading.Lock()
        self.batches = 0
        self.jobs = 0

    def run(self, job: Job[T], timeout_s: float = 60.0, fast: FastJob[T] | None = None) -> T:
        """Run `job(session, now)` in the next group transaction; return after the commit.

        `fast`, if given, is tried first: prepared statements on the session's connection
        that either answer (its answer is the job's) or return None having written nothing,
        and then `job` runs. It runs in a plain SQL savepoint rather than the session's
        (SQLAlchemy's nested-transaction bookkeeping cost a tenth of a pick scan's CPU)."""
        pending: _Pending[T] = _Pending(job, fast)
        self._ensure_writer()
        self._queue.put(pending)
        if not pending.done.wait(timeout_s):
            raise TimeoutError("the database writer did not answer in time")
        if pending.error is not None:
            raise pending.error
        result: T = pending.result
        return result

    def queued(self) -> int:
        """Jobs waiting for the next batch (not the one being written)."""
        return self._queue.qsize()

    def _ensure_writer(self) -> None:
        # Every call: no lock and no is_alive() (3 % of a scan with them). The process id
        # because a forked worker has none of its parent's threads.
        if self._running == os.getpid():
            return
        with self._lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(target=self._loop, name="group-commit", daemon=True)
                self._writer.start()
                self._running = os.getpid()

    def _loop(self) -> None:
        try:
            settle = _settler()
            while True:
                batch = [self._queue.get()]
                settle()
                while len(batch) < self._max_batch:
                    try:
                        batch.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                self._commit(batch)
        finally:  # only a bug ends the loop: the next caller starts another writer
            self._running = 0

    @staticmethod
    def _run_fast(session: Session, p: _Pending[Any], now: datetime, careful: bool) -> bool:
        """The fast attempt. Its answer is the job's; None (nothing written) leaves the job
        to its full path.

        Optimistically it runs with no savepoint of its own (two statements and a cursor
        per scan): if it raises, the whole batch is abandoned (`_Rerun`) and written again
        carefully, every fast attempt in a plain SQL savepoint, where an error rolls back
        only that attempt (and drops the objects the session holds, which may stand for
        rows rolled back) and the job runs as usual, giving its caller its answer or its
        error. Nobody has been answered before the commit, so running the batch twice
        changes nothing anyone saw."""
        assert p.fast is not None
        if not careful:
            try:
                result = p.fast(session, now)
            except Exception as exc:
                raise _Rerun from exc
        else:
            cursor = connection_of(session)[1].cursor()
            try:
                cursor.execute("SAVEPOINT dh_fast")
                try:
                    result = p.fast(session, now)
                except Exception:
                    log.warning("fast path failed; the full path takes the job", exc_info=True)
                    cursor.execute("ROLLBACK TO SAVEPOINT dh_fast")
                    cursor.execute("RELEASE SAVEPOINT dh_fast")
                    session.expunge_all()
                    return False
                cursor.execute("RELEASE SAVEPOINT dh_fast")
            finally:
                cursor.close()
        if result is None:
            return False
        p.result, p.error = result, None
        return True

    @staticmethod
    def _run_job(session: Session, p: _Pending[Any], now: datetime, careful: bool) -> None:
        """The job in its savepoint. A deadlock or serialization failure (PostgreSQL chose
        this job as the victim; the other transaction goes on) is retried twice before the
        caller hears of it; any other error goes straight back to the caller."""
        p.result, p.error = None, None  # a batch written again starts over
        if p.fast is not None and GroupCommitter._run_fast(session, p, now, careful):
            return
        for attempt in range(3):
            savepoint = session.begin_nested()
            try:
                p.result = p.job(session, now)
                savepoint.commit()
                p.error = None
                return
            except Exception as exc:  # the caller gets its own error back
                savepoint.rollback()
                p.error = exc
                if not is_transient(exc) or attempt == 2:
                    return

    def _write(self, batch: list[_Pending[Any]], careful: bool) -> None:
        with self._uow() as tx:
            now = self._clock()
            for p in batch:
                self._run_job(tx.session, p, now, careful)
            tx.commit()

    def _commit(self, batch: list[_Pending[Any]]) -> None:
        try:
            try:
                self._write(batch, careful=False)
            except _Rerun as rerun:
                log.warning(
                    "fast path failed; the batch is written again with a savepoint per attempt",
                    exc_info=rerun.__cause__,
                )
                self._write(batch, careful=True)
            self.batches += 1
            self.jobs += len(batch)
        except Exception as exc:  # the commit itself failed: nobody's work is durable
            for p in batch:
                if p.error is None:
                    p.error = exc
        finally:
            for p in batch:
                p.done.set()
