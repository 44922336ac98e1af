"""Core statements for the pick scan's common case (app/services/pick_fast.py): one read of
the task with its order, reservation, tote and any earlier answer to the same client scan id,
then the few rows an accepted scan changes. Same rows, same rules as the ORM path of
app/services/picking.py; tests/integration/test_pick_fast_path.py compares the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, select, update

from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    PickTask,
    Reservation,
    ScanLog,
    Stock,
    StockMovement,
    Tote,
)
from app.adapters.db.models_pick import PickUnit
from app.adapters.db.models_stock import ReplenishmentRule
from app.adapters.db.prepared import Cursor, Insert, Prepared
from app.adapters.db.repositories import MOVE_STOCK
from app.services.pick_context import TaskRow

_T = cast(Table, PickTask.__table__)
_A = cast(Table, Allocation.__table__)
_L = cast(Table, AllocationLine.__table__)
_R = cast(Table, Reservation.__table__)
_S = cast(Table, Stock.__table__)
_M = cast(Table, StockMovement.__table__)
_TO = cast(Table, Tote.__table__)
_SL = cast(Table, ScanLog.__table__)
_U = cast(Table, PickUnit.__table__)
_RR = cast(Table, ReplenishmentRule.__table__)

_TASK = Prepared(
    select(
        _T.c.id,
        _T.c.stock_id,
        _T.c.line_pk,
        _T.c.allocation_pk,
        _T.c.wave_id,
        _T.c.sequence,
        _T.c.qty,
        _T.c.picked_qty,
        _T.c.location_confirmed,
        _T.c.status,
        _T.c.picker,
        _T.c.reservation_id,
        _R.c.qty,
        _A.c.status,
        _A.c.cancel_reason,
        _A.c.practice,
        _A.c.allocation_id,
        select(_TO.c.code)
        .where(_TO.c.allocation_pk == _T.c.allocation_pk)
        .limit(1)
        .scalar_subquery(),
        select(_SL.c.id).where(_SL.c.client_scan_id == bindparam("cid")).limit(1).scalar_subquery(),
        # The pick face's minimum, if it has a min/max rule (see face_at_or_below_min).
        select(_RR.c.min_units)
        .where(_RR.c.location_id == _S.c.location_id, _RR.c.sku_id == _S.c.sku_id)
        .limit(1)
        .scalar_subquery(),
    )
    .select_from(
        _T.join(_A, _A.c.id == _T.c.allocation_pk)
        .join(_S, _S.c.id == _T.c.stock_id)
        .outerjoin(_R, _R.c.id == _T.c.reservation_id)
    )
    .where(_T.c.id == bindparam("tid"))
    # The task's row is the lock every action on it meets (as the ORM path's get does).
    .with_for_update(of=_T)
)
_CONFIRM_LOCATION = Prepared(
    update(_T).where(_T.c.id == bindparam("tid")).values(location_confirmed=True)
)
# repositories.move_stock_row's conditional update: never below zero, never over-allocated;
# with what the bin holds afterwards (the row as this update left it: on PostgreSQL another
# worker's pick of the same bin may have committed since the task was read).
_MOVE = Prepared(MOVE_STOCK.returning(_S.c.on_hand))
_LEDGER = Insert(_M)
# replenishment.after_pick's question: a face with a min/max, at or below its min?
_FACE = Prepared(
    select(_RR.c.min_units, func.coalesce(func.sum(_S.c.on_hand), 0))
    .select_from(
        _RR.join(_S, (_S.c.location_id == _RR.c.location_id) & (_S.c.sku_id == _RR.c.sku_id))
    )
    .where(_RR.c.location_id == bindparam("lid"), _RR.c.sku_id == bindparam("kid"))
    .group_by(_RR.c.id, _RR.c.min_units)
)
_TAKE_RESERVED = Prepared(
    update(_R).where(_R.c.id == bindparam("rid")).values(qty=_R.c.qty - bindparam("u"))
)
_DROP_RESERVATION = Prepared(delete(_R).where(_R.c.id == bindparam("rid")))
_LINE_PICKED = Prepared(
    update(_L).where(_L.c.id == bindparam("lpk")).values(picked=_L.c.picked + bindparam("u"))
)
_TASK_PICKED = Prepared(
    update(_T)
    .where(_T.c.id == bindparam("tid"))
    .values(picked_qty=_T.c.picked_qty + bindparam("u"))
)
# The task's last reserved unit: it lets go of its reservation. Only then is reservation_id
# written (writing it on every pick also rewrote its index entry and checked its key).
_TASK_PICKED_UNRESERVED = Prepared(
    update(_T)
    .where(_T.c.id == bindparam("tid"))
    .values(picked_qty=_T.c.picked_qty + bindparam("u"), reservation_id=None)
)
_STARTED = Prepared(
    update(_A)
    .where(_A.c.id == bindparam("apk"), _A.c.status == "released")
    .values(status="picking", updated_at=bindparam("now"))
)
_UNIT = Insert(_U)
_SCAN = Insert(_SL)


@dataclass(frozen=True)
class TaskAndOrder:
    task: TaskRow
    reservation_id: int | None
    reserved: int | None  # the reservation's units, if the task still holds one
    allocation_status: str
    cancel_reason: str | None
    practice: bool
    allocation_id: str
    tote: str | None  # the tote the order already uses
    answered_before: bool  # a scan with this client scan id is in the log
    face_min: int | None  # the min of the task's pick face's min/max rule, if it has one


def task_and_order(cur: Cursor, task_id: int, client_scan_id: str | None) -> TaskAndOrder | None:
    row = cur.execute(_TASK, {"tid": task_id, "cid": client_scan_id}).fetchone()
    if row is None:
        return None
    (tid, sid, lpk, apk, wid, seq, qty, picked, confirmed, status, picker) = row[:11]
    rid, reserved, a_status, cancel_reason, practice, allocation_id, tote, prev, face_min = row[11:]
    return TaskAndOrder(
        TaskRow(tid, sid, lpk, apk, wid, seq, qty, picked, bool(confirmed), status, picker),
        rid,
        reserved,
        a_status,
        cancel_reason,
        bool(practice),
        allocation_id,
        tote,
        prev is not None,
        face_min,
    )


def confirm_location(cur: Cursor, task_id: int) -> None:
    cur.execute(_CONFIRM_LOCATION, {"tid": task_id})


def take_from_bin(cur: Cursor, stock_id: int, units: int) -> int | None:
    """Units leave the bin and its allocation (a pick), if the bin holds them: the
    conditional update, and the units the bin holds afterwards. None, and nothing written,
    if it does not hold them."""
    row = cur.execute(_MOVE, {"sid": stock_id, "dh": -units, "da": -units}).fetchone()
    return None if row is None else int(row[0])


def ledger_pick(
    cur: Cursor,
    stock_id: int,
    sku_id: int,
    location_id: int,
    units: int,
    reference: str,
    actor: str,
    now: datetime,
) -> None:
    """The ledger row of take_from_bin's move."""
    cur.executemany(
        _LEDGER,
        [
            {
                "stock_id": stock_id,
                "sku_id": sku_id,
                "location_id": location_id,
                "on_hand_delta": -units,
                "allocated_delta": -units,
                "reason": "pick",
                "reference": reference,
                "actor": actor,
                "at": now,
            }
        ],
    )


def face_may_be_at_or_below_min(found: TaskAndOrder, bin_left: int) -> bool:
    """Whether face_at_or_below_min needs asking after a pick left `bin_left` units in the
    task's bin: never without a rule, and never while this bin alone holds more than the
    face's minimum (the face holds at least what this bin does). Saves that query on
    nearly every pick."""
    return found.face_min is not None and bin_left <= found.face_min


def face_at_or_below_min(cur: Cursor, location_id: int, sku_id: int) -> bool:
    row = cur.execute(_FACE, {"lid": location_id, "kid": sku_id}).fetchone()
    return row is not None and int(row[1]) <= int(row[0])


def record_units(
    cur: Cursor, found: TaskAndOrder, units: int, unit_row: dict[str, Any], now: datetime
) -> None:
    """The units count on the reservation, the order line, the task and the order."""
    t = found.task
    rid = found.reservation_id
    if rid is not None and found.reserved is not None and found.reserved - units > 0:
        cur.execute(_TAKE_RESERVED, {"rid": rid, "u": units})
        cur.execute(_TASK_PICKED, {"tid": t.id, "u": units})
    elif rid is None:
        cur.execute(_TASK_PICKED, {"tid": t.id, "u": units})
    else:
        cur.execute(_TASK_PICKED_UNRESERVED, {"tid": t.id, "u": units})
        cur.execute(_DROP_RESERVATION, {"rid": rid})
    cur.execute(_LINE_PICKED, {"lpk": t.line_pk, "u": units})
    cur.executemany(_UNIT, [unit_row])
    if found.allocation_status == "released":
        cur.execute(_STARTED, {"apk": t.allocation_pk, "now": now})


def log_scan(cur: Cursor, values: dict[str, Any]) -> None:
    cur.executemany(_SCAN, [values])
