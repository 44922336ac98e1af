"""Short picks: the picker cannot take every unit from the bin (empty, damaged, not found,
expired). In one unit of work: the bin's reservation for the missing units is released, a
count task is raised for the bin, the missing units are reserved in other bins where free
stock exists (each a new pick task for the same picker, so the order stays in one tote), and
what nothing covers is short: `allocation.short` goes upstream and the order goes on with
what was picked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Location,
    PickTask,
    Reservation,
    Stock,
)
from app.adapters.db.models_pick import CountTask, PickShort
from app.adapters.db.models_waves import PickBatchTask
from app.adapters.db.uow import SessionFactory
from app.domain.first_shift import PRACTICE_KIND
from app.domain.short_picks import (
    Bin,
    ShortPlan,
    ShortReason,
    ShortRefusal,
    plan_short,
    refusal,
    short_message,
)
from app.domain.stock_allocation import ALLOCATABLE_KINDS
from app.domain.text import msg
from app.services import replenishment
from app.services.clock import Clock
from app.services.errors import ServiceError
from app.services.picking import ScanMeta, run_task_action, settle
from app.services.replies import ScanReply
from app.services.wave_ops import resequence_wave
from app.services.waves import default_config

REFUSALS = {
    ShortRefusal.NOTHING_MISSING: msg("Every unit is picked: scan the tote instead."),
    ShortRefusal.TASK_DONE: msg("This task is already done."),
}


@dataclass(frozen=True)
class ShortPick:
    task_id: int
    reason: str
    meta: ScanMeta


def parse_reason(text: str) -> ShortReason:
    try:
        return ShortReason.parse(text)
    except ValueError as exc:
        raise ServiceError(str(exc), "reason") from exc


def record_short(cmd: ShortPick, uow: SessionFactory, clock: Clock) -> ScanReply:
    reason = parse_reason(cmd.reason)

    def action(s: Session, task: PickTask, allocation: Allocation, now: datetime) -> ScanReply:
        return apply_short(s, task, allocation, reason, cmd.meta.picker, now)

    parsed = {"kind": "short", "value": reason.value}
    return run_task_action(
        cmd.task_id, f"short:{reason.value}", parsed, cmd.meta, uow, clock, action
    )


def apply_short(
    s: Session,
    task: PickTask,
    allocation: Allocation,
    reason: ShortReason,
    picker: str,
    now: datetime,
) -> ScanReply:
    refused = refusal(task.qty, task.picked_qty, task.status == "done")
    if refused is not None:
        return ScanReply(False, refused.value, REFUSALS[refused])
    stock = repo.must_get(s, Stock, task.stock_id)
    line = repo.must_get(s, AllocationLine, task.line_pk)
    missing = task.qty - task.picked_qty
    _release(s, task, stock, allocation, missing, picker, now)
    raise_count(s, stock, reason, picker, task.id, now)
    plan = plan_short(missing, stock.id, _candidates(s, stock), line.lot, now.date())
    new_tasks, uncovered = _reallocate(s, task, allocation, line, plan, picker, now)
    replenishment.after_short(s, stock.location_id, stock.sku_id, missing, picker, now)
    task.qty = task.picked_qty
    if task.picked_qty == 0:
        task.status = "done"
        task.completed_at = now
    if uncovered:
        line.short += uncovered
    s.add(
        PickShort(
            pick_task_id=task.id,
            allocation_pk=allocation.id,
            line_pk=line.id,
            stock_id=stock.id,
            reason=reason.value,
            missing_qty=missing,
            reallocated_qty=missing - uncovered,
            short_qty=uncovered,
            actor=picker,
            at=now,
        )
    )
    backordered = settle(s, task, allocation, now) if task.status == "done" else False
    if uncovered:
        data: dict[str, Any] = {
            "lines": [
                {
                    "line_id": line.line_id,
                    "short_qty": uncovered,
                    "reason": f"short pick at {stock.location.code}: {reason.label}; "
                    "no other stock covers it",
                }
            ]
        }
        if backordered:
            data["backordered"] = True
        repo.add_event(s, "allocation.short", allocation, data, now)
    covered = ShortPlan(missing, tuple((b, q) for b, q in plan.take if b.stock_id in new_tasks))
    reply = ScanReply(
        True, "short_ok", short_message(reason, stock.location.code, covered, task.picked_qty)
    )
    reply.data["short"] = {
        "reason": reason.value,
        "missing": missing,
        "reallocated": missing - uncovered,
        "short": uncovered,
        "new_task_ids": list(new_tasks.values()),
    }
    return reply


def _release(
    s: Session,
    task: PickTask,
    stock: Stock,
    allocation: Allocation,
    missing: int,
    picker: str,
    now: datetime,
) -> None:
    """The bin no longer holds the missing units for this order."""
    if not repo.move_stock(
        s,
        stock,
        allocated_delta=-missing,
        reason="short",
        reference=allocation.allocation_id,
        actor=picker,
        now=now,
    ):  # the reservation put them there; failing here is a bug worth stopping on
        raise ServiceError(
            msg("%(code)s holds no reservation to release", code=stock.location.code), "task_id"
        )
    if task.reservation_id is not None:
        res = s.get(Reservation, task.reservation_id)
        task.reservation_id = None
        if res is not None:
            s.delete(res)


def raise_count(
    s: Session, stock: Stock, reason: ShortReason, picker: str, task_id: int, now: datetime
) -> CountTask:
    """One open count per bin: a second short there adds nothing the first did not say."""
    existing = s.scalars(
        select(CountTask).where(CountTask.stock_id == stock.id, CountTask.status == "open")
    ).first()
    if existing is not None:
        return existing
    count = CountTask(
        stock_id=stock.id,
        location_id=stock.location_id,
        sku_id=stock.sku_id,
        reason=reason.value,
        expected_on_hand=stock.on_hand,
        status="open",
        raised_by=picker,
        pick_task_id=task_id,
        created_at=now,
    )
    s.add(count)
    return count


def _candidates(s: Session, short: Stock) -> list[Bin]:
    counting = set(s.scalars(select(CountTask.stock_id).where(CountTask.status == "open")).all())
    # A practice order's short stays among the practice bins; a real one never reaches them
    # (nor returns or quarantine): the bins orders may take.
    kinds = [PRACTICE_KIND] if short.location.kind == PRACTICE_KIND else sorted(ALLOCATABLE_KINDS)
    rows = s.execute(
        select(Stock, Location.kind)
        .join(Location, Location.id == Stock.location_id)
        .where(
            Stock.sku_id == short.sku_id,
            Stock.id != short.id,
            Stock.on_hand > Stock.allocated,
            Location.kind.in_(kinds),
        )
    ).all()
    return [
        Bin(
            stock_id=st.id,
            location=st.location.code,
            free=st.on_hand - st.allocated,
            pick_face=kind == "pick",
            lot=st.lot or None,
            expires_on=st.expires_on,
            under_count=st.id in counting,
        )
        for st, kind in rows
    ]


def _reallocate(
    s: Session,
    task: PickTask,
    allocation: Allocation,
    line: AllocationLine,
    plan: ShortPlan,
    picker: str,
    now: datetime,
) -> tuple[dict[int, int], int]:
    """Reserve the plan's bins (a bin taken by someone else meanwhile is skipped) and give
    each a pick task for the same picker. Returns {stock_id: new task id} and what is left."""
    created: dict[int, int] = {}
    left = plan.missing
    # The replacement rides on the same cart as the task it replaces.
    batch_id = s.scalars(
        select(PickBatchTask.batch_id).where(PickBatchTask.task_id == task.id)
    ).first()
    for candidate, qty in plan.take:
        stock = repo.must_get(s, Stock, candidate.stock_id)
        if not repo.move_stock(
            s,
            stock,
            allocated_delta=qty,
            reason="reserve",
            reference=allocation.allocation_id,
            actor=picker,
            now=now,
        ):
            continue
        res = Reservation(line_pk=line.id, stock_id=stock.id, qty=qty)
        s.add(res)
        s.flush()
        new = PickTask(
            wave_id=task.wave_id,
            allocation_pk=allocation.id,
            line_pk=line.id,
            reservation_id=res.id,
            stock_id=stock.id,
            sequence=task.sequence,
            qty=qty,
            status="active",
            picker=picker,
        )
        s.add(new)
        s.flush()
        if batch_id is not None:
            s.add(PickBatchTask(task_id=new.id, batch_id=batch_id))
        created[stock.id] = new.id
        left -= qty
    if created and batch_id is not None:
        # The new bins are somewhere else on the route: walk what is left of the cart again.
        s.flush()
        resequence_wave(s, task.wave_id, default_config().geometry)
    return created, left
