"""Allocation webhooks that arrive together go to the group-commit writer as one job.

The writer runs every job in a savepoint of the group transaction; for an intake that takes
a fraction of a millisecond, opening and releasing that savepoint cost as much as the intake
itself. So the webhook that finds no intake job queued queues one, and every allocation that
arrives before that job starts rides along with it: one savepoint for all of them, each
answered after the group commit, exactly as if it had been a job of its own. The job runs
in the writer's plain SQL savepoint (its `fast` attempt); only an allocation that takes the
ORM path gets a session savepoint, so that an error in it leaves the session usable.

If that shared job fails (a database error in one allocation, a failed commit), none of its
work is durable, and each allocation in it is run again as a job of its own, so it gets
its own answer or its own error. A deadlock victim on PostgreSQL is retried by the writer
with the same allocations.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.adapters.db.group_commit import GroupCommitter
from app.adapters.oms.schemas import AllocationIn
from app.services import intake
from app.services.intake import IntakeResult
from app.services.per_owner import PerOwner


@dataclass
class _Item:
    doc: AllocationIn
    settled: threading.Event = field(default_factory=threading.Event)
    result: IntakeResult | None = None
    failed: BaseException | None = None


Apply = Callable[[Session, AllocationIn, datetime], IntakeResult]


class IntakeBatcher:
    def __init__(
        self,
        writer: GroupCommitter,
        apply: Apply = intake.apply_allocation,
        timeout_s: float = 60.0,
    ) -> None:
        self._writer = writer
        self._apply = apply
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._waiting: list[_Item] = []
        self._queued = False  # an intake job is in the writer's queue and has not started
        self.jobs = 0

    def apply(self, doc: AllocationIn) -> IntakeResult:
        """`intake.apply_allocation` for `doc` in the writer's next group transaction;
        returns after the commit."""
        item = _Item(doc)
        with self._lock:
            self._waiting.append(item)
            lead = not self._queued
            self._queued = True
        if lead:
            self._run_queued_job()
        # Whoever queued the job that took this allocation settles it once the writer
        # answered; that job ran no later than one this request would have queued.
        if not item.settled.wait(self._timeout_s):
            raise TimeoutError("the database writer did not answer in time")
        if isinstance(item.failed, TimeoutError):
            raise item.failed
        if item.failed is not None:
            # The shared job left nothing behind: this allocation alone, with its own answer.
            return self._writer.run(lambda s, now: self._apply(s, doc, now), self._timeout_s)
        assert item.result is not None
        return item.result

    def _run_queued_job(self) -> None:
        taken: list[_Item] = []
        state = {"started": False, "abandoned": False}

        def take() -> bool:
            """The allocations waiting now become this job's; False if it was abandoned."""
            if not state["started"]:  # a retry (deadlock victim) applies the same ones again
                with self._lock:
                    if state["abandoned"]:  # its caller gave up waiting: nothing to do
                        return False
                    state["started"] = True
                    taken.extend(self._waiting)
                    self._waiting, self._queued = [], False
            return True

        def job(s: Session, now: datetime) -> bool:
            if take():
                for it in taken:
                    it.result = self._apply(s, it.doc, now)
            return True

        def fast(s: Session, now: datetime) -> bool:
            """The same work in the writer's plain SQL savepoint instead of the session's
            (its bookkeeping cost as much as a fast-path intake). An allocation the ORM
            path takes gets a session savepoint of its own, so an error in it leaves the
            session usable; any error sends the whole job to `job`, from the start."""
            if take():
                for it in taken:
                    it.result = intake.apply_allocation(s, it.doc, now, orm_savepoint=True)
            return True

        failed: BaseException | None = None
        try:
            default = self._apply is intake.apply_allocation
            self._writer.run(job, self._timeout_s, fast=fast if default else None)
            self.jobs += 1
        except Exception as exc:
            failed = exc
        with self._lock:
            if not state["started"]:  # the job never ran (its transaction did not begin)
                state["abandoned"] = True
                taken.extend(self._waiting)
                self._waiting, self._queued = [], False
                failed = failed or RuntimeError("the intake job did not run")
        for it in taken:
            it.failed = failed
            it.settled.set()


# The batcher of each group-commit writer (one per database).
batcher_for: PerOwner[GroupCommitter, IntakeBatcher] = PerOwner(IntakeBatcher)
