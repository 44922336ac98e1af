"""Stock alerts for supervisors: a SKU whose available units fell below its threshold
(`low_stock`), or a pick face that needs stock no reserve bin has (`no_reserve`).

Alerts are rows (queryable: `dockhand replenishment alerts`, the supervisor's `stock_alerts`
event); one open alert per condition, resolved when the condition clears. `no_reserve` alerts
are raised inside the transaction that found the face short of reserve. `low_stock` is
watched by `AlertWatch.sweep`, run by the server's background loop: it looks at the SKUs whose
ledger moved since the last sweep, so intake reservations, picks, receipts and moves are all
seen without a hook in each of them. The loop pushes the open list to the supervisor room.

The sweep runs every couple of seconds beside the intake and the scans, so it is cheap: a
look at the ledger and the open alerts outside any transaction (no write lock on SQLite)
decides whether there is anything to check; only then does it open a unit of work, and it
writes only alerts whose state or figures change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Location, Sku, StockMovement
from app.adapters.db.models_stock import LowStockLevel, StockAlert
from app.adapters.db.uow import SessionFactory
from app.domain.replenishment import AlertKind, alert_key, is_low, low_stock_message
from app.services.clock import Clock

OPEN = "open"
RESOLVED = "resolved"
LIST_LIMIT = 200
LOOK_BACK_ROWS = 1000
FULL_SWEEP_EVERY = 150  # sweeps: every SKU is looked at again now and then, whatever moved
SLICE_SKUS = 50  # SKUs checked per read between the sweep's pauses


def _no_pause() -> None:
    return None


def raise_alert(
    s: Session,
    kind: AlertKind,
    key: str,
    sku_id: int,
    location_id: int | None,
    available: int,
    threshold: int,
    message: str,
    now: datetime,
) -> StockAlert | None:
    """Open an alert unless one is open for the key (then its figures are refreshed)."""
    existing = s.scalars(
        select(StockAlert).where(StockAlert.key == key, StockAlert.status == OPEN)
    ).first()
    if existing is not None:
        if (existing.available, existing.threshold) != (available, threshold):
            existing.available, existing.threshold, existing.message = (
                available,
                threshold,
                message[:400],
            )
        return existing
    alert = StockAlert(
        key=key,
        kind=kind.value,
        sku_id=sku_id,
        location_id=location_id,
        available=available,
        threshold=threshold,
        message=message[:400],
        status=OPEN,
        created_at=now,
    )
    try:
        with s.begin_nested():
            s.add(alert)
            s.flush()
    except IntegrityError:
        return None  # another transaction opened the same alert meanwhile: one is enough
    return alert


def resolve_alert(s: Session, key: str, now: datetime) -> int:
    result = s.execute(
        update(StockAlert)
        .where(StockAlert.key == key, StockAlert.status == OPEN)
        .values(status=RESOLVED, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def alert_view(alert: StockAlert, sku: str, location: str | None) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "sku": sku,
        "location": location,
        "available": alert.available,
        "threshold": alert.threshold,
        "message": alert.message,
        "status": alert.status,
        "created_at": alert.created_at.isoformat(),
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
    }


def list_alerts(
    uow: SessionFactory, include_resolved: bool = False, limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """Newest first: the open ones, or every alert."""
    with uow.reader() as tx:
        return open_list(tx.session, include_resolved, limit)


def open_list(
    s: Session, include_resolved: bool = False, limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    """`list_alerts` inside the caller's transaction."""
    stmt = (
        select(StockAlert, Sku.sku, Location.code)
        .join(Sku, Sku.id == StockAlert.sku_id)
        .outerjoin(Location, Location.id == StockAlert.location_id)
        .order_by(StockAlert.id.desc())
        .limit(limit)
    )
    if not include_resolved:
        stmt = stmt.where(StockAlert.status == OPEN)
    return [alert_view(a, sku, loc) for a, sku, loc in s.execute(stmt).all()]


# ---------------------------------------------------------------------------- low stock


def thresholds(s: Session, sku_ids: set[int], default: int) -> dict[int, int]:
    levels = dict(
        s.execute(
            select(LowStockLevel.sku_id, LowStockLevel.below_units).where(
                LowStockLevel.sku_id.in_(sku_ids)
            )
        ).all()
    )
    return {sku_id: int(levels.get(sku_id, default)) for sku_id in sku_ids}


@dataclass(frozen=True)
class LowStockChange:
    """A SKU whose `low_stock` alert must open, take new figures (`low`) or resolve."""

    sku_id: int
    sku: str
    available: int
    threshold: int
    low: bool


def low_stock_changes(
    s: Session, sku_ids: set[int], default: int, open_figures: dict[str, tuple[int, int]]
) -> list[LowStockChange]:
    """What `check_low_stock` would write, read only: by what is available now (stock in
    pick faces and reserve, less what orders hold) against each SKU's threshold, and the
    open low-stock alerts' (available, threshold) by key. A SKU that is not low and has no
    alert, or whose figures did not change, is not in it."""
    if not sku_ids:
        return []
    available = repo.available_for_skus(s, sku_ids)
    levels = thresholds(s, sku_ids, default)
    # Practice items (first shift) live in practice bins only: never low, never sold.
    codes = dict(
        s.execute(select(Sku.id, Sku.sku).where(Sku.id.in_(sku_ids), Sku.practice.is_(False))).all()
    )
    changes = []
    for sku_id in sorted(sku_ids):
        sku = codes.get(sku_id)
        if sku is None:
            continue
        free, level = available.get(sku_id, 0), levels[sku_id]
        key = alert_key(AlertKind.LOW_STOCK, sku)
        if is_low(free, level):
            if open_figures.get(key) != (free, level):
                changes.append(LowStockChange(sku_id, sku, free, level, True))
        elif key in open_figures:
            changes.append(LowStockChange(sku_id, sku, free, level, False))
    return changes


def check_low_stock(s: Session, sku_ids: set[int], default: int, now: datetime) -> None:
    """Raise, refresh or resolve the `low_stock` alert of each SKU (low_stock_changes), in
    the caller's transaction."""
    if not sku_ids:
        return
    figures = {k: (a.available, a.threshold) for k, a in open_low_stock_alerts(s).items()}
    for c in low_stock_changes(s, sku_ids, default, figures):
        key = alert_key(AlertKind.LOW_STOCK, c.sku)
        if c.low:
            message = low_stock_message(c.sku, c.available, c.threshold)
            raise_alert(
                s, AlertKind.LOW_STOCK, key, c.sku_id, None, c.available, c.threshold, message, now
            )
        else:
            resolve_alert(s, key, now)


def open_low_stock_alerts(s: Session) -> dict[str, StockAlert]:
    return {
        a.key: a
        for a in s.scalars(
            select(StockAlert).where(
                StockAlert.status == OPEN, StockAlert.kind == AlertKind.LOW_STOCK.value
            )
        )
    }


@dataclass(frozen=True)
class _Probe:
    """What the sweep looks at before it opens a transaction."""

    ledger: list[tuple[int, int]]  # (id, sku_id) of the ledger rows after the asked id
    top: int  # the highest ledger id
    open_alerts: list[tuple[int, str]]  # (id, kind) of every open alert


def _probe(uow: SessionFactory, after: int | None) -> _Probe:
    """Ledger rows after `after` (None: the last LOOK_BACK_ROWS) and the open alerts, read
    on a pooled connection outside any unit of work: a plain read, no BEGIN IMMEDIATE (the
    write lock on SQLite) and no wait for the process's writer. Only integers go into the
    SQL."""
    ledger_table = StockMovement.__tablename__
    alert_table = StockAlert.__tablename__
    raw = uow.engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(f"SELECT max(id) FROM {ledger_table}")
        row: Any = cur.fetchone()  # max() of no rows is NULL: one row whatever
        top = int(row[0] or 0)
        if after is None:
            after = top - LOOK_BACK_ROWS
        cur.execute(f"SELECT id, sku_id FROM {ledger_table} WHERE id > {int(after)}")
        ledger = [(int(i), int(sku)) for i, sku in cur.fetchall()]
        cur.execute(f"SELECT id, kind FROM {alert_table} WHERE status = '{OPEN}'")
        alerts = [(int(i), str(kind)) for i, kind in cur.fetchall()]
        cur.close()
        raw.rollback()  # PostgreSQL opened a transaction for the reads
    finally:
        raw.close()
    return _Probe(ledger, top, alerts)


@dataclass
class AlertWatch:
    """The background loop's memory: how far into the ledger it has looked (the highest id
    and the ids of the last LOOK_BACK rows before it, already checked) and which open
    alerts the supervisors were last shown."""

    default_threshold: int
    ledger_cursor: int | None = None
    shown: frozenset[int] | None = None
    sweeps: int = 0
    seen: frozenset[int] = frozenset()

    def sweep(
        self, uow: SessionFactory, clock: Clock, pause: Callable[[], None] = _no_pause
    ) -> list[dict[str, Any]] | None:
        """Check the SKUs whose stock moved since the last sweep (every SKU on the first and
        every FULL_SWEEP_EVERY sweeps), the open low-stock alerts (a changed threshold clears
        them) and, when stock moved, the faces waiting for reserve stock. Returns the open
        alerts when they differ from what was last shown, else None.

        When nothing moved and no low-stock alert is open, no transaction is opened at all.
        Otherwise the checks read through readers, SLICE_SKUS SKUs at a time with `pause()`
        between (the server's loop yields there: under load the sweep ran 7-20 ms in one
        piece holding the writer's lock, and every scan waited); a writing transaction is
        opened only for an alert to open, refresh or resolve, or a face waiting for reserve."""
        from app.services import replenishment  # replenishment raises alerts: import late

        full = self.ledger_cursor is None or self.sweeps % FULL_SWEEP_EVERY == 0
        # Ledger ids are handed out at insert, not at commit: a transaction still open at
        # the last sweep may commit rows below the cursor, so look back over ids not seen.
        after = None if self.ledger_cursor is None else self.ledger_cursor - LOOK_BACK_ROWS
        probe = _probe(uow, after)
        moved = {sku for i, sku in probe.ledger if i not in self.seen}
        open_low = any(kind == AlertKind.LOW_STOCK.value for _i, kind in probe.open_alerts)
        waiting = any(kind == AlertKind.NO_RESERVE.value for _i, kind in probe.open_alerts)
        retry_faces = waiting and (full or bool(moved))  # stock may have arrived in reserve
        top = max(probe.top, self.ledger_cursor or 0)
        current: list[dict[str, Any]] | None = None
        if full or moved or open_low:
            with uow.reader() as rx:
                changed = set(rx.session.scalars(select(Sku.id)).all()) if full else set(moved)
                open_alerts = open_low_stock_alerts(rx.session)
                figures = {k: (a.available, a.threshold) for k, a in open_alerts.items()}
                changed |= {a.sku_id for a in open_alerts.values()}
            to_write: set[int] = set()
            ordered = sorted(changed)
            for i in range(0, len(ordered), SLICE_SKUS):
                pause()
                with uow.reader() as rx:
                    part = set(ordered[i : i + SLICE_SKUS])
                    found = low_stock_changes(rx.session, part, self.default_threshold, figures)
                to_write |= {c.sku_id for c in found}
            if to_write or retry_faces:
                now = clock()
                with uow() as tx:
                    s = tx.session
                    # Decided again in the transaction: stock may have moved since.
                    check_low_stock(s, to_write, self.default_threshold, now)
                    if retry_faces:
                        replenishment.retry_waiting_faces(s, None, "system", now)
                    current = open_list(s)  # as it will be once committed
                    tx.commit()
        self.ledger_cursor = top
        self.seen = frozenset(i for i, _sku in probe.ledger if i > top - LOOK_BACK_ROWS)
        self.sweeps += 1
        if current is None:
            newest = sorted((i for i, _k in probe.open_alerts), reverse=True)[:LIST_LIMIT]
            if frozenset(newest) == self.shown:
                return None  # the open alerts are the ones shown: nothing to list or push
            current = list_alerts(uow)
        ids = frozenset(a["id"] for a in current)
        if ids == self.shown:
            return None
        self.shown = ids
        return current
