"""Pickers ask for their next task and scan location, items and tote (or key in a quantity).

Every action on a task (a scan, a keypad quantity, a short pick) runs the same way in one
unit of work: lock the task, answer a client id seen before with the stored answer, refuse
work on an order that is held or cancelled or on a task given to someone else, apply the
domain's verdict, log the action with its raw text and parsed fields, commit, and only then
answer. That is what makes the handheld's offline queue safe to replay.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.adapters.db import repositories as repo
from app.adapters.db.group_commit import GroupCommitter
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    PickTask,
    Reservation,
    Tote,
    Wave,
)
from app.adapters.db.models_pick import PickUnit
from app.adapters.db.models_waves import PickBatchTask
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import STOPPED, AllocationStatus
from app.domain.picking import PickState, ScanContext, ScanOutcome, Step, enter_quantity, step
from app.domain.routing import Geometry
from app.domain.scanning import ParsedScan, ScanKind, parse_scan
from app.domain.text import msg
from app.services import pick_context, pick_fast, practice_stock, replenishment
from app.services.clock import Clock, system_clock
from app.services.errors import ServiceError
from app.services.pick_context import TaskRow, task_context
from app.services.put_back import next_put_back
from app.services.replies import ScanReply, log_scan, replay
from app.services.wave_ops import claim_next_task
from app.services.waves import default_config

RECONCILE_MAX = 100


@dataclass(frozen=True)
class ScanMeta:
    """Who acted, and how the action reached the server: the client id that makes a resend
    harmless, the device, how the code was entered (scan, keyed, inject, camera, form,
    keypad, button), when the device says it happened, and whether it waited in the
    device's offline queue."""

    picker: str
    client_scan_id: str | None = None
    device: str | None = None
    entry: str | None = None
    scanned_at: str | None = None
    queued: bool = False

    def log_fields(self) -> dict[str, Any]:
        return {"entry": self.entry, "scanned_at": self.scanned_at, "queued": self.queued}


@dataclass(frozen=True)
class PickScan:
    task_id: int
    raw: str
    picker: str
    client_scan_id: str | None = None
    device: str | None = None
    entry: str | None = None
    scanned_at: str | None = None
    queued: bool = False

    @property
    def meta(self) -> ScanMeta:
        return ScanMeta(
            self.picker,
            self.client_scan_id,
            self.device,
            self.entry,
            self.scanned_at,
            self.queued,
        )


@dataclass(frozen=True)
class PickQuantity:
    """The keypad: `total` units of the task's item are in hand."""

    task_id: int
    total: int
    meta: ScanMeta


# ---------------------------------------------------------------------------- views


def _allocation_tote(s: Session, allocation_pk: int) -> str | None:
    return s.scalars(select(Tote.code).where(Tote.allocation_pk == allocation_pk).limit(1)).first()


def task_view(s: Session, task: PickTask) -> dict[str, Any]:
    return pick_context.view(
        task_context(s, task), TaskRow.of(task), _allocation_tote(s, task.allocation_pk)
    )


_NO_TOTE = object()


def pick_state(
    s: Session, task: PickTask, allocation: Allocation | None = None, tote: Any = _NO_TOTE
) -> PickState:
    ctx = task_context(s, task)
    if tote is _NO_TOTE:
        tote = _allocation_tote(s, task.allocation_pk)
    serials: frozenset[str] = frozenset()
    if ctx.serial_required:
        serials = frozenset(
            serial
            for serial in s.scalars(
                select(PickUnit.serial).where(
                    PickUnit.line_pk == task.line_pk, PickUnit.serial.is_not(None)
                )
            )
            if serial is not None
        )
    return pick_context.state_of(ctx, TaskRow.of(task), tote, serials)


# ---------------------------------------------------------------------------- next task


@functools.cache
def _geometry() -> Geometry:
    return default_config().geometry


def next_task(
    picker: str, uow: SessionFactory, clock: Clock = system_clock
) -> dict[str, Any] | None:
    """Put-backs first; then the task in the picker's hand, the next stop of their cart, or
    the first stop of the best unclaimed cart (wave_ops.claim_next_task: a cart is claimed
    whole, so no order is split between pickers); then, for tasks in no cart, the next open
    one in route order. Never the same task to two pickers: SKIP LOCKED on PostgreSQL, the
    single writer on SQLite."""
    if not picker:
        raise ServiceError(msg("sign in with your badge first"), "picker")
    with uow() as tx:
        s = tx.session
        # Units of cancelled orders are in limbo until they are back in a bin: they go first.
        put_back = next_put_back(s, picker)
        if put_back is not None:
            tx.commit()
            return put_back
        claimed = claim_next_task(s, picker, _geometry(), clock())
        if claimed is not None:
            view = task_view(s, claimed)
            tx.commit()
            return view
        # The picker's own task, unless its order was held or cancelled meanwhile: it waits
        # for the release while the picker gets other work. A short pick's replacement task
        # shares its sequence: the id keeps the older one first.
        task = s.scalars(
            select(PickTask)
            .join(Allocation, Allocation.id == PickTask.allocation_pk)
            .where(
                PickTask.picker == picker,
                PickTask.status == "active",
                Allocation.status.not_in(list(STOPPED)),
                Allocation.cancel_reason.is_(None),
            )
            .order_by(PickTask.sequence, PickTask.id)
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
                    # Tasks in a cart are handed out with their cart, never one by one.
                    ~select(PickBatchTask.task_id)
                    .where(PickBatchTask.task_id == PickTask.id)
                    .exists(),
                )
                .order_by(
                    started_by_me.desc(),
                    Wave.id,
                    PickTask.allocation_pk,
                    PickTask.sequence,
                    PickTask.id,
                )
                .limit(1)
                .with_for_update(skip_locked=True, of=PickTask)
            ).first()
            if task is None:
                return None
            task.status = "active"
            task.picker = picker
        view = task_view(s, task)
        tx.commit()
        return view


# ---------------------------------------------------------------------------- one action


TaskAction = Callable[[Session, PickTask, Allocation, datetime], ScanReply]
FastPath = Callable[[Session, datetime], ScanReply | None]


def stop_reply(allocation: Allocation) -> ScanReply | None:
    """A held or cancelled order stops every action on its tasks, with the reason."""
    if allocation.status not in STOPPED and not allocation.cancel_reason:
        return None
    held = allocation.status == AllocationStatus.HELD.value
    why = "; ".join(allocation.reasons) if held else allocation.cancel_reason
    return ScanReply(
        False,
        "on_hold" if held else "cancelled",
        msg(
            "Stop: order %(order_number)s is %(value)s (%(why)s). Take "
            "what you picked to the exceptions desk.",
            order_number=allocation.order_number,
            value=msg("on hold") if held else msg("cancelled"),
            why=why,
        ),
    )


def reassigned_reply(task: PickTask, location: str) -> ScanReply:
    return ScanReply(
        False,
        "reassigned",
        msg(
            "This task now belongs to %(picker)s. Nothing was recorded "
            "for you: put any unit you took for it back in %(location)s.",
            picker=task.picker,
            location=location,
        ),
    )


def run_task_action(
    task_id: int,
    raw: str,
    parsed: dict[str, Any],
    meta: ScanMeta,
    uow: SessionFactory,
    clock: Clock,
    action: TaskAction,
    writer: GroupCommitter | None = None,
    fast: FastPath | None = None,
) -> ScanReply:
    """The shared frame of every action on a pick task (see the module docstring). With a
    group-commit writer, scans arriving together share one commit, each acknowledged after
    it; without one, each scan commits on its own. `fast`, if given, answers the common case
    in prepared statements (pick_fast) or returns None, having written nothing."""

    def job(s: Session, now: datetime) -> ScanReply:
        return _task_action(s, now, task_id, raw, parsed, meta, action)

    if writer is not None:
        return writer.run(job, fast=fast)
    with uow() as tx:
        now = clock()
        reply = fast(tx.session, now) if fast is not None else None
        if reply is None:
            reply = job(tx.session, now)
        tx.commit()
        return reply


def _task_action(
    s: Session,
    now: datetime,
    task_id: int,
    raw: str,
    parsed: dict[str, Any],
    meta: ScanMeta,
    action: TaskAction,
) -> ScanReply:
    # Lock first, then look for the client id: two deliveries of one scan racing on
    # PostgreSQL meet at the lock, and the second sees the first's log row.
    task = s.get(PickTask, task_id, with_for_update=True)
    prev = repo.previous_scan(s, meta.client_scan_id)
    if prev is not None:
        answer = replay(prev)
        if task is not None:
            answer.data["task"] = task_view(s, task)
        return answer
    logged = {**parsed, **meta.log_fields()}
    if task is None:
        reply = ScanReply(
            False,
            "no_task",
            msg(
                "Task %(task_id)s no longer exists: its units were "
                "cancelled. Ask for the next task.",
                task_id=task_id,
            ),
        )
        _log(s, raw, reply, now, meta, logged)
        return reply
    allocation = repo.must_get(s, Allocation, task.allocation_pk)
    refused = stop_reply(allocation) or _ownership(s, task, meta.picker)
    reply = refused if refused is not None else action(s, task, allocation, now)
    reply.data["task"] = task_view(s, task)
    station = practice_stock.scan_station(allocation, "pick")
    _log(s, raw, reply, now, meta, logged, allocation.id, task.id, station)
    return reply


def _ownership(s: Session, task: PickTask, picker: str) -> ScanReply | None:
    if task.picker is None or task.picker == picker:
        return None
    return reassigned_reply(task, task_context(s, task).location)


def _log(
    s: Session,
    raw: str,
    reply: ScanReply,
    now: datetime,
    meta: ScanMeta,
    parsed: dict[str, Any],
    allocation_pk: int | None = None,
    task_id: int | None = None,
    station: str = "pick",
) -> None:
    log_scan(
        s,
        station=station,
        raw=raw,
        reply=reply,
        now=now,
        client_scan_id=meta.client_scan_id,
        device=meta.device,
        actor=meta.picker,
        parsed=parsed,
        allocation_pk=allocation_pk,
        task_id=task_id,
    )


# ---------------------------------------------------------------------------- scans


def record_scan(
    cmd: PickScan, uow: SessionFactory, clock: Clock, writer: GroupCommitter | None = None
) -> ScanReply:
    parsed = parse_scan(cmd.raw)
    meta = cmd.meta

    def action(s: Session, task: PickTask, allocation: Allocation, now: datetime) -> ScanReply:
        tote_owner_is_other = False
        if parsed.kind is ScanKind.TOTE:
            tote = s.scalars(select(Tote).where(Tote.code == parsed.value)).first()
            if tote is not None and tote.allocation_pk not in (None, allocation.id):
                tote_owner_is_other = True
        state = pick_state(s, task, allocation)
        result = step(state, parsed, ScanContext(now.date(), tote_owner_is_other))
        return _apply(s, task, allocation, result, parsed, meta, now)

    logged = parsed.to_json()
    who = pick_fast.Who(cmd.raw, meta.picker, meta.client_scan_id, meta.device)

    def fast(s: Session, now: datetime) -> ScanReply | None:
        return pick_fast.try_scan(s, now, cmd.task_id, parsed, {**logged, **meta.log_fields()}, who)

    return run_task_action(cmd.task_id, cmd.raw, logged, meta, uow, clock, action, writer, fast)


def record_quantity(cmd: PickQuantity, uow: SessionFactory, clock: Clock) -> ScanReply:
    raw = f"qty:{cmd.total}"

    def action(s: Session, task: PickTask, allocation: Allocation, now: datetime) -> ScanReply:
        result = enter_quantity(pick_state(s, task, allocation), cmd.total)
        return _apply(s, task, allocation, result, None, cmd.meta, now)

    parsed = {"kind": "quantity", "value": str(cmd.total)}
    return run_task_action(cmd.task_id, raw, parsed, cmd.meta, uow, clock, action)


def _apply(
    s: Session,
    task: PickTask,
    allocation: Allocation,
    result: Step,
    parsed: ParsedScan | None,
    meta: ScanMeta,
    now: datetime,
) -> ScanReply:
    if not result.outcome.accepted:
        return ScanReply(False, result.outcome.value, result.message)
    if result.outcome is ScanOutcome.LOCATION_OK:
        task.location_confirmed = True
    elif result.outcome is ScanOutcome.ITEM_OK:
        _pick_units(s, task, allocation, result.units_picked, parsed, meta, now)
    elif result.outcome is ScanOutcome.TOTE_OK:
        assert result.tote is not None
        _put_in_tote(s, task, allocation, result.tote, now)
    return ScanReply(True, result.outcome.value, result.message)


def _pick_units(
    s: Session,
    task: PickTask,
    allocation: Allocation,
    units: int,
    parsed: ParsedScan | None,
    meta: ScanMeta,
    now: datetime,
) -> None:
    ctx = task_context(s, task)
    moved = repo.move_stock_row(
        s,
        ctx.stock_id,
        ctx.sku_id,
        ctx.location_id,
        on_hand_delta=-units,
        allocated_delta=-units,
        reason=practice_stock.ledger_reason(allocation, "pick"),
        reference=allocation.allocation_id,
        actor=meta.picker,
        now=now,
    )
    if not moved:  # the reservation guarantees stock; a failure here is a bug worth stopping on
        raise ServiceError(
            msg("stock in %(location)s does not cover this pick", location=ctx.location), "task_id"
        )
    replenishment.after_pick(s, ctx.location_id, ctx.sku_id, meta.picker, now)
    if task.reservation_id is not None:
        res = s.get(Reservation, task.reservation_id)
        if res is not None:
            res.qty -= units
            if res.qty <= 0:
                task.reservation_id = None
                s.delete(res)
    line = repo.must_get(s, AllocationLine, task.line_pk)
    line.picked += units
    task.picked_qty += units
    if parsed is not None:
        lot, expires_on, serial = parsed.lot, parsed.expires_on, parsed.serial
    else:
        # Keypad units are the item the last scan proved: its lot and expiry.
        last = s.scalars(
            select(PickUnit).where(PickUnit.pick_task_id == task.id).order_by(PickUnit.id.desc())
        ).first()
        lot, expires_on, serial = (last.lot, last.expires_on, None) if last else (None, None, None)
    s.add(
        PickUnit(
            pick_task_id=task.id,
            allocation_pk=allocation.id,
            line_pk=task.line_pk,
            stock_id=task.stock_id,
            qty=units,
            lot=lot or ctx.bin_lot,
            expires_on=expires_on or ctx.bin_expires_on,
            serial=serial,
            client_scan_id=meta.client_scan_id,
            at=now,
        )
    )
    if allocation.status == AllocationStatus.RELEASED.value:
        allocation.status = AllocationStatus.PICKING.value
        allocation.updated_at = now


def _put_in_tote(
    s: Session, task: PickTask, allocation: Allocation, code: str, now: datetime
) -> None:
    tote = s.scalars(select(Tote).where(Tote.code == code)).first()
    if tote is None:
        tote = Tote(code=code)
        s.add(tote)
    tote.allocation_pk = allocation.id
    task.tote_code = code
    task.status = "done"
    task.completed_at = now
    settle(s, task, allocation, now)


# ---------------------------------------------------------------------------- completion


def settle(s: Session, task: PickTask, allocation: Allocation, now: datetime) -> bool:
    """After a task finished (tote scan or short pick): the allocation is picked when every
    task is done and every line is picked, short or cancelled; the wave is done when all its
    tasks are. True when the allocation ended with nothing picked at all: backordered."""
    s.flush()
    backordered = False
    open_tasks = s.scalar(
        select(func.count(PickTask.id)).where(
            PickTask.allocation_pk == allocation.id, PickTask.status != "done"
        )
    )
    if open_tasks == 0 and all(
        ln.picked + ln.short + ln.cancelled >= ln.qty for ln in allocation.lines
    ):
        if not any(ln.picked for ln in allocation.lines):
            allocation.status = AllocationStatus.BACKORDERED.value
            backordered = True
        else:
            allocation.status = AllocationStatus.PICKED.value
            tote = s.scalars(select(Tote).where(Tote.allocation_pk == allocation.id)).first()
            repo.add_event(
                s, "allocation.picked", allocation, picked_event(s, allocation, tote), now
            )
        allocation.updated_at = now
    wave_open = s.scalar(
        select(func.count(PickTask.id)).where(
            PickTask.wave_id == task.wave_id, PickTask.status != "done"
        )
    )
    if wave_open == 0:
        wave = repo.must_get(s, Wave, task.wave_id)
        wave.status = "done"
        wave.completed_at = now
        practice_stock.on_wave_done(s, wave, now)  # a practice wave puts its stock back
    return backordered


def picked_event(s: Session, allocation: Allocation, tote: Tote | None) -> dict[str, Any]:
    """`allocation.picked`: per line the units picked, by lot (with expiry) and serial."""
    lots: dict[int, dict[tuple[str, str | None], int]] = {}
    serials: dict[int, list[str]] = {}
    for unit in s.scalars(
        select(PickUnit).where(PickUnit.allocation_pk == allocation.id).order_by(PickUnit.id)
    ):
        if unit.lot:
            key = (unit.lot, unit.expires_on.isoformat() if unit.expires_on else None)
            per_line = lots.setdefault(unit.line_pk, {})
            per_line[key] = per_line.get(key, 0) + unit.qty
        if unit.serial:
            serials.setdefault(unit.line_pk, []).append(unit.serial)
    return {
        "tote": tote.code if tote else None,
        "lines": [
            {
                "line_id": ln.line_id,
                "qty": ln.picked,
                "lots": [
                    {"lot": lot, "expires_on": expires, "qty": qty}
                    for (lot, expires), qty in lots.get(ln.id, {}).items()
                ],
                "serials": serials.get(ln.id, []),
            }
            for ln in allocation.lines
        ],
    }


# ---------------------------------------------------------------------------- reconciliation


def reconcile(picker: str, task_ids: list[int], uow: SessionFactory) -> list[dict[str, Any]]:
    """After an offline stretch: for each task the handheld worked on, what it is now and
    what changed meanwhile (cancelled, held, given to someone else, done, short)."""
    out: list[dict[str, Any]] = []
    with uow() as tx:
        s = tx.session
        for task_id in list(dict.fromkeys(task_ids))[:RECONCILE_MAX]:
            task = s.get(PickTask, task_id)
            if task is None:
                out.append(
                    {
                        "task_id": task_id,
                        "change": "cancelled",
                        "message": msg(
                            "Task %(task_id)s was cancelled: its units are not needed.",
                            task_id=task_id,
                        ),
                        "task": None,
                    }
                )
                continue
            allocation = repo.must_get(s, Allocation, task.allocation_pk)
            view = task_view(s, task)
            change, message = _change(task, allocation, picker, view)
            out.append({"task_id": task_id, "change": change, "message": message, "task": view})
    return out


def _change(
    task: PickTask, allocation: Allocation, picker: str, view: dict[str, Any]
) -> tuple[str, str]:
    order = allocation.order_number
    stopped = stop_reply(allocation)
    if stopped is not None:
        return stopped.result, stopped.message
    if task.picker not in (None, picker):
        return "reassigned", (
            msg(
                "Order %(order)s was given to %(picker)s while you were "
                "offline. Put what you took for it back in %(location)s.",
                order=order,
                picker=task.picker,
                location=view["location"],
            )
        )
    if task.status == "done":
        if task.qty == 0:
            return "short", msg(
                "Task at %(location)s ended short: nothing to pick there.",
                location=view["location"],
            )
        return "done", msg(
            "Task at %(location)s is done: %(picked_qty)s in the tote.",
            location=view["location"],
            picked_qty=task.picked_qty,
        )
    return "unchanged", (
        msg(
            "Task at %(location)s: %(picked_qty)s of %(qty)s picked, next: %(stage)s.",
            location=view["location"],
            picked_qty=task.picked_qty,
            qty=task.qty,
            stage=view["stage"],
        )
    )
