"""What a supervisor does to waves already on the floor (pause, resume, cancel, reassign,
re-prioritize, add urgent orders), re-sequencing the walks when the work changes, and how
a picker's next task is chosen from the batches (carts) of released waves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, Location, PickTask, Stock, Wave
from app.adapters.db.models_waves import (
    PickBatch,
    PickBatchOrder,
    PickBatchTask,
    PickerZone,
    WavePlan,
)
from app.adapters.db.uow import SessionFactory
from app.adapters.wave_config import WaveConfig
from app.domain.allocations import AllocationStatus
from app.domain.assignment import Candidate, Picker, choose
from app.domain.paths import Stop
from app.domain.routing import Geometry, Point, route, route_length, sequence_from
from app.domain.text import msg
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.waves import (
    default_config,
    open_orders,
    release_planned,
    reservations_of,
    wave_summary,
)

ACTIVE_ORDER = [AllocationStatus.RELEASED.value, AllocationStatus.PICKING.value]


def _wave(s: Session, wave_id: int) -> Wave:
    wave = s.get(Wave, wave_id, with_for_update=True)
    if wave is None:
        raise NotFound(msg("no wave %(wave_id)s", wave_id=wave_id), "wave_id")
    return wave


def _plan_row(s: Session, wave: Wave) -> WavePlan:
    row = s.get(WavePlan, wave.id)
    if row is None:
        row = WavePlan(wave_id=wave.id, strategy="discrete", planned_by="legacy", priority=0)
        s.add(row)
    return row


# ------------------------------------------------------------------ pause, resume, cancel


def pause_wave(wave_id: int, uow: SessionFactory) -> dict[str, Any]:
    """No new tasks from a paused wave; a picker finishes the task in hand."""
    with uow() as tx:
        s = tx.session
        wave = _wave(s, wave_id)
        if wave.status not in ("released", "planned"):
            raise Conflict(
                msg(
                    "wave %(code)s is %(status)s: nothing to pause",
                    code=wave.code,
                    status=wave.status,
                ),
                "wave_id",
            )
        _plan_row(s, wave).status_before_pause = wave.status
        wave.status = "paused"
        s.flush()
        out = wave_summary(s, wave)
        tx.commit()
        return out


def resume_wave(wave_id: int, uow: SessionFactory) -> dict[str, Any]:
    with uow() as tx:
        s = tx.session
        wave = _wave(s, wave_id)
        if wave.status != "paused":
            raise Conflict(
                msg("wave %(code)s is %(status)s, not paused", code=wave.code, status=wave.status),
                "wave_id",
            )
        row = _plan_row(s, wave)
        wave.status = row.status_before_pause or "released"
        row.status_before_pause = None
        s.flush()
        out = wave_summary(s, wave)
        tx.commit()
        return out


def cancel_wave(wave_id: int, uow: SessionFactory, clock: Clock) -> dict[str, Any]:
    """Orders not started go back to waiting (their stock stays reserved); orders a picker
    has started stay in the wave and are finished. The wave is cancelled when none remain."""
    now = clock()
    with uow() as tx:
        s = tx.session
        wave = _wave(s, wave_id)
        if wave.status in ("done", "cancelled"):
            raise Conflict(
                msg("wave %(code)s is already %(status)s", code=wave.code, status=wave.status),
                "wave_id",
            )
        returned = kept = 0
        for a in s.scalars(select(Allocation).where(Allocation.wave_id == wave.id)).all():
            started = s.scalar(
                select(func.count(PickTask.id)).where(
                    PickTask.allocation_pk == a.id,
                    (PickTask.picked_qty > 0)
                    | (PickTask.status == "done")
                    | PickTask.location_confirmed.is_(True),
                )
            )
            if started:
                kept += 1
                continue
            s.execute(delete(PickTask).where(PickTask.allocation_pk == a.id))
            s.execute(delete(PickBatchOrder).where(PickBatchOrder.allocation_pk == a.id))
            a.wave_id = None
            if a.status in ACTIVE_ORDER:
                a.status = AllocationStatus.ACCEPTED.value
            a.updated_at = now
            returned += 1
        s.flush()
        _drop_empty_batches(s, wave.id)
        row = _plan_row(s, wave)
        if kept == 0:
            wave.status = "cancelled"
            wave.completed_at = now
        else:
            wave.status = row.status_before_pause or wave.status
            if wave.status == "paused":
                wave.status = "released"
            row.note = f"cancelled: {returned} order(s) back to waiting, {kept} being finished"
        row.status_before_pause = None
        s.flush()
        out = wave_summary(s, wave)
        out["returned"] = returned
        out["kept"] = kept
        tx.commit()
        return out


def _drop_empty_batches(s: Session, wave_id: int) -> None:
    for b in s.scalars(select(PickBatch).where(PickBatch.wave_id == wave_id)).all():
        left = s.scalar(select(func.count()).where(PickBatchTask.batch_id == b.id))
        members = s.scalar(select(func.count()).where(PickBatchOrder.batch_id == b.id))
        if not left and not members:
            s.delete(b)


# ------------------------------------------------------------------ reassign, re-prioritize


def reassign(
    uow: SessionFactory,
    *,
    from_picker: str | None = None,
    allocation_id: str | None = None,
    batch_id: int | None = None,
    to_picker: str | None = None,
) -> dict[str, Any]:
    """Hand a picker's unfinished work (or one order's, or one cart's) to another picker, or
    back to the pool when no one is named and nothing of it is picked yet."""
    if not (from_picker or allocation_id or batch_id):
        raise ServiceError(msg("name a picker, an order or a cart to reassign"), "from_picker")
    with uow() as tx:
        s = tx.session
        stmt = select(PickTask).where(PickTask.status.in_(["open", "active"]))
        if from_picker:
            stmt = stmt.where(PickTask.picker == from_picker)
        if allocation_id:
            a = repo.allocation_by_external_id(s, allocation_id)
            if a is None:
                raise NotFound(
                    msg("no allocation %(allocation_id)s", allocation_id=allocation_id),
                    "allocation_id",
                )
            stmt = stmt.where(PickTask.allocation_pk == a.id)
        if batch_id is not None:
            stmt = stmt.where(
                PickTask.id.in_(
                    select(PickBatchTask.task_id).where(PickBatchTask.batch_id == batch_id)
                )
            )
        tasks = list(s.scalars(stmt.order_by(PickTask.sequence).with_for_update()).all())
        if not tasks:
            raise ServiceError(msg("no unfinished pick work matches"), "from_picker")
        orders = {t.allocation_pk for t in tasks}
        if to_picker is None:
            picked = s.scalar(
                select(func.count(PickTask.id)).where(
                    PickTask.allocation_pk.in_(orders),
                    (PickTask.picked_qty > 0) | (PickTask.status == "done"),
                )
            )
            if picked:
                raise Conflict(
                    msg(
                        "units of these orders are already in a tote: name the "
                        "picker who takes them over"
                    ),
                    "to_picker",
                )
        for t in tasks:
            # The new picker is handed the rest one task at a time, in route order.
            t.picker = to_picker
            t.status = "active" if to_picker else "open"
        batch_ids = set(
            s.scalars(
                select(PickBatchTask.batch_id).where(
                    PickBatchTask.task_id.in_([t.id for t in tasks])
                )
            )
        )
        for b in s.scalars(select(PickBatch).where(PickBatch.id.in_(batch_ids))):
            b.picker = to_picker
            b.status = "active" if to_picker else "open"
        tx.commit()
        return {"tasks": len(tasks), "orders": len(orders), "to_picker": to_picker}


def reprioritize(
    uow: SessionFactory,
    priority: int,
    *,
    wave_id: int | None = None,
    allocation_id: str | None = None,
) -> dict[str, Any]:
    """A wave's priority decides which wave's carts pickers get first; an order's priority
    decides which wave it joins."""
    if not 0 <= priority <= 9:
        raise ServiceError(msg("priority must be between 0 and 9"), "priority")
    out: dict[str, Any]
    with uow() as tx:
        s = tx.session
        if wave_id is not None:
            wave = _wave(s, wave_id)
            _plan_row(s, wave).priority = priority
            s.flush()
            out = {"wave": wave_summary(s, wave)}
        elif allocation_id:
            a = repo.allocation_by_external_id(s, allocation_id, lock=True)
            if a is None:
                raise NotFound(
                    msg("no allocation %(allocation_id)s", allocation_id=allocation_id),
                    "allocation_id",
                )
            a.priority = priority
            out = {"allocation_id": a.allocation_id, "priority": priority}
        else:
            raise ServiceError(msg("name a wave or an allocation"), "wave_id")
        tx.commit()
        return out


def set_picker_zones(
    uow: SessionFactory, badge: str, zones: list[str], clock: Clock
) -> dict[str, Any]:
    with uow() as tx:
        s = tx.session
        row = s.get(PickerZone, badge)
        clean = sorted({z.strip().upper() for z in zones if z.strip()})
        if not clean:
            if row is not None:
                s.delete(row)
        elif row is None:
            s.add(PickerZone(badge=badge, zones=",".join(clean), updated_at=clock()))
        else:
            row.zones = ",".join(clean)
            row.updated_at = clock()
        tx.commit()
        return {"badge": badge, "zones": clean}


# ------------------------------------------------------------------ re-sequencing


def _stop_rows(s: Session, task_ids: list[int]) -> dict[int, tuple[int, int]]:
    rows = s.execute(
        select(PickTask.id, Location.aisle, Location.y_mm)
        .join(Stock, Stock.id == PickTask.stock_id)
        .join(Location, Location.id == Stock.location_id)
        .where(PickTask.id.in_(task_ids))
    ).all()
    return {tid: (aisle, y) for tid, aisle, y in rows}


def picker_position(s: Session, picker: str) -> Point | None:
    """Where the picker last completed a task."""
    row = s.execute(
        select(Location.aisle, Location.y_mm)
        .join(Stock, Stock.location_id == Location.id)
        .join(PickTask, PickTask.stock_id == Stock.id)
        .where(PickTask.picker == picker, PickTask.status == "done")
        .order_by(PickTask.completed_at.desc(), PickTask.id.desc())
        .limit(1)
    ).first()
    if row is None or row[0] < 1:
        return None
    return Point(row[0], row[1])


def resequence_wave(s: Session, wave_id: int, geo: Geometry) -> int:
    """Route again what is left of each batch of the wave (inside the caller's unit of work:
    after a short pick's replacement task, a cancel, an added order). A cart being walked is
    re-sequenced from where its picker stands. Returns the metres saved against the old
    order."""
    saved = 0
    batches = s.scalars(select(PickBatch).where(PickBatch.wave_id == wave_id)).all()
    for b in batches:
        tasks = list(
            s.scalars(
                select(PickTask)
                .join(PickBatchTask, PickBatchTask.task_id == PickTask.id)
                .where(PickBatchTask.batch_id == b.id, PickTask.status.in_(["open", "active"]))
                .order_by(PickTask.sequence, PickTask.id)
            )
        )
        if not tasks:
            continue
        where = _stop_rows(s, [t.id for t in tasks])
        stops = [Stop(t.id, *where[t.id]) for t in tasks]
        # The task in the picker's hand stays first.
        in_hand = [
            t for t in tasks if t.status == "active" and (t.picked_qty or t.location_confirmed)
        ]
        rest = [st for st in stops if st.key not in {t.id for t in in_hand}]
        here = picker_position(s, b.picker) if b.picker else None
        if in_hand:
            here = Point(*where[in_hand[0].id])
        old = route_length(geo, stops, here)
        order = list(route(geo, rest).stops) if here is None else sequence_from(geo, here, rest)
        new_order = [t.id for t in in_hand] + [st.key for st in order]
        slots = sorted(t.sequence for t in tasks)
        by_id = {t.id: t for t in tasks}
        for seq, tid in zip(slots, new_order, strict=True):
            by_id[tid].sequence = seq
        new = route_length(geo, [Stop(t, *where[t]) for t in new_order], here)
        saved += max(0, old - new)
    s.flush()
    return saved // 1000


def resequence(
    wave_id: int, uow: SessionFactory, config: WaveConfig | None = None
) -> dict[str, Any]:
    cfg = config or default_config()
    with uow() as tx:
        s = tx.session
        wave = _wave(s, wave_id)
        saved = resequence_wave(s, wave.id, cfg.geometry)
        out = wave_summary(s, wave)
        out["saved_m"] = saved
        tx.commit()
        return out


def add_urgent(
    allocation_ids: list[str],
    wave_id: int,
    uow: SessionFactory,
    clock: Clock,
    config: WaveConfig | None = None,
) -> dict[str, Any]:
    """Urgent orders join a wave already on the floor: a planned wave takes them as they are;
    a released one gets a new cart for them, routed, at the head of the queue."""
    cfg = config or default_config()
    now = clock()
    with uow() as tx:
        s = tx.session
        wave = _wave(s, wave_id)
        if wave.status not in ("planned", "released", "paused"):
            raise Conflict(
                msg("wave %(code)s is %(status)s", code=wave.code, status=wave.status), "wave_id"
            )
        orders = open_orders(s, allocation_ids)
        found = {o.allocation_id for o in orders}
        missing = [a for a in allocation_ids if a not in found]
        if missing:
            raise ServiceError(
                msg("not waiting for a wave: %(items)s", items=", ".join(missing)), "allocation_ids"
            )
        for o in orders:
            s.get(Allocation, o.key).wave_id = wave.id  # type: ignore[union-attr]
        if wave.status != "planned":
            status = wave.status
            first = s.scalar(
                select(func.min(PickBatch.position)).where(PickBatch.wave_id == wave.id)
            )
            b = PickBatch(
                wave_id=wave.id,
                position=(first or 0) - 1,
                zone=None,
                status="planned",
                created_at=now,
            )
            s.add(b)
            s.flush()
            for slot, o in enumerate(orders, 1):
                s.add(PickBatchOrder(batch_id=b.id, allocation_pk=o.key, slot=slot))
            s.flush()
            _release_added(s, wave, b, orders, cfg)
            wave.status = status
        _plan_row(s, wave).priority = max(_plan_row(s, wave).priority, 9)
        s.flush()
        out = wave_summary(s, wave)
        tx.commit()
        return out


def _release_added(
    s: Session, wave: Wave, b: PickBatch, orders: list[Any], cfg: WaveConfig
) -> None:
    work = reservations_of(s, {o.key for o in orders})
    stops: list[Stop] = []
    info: dict[int, tuple[int, int, int, int]] = {}
    for o in orders:
        for res_id, line_pk, stock_id, qty, aisle, y, _zone in work.get(o.key, []):
            stops.append(Stop(res_id, aisle, y))
            info[res_id] = (o.key, line_pk, stock_id, qty)
    walk = route(cfg.geometry, stops)
    low = s.scalar(select(func.min(PickTask.sequence)).where(PickTask.wave_id == wave.id)) or 0
    seq = low - len(walk.stops)
    for stop in walk.stops:
        pk, line_pk, stock_id, qty = info[stop.key]
        t = PickTask(
            wave_id=wave.id,
            allocation_pk=pk,
            line_pk=line_pk,
            reservation_id=stop.key,
            stock_id=stock_id,
            sequence=seq,
            qty=qty,
        )
        seq += 1
        s.add(t)
        s.flush()
        s.add(PickBatchTask(task_id=t.id, batch_id=b.id))
    b.status = "open"
    b.route_mm = walk.length_mm
    for o in orders:
        a = s.get(Allocation, o.key)
        if a is not None:
            a.status = AllocationStatus.RELEASED.value


def release_now(
    wave_id: int, uow: SessionFactory, clock: Clock, config: WaveConfig | None = None
) -> dict[str, Any]:
    cfg = config or default_config()
    with uow() as tx:
        s = tx.session
        wave = _wave(s, wave_id)
        if wave.status != "planned":
            raise Conflict(
                msg("wave %(code)s is already %(status)s", code=wave.code, status=wave.status),
                "wave_id",
            )
        release_planned(s, wave, clock(), cfg)
        out = wave_summary(s, wave)
        tx.commit()
        return out


# ------------------------------------------------------------------ the next task


def claim_next_task(s: Session, picker: str, geo: Geometry, now: datetime) -> PickTask | None:
    """The picker's next pick task, claimed in the caller's unit of work (which commits):
    the task in hand; else the next stop of the cart they are walking; else the first stop of
    the best unclaimed cart (zones, wave priority, pickup, proximity: app.domain.assignment).
    Candidate carts are read with SKIP LOCKED on PostgreSQL (SQLite has one writer), and a
    cart is claimed whole, so neither a task nor an order is ever split between pickers.
    Tasks of waves released before carts existed fall back to the discrete rule."""
    task = s.scalars(
        select(PickTask)
        .join(Allocation, Allocation.id == PickTask.allocation_pk)
        .where(
            PickTask.picker == picker,
            PickTask.status == "active",
            Allocation.status.in_(ACTIVE_ORDER),
            Allocation.cancel_reason.is_(None),
        )
        .order_by(PickTask.sequence, PickTask.id)
        .limit(1)
    ).first()
    if task is not None:
        return task
    # The cart in hand.
    for b in s.scalars(
        select(PickBatch).where(PickBatch.picker == picker, PickBatch.status == "active")
    ).all():
        nxt = s.scalars(
            select(PickTask)
            .join(PickBatchTask, PickBatchTask.task_id == PickTask.id)
            .join(Allocation, Allocation.id == PickTask.allocation_pk)
            .where(
                PickBatchTask.batch_id == b.id,
                PickTask.status == "open",
                Allocation.status.in_(ACTIVE_ORDER),
                Allocation.cancel_reason.is_(None),
            )
            .order_by(PickTask.sequence, PickTask.id)
            .limit(1)
        ).first()
        if nxt is not None:
            nxt.status = "active"
            nxt.picker = picker
            return nxt
        b.status = "done"
        b.completed_at = now
    zones_row = s.get(PickerZone, picker)
    me = Picker(
        picker,
        frozenset(zones_row.zones.split(",")) if zones_row else frozenset(),
        picker_position(s, picker),
    )
    # Read the candidates without locking them all (that would starve every other picker),
    # rank them, then lock the chosen cart alone with SKIP LOCKED; if someone else holds or
    # has just claimed it, try the next best.
    carts = list(
        s.scalars(
            select(PickBatch)
            .join(Wave, Wave.id == PickBatch.wave_id)
            .where(
                PickBatch.status == "open", PickBatch.picker.is_(None), Wave.status == "released"
            )
            .order_by(PickBatch.wave_id, PickBatch.position)
            .limit(60)
        ).all()
    )
    if not carts:
        return None
    by_id = {b.id: b for b in carts}
    plans = {w: p for w, p in ((b.wave_id, s.get(WavePlan, b.wave_id)) for b in carts)}
    rows = s.execute(
        select(
            PickBatchTask.batch_id,
            PickTask.id,
            PickTask.sequence,
            Location.aisle,
            Location.y_mm,
            Location.zone,
        )
        .join(PickTask, PickTask.id == PickBatchTask.task_id)
        .join(Stock, Stock.id == PickTask.stock_id)
        .join(Location, Location.id == Stock.location_id)
        .join(Allocation, Allocation.id == PickTask.allocation_pk)
        .where(
            PickBatchTask.batch_id.in_(list(by_id)),
            PickTask.status == "open",
            Allocation.status.in_(ACTIVE_ORDER),
            Allocation.cancel_reason.is_(None),
        )
    ).all()
    candidates = []
    for batch_id, tid, seq, aisle, y, zone in rows:
        b = by_id[batch_id]
        p = plans.get(b.wave_id)
        candidates.append(
            Candidate(
                task_id=tid,
                batch_id=batch_id,
                wave_id=b.wave_id,
                sequence=seq,
                zone=b.zone or zone,
                point=Point(aisle, y),
                wave_priority=p.priority if p else 0,
                pickup_at=p.pickup_at if p else None,
            )
        )
    while candidates:
        choice = choose(me, candidates, geo)
        if choice is None:
            return None
        locked = s.scalars(
            select(PickBatch)
            .where(
                PickBatch.id == choice.batch_id,
                PickBatch.picker.is_(None),
                PickBatch.status == "open",
            )
            .with_for_update(skip_locked=True)
        ).first()
        if locked is None:
            candidates = [c for c in candidates if c.batch_id != choice.batch_id]
            continue
        s.refresh(locked)
        if locked.picker is not None or locked.status != "open":
            candidates = [c for c in candidates if c.batch_id != choice.batch_id]
            continue
        locked.picker = picker
        locked.status = "active"
        locked.claimed_at = now
        # Every task of the cart is the picker's: no one else opens its orders.
        for t in s.scalars(
            select(PickTask)
            .join(PickBatchTask, PickBatchTask.task_id == PickTask.id)
            .where(PickBatchTask.batch_id == locked.id, PickTask.status == "open")
        ):
            t.picker = picker
        task = s.get(PickTask, choice.task_id)
        assert task is not None
        task.status = "active"
        return task
    return None


def claim(
    picker: str, uow: SessionFactory, clock: Clock, config: WaveConfig | None = None
) -> int | None:
    """claim_next_task in its own unit of work: the task id, or None."""
    cfg = config or default_config()
    with uow() as tx:
        task = claim_next_task(tx.session, picker, cfg.geometry, clock())
        tid = task.id if task is not None else None
        tx.commit()
        return tid
