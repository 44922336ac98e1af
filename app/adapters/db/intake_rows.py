"""Core statements for the allocation intake's common case: a new allocation whose lines the
stock covers (app/services/intake.py, `_apply_new`). Built once, executed on the session's
DBAPI cursor: the ORM's unit of work cost about ten times the SQL it ran on this path.

Same rows, same rules as the ORM path: stock moves are the conditional update and ledger row
of `repositories.move_stock_row`, events the outbox rows of `repositories.add_event`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Location,
    OutboxEvent,
    Reservation,
    Sku,
    Stock,
    StockMovement,
)
from app.adapters.db.prepared import Cursor, Insert, Prepared
from app.domain.events import event_body
from app.domain.stock_allocation import ALLOCATABLE_KINDS

_A = cast(Table, Allocation.__table__)
_L = cast(Table, AllocationLine.__table__)
_R = cast(Table, Reservation.__table__)
_M = cast(Table, StockMovement.__table__)
_O = cast(Table, OutboxEvent.__table__)
_S = cast(Table, Stock.__table__)
_K = cast(Table, Sku.__table__)
_LOC = cast(Table, Location.__table__)

__all__ = ["Cursor"]  # the intake's callers open theirs from here

_EXISTING = Prepared(
    select(_A.c.id, _A.c.version, _A.c.status)
    .where(_A.c.allocation_id == bindparam("aid"))
    .with_for_update()
)
_INSERT_ALLOCATION = Insert(_A)
_INSERT_ALLOCATION_RETURNING = Insert(_A, returning=True)
_INSERT_LINE = Insert(_L)
_INSERT_LINE_RETURNING = Insert(_L, returning=True)
_INSERT_RESERVATION = Insert(_R)
_INSERT_LEDGER = Insert(_M)
_INSERT_EVENT = Insert(_O)
# The conditional update of repositories.move_stock_row, for reservations (on hand unchanged).
_RESERVE = Prepared(
    update(_S)
    .where(
        _S.c.id == bindparam("sid"),
        _S.c.allocated + bindparam("da") >= 0,
        _S.c.allocated + bindparam("da") <= _S.c.on_hand,
    )
    .values(allocated=_S.c.allocated + bindparam("da"))
)
_UNDO = Prepared(
    update(_S).where(_S.c.id == bindparam("sid")).values(allocated=_S.c.allocated - bindparam("da"))
)
_BINS: dict[int, Prepared] = {}
_TOTALS: dict[int, Prepared] = {}


def _totals_statement(n: int) -> Prepared:
    """On hand and allocated per SKU of n SKU ids (practice items left out), by SKU code.
    n is a power of two (callers repeat an id to fill it): a handful of statements."""
    stmt = _TOTALS.get(n)
    if stmt is None:
        stmt = _TOTALS[n] = Prepared(
            select(
                _K.c.sku,
                func.coalesce(func.sum(_S.c.on_hand), 0),
                func.coalesce(func.sum(_S.c.allocated), 0),
            )
            .select_from(_K.outerjoin(_S, _S.c.sku_id == _K.c.id))
            .where(_K.c.id.in_([bindparam(f"i{i}") for i in range(n)]), _K.c.practice.is_(False))
            .group_by(_K.c.id, _K.c.sku)
            .order_by(_K.c.sku)
        )
    return stmt


_EXPIRES = _S.c.expires_on.type


@dataclass(frozen=True)
class BinRow:
    stock_id: int
    location_id: int
    kind: str
    free: int
    expires_on: date | None
    code: str


def existing_allocation(cur: Cursor, allocation_id: str) -> tuple[int, int, str] | None:
    """(pk, version, status) of a stored allocation, row-locked on PostgreSQL."""
    row = cur.execute(_EXISTING, {"aid": allocation_id}).fetchone()
    return None if row is None else (int(row[0]), int(row[1]), str(row[2]))


def _bins_statement(n: int) -> Prepared:
    stmt = _BINS.get(n)
    if stmt is None:
        stmt = Prepared(
            select(
                _K.c.id,
                _K.c.sku,
                _S.c.id,
                _S.c.location_id,
                _LOC.c.kind,
                _S.c.on_hand - _S.c.allocated,
                _S.c.expires_on,
                _LOC.c.code,
            )
            .select_from(
                _K.outerjoin(
                    _S, (_S.c.sku_id == _K.c.id) & (_S.c.on_hand > _S.c.allocated)
                ).outerjoin(_LOC, _LOC.c.id == _S.c.location_id)
            )
            .where(_K.c.sku.in_([bindparam(f"c{i}") for i in range(n)]))
        )
        _BINS[n] = stmt
    return stmt


def skus_and_bins(
    cur: Cursor, codes: Sequence[str]
) -> tuple[dict[str, int], dict[int, list[BinRow]]]:
    """SKU ids by code (unknown codes are absent) and, per SKU, every bin whose stock may be
    promised (ALLOCATABLE_KINDS) with free units, in one query."""
    rows = cur.execute(
        _bins_statement(len(codes)), {f"c{i}": c for i, c in enumerate(codes)}
    ).fetchall()
    to_date = _EXPIRES.dialect_impl(cur.dialect).result_processor(cur.dialect, None)
    ids: dict[str, int] = {}
    bins: dict[int, list[BinRow]] = {}
    for sku_id, sku, stock_id, location_id, kind, free, expires_on, code in rows:
        ids[sku] = sku_id
        found = bins.setdefault(sku_id, [])
        if stock_id is not None and kind in ALLOCATABLE_KINDS:
            expires = to_date(expires_on) if to_date is not None else expires_on
            found.append(BinRow(stock_id, location_id, kind, int(free), expires, code))
    return ids, bins


def insert_allocation(cur: Cursor, values: dict[str, Any]) -> int:
    return cur.insert(_INSERT_ALLOCATION, _INSERT_ALLOCATION_RETURNING, values)


def insert_line(cur: Cursor, values: dict[str, Any]) -> int:
    return cur.insert(_INSERT_LINE, _INSERT_LINE_RETURNING, values)


@dataclass(frozen=True)
class Take:
    stock_id: int
    sku_id: int
    location_id: int
    qty: int


def reserve(cur: Cursor, takes: Sequence[Take], reference: str, now: datetime) -> bool:
    """Reserve every take with the conditional update, then write their ledger rows. All or
    nothing: if one bin changed meanwhile (another transaction on PostgreSQL), the ones
    already taken are put back and False says the caller must re-plan."""
    for done, t in enumerate(takes):
        if cur.execute(_RESERVE, {"sid": t.stock_id, "da": t.qty}).rowcount != 1:
            cur.executemany(_UNDO, [{"sid": u.stock_id, "da": u.qty} for u in takes[:done]])
            return False
    cur.executemany(
        _INSERT_LEDGER,
        [
            {
                "stock_id": t.stock_id,
                "sku_id": t.sku_id,
                "location_id": t.location_id,
                "on_hand_delta": 0,
                "allocated_delta": t.qty,
                "reason": "reserve",
                "reference": reference,
                "actor": "oms",
                "at": now,
            }
            for t in takes
        ],
    )
    s = cur.session
    s.info.setdefault("available_changed", set()).update(t.sku_id for t in takes)
    if len(s.identity_map):  # a pick scan in the same group transaction may hold the bin
        for t in takes:
            loaded = s.identity_map.get(identity_key(Stock, t.stock_id))
            if loaded is not None and "on_hand" in loaded.__dict__:
                # Keep a copy this session already holds true to the row, without a SELECT.
                set_committed_value(loaded, "allocated", loaded.allocated + t.qty)
    return True


def insert_reservations(cur: Cursor, rows: list[dict[str, Any]]) -> None:
    cur.executemany(_INSERT_RESERVATION, rows)


def _event_row(
    type_: str,
    allocation_id: str | None,
    order_number: str | None,
    stream_key: str,
    data: dict[str, Any],
    now: datetime,
) -> dict[str, Any]:
    """The outbox row `repositories.add_event` writes."""
    event_id = str(uuid.uuid4())
    return {
        "event_id": event_id,
        "type": type_,
        "allocation_id": allocation_id,
        "stream_key": stream_key,
        "body": event_body(event_id, type_, now, allocation_id, order_number, data),
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": None,
        "created_at": now,
        "sent_at": None,
    }


def insert_event(
    cur: Cursor,
    type_: str,
    allocation_id: str,
    order_number: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """An event of the allocation's stream, as `repositories.add_event` writes it."""
    cur.executemany(
        _INSERT_EVENT,
        [_event_row(type_, allocation_id, order_number, f"allocation:{allocation_id}", data, now)],
    )


def write_inventory_events(session: Session, now: datetime) -> None:
    """`repositories.write_inventory_events` in two statements: one `inventory.changed` per
    SKU whose available stock this transaction changed (practice items stay in house),
    ordered by SKU, the same rows (tests/integration/test_intake_fast_path.py compares)."""
    changed: set[int] = session.info.pop("available_changed", set())
    if not changed:
        return
    session.flush()
    ids = sorted(changed)
    ids += ids[-1:] * ((1 << (len(ids) - 1).bit_length()) - len(ids))  # IN (a, b, b, b)
    cur = Cursor(session)
    try:
        totals = cur.execute(
            _totals_statement(len(ids)), {f"i{i}": sku_id for i, sku_id in enumerate(ids)}
        ).fetchall()
        cur.executemany(
            _INSERT_EVENT,
            [
                _event_row(
                    "inventory.changed",
                    None,
                    None,
                    f"sku:{sku}",
                    {
                        "sku": sku,
                        "on_hand": int(on_hand),
                        "available": int(on_hand) - int(allocated),
                    },
                    now,
                )
                for sku, on_hand, allocated in totals
            ],
        )
    finally:
        cur.close()
