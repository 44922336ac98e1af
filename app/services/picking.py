"""Pickers ask for their next task and scan location, items and tote."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    PickTask,
    Reservation,
    Stock,
    Tote,
    Wave,
)
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus
from app.domain.picking import PickState, ScanContext, ScanOutcome, step
from app.domain.scanning import ScanKind, parse_scan
from app.services.clock import Clock
from app.services.errors import ServiceError
from app.services.put_back import next_put_back
from app.services.replies import ScanReply, log_scan, replay

FINISHED = {AllocationStatus.SHIPPED.value, AllocationStatus.CANCELLED.value}
STOPPED = {AllocationStatus.HELD.value, AllocationStatus.CANCELLED.value}


@dataclass(frozen=True)
class PickScan:
    task_id: int
    raw: str
    picker: str
    client_scan_id: str | None = None
    device: str | None = None


def _task_view(s: Any, task: PickTask) -> dict[str, Any]:
    stock = s.get(Stock, task.stock_id)
    line = s.get(AllocationLine, task.line_pk)
    allocation = s.get(Allocation, task.allocation_pk)
    wave = s.get(Wave, task.wave_id)
    tote = s.scalars(select(Tote).where(Tote.allocation_pk == task.allocation_pk)).first()
    return {
        "task_id": task.id,
        "wave": wave.code if wave else None,
        "wave_id": task.wave_id,
        "allocation_id": allocation.allocation_id if allocation else None,
        "order_number": allocation.order_number if allocation else None,
        "location": stock.location.code,
        "sku": stock.sku.sku,
        "sku_name": stock.sku.name,
        "barcode": next((b.code for b in stock.sku.barcodes), stock.sku.sku),
        "qty": task.qty,
        "picked": task.picked_qty,
        "location_confirmed": task.location_confirmed,
        "tote": tote.code if tote else None,
        "line_id": line.line_id if line else None,
        "kind": "pick",
        "status": task.status,
        "stage": _state(s, task, allocation).stage.value if allocation else None,
    }


def next_task(picker: str, uow: SessionFactory) -> dict[str, Any] | None:
    """The picker's active task, else the next open one in route order. Never the same task
    to two pickers: SKIP LOCKED on PostgreSQL, the single writer on SQLite."""
    if not picker:
        raise ServiceError("sign in with your badge first", "picker")
    with uow() as tx:
        s = tx.session
        # Units of cancelled orders are in limbo until they are back in a bin: they go first.
        put_back = next_put_back(s, picker)
        if put_back is not None:
            tx.commit()
            return put_back
        # The picker's own task, unless its order was held or cancelled meanwhile: it waits
        # for the release while the picker gets other work.
        task = s.scalars(
            select(PickTask)
            .join(Allocation, Allocation.id == PickTask.allocation_pk)
            .where(
                PickTask.picker == picker,
                PickTask.status == "active",
                Allocation.status.not_in(list(STOPPED)),
                Allocation.cancel_reason.is_(None),
            )
            .order_by(PickTask.sequence)
            .limit(1)
        ).first()
        if task is None:
            # Discrete picking: an order belongs to the picker who took its first task, so
            # its units meet in one tote. Finish your own order before opening another.
            other = aliased(PickTask)
            mine = aliased(PickTask)
            taken_by_other = (
                select(other.id)
                .where(
                    other.allocation_pk == PickTask.allocation_pk,
                    other.picker.is_not(None),
                    other.picker != picker,
                )
                .exists()
            )
            started_by_me = (
                select(mine.id)
                .where(mine.allocation_pk == PickTask.allocation_pk, mine.picker == picker)
                .exists()
            )
            task = s.scalars(
                select(PickTask)
                .join(Wave, Wave.id == PickTask.wave_id)
                .join(Allocation, Allocation.id == PickTask.allocation_pk)
                .where(
                    PickTask.status == "open",
                    Wave.status == "released",
                    Allocation.status.in_(
                        [AllocationStatus.RELEASED.value, AllocationStatus.PICKING.value]
                    ),
                    ~taken_by_other,
                )
                .order_by(started_by_me.desc(), Wave.id, PickTask.allocation_pk, PickTask.sequence)
                .limit(1)
                .with_for_update(skip_locked=True, of=PickTask)
            ).first()
            if task is None:
                return None
            task.status = "active"
            task.picker = picker
        view = _task_view(s, task)
        tx.commit()
        return view


def _state(s: Any, task: PickTask, allocation: Allocation) -> PickState:
    stock = s.get(Stock, task.stock_id)
    tote = s.scalars(select(Tote).where(Tote.allocation_pk == allocation.id)).first()
    line = s.get(AllocationLine, task.line_pk)
    return PickState(
        location=stock.location.code,
        sku=stock.sku.sku,
        item_codes=repo.item_codes(stock.sku),
        qty=task.qty,
        picked=task.picked_qty,
        location_confirmed=task.location_confirmed,
        allocation_tote=tote.code if tote else None,
        wanted_lot=line.lot if line else None,
        done=task.status == "done",
    )


def record_scan(cmd: PickScan, uow: SessionFactory, clock: Clock) -> ScanReply:
    now = clock()
    with uow() as tx:
        s = tx.session
        prev = repo.previous_scan(s, cmd.client_scan_id)
        task = s.get(PickTask, cmd.task_id, with_for_update=True)
        if prev is not None:
            answer = replay(prev)
            if task is not None:
                answer.data["task"] = _task_view(s, task)
            return answer
        parsed = parse_scan(cmd.raw)
        if task is None:
            reply = ScanReply(False, "no_task", f"Task {cmd.task_id} does not exist.")
            log_scan(
                s,
                station="pick",
                raw=cmd.raw,
                reply=reply,
                now=now,
                client_scan_id=cmd.client_scan_id,
                device=cmd.device,
                actor=cmd.picker,
                parsed=parsed.to_json(),
            )
            tx.commit()
            return reply
        allocation = s.get(Allocation, task.allocation_pk)
        assert allocation is not None
        if allocation.status in STOPPED or allocation.cancel_reason:
            held = allocation.status == AllocationStatus.HELD.value
            why = "; ".join(allocation.reasons) if held else allocation.cancel_reason
            reply = ScanReply(
                False,
                "on_hold" if held else "cancelled",
                f"Stop: order {allocation.order_number} is "
                f"{'on hold' if held else 'cancelled'} ({why}). "
                "Take what you picked to the exceptions desk.",
            )
        else:
            reply = _apply(s, task, allocation, parsed, cmd, now)
        reply.data["task"] = _task_view(s, task)
        log_scan(
            s,
            station="pick",
            raw=cmd.raw,
            reply=reply,
            now=now,
            client_scan_id=cmd.client_scan_id,
            device=cmd.device,
            actor=cmd.picker,
            parsed=parsed.to_json(),
            allocation_pk=allocation.id,
            task_id=task.id,
        )
        tx.commit()
        return reply


def _apply(
    s: Any, task: PickTask, allocation: Allocation, parsed: Any, cmd: PickScan, now: Any
) -> ScanReply:
    tote_owner_is_other = False
    if parsed.kind is ScanKind.TOTE:
        tote = s.scalars(select(Tote).where(Tote.code == parsed.value)).first()
        if tote is not None and tote.allocation_pk not in (None, allocation.id):
            tote_owner_is_other = True
    result = step(_state(s, task, allocation), parsed, ScanContext(now.date(), tote_owner_is_other))
    if not result.outcome.accepted:
        return ScanReply(False, result.outcome.value, result.message)
    if result.outcome is ScanOutcome.LOCATION_OK:
        task.location_confirmed = True
    elif result.outcome is ScanOutcome.ITEM_OK:
        _pick_unit(s, task, allocation, cmd, now)
    elif result.outcome is ScanOutcome.TOTE_OK:
        _put_in_tote(s, task, allocation, result.tote or parsed.value, now)
    return ScanReply(True, result.outcome.value, result.message)


def _pick_unit(s: Any, task: PickTask, allocation: Allocation, cmd: PickScan, now: Any) -> None:
    stock = s.get(Stock, task.stock_id)
    moved = repo.move_stock(
        s,
        stock,
        on_hand_delta=-1,
        allocated_delta=-1,
        reason="pick",
        reference=allocation.allocation_id,
        actor=cmd.picker,
        now=now,
    )
    if not moved:  # the reservation guarantees stock; a failure here is a bug worth stopping on
        raise ServiceError(f"stock in {stock.location.code} does not cover this pick", "task_id")
    if task.reservation_id is not None:
        res = s.get(Reservation, task.reservation_id)
        if res is not None:
            res.qty -= 1
            if res.qty == 0:
                task.reservation_id = None
                s.delete(res)
    line = s.get(AllocationLine, task.line_pk)
    line.picked += 1
    task.picked_qty += 1
    if allocation.status == AllocationStatus.RELEASED.value:
        allocation.status = AllocationStatus.PICKING.value
        allocation.updated_at = now


def _put_in_tote(s: Any, task: PickTask, allocation: Allocation, code: str, now: Any) -> None:
    tote = s.scalars(select(Tote).where(Tote.code == code)).first()
    if tote is None:
        tote = Tote(code=code)
        s.add(tote)
    tote.allocation_pk = allocation.id
    task.tote_code = code
    task.status = "done"
    task.completed_at = now
    s.flush()
    open_tasks = s.scalar(
        select(func.count(PickTask.id)).where(
            PickTask.allocation_pk == allocation.id, PickTask.status != "done"
        )
    )
    if open_tasks == 0 and all(
        ln.picked + ln.short + ln.cancelled >= ln.qty for ln in allocation.lines
    ):
        allocation.status = AllocationStatus.PICKED.value
        allocation.updated_at = now
        repo.add_event(
            s,
            "allocation.picked",
            allocation,
            {
                "tote": code,
                "lines": [
                    {"line_id": ln.line_id, "qty": ln.picked, "lots": [], "serials": []}
                    for ln in allocation.lines
                ],
            },
            now,
        )
    wave_open = s.scalar(
        select(func.count(PickTask.id)).where(
            PickTask.wave_id == task.wave_id, PickTask.status != "done"
        )
    )
    if wave_open == 0:
        wave = s.get(Wave, task.wave_id)
        wave.status = "done"
        wave.completed_at = now
