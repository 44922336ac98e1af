"""The OMS cancels an allocation, whole or by line and quantity (oms-v1 2.2), and puts it
on hold or releases it (2.3)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Carton,
    CartonLine,
    PackUnit,
    PickTask,
    PutBackTask,
    Reservation,
    Stock,
    Tote,
)
from app.adapters.db.uow import SessionFactory
from app.adapters.oms.schemas import CancelIn, HoldIn
from app.domain.allocations import AllocationStatus
from app.domain.cancelling import CancelResult, LineCancel, LineUnits, overall, plan_line
from app.domain.text import msg
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError

DONE = {AllocationStatus.SHIPPED.value, AllocationStatus.CANCELLED.value}


def _put_back_qty(s: Session, line_pk: int) -> int:
    return int(
        s.scalar(
            select(func.coalesce(func.sum(PutBackTask.qty), 0)).where(
                PutBackTask.line_pk == line_pk
            )
        )
        or 0
    )


def _units(s: Session, line: AllocationLine) -> LineUnits:
    return LineUnits(
        line.line_id,
        line.qty,
        line.picked,
        line.short,
        line.shipped,
        line.cancelled,
        _put_back_qty(s, line.id),
    )


def _committed(
    apply: Callable[[Session, str, Any, Any], dict[str, Any]],
    allocation_id: str,
    doc: Any,
    uow: SessionFactory,
    clock: Clock,
) -> dict[str, Any]:
    """One webhook, one transaction; pull mode calls the apply_* functions inside its page."""
    with uow() as tx:
        result = apply(tx.session, allocation_id, doc, clock())
        tx.commit()
        return result


def cancel_allocation(
    allocation_id: str, doc: CancelIn, uow: SessionFactory, clock: Clock
) -> dict[str, Any]:
    return _committed(apply_cancel, allocation_id, doc, uow, clock)


def apply_cancel(s: Session, allocation_id: str, doc: CancelIn, now: Any) -> dict[str, Any]:
    a = repo.allocation_by_external_id(s, allocation_id, lock=True)
    if a is None:
        raise NotFound(
            msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
        )
    if a.status == AllocationStatus.CANCELLED.value:
        return {"result": "cancelled", "detail": "already cancelled"}
    by_id = {ln.line_id: ln for ln in a.lines}
    wanted: list[tuple[AllocationLine, int]] = []
    if doc.lines is None:
        wanted = [(ln, ln.qty - ln.cancelled) for ln in a.lines if ln.qty > ln.cancelled]
    else:
        for i, req in enumerate(doc.lines):
            line = by_id.get(req.line_id)
            if line is None:
                raise ServiceError(
                    msg(
                        "no line %(line_id)s in %(allocation_id)s",
                        line_id=req.line_id,
                        allocation_id=allocation_id,
                    ),
                    f"lines[{i}].line_id",
                )
            if req.qty > line.qty - line.cancelled:
                raise ServiceError(
                    msg(
                        "line %(line_id)s has %(value)s uncancelled units",
                        line_id=req.line_id,
                        value=line.qty - line.cancelled,
                    ),
                    f"lines[{i}].qty",
                )
            wanted.append((line, req.qty))
    plans = [(line, plan_line(_units(s, line), qty)) for line, qty in wanted]
    if not any(p.cancelled for _, p in plans):
        return {
            "result": CancelResult.REJECTED.value,
            "detail": "nothing left to cancel: the units have shipped",
        }
    pending_put_back = 0
    touched_cartons = False
    for line, plan in plans:
        if plan.release:
            _release(s, a, line, plan.release, now)
        if plan.put_back:
            touched_cartons |= _unpack(s, a, line, plan.put_back)
            _create_put_back(s, a, line, plan.put_back, now)
            pending_put_back += plan.put_back
        line.cancelled += plan.cancelled
    s.flush()
    remaining = sum(ln.qty - ln.cancelled for ln in a.lines)
    result = overall([p for _, p in plans], remaining)
    a.cancel_reason = doc.reason or "cancelled by the OMS"
    a.updated_at = now
    if remaining == 0:
        _stop_picking(s, a)
        if pending_put_back == 0 and not _open_put_backs(s, a):
            _finish_cancel(s, a)
    else:
        a.cancel_reason = None  # the rest of the order goes on
        if touched_cartons and a.status in (
            AllocationStatus.PACKED.value,
            AllocationStatus.PACKING.value,
        ):
            a.status = AllocationStatus.PICKED.value  # re-pack what is left
    _report(s, a, plans, result, pending_put_back, doc.reason, now)
    detail = _detail(plans, pending_put_back)
    return {"result": result.value, "detail": detail}


def _detail(plans: list[tuple[AllocationLine, LineCancel]], put_back: int) -> str:
    parts = []
    released = sum(p.release for _, p in plans)
    refused = sum(p.refused for _, p in plans)
    if released:
        parts.append(f"{released} unit(s) released before picking")
    if put_back:
        parts.append(f"{put_back} picked unit(s) go back to their bins")
    if refused:
        parts.append(f"{refused} unit(s) already shipped, not cancelled")
    return "; ".join(parts)


def _release(s: Session, a: Allocation, line: AllocationLine, qty: int, now: Any) -> None:
    """Free `qty` reserved units of the line, shrinking the pick tasks that would pick them."""
    left = qty
    tasks = s.scalars(
        select(PickTask)
        .where(PickTask.line_pk == line.id, PickTask.status != "done")
        .order_by(PickTask.sequence.desc())
    ).all()
    for task in tasks:
        if left == 0:
            break
        take = min(left, task.qty - task.picked_qty)
        if take <= 0:
            continue
        res = s.get(Reservation, task.reservation_id) if task.reservation_id else None
        stock = repo.must_get(s, Stock, task.stock_id)
        repo.move_stock(
            s,
            stock,
            allocated_delta=-take,
            reason="release",
            reference=a.allocation_id,
            actor="oms",
            now=now,
        )
        if res is not None:
            res.qty -= take
            if res.qty == 0:
                task.reservation_id = None
                s.delete(res)
        task.qty -= take
        if task.qty == 0:
            s.delete(task)
        elif task.picked_qty == task.qty:
            task.status = "done" if task.tote_code else task.status
        left -= take
    if left:
        # Reserved but not yet in a wave: reservations without tasks.
        reserved = s.scalars(
            select(Reservation)
            .where(Reservation.line_pk == line.id)
            .where(
                ~Reservation.id.in_(
                    select(PickTask.reservation_id).where(PickTask.reservation_id.is_not(None))
                )
            )
        ).all()
        for res in reserved:
            if left == 0:
                break
            take = min(left, res.qty)
            stock = repo.must_get(s, Stock, res.stock_id)
            repo.move_stock(
                s,
                stock,
                allocated_delta=-take,
                reason="release",
                reference=a.allocation_id,
                actor="oms",
                now=now,
            )
            res.qty -= take
            if res.qty == 0:
                s.delete(res)
            left -= take
    s.flush()


def _unpack(s: Session, a: Allocation, line: AllocationLine, qty: int) -> bool:
    """Units to put back may sit in an unshipped carton: void those cartons; what is not
    cancelled goes back to waiting for the packer."""
    cartons = s.scalars(
        select(Carton).where(Carton.allocation_pk == a.id, Carton.status.in_(["packed", "weighed"]))
    ).all()
    for carton in cartons:
        for cl in carton.lines:
            ln = repo.must_get(s, AllocationLine, cl.line_pk)
            ln.packed -= cl.qty
        s.execute(delete(PackUnit).where(PackUnit.carton_id == carton.id))
        s.execute(delete(CartonLine).where(CartonLine.carton_id == carton.id))
        carton.status = "voided"
    # Verified-but-loose units of this line are un-verified as well.
    s.execute(delete(PackUnit).where(PackUnit.line_pk == line.id, PackUnit.carton_id.is_(None)))
    return bool(cartons)


def _create_put_back(s: Session, a: Allocation, line: AllocationLine, qty: int, now: Any) -> None:
    """Back to the bin the units came from (the last pick task of the line)."""
    task = s.scalars(
        select(PickTask)
        .where(PickTask.line_pk == line.id, PickTask.picked_qty > 0)
        .order_by(PickTask.id.desc())
    ).first()
    if task is None:
        raise Conflict(
            msg("line %(line_id)s has picked units but no pick task", line_id=line.line_id), "lines"
        )
    s.add(
        PutBackTask(
            allocation_pk=a.id, line_pk=line.id, stock_id=task.stock_id, qty=qty, created_at=now
        )
    )


def _open_put_backs(s: Session, a: Allocation) -> int:
    return int(
        s.scalar(
            select(func.count(PutBackTask.id)).where(
                PutBackTask.allocation_pk == a.id, PutBackTask.status != "done"
            )
        )
        or 0
    )


def _stop_picking(s: Session, a: Allocation) -> None:
    for task in s.scalars(
        select(PickTask).where(PickTask.allocation_pk == a.id, PickTask.status != "done")
    ):
        task.status = "cancelled"


def _finish_cancel(s: Session, a: Allocation) -> None:
    a.status = AllocationStatus.CANCELLED.value
    a.held_from = None
    tote = s.scalars(select(Tote).where(Tote.allocation_pk == a.id)).first()
    if tote is not None:
        tote.allocation_pk = None


def finish_if_put_back(s: Session, a: Allocation) -> None:
    """Called when a put-back task completes: a wholly cancelled order is now cancelled."""
    if (
        a.cancel_reason
        and _open_put_backs(s, a) == 0
        and all(ln.qty == ln.cancelled for ln in a.lines)
    ):
        _finish_cancel(s, a)


def _report(
    s: Session,
    a: Allocation,
    plans: list[tuple[AllocationLine, LineCancel]],
    result: CancelResult,
    put_back: int,
    reason: str,
    now: Any,
) -> None:
    repo.add_event(
        s,
        "allocation.cancelled",
        a,
        {
            "result": result.value,
            "reason": reason,
            "lines": [
                {"line_id": ln.line_id, "qty": p.cancelled, "refused_qty": p.refused}
                for ln, p in plans
            ],
            "put_back_pending": put_back,
        },
        now,
    )


def hold_allocation(
    allocation_id: str, doc: HoldIn, uow: SessionFactory, clock: Clock
) -> dict[str, Any]:
    return _committed(apply_hold, allocation_id, doc, uow, clock)


def apply_hold(s: Session, allocation_id: str, doc: HoldIn, now: Any) -> dict[str, Any]:
    a = repo.allocation_by_external_id(s, allocation_id, lock=True)
    if a is None:
        raise NotFound(
            msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
        )
    if a.status in DONE:
        raise Conflict(
            msg("allocation is %(status)s: nothing left to hold", status=a.status), "allocation_id"
        )
    reason = doc.reason or "held by the OMS"
    if a.status == AllocationStatus.HELD.value:
        if reason not in a.reasons:
            a.reasons = [*a.reasons, reason]
        return {"result": "held", "detail": "already held", "holds": a.reasons}
    a.held_from = a.status
    a.status = AllocationStatus.HELD.value
    a.reasons = [reason]
    a.updated_at = now
    return {"result": "held", "detail": f"held while {a.held_from}", "holds": a.reasons}


def release_allocation(
    allocation_id: str, doc: HoldIn, uow: SessionFactory, clock: Clock
) -> dict[str, Any]:
    return _committed(apply_release, allocation_id, doc, uow, clock)


def apply_release(s: Session, allocation_id: str, doc: HoldIn, now: Any) -> dict[str, Any]:
    a = repo.allocation_by_external_id(s, allocation_id, lock=True)
    if a is None:
        raise NotFound(
            msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
        )
    if a.status != AllocationStatus.HELD.value:
        return {"result": "released", "detail": f"not held (status {a.status})"}
    resumed = a.held_from or AllocationStatus.ACCEPTED.value
    if resumed == AllocationStatus.HELD.value:  # held at intake (credit): accept now
        resumed = AllocationStatus.ACCEPTED.value
    a.status = resumed
    a.held_from = None
    a.reasons = []
    a.updated_at = now
    return {"result": "released", "detail": f"resumed as {resumed}"}
