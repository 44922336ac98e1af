"""The common pick scan in prepared statements: a location or item scan on a task whose
screen this process already knows (pick_context), for an order that is neither stopped nor
practice, by the task's own picker. Everything else (tote scans, which finish tasks and
orders; serial-controlled lines; replays; refusals that name a reason from the order) goes
the ORM path of app/services/picking.py, which this must match row for row
(tests/integration/test_pick_fast_path.py).

Reads first, writes last: `try_scan` returns None before its first write whenever the ORM
path has to decide, so the caller runs that path in the same savepoint with nothing to undo.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app.adapters.db import pick_rows as rows
from app.adapters.db.models import Allocation, AllocationLine, PickTask, Reservation, Stock
from app.adapters.db.prepared import Cursor
from app.domain.allocations import STOPPED
from app.domain.picking import ScanContext, ScanOutcome, step
from app.domain.records import evolve
from app.domain.replenishment import Trigger
from app.domain.scanning import ParsedScan, ScanKind
from app.services import replenishment
from app.services.pick_context import cached_context, state_of, view
from app.services.replies import ScanReply


@dataclasses.dataclass(frozen=True)
class Who:
    """The scan as it reached the server: its text, who scanned, and the client's ids."""

    raw: str
    picker: str
    client_scan_id: str | None
    device: str | None


def try_scan(
    s: Session, now: datetime, task_id: int, parsed: ParsedScan, logged: dict[str, Any], who: Who
) -> ScanReply | None:
    """The scan's answer, applied and logged; None if the ORM path must decide (nothing
    was written)."""
    if parsed.kind is ScanKind.TOTE:
        return None
    cur = Cursor(s)
    try:
        return _scan(s, cur, now, task_id, parsed, logged, who)
    finally:
        cur.close()


def _scan(
    s: Session,
    cur: Cursor,
    now: datetime,
    task_id: int,
    parsed: ParsedScan,
    logged: dict[str, Any],
    who: Who,
) -> ScanReply | None:
    found = rows.task_and_order(cur, task_id, who.client_scan_id)
    if (
        found is None
        or found.answered_before
        or found.practice
        or found.allocation_status in STOPPED
        or found.cancel_reason
        or found.task.picker not in (None, who.picker)
    ):
        return None
    task = found.task
    ctx = cached_context(s, task)
    if ctx is None or ctx.serial_required:
        return None
    result = step(state_of(ctx, task, found.tote), parsed, ScanContext(now.date()))
    confirm: int | None = None
    unit: dict[str, Any] | None = None
    face_check = False
    if result.outcome is ScanOutcome.LOCATION_OK:
        if not task.location_confirmed:
            confirm = task.id
            task = evolve(task, location_confirmed=True)
    elif result.outcome is ScanOutcome.ITEM_OK:
        units = result.units_picked
        left = rows.take_from_bin(cur, ctx.stock_id, units)
        if left is None:
            return None  # the ORM path says why, with the bin's name
        face_check = rows.face_may_be_at_or_below_min(found, left)
        unit = {
            "pick_task_id": task.id,
            "allocation_pk": task.allocation_pk,
            "line_pk": task.line_pk,
            "stock_id": task.stock_id,
            "qty": units,
            "lot": parsed.lot or ctx.bin_lot,
            "expires_on": parsed.expires_on or ctx.bin_expires_on,
            "serial": parsed.serial,
            "client_scan_id": who.client_scan_id,
            "at": now,
        }
        task = evolve(task, picked_qty=task.picked_qty + units)
    elif result.outcome.accepted:  # not reached: tote scans never come here
        raise AssertionError(result.outcome)
    reply = ScanReply(result.outcome.accepted, result.outcome.value, result.message)
    reply.data["task"] = view(ctx, task, found.tote)
    # The rest are writes whose results nobody reads: one round trip on PostgreSQL.
    with cur.batched():
        if confirm is not None:
            rows.confirm_location(cur, confirm)
        if unit is not None:
            units = unit["qty"]
            rows.ledger_pick(
                cur,
                ctx.stock_id,
                ctx.sku_id,
                ctx.location_id,
                units,
                found.allocation_id,
                who.picker,
                now,
            )
            rows.record_units(cur, found, units, unit, now)
        rows.log_scan(
            cur,
            {
                "client_scan_id": who.client_scan_id or None,
                "station": "pick",
                "device": who.device,
                "actor": who.picker,
                "raw": who.raw[:400],
                "parsed": logged,
                "result": reply.result,
                "detail": reply.message[:400],
                "allocation_pk": task.allocation_pk,
                "task_id": task.id,
                "at": now,
            },
        )
    _forget_loaded(s, found, ctx.stock_id)
    if face_check and rows.face_at_or_below_min(cur, ctx.location_id, ctx.sku_id):
        replenishment.check_face(s, ctx.location_id, ctx.sku_id, Trigger.PICK, who.picker, now)
    return reply


def _forget_loaded(s: Session, found: rows.TaskAndOrder, stock_id: int) -> None:
    """Rows written here that the session already holds as objects (an earlier job of the
    same group transaction loaded them) are read again when next used."""
    if not len(s.identity_map):
        return
    t = found.task
    for model, pk in (
        (PickTask, t.id),
        (AllocationLine, t.line_pk),
        (Allocation, t.allocation_pk),
        (Stock, stock_id),
    ):
        loaded = s.identity_map.get(identity_key(model, pk))
        if loaded is not None:
            s.expire(loaded)
    if found.reservation_id is not None:
        loaded = s.identity_map.get(identity_key(Reservation, found.reservation_id))
        if loaded is not None:
            s.expunge(loaded)
