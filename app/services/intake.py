"""The OMS allocates an order to this warehouse (oms-v1 2.1) and asks for its state (2.5)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.adapters.db import intake_rows as rows
from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Carton,
    Location,
    PickTask,
    Reservation,
    Shipment,
    Sku,
    Stock,
)
from app.adapters.db.uow import SessionFactory
from app.adapters.oms.schemas import AllocationIn
from app.domain.allocations import (
    REPLACEABLE,
    AllocationStatus,
    LineDemand,
    VersionDecision,
    decide_version,
    judge_intake,
)
from app.domain.b2b import partial_intake
from app.domain.stock_allocation import ALLOCATABLE_KINDS, Bin, plan_reservation
from app.services import b2b
from app.services.clock import Clock
from app.services.errors import NotFound


@dataclass
class IntakeResult:
    http_status: int
    body: dict[str, Any] = field(default_factory=dict)
    changed: bool = False


class _Short(Exception):
    pass


def receive_allocation(doc: AllocationIn, uow: SessionFactory, clock: Clock) -> IntakeResult:
    with uow() as tx:
        result = apply_allocation(tx.session, doc, clock())
        if result.changed:
            tx.commit()
        return result


def apply_allocation(
    s: Session, doc: AllocationIn, now: Any, *, orm_savepoint: bool = False
) -> IntakeResult:
    """The intake rules inside the caller's transaction (webhook, pull batch, CSV import).

    The common cases (a new allocation the stock covers, a duplicate, a stale version) take
    a path of prepared statements that decides before it writes; everything else the ORM
    path. `orm_savepoint`: run the ORM path in a savepoint, so that an error it raises
    leaves nothing behind in a transaction that goes on (a pull page)."""
    fast = _apply_fast(s, doc, now)
    if fast is not None:
        return fast
    if not orm_savepoint:
        return apply_allocation_orm(s, doc, now)
    with s.begin_nested():
        return apply_allocation_orm(s, doc, now)


def apply_allocation_orm(s: Session, doc: AllocationIn, now: Any) -> IntakeResult:
    """The intake rules on ORM objects: every case (replacing a version, rejections,
    backorders, partial B2B intake). The fast path must leave the same rows behind."""
    # Flushes happen where ids are needed, not before every query: autoflush was a third
    # of the intake's time.
    with s.no_autoflush:
        return _apply_allocation(s, doc, now)


def _apply_fast(s: Session, doc: AllocationIn, now: Any) -> IntakeResult | None:
    """A new allocation that is accepted (or held for credit) with every line reserved in
    full, a duplicate or a stale version: the same rows, events and answers as the ORM path,
    without loading ORM objects. None when the ORM path must decide (a newer version, an
    unknown SKU, a backorder, a partial B2B intake, a bin another transaction took)."""
    s.flush()  # what the ORM path left pending (a pull page runs both) is read below
    cur = rows.Cursor(s)
    try:
        return _apply_new(cur, doc, now)
    finally:
        cur.close()


def _apply_new(cur: rows.Cursor, doc: AllocationIn, now: Any) -> IntakeResult | None:
    stored = rows.existing_allocation(cur, doc.allocation_id)
    if stored is not None:
        # Duplicates and stale versions do not depend on whether picking started.
        decision = decide_version(stored[1], doc.version, False)
        if decision is VersionDecision.DUPLICATE:
            return IntakeResult(200, {"status": "duplicate", "allocation_status": stored[2]})
        if decision is VersionDecision.STALE:
            return _stale(doc.version, stored[1])
        return None
    codes = list(dict.fromkeys(ln.sku for ln in doc.lines))
    sku_ids, bins = rows.skus_and_bins(cur, codes)
    wanted = [(ln.line_id, ln.sku, sku_ids.get(ln.sku), ln.qty) for ln in doc.lines]
    free = {sku_id: sum(b.free for b in found) for sku_id, found in bins.items()}
    status, reasons, take = _verdict(doc, wanted, free)
    if take or status not in (AllocationStatus.ACCEPTED, AllocationStatus.HELD):
        return None
    # Plan every line on the bins as the ORM path would see them: each line after the
    # previous lines' reservations (two lines of one SKU share its bins).
    today = now.date()
    left = {
        sku_id: {b.stock_id: Bin(b.stock_id, b.kind, b.free, b.expires_on, b.code) for b in found}
        for sku_id, found in bins.items()
    }
    location_of = {b.stock_id: b.location_id for found in bins.values() for b in found}
    plans: list[list[tuple[int, int]]] = []
    takes: list[rows.Take] = []
    for _line_id, _sku, sku_id, qty in wanted:
        assert sku_id is not None
        candidates = left[sku_id]
        plan = plan_reservation(list(candidates.values()), qty, today)
        if sum(n for _b, n in plan) != qty:
            return None  # short while reserving: the ORM path reports it
        for b, n in plan:
            candidates[b.stock_id] = replace(b, free=b.free - n)
            takes.append(rows.Take(b.stock_id, sku_id, location_of[b.stock_id], n))
        plans.append([(b.stock_id, n) for b, n in plan])
    if not rows.reserve(cur, takes, doc.allocation_id, now):
        return None
    allocation_pk = rows.insert_allocation(
        cur,
        {
            "allocation_id": doc.allocation_id,
            "status": status.value,
            "reasons": list(reasons),
            "received_at": now,
            **_fields(doc, now),
        },
    )
    reservations = []
    for ln, sku_id, bins_taken in zip(doc.lines, (w[2] for w in wanted), plans, strict=True):
        line_pk = rows.insert_line(
            cur,
            {
                "allocation_pk": allocation_pk,
                "line_id": ln.line_id,
                "sku": ln.sku,
                "sku_id": sku_id,
                "qty": ln.qty,
                "lot": ln.lot,
                "serial_required": ln.serial_required,
            },
        )
        reservations += [
            {"line_pk": line_pk, "stock_id": stock_id, "qty": n} for stock_id, n in bins_taken
        ]
    rows.insert_reservations(cur, reservations)
    data: dict[str, Any] = {}
    if status is AllocationStatus.HELD:
        data = {"held": True, "reasons": list(reasons)}
    rows.insert_event(cur, "allocation.accepted", doc.allocation_id, doc.order_number, data, now)
    return IntakeResult(202, {"status": status.value, "reasons": list(reasons)}, True)


def _stale(incoming: int, stored: int) -> IntakeResult:
    return IntakeResult(
        409,
        {
            "error": "stale_version",
            "detail": f"version {incoming} is older than the stored version "
            f"{stored}; nothing changed",
        },
    )


def _apply_allocation(s: Session, doc: AllocationIn, now: Any) -> IntakeResult:
    existing = repo.allocation_by_external_id(s, doc.allocation_id, lock=True)
    started = existing is not None and (
        existing.status not in {st.value for st in REPLACEABLE}
        or any(ln.picked or ln.short > b2b.intake_short(existing, ln) for ln in existing.lines)
    )
    decision = decide_version(existing.version if existing else None, doc.version, started)
    if decision is VersionDecision.DUPLICATE:
        assert existing is not None
        return IntakeResult(200, {"status": "duplicate", "allocation_status": existing.status})
    if decision is VersionDecision.STALE:
        assert existing is not None
        return _stale(doc.version, existing.version)
    if decision is VersionDecision.STARTED:
        assert existing is not None
        return IntakeResult(
            409,
            {
                "error": "already_started",
                "detail": f"allocation is {existing.status}: picking has started, so "
                f"version {doc.version} cannot replace version {existing.version}",
            },
        )
    if existing is not None:
        _release_everything(s, existing, now)
        allocation = existing
        allocation.lines.clear()
        s.flush()
    else:
        allocation = Allocation(allocation_id=doc.allocation_id, received_at=now, status="accepted")
        s.add(allocation)
    _copy_fields(allocation, doc, now)
    skus = {
        sku.sku: sku
        for sku in s.scalars(select(Sku).where(Sku.sku.in_({ln.sku for ln in doc.lines})))
    }
    for ln in doc.lines:
        sku = skus.get(ln.sku)
        allocation.lines.append(
            AllocationLine(
                line_id=ln.line_id,
                sku=ln.sku,
                sku_id=sku.id if sku else None,
                qty=ln.qty,
                lot=ln.lot,
                serial_required=ln.serial_required,
            )
        )
    s.flush()
    status, reasons = _judge_and_reserve(s, allocation, doc, now)
    allocation.status = status.value
    allocation.reasons = list(reasons)
    _report(s, allocation, status, reasons, now)
    b2b.report_intake_short(s, allocation, now)
    return IntakeResult(202, {"status": status.value, "reasons": list(reasons)}, True)


def _fields(doc: AllocationIn, now: Any) -> dict[str, Any]:
    """The allocation's columns a version of the document sets."""
    return {
        "version": doc.version,
        "order_number": doc.order_number,
        "channel": doc.channel,
        "type": doc.type,
        "priority": doc.priority,
        "placed_at": doc.placed_at,
        "ship_by": doc.ship_by,
        "service_level": doc.service_level,
        "ship_to": doc.ship_to.model_dump(),
        "b2b": doc.b2b.model_dump() if doc.b2b else None,
        "notes": doc.notes,
        "updated_at": now,
    }


def _copy_fields(a: Allocation, doc: AllocationIn, now: Any) -> None:
    for name, value in _fields(doc, now).items():
        setattr(a, name, value)


def _verdict(
    doc: AllocationIn, wanted: list[tuple[str, str, int | None, int]], free: dict[int, int]
) -> tuple[AllocationStatus, tuple[str, ...], dict[str, int]]:
    """judge_intake (and partial_intake for B2B allow_partial) over the lines
    (line_id, sku, sku_id or None, qty) and the free units per SKU; `take` is what a partial
    intake reserves per line id (empty: every line in full)."""
    demands = []
    needed: dict[int, int] = {}
    for line_id, sku, sku_id, qty in wanted:
        available = 0
        if sku_id is not None:
            needed[sku_id] = needed.get(sku_id, 0) + qty
            # Two lines of one SKU share the same stock: judge each against what is left.
            available = free.get(sku_id, 0) - (needed[sku_id] - qty)
        demands.append(LineDemand(line_id, sku, qty, sku_id is not None, available))
    credit_hold = doc.type == "b2b" and doc.b2b is not None and not doc.b2b.credit_approved
    verdict = judge_intake(demands, credit_hold)
    take: dict[str, int] = {}  # B2B allow_partial: reserve what exists, the rest is short
    partial = doc.type == "b2b" and doc.b2b is not None and doc.b2b.allow_partial
    if verdict.status is AllocationStatus.BACKORDERED and partial:
        verdict, take = partial_intake(demands, credit_hold)
    return verdict.status, verdict.reasons, take


def _judge_and_reserve(
    s: Session, allocation: Allocation, doc: AllocationIn, now: Any
) -> tuple[AllocationStatus, tuple[str, ...]]:
    free = repo.available_for_skus(s, {ln.sku_id for ln in allocation.lines if ln.sku_id})
    wanted = [(ln.line_id, ln.sku, ln.sku_id, ln.qty) for ln in allocation.lines]
    status, reasons, take = _verdict(doc, wanted, free)
    if status not in (AllocationStatus.ACCEPTED, AllocationStatus.HELD):
        return status, reasons
    savepoint = s.begin_nested()
    try:
        for line in allocation.lines:
            _reserve_line(s, allocation, line, now, take.get(line.line_id, line.qty))
    except _Short as short:
        savepoint.rollback()
        return AllocationStatus.BACKORDERED, (str(short),)
    savepoint.commit()
    if take:
        b2b.mark_intake_short(allocation, take)
    return status, reasons


def _reserve_line(
    s: Session, allocation: Allocation, line: AllocationLine, now: Any, qty: int | None = None
) -> None:
    """Bins by the rules of app/domain/stock_allocation (FEFO, pick faces first, fewest
    locations, never expired or blocked stock), taken with conditional updates: a bin that
    another transaction emptied meanwhile is skipped and the rest re-planned."""
    assert line.sku_id is not None
    remaining = line.qty if qty is None else qty
    for _attempt in range(3):
        if remaining == 0:
            return
        rows = s.execute(
            select(
                Stock.id,
                Stock.location_id,
                Location.kind,
                Stock.on_hand - Stock.allocated,
                Stock.expires_on,
                Location.code,
            )
            .join(Location, Location.id == Stock.location_id)
            .where(
                Stock.sku_id == line.sku_id,
                Stock.on_hand > Stock.allocated,
                Location.kind.in_(ALLOCATABLE_KINDS),
            )
        ).all()
        location_of = {r[0]: r[1] for r in rows}
        bins = [Bin(r[0], r[2], int(r[3]), r[4], r[5]) for r in rows]
        plan = plan_reservation(bins, remaining, now.date())
        if not plan:
            break
        for b, take in plan:
            if repo.move_stock_row(
                s,
                b.stock_id,
                line.sku_id,
                location_of[b.stock_id],
                allocated_delta=take,
                reason="reserve",
                reference=allocation.allocation_id,
                actor="oms",
                now=now,
            ):
                s.add(Reservation(line_pk=line.id, stock_id=b.stock_id, qty=take))
                remaining -= take
    if remaining:
        raise _Short(f"line {line.line_id}: {line.sku} short by {remaining} while reserving")


def _release_everything(s: Session, allocation: Allocation, now: Any) -> None:
    """Undo reservations and open pick tasks before a newer version replaces the allocation."""
    line_ids = [ln.id for ln in allocation.lines]
    if not line_ids:
        return
    s.execute(delete(PickTask).where(PickTask.allocation_pk == allocation.id))
    for res in s.scalars(select(Reservation).where(Reservation.line_pk.in_(line_ids))).all():
        stock = s.get(Stock, res.stock_id)
        assert stock is not None
        repo.move_stock(
            s,
            stock,
            allocated_delta=-res.qty,
            reason="release",
            reference=allocation.allocation_id,
            actor="oms",
            now=now,
        )
        s.delete(res)
    allocation.wave_id = None
    s.flush()


def _report(
    s: Session,
    allocation: Allocation,
    status: AllocationStatus,
    reasons: tuple[str, ...],
    now: Any,
) -> None:
    if status is AllocationStatus.REJECTED:
        repo.add_event(s, "allocation.rejected", allocation, {"reasons": list(reasons)}, now)
    elif status is AllocationStatus.BACKORDERED:
        repo.add_event(
            s,
            "allocation.short",
            allocation,
            {
                "backordered": True,
                "lines": [
                    {"line_id": ln.line_id, "short_qty": ln.qty, "reason": "; ".join(reasons)}
                    for ln in allocation.lines
                ],
            },
            now,
        )
    else:
        data: dict[str, Any] = {}
        if status is AllocationStatus.HELD:
            data = {"held": True, "reasons": list(reasons)}
        repo.add_event(s, "allocation.accepted", allocation, data, now)


def allocation_state(allocation_id: str, uow: SessionFactory) -> dict[str, Any]:
    with uow() as tx:
        s = tx.session
        a = repo.allocation_by_external_id(s, allocation_id)
        if a is None:
            raise NotFound(f"no allocation {allocation_id}", "allocation_id")
        shipments = []
        for sh in s.scalars(select(Shipment).where(Shipment.allocation_pk == a.id)).all():
            cartons = s.scalars(select(Carton).where(Carton.shipment_id == sh.id)).all()
            shipments.append(
                {
                    "carrier": sh.carrier,
                    "service": sh.service,
                    "shipped_at": sh.shipped_at.isoformat(),
                    "cartons": [
                        {
                            "carton_id": c.code,
                            "tracking_number": c.tracking_number,
                            "weight_g": c.weight_g,
                        }
                        for c in cartons
                    ],
                }
            )
        return {
            "allocation_id": a.allocation_id,
            "version": a.version,
            "order_number": a.order_number,
            "status": a.status,
            "reasons": a.reasons,
            "holds": (a.reasons if a.status == AllocationStatus.HELD.value else [])
            + (
                [f"cancelled ({a.cancel_reason}): picked units going back to their bins"]
                if a.cancel_reason and a.status != AllocationStatus.CANCELLED.value
                else []
            ),
            "lines": [
                {
                    "line_id": ln.line_id,
                    "sku": ln.sku,
                    "qty": ln.qty,
                    "picked": ln.picked,
                    "short": ln.short,
                    "packed": ln.packed,
                    "shipped": ln.shipped,
                    "cancelled": ln.cancelled,
                }
                for ln in a.lines
            ],
            "shipments": shipments,
        }
