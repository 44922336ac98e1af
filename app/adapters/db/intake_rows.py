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
from weakref import WeakKeyDictionary

from sqlalchemy import Dialect, Table, bindparam, func, insert, select, update
from sqlalchemy.exc import DBAPIError
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


class _Prepared:
    """A Core statement compiled once per dialect and run on the DBAPI cursor: the SQL text
    and bind processing SQLAlchemy would use, without its per-execution bookkeeping (it cost
    five times SQLite's own work on this path)."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()

    def compiled(self, dialect: Dialect) -> _Compiled:
        got = self._by_dialect.get(dialect)
        if got is None:
            got = _Compiled(self.stmt.compile(dialect=dialect), dialect)
            self._by_dialect[dialect] = got
        return got


class _Insert:
    """INSERT of the columns a caller gives; every other column gets what Core would give
    it (its Python default, else its server default or NULL)."""

    def __init__(self, table: Any, *, returning: bool = False) -> None:
        self.table = table
        self.returning = returning
        self._by_keys: dict[tuple[str, ...], _Prepared] = {}

    def prepared(self, values: dict[str, Any]) -> _Prepared:
        keys = tuple(values)
        got = self._by_keys.get(keys)
        if got is None:
            stmt = insert(self.table).values({k: bindparam(k) for k in keys})
            got = _Prepared(stmt.returning(self.table.c.id) if self.returning else stmt)
            self._by_keys[keys] = got
        return got


class _Compiled:
    def __init__(self, compiled: Any, dialect: Dialect) -> None:
        self.sql: str = compiled.string
        self.names: list[str] | None = list(compiled.positiontup) if dialect.positional else None
        self.constants = {n: bp.value for n, bp in compiled.binds.items() if not bp.required}
        # Python-side defaults of the columns not given, as Core computes them per execution.
        self.defaults: list[tuple[str, Any]] = []
        prefetch = [(c, c.default) for c in compiled.insert_prefetch]
        prefetch += [(c, c.onupdate) for c in compiled.update_prefetch]
        for column, default in prefetch:
            if default is not None and default.is_scalar:
                self.constants[column.key] = default.arg
            elif default is not None and default.is_callable:
                self.defaults.append((column.key, default.arg))
            else:
                raise ValueError(f"no value for {column} in {compiled.string}")
        self.processors = [
            (n, proc)
            for n, bp in compiled.binds.items()
            if (proc := bp.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]

    def params(self, values: dict[str, Any]) -> Any:
        if self.constants or self.defaults:
            values = {**self.constants, **values}
            for name, make in self.defaults:
                values[name] = make(None)
        if self.processors:
            values = dict(values)
            for name, proc in self.processors:
                values[name] = proc(values[name])
        if self.names is None:
            return values
        return tuple([values[n] for n in self.names])


class Cursor:
    """The DBAPI cursor of the session's transaction, for the prepared statements below."""

    def __init__(self, s: Session) -> None:
        self.session = s
        conn = s.connection()
        self.dialect = conn.dialect
        self.sqlite = conn.dialect.name == "sqlite"
        self.raw = conn.connection.cursor()

    def close(self) -> None:
        self.raw.close()

    def execute(self, stmt: _Prepared, values: dict[str, Any]) -> Any:
        c = stmt.compiled(self.dialect)
        params = c.params(values)
        try:
            self.raw.execute(c.sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._wrapped(c.sql, params, exc) from exc
        return self.raw

    def executemany(self, stmt: _Prepared | _Insert, rows: list[dict[str, Any]]) -> None:
        if rows:
            prepared = stmt.prepared(rows[0]) if isinstance(stmt, _Insert) else stmt
            c = prepared.compiled(self.dialect)
            params = [c.params(r) for r in rows]
            try:
                self.raw.executemany(c.sql, params)
            except self.dialect.loaded_dbapi.Error as exc:
                raise self._wrapped(c.sql, params, exc) from exc

    def _wrapped(self, sql: str, params: Any, exc: Exception) -> Exception:
        """The exception SQLAlchemy raises for this driver error (IntegrityError, ...), so
        callers (the group-commit writer's retry of deadlock victims) see the usual types."""
        return DBAPIError.instance(sql, params, exc, self.dialect.loaded_dbapi.Error)

    def insert(self, table: _Insert, returning: _Insert, values: dict[str, Any]) -> int:
        """Insert one row and return its id (SQLite's lastrowid; RETURNING elsewhere)."""
        if self.sqlite:
            self.execute(table.prepared(values), values)
            return int(self.raw.lastrowid)
        row = self.execute(returning.prepared(values), values).fetchone()
        return int(row[0])


_EXISTING = _Prepared(
    select(_A.c.id, _A.c.version, _A.c.status)
    .where(_A.c.allocation_id == bindparam("aid"))
    .with_for_update()
)
_INSERT_ALLOCATION = _Insert(_A)
_INSERT_ALLOCATION_RETURNING = _Insert(_A, returning=True)
_INSERT_LINE = _Insert(_L)
_INSERT_LINE_RETURNING = _Insert(_L, returning=True)
_INSERT_RESERVATION = _Insert(_R)
_INSERT_LEDGER = _Insert(_M)
_INSERT_EVENT = _Insert(_O)
# The conditional update of repositories.move_stock_row, for reservations (on hand unchanged).
_RESERVE = _Prepared(
    update(_S)
    .where(
        _S.c.id == bindparam("sid"),
        _S.c.allocated + bindparam("da") >= 0,
        _S.c.allocated + bindparam("da") <= _S.c.on_hand,
    )
    .values(allocated=_S.c.allocated + bindparam("da"))
)
_UNDO = _Prepared(
    update(_S).where(_S.c.id == bindparam("sid")).values(allocated=_S.c.allocated - bindparam("da"))
)
_BINS: dict[int, _Prepared] = {}
_TOTALS = (
    select(
        _K.c.sku,
        func.coalesce(func.sum(_S.c.on_hand), 0),
        func.coalesce(func.sum(_S.c.allocated), 0),
    )
    .select_from(_K.outerjoin(_S, _S.c.sku_id == _K.c.id))
    .where(_K.c.id.in_(bindparam("ids", expanding=True)), _K.c.practice.is_(False))
    .group_by(_K.c.id, _K.c.sku)
    .order_by(_K.c.sku)
)
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


def _bins_statement(n: int) -> _Prepared:
    stmt = _BINS.get(n)
    if stmt is None:
        stmt = _Prepared(
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
    totals = session.connection().execute(_TOTALS, {"ids": sorted(changed)}).all()
    cur = Cursor(session)
    try:
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
