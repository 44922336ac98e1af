"""Core statements compiled once per dialect and run on the session's DBAPI cursor: the SQL
text and bind processing SQLAlchemy would use, without its per-execution bookkeeping (it cost
five to ten times the database's own work on the hot paths that use this: the allocation
intake, app/adapters/db/intake_rows.py, and the pick scan, app/adapters/db/pick_rows.py).

Callers stay inside the ORM session's transaction (the same connection), so these rows commit
or roll back with everything else the unit of work does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import DateTime, Dialect, bindparam, insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session


class Prepared:
    """A Core statement compiled once per dialect and run on the DBAPI cursor: the SQL text
    and bind processing SQLAlchemy would use, without its per-execution bookkeeping (it cost
    five times SQLite's own work on this path)."""

    def __init__(self, stmt: Any) -> None:
        self.stmt = stmt
        self._by_dialect: WeakKeyDictionary[Dialect, _Compiled] = WeakKeyDictionary()
        # The last dialect asked for and its statement: a process has one database, and the
        # weak dictionary's lookup was a microsecond a statement, nine times a pick scan.
        self._last: tuple[Dialect, _Compiled] | None = None

    def compiled(self, dialect: Dialect) -> _Compiled:
        last = self._last
        if last is not None and last[0] is dialect:
            return last[1]
        got = self._by_dialect.get(dialect)
        if got is None:
            got = _Compiled(self.stmt.compile(dialect=dialect), dialect)
            self._by_dialect[dialect] = got
        self._last = (dialect, got)
        return got


class Insert:
    """INSERT of the columns a caller gives; every other column gets what Core would give
    it (its Python default, else its server default or NULL)."""

    def __init__(self, table: Any, *, returning: bool = False) -> None:
        self.table = table
        self.returning = returning
        self._by_keys: dict[tuple[str, ...], Prepared] = {}

    def prepared(self, values: dict[str, Any]) -> Prepared:
        keys = tuple(values)
        got = self._by_keys.get(keys)
        if got is None:
            stmt = insert(self.table).values({k: bindparam(k) for k in keys})
            got = Prepared(stmt.returning(self.table.c.id) if self.returning else stmt)
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
            (n, _same_as_last(proc) if _is_datetime(bp.type) else proc)
            for n, bp in compiled.binds.items()
            if (proc := bp.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]

    def params(self, values: dict[str, Any]) -> Any:
        if self.constants or self.defaults:
            values = {**self.constants, **values}
            for name, make in self.defaults:
                values[name] = make(None)
        elif self.processors:
            values = dict(values)  # the caller's stays as given
        if self.processors:
            for name, proc in self.processors:
                values[name] = proc(values[name])
        if self.names is None:
            return values
        return tuple([values[n] for n in self.names])


def _is_datetime(type_: Any) -> bool:
    """A DateTime column, or a TypeDecorator over one (the models' UTC datetimes)."""
    return isinstance(type_, DateTime) or isinstance(getattr(type_, "impl", None), DateTime)


def _same_as_last(proc: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A datetime's bind processor that remembers its last value: every job of a group
    transaction writes the batch's one `now`, in several columns, and SQLite's processor
    formats a string for each (1-2 % of a pick scan). Datetimes are immutable, and the
    value is held here, so `is` cannot match a different one."""
    last: tuple[Any, Any] = (object(), None)

    def process(value: Any) -> Any:
        nonlocal last
        seen = last  # one read: another thread may swap the pair meanwhile
        if seen[0] is value:
            return seen[1]
        out = proc(value)
        last = (value, out)
        return out

    return process


def connection_of(s: Session) -> tuple[Dialect, Any]:
    """The dialect and DBAPI connection of the session's transaction. Kept in the session
    for the transaction's life: asking the session each time cost a tenth of a pick scan
    when many prepared-statement jobs share one group transaction."""
    # Keyed by the innermost transaction too: the session emits a nested transaction's
    # SAVEPOINT when its connection is first asked for, so a new savepoint must ask again.
    current = (s.get_transaction(), s.get_nested_transaction())
    kept = s.info.get(_KEPT)
    if kept is not None and current[0] is not None and kept[0] == current:
        return kept[1], kept[2]
    conn = s.connection()
    s.info[_KEPT] = (
        (s.get_transaction(), s.get_nested_transaction()),
        conn.dialect,
        conn.connection,
    )
    return conn.dialect, conn.connection


_KEPT = "dockhand_dbapi_connection"


class Cursor:
    """The DBAPI cursor of the session's transaction, for the prepared statements below."""

    def __init__(self, s: Session) -> None:
        self.session = s
        self.dialect, dbapi = connection_of(s)
        self.sqlite = self.dialect.name == "sqlite"
        self.raw = dbapi.cursor()

    def close(self) -> None:
        self.raw.close()

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Writes whose results nobody reads: on PostgreSQL they leave in one round trip
        (psycopg's pipeline mode; an error surfaces when the block ends), instead of one
        each (a pick scan's writes: six round trips, each a wait on the event loop). On
        SQLite, a library call each, they simply run."""
        if self.sqlite:
            yield
            return
        with self.raw.connection.pipeline():
            yield

    def execute(self, stmt: Prepared, values: dict[str, Any]) -> Any:
        c = stmt.compiled(self.dialect)
        params = c.params(values)
        try:
            self.raw.execute(c.sql, params)
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._wrapped(c.sql, params, exc) from exc
        return self.raw

    def executemany(self, stmt: Prepared | Insert, rows: list[dict[str, Any]]) -> None:
        if rows:
            prepared = stmt.prepared(rows[0]) if isinstance(stmt, Insert) else stmt
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

    def insert(self, table: Insert, returning: Insert, values: dict[str, Any]) -> int:
        """Insert one row and return its id (SQLite's lastrowid; RETURNING elsewhere)."""
        if self.sqlite:
            self.execute(table.prepared(values), values)
            return int(self.raw.lastrowid)
        row = self.execute(returning.prepared(values), values).fetchone()
        return int(row[0])
