"""Supervisors (or the automatic release) plan waves from accepted allocations and release
them to the pickers: orders grouped by carrier pickup, batched onto carts, each walk routed."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Location,
    PickTask,
    Reservation,
    ScanLog,
    Sku,
    Stock,
    StockMovement,
    Wave,
)
from app.adapters.db.models_waves import PickBatch, PickBatchOrder, PickBatchTask, WavePlan
from app.adapters.db.uow import SessionFactory
from app.adapters.wave_config import WaveConfig, load_wave_config
from app.domain.allocations import AllocationStatus
from app.domain.batching import Caps
from app.domain.paths import Stop
from app.domain.planning import (
    OpenOrder,
    PlannedWave,
    Profile,
    Rates,
    Selection,
    Strategy,
    plan,
)
from app.domain.planning import (
    build_wave as plan_one_wave,
)
from app.domain.rates import BREAK as BREAK  # re-exported: callers import these from here
from app.domain.rates import pace, people_of
from app.domain.rates import person_rates as person_rates
from app.domain.routing import route, s_shape_route
from app.domain.text import msg
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.settings import CONFIG_DIR

MAX_ORDERS = 200


def default_config(config_dir: Path | str | None = None) -> WaveConfig:
    return load_wave_config(Path(config_dir or CONFIG_DIR))


# ------------------------------------------------------------------ reading the floor


def open_orders(
    s: Session, allocation_ids: list[str] | None = None, limit: int | None = None
) -> list[OpenOrder]:
    """Accepted allocations not yet in a wave, with a stop per reserved bin."""
    cond = [Allocation.status == AllocationStatus.ACCEPTED.value, Allocation.wave_id.is_(None)]
    if allocation_ids:
        cond.append(Allocation.allocation_id.in_(allocation_ids))
    rows = s.execute(
        select(
            Allocation.id,
            Allocation.allocation_id,
            Allocation.priority,
            Allocation.service_level,
            Allocation.ship_by,
            Allocation.received_at,
            Reservation.line_pk,
            Reservation.id,
            Reservation.qty,
            Location.aisle,
            Location.y_mm,
            Location.zone,
            Sku.weight_g,
            Sku.length_mm * Sku.width_mm * Sku.height_mm,
        )
        .join(AllocationLine, AllocationLine.allocation_pk == Allocation.id)
        .join(Reservation, Reservation.line_pk == AllocationLine.id)
        .join(Stock, Stock.id == Reservation.stock_id)
        .join(Location, Location.id == Stock.location_id)
        .join(Sku, Sku.id == Stock.sku_id)
        .where(*cond)
        .order_by(Allocation.id, Reservation.id)
    ).all()
    by_pk: dict[int, dict[str, Any]] = {}
    for (
        pk,
        aid,
        prio,
        level,
        ship_by,
        received,
        line_pk,
        res_id,
        qty,
        aisle,
        y,
        zone,
        w,
        vol,
    ) in rows:
        o = by_pk.get(pk)
        if o is None:
            if limit is not None and len(by_pk) >= limit:
                break
            o = by_pk[pk] = {
                "key": pk,
                "allocation_id": aid,
                "priority": prio,
                "service_level": level,
                "ship_by": ship_by,
                "received_at": received,
                "stops": [],
                "zones": [],
                "lines": set(),
                "units": 0,
                "weight_g": 0,
                "volume_cm3": 0,
            }
        o["stops"].append(Stop(res_id, aisle, y))
        o["zones"].append(zone)
        o["lines"].add(line_pk)
        o["units"] += qty
        o["weight_g"] += w * qty
        o["volume_cm3"] += vol * qty // 1000
    return [
        OpenOrder(
            key=o["key"],
            allocation_id=o["allocation_id"],
            priority=o["priority"],
            service_level=o["service_level"],
            ship_by=o["ship_by"],
            received_at=o["received_at"],
            stops=tuple(o["stops"]),
            zones=tuple(o["zones"]),
            lines=len(o["lines"]),
            units=o["units"],
            weight_g=o["weight_g"],
            volume_cm3=o["volume_cm3"],
        )
        for o in by_pk.values()
    ]


def measured_rates(s: Session, now: datetime, cfg: WaveConfig) -> Rates:
    """Units per hour per person from the ledger (picks) and the scan log (pack), over the
    measuring window, counting only each person's active time (gaps over 5 minutes are
    breaks). Too few units measured: the configured defaults."""
    since = now - cfg.measure_window
    rates = cfg.default_rates
    picks = s.execute(
        select(StockMovement.actor, StockMovement.at, -StockMovement.on_hand_delta)
        .where(StockMovement.reason == "pick", StockMovement.at >= since)
        .order_by(StockMovement.actor, StockMovement.at)
    ).all()
    pick_rate, pickers = _per_person(picks, now, cfg.min_units_to_measure)
    packs = s.execute(
        select(ScanLog.actor, ScanLog.at, func.count())
        .where(ScanLog.station == "pack", ScanLog.result == "unit_ok", ScanLog.at >= since)
        .group_by(ScanLog.actor, ScanLog.at)
        .order_by(ScanLog.actor, ScanLog.at)
    ).all()
    pack_rate, packers = _per_person(packs, now, cfg.min_units_to_measure)
    if pick_rate:
        rates = replace(rates, pick_units_per_hour=pick_rate, pickers=max(1, pickers))
    if pack_rate:
        rates = replace(rates, pack_units_per_hour=pack_rate, packers=max(1, packers))
    return rates


def _per_person(rows: Any, now: datetime, min_units: int) -> tuple[float, int]:
    rate = pace(people_of(rows).values(), min_units)
    if rate is None:
        return 0.0, 0
    recent = sum(1 for a, t in last_seen(rows).items() if now - t < timedelta(minutes=15) and a)
    return rate, max(1, recent)


def last_seen(rows: Any) -> dict[str, datetime]:
    seen: dict[str, datetime] = {}
    for actor, at, _units in rows:
        if actor is not None and (actor not in seen or at > seen[actor]):
            seen[actor] = at
    return seen


# ------------------------------------------------------------------ planning


def _selection(
    allocation_ids: list[str] | None,
    carrier: str | None = None,
    min_priority: int | None = None,
    service_levels: list[str] | None = None,
    profiles: list[str] | None = None,
    zone: str | None = None,
) -> Selection | None:
    if not any([allocation_ids, carrier, min_priority is not None, service_levels, profiles, zone]):
        return None
    try:
        chosen_profiles = frozenset(Profile(p) for p in profiles or [])
    except ValueError as exc:
        raise ServiceError(msg("unknown order profile: %(exc)s", exc=exc), "profiles") from exc
    return Selection(
        allocation_ids=frozenset(allocation_ids or []),
        carrier=carrier,
        min_priority=min_priority,
        service_levels=frozenset(service_levels or []),
        profiles=chosen_profiles,
        zone=zone,
    )


def _strategy(value: str | None) -> Strategy | None:
    if value in (None, "", "auto"):
        return None
    try:
        return Strategy(value)
    except ValueError as exc:
        raise ServiceError(
            msg("strategy must be auto, discrete, batch or zone"), "strategy"
        ) from exc


def persist_wave(
    s: Session, pw: PlannedWave, now: datetime, planned_by: str, note: str | None = None
) -> Wave:
    """A planned wave with its batches (carts) and their orders; allocations join the wave."""
    number = repo.next_counter(s, "wave")
    wave = Wave(code=f"W{number:05d}", status="planned", created_at=now)
    s.add(wave)
    s.flush()
    s.add(
        WavePlan(
            wave_id=wave.id,
            strategy=pw.strategy.value,
            planned_by=planned_by,
            priority=pw.priority,
            carrier=pw.pickup.carrier if pw.pickup else None,
            pickup_at=pw.pickup.at if pw.pickup else None,
            latest_release=pw.latest_release,
            profile=pw.profile.value if pw.profile else None,
            route_mm=pw.route_mm,
            s_shape_mm=pw.s_shape_mm,
            note=note,
        )
    )
    for pos, b in enumerate(pw.batches):
        batch = PickBatch(
            wave_id=wave.id,
            position=pos,
            zone=b.zone,
            status="planned",
            route_mm=b.route.length_mm,
            s_shape_mm=b.s_shape_mm,
            created_at=now,
        )
        s.add(batch)
        s.flush()
        s.execute(
            insert(PickBatchOrder),
            [
                {"batch_id": batch.id, "allocation_pk": k, "slot": i}
                for i, k in enumerate(b.orders, 1)
            ],
        )
    s.execute(
        update(Allocation)
        .where(Allocation.id.in_(pw.orders))
        .values(wave_id=wave.id)
        .execution_options(synchronize_session=False)
    )
    return wave


def build_wave(
    uow: SessionFactory,
    clock: Clock,
    allocation_ids: list[str] | None = None,
    max_orders: int = 20,
    *,
    strategy: str | None = None,
    carrier: str | None = None,
    min_priority: int | None = None,
    service_levels: list[str] | None = None,
    profiles: list[str] | None = None,
    zone: str | None = None,
    planned_by: str = "supervisor",
    config: WaveConfig | None = None,
) -> dict[str, Any]:
    """A wave from waiting orders. Named allocations all go into one wave; otherwise the
    most urgent group (earliest pickup, then priority) matching the filters, up to
    `max_orders`, batched and routed by the strategy (auto: by order profile and zones)."""
    if not 1 <= max_orders <= MAX_ORDERS:
        raise ServiceError(
            msg("max_orders must be between 1 and %(max_orders)s", max_orders=MAX_ORDERS),
            "max_orders",
        )
    cfg = config or default_config()
    chosen_strategy = _strategy(strategy)
    now = clock()
    with uow() as tx:
        s = tx.session
        orders = open_orders(s, allocation_ids)
        if allocation_ids:
            found = {o.allocation_id for o in orders}
            missing = [a for a in allocation_ids if a not in found]
            if missing:
                raise ServiceError(
                    msg(
                        "not waveable (unknown, held, or already in a wave): %(items)s",
                        items=", ".join(missing),
                    ),
                    "allocation_ids",
                )
        if not orders:
            raise ServiceError(
                msg("no accepted allocations are waiting for a wave"), "allocation_ids"
            )
        rates = measured_rates(s, now, cfg)
        rules = replace(
            cfg.rules,
            strategy=chosen_strategy or cfg.rules.strategy,
            wave_caps=replace(cfg.rules.wave_caps, totes=max_orders),
        )
        if allocation_ids:
            # The supervisor named them: one wave, whatever their pickups.
            ordered = sorted(
                orders, key=lambda o: (o.ship_by is None, o.ship_by, -o.priority, o.key)
            )
            ordered = ordered[:max_orders]
            pickup = min(
                (p for p in (cfg.calendar.target(o.service_level, now) for o in ordered) if p),
                key=lambda p: p.at,
                default=None,
            )
            pw = plan_one_wave(
                ordered, rules.strategy_for(ordered), pickup, cfg.geometry, rules, rates
            )
        else:
            sel = _selection(None, carrier, min_priority, service_levels, profiles, zone)
            result = plan(orders, cfg.calendar, rules, rates, cfg.geometry, now, sel, max_waves=1)
            if not result.waves:
                raise ServiceError(msg("no waiting allocation matches the filters"), "filters")
            pw = result.waves[0]
        wave = persist_wave(s, pw, now, planned_by)
        s.flush()
        summary = wave_summary(s, wave)
        tx.commit()
        return summary


# ------------------------------------------------------------------ release


def release_wave(
    wave_id: int, uow: SessionFactory, clock: Clock, config: WaveConfig | None = None
) -> dict[str, Any]:
    cfg = config or default_config()
    now = clock()
    with uow() as tx:
        s = tx.session
        wave = s.get(Wave, wave_id, with_for_update=True)
        if wave is None:
            raise NotFound(msg("no wave %(wave_id)s", wave_id=wave_id), "wave_id")
        if wave.status != "planned":
            raise Conflict(
                msg("wave %(code)s is already %(status)s", code=wave.code, status=wave.status),
                "wave_id",
            )
        release_planned(s, wave, now, cfg)
        result = wave_summary(s, wave)
        tx.commit()
        return result


def release_planned(s: Session, wave: Wave, now: datetime, cfg: WaveConfig) -> None:
    """Turn the wave's reservations into pick tasks, batch by batch, each batch's walk routed
    again on the reservations as they are now."""
    allocations = s.scalars(select(Allocation).where(Allocation.wave_id == wave.id)).all()
    keep: list[Allocation] = []
    for a in allocations:
        if a.status != AllocationStatus.ACCEPTED.value:
            a.wave_id = None  # held or cancelled since planning: it stays out
            continue
        keep.append(a)
    if not keep:
        raise ServiceError(
            msg("wave %(code)s has no releasable allocations", code=wave.code), "wave_id"
        )
    kept = {a.id for a in keep}
    batches = list(
        s.scalars(
            select(PickBatch).where(PickBatch.wave_id == wave.id).order_by(PickBatch.position)
        )
    )
    members: dict[int, list[int]] = {}
    for b in batches:
        members[b.id] = [
            pk
            for pk in s.scalars(
                select(PickBatchOrder.allocation_pk)
                .where(PickBatchOrder.batch_id == b.id)
                .order_by(PickBatchOrder.slot)
            )
            if pk in kept
        ]
    covered = {pk for v in members.values() for pk in v}
    for a in keep:  # a wave from before batches, or an order added since: one walk each
        if a.id not in covered:
            b = PickBatch(
                wave_id=wave.id,
                position=len(batches),
                zone=None,
                status="planned",
                created_at=now,
            )
            s.add(b)
            s.flush()
            s.add(PickBatchOrder(batch_id=b.id, allocation_pk=a.id, slot=1))
            batches.append(b)
            members[b.id] = [a.id]
    work = reservations_of(s, kept)
    sequence = 0
    total_route = total_s = 0
    for b in batches:
        stops: list[Stop] = []
        info: dict[int, tuple[int, int, int, int]] = {}
        for pk in members[b.id]:
            for res_id, line_pk, stock_id, qty, aisle, y, zone in work.get(pk, []):
                if b.zone is not None and zone != b.zone:
                    continue
                stops.append(Stop(res_id, aisle, y))
                info[res_id] = (pk, line_pk, stock_id, qty)
        if not stops:
            s.delete(b)
            continue
        walk = route(cfg.geometry, stops)
        b.route_mm = walk.length_mm
        b.s_shape_mm = s_shape_route(cfg.geometry, stops).length_mm
        b.status = "open"
        total_route += b.route_mm
        total_s += b.s_shape_mm
        for stop in walk.stops:
            pk, line_pk, stock_id, qty = info[stop.key]
            task = PickTask(
                wave_id=wave.id,
                allocation_pk=pk,
                line_pk=line_pk,
                reservation_id=stop.key,
                stock_id=stock_id,
                sequence=sequence,
                qty=qty,
            )
            sequence += 1
            s.add(task)
            s.flush()
            s.add(PickBatchTask(task_id=task.id, batch_id=b.id))
    for a in keep:
        a.status = AllocationStatus.RELEASED.value
        a.updated_at = now
    plan_row = s.get(WavePlan, wave.id)
    if plan_row is None:
        plan_row = WavePlan(wave_id=wave.id, strategy=Strategy.DISCRETE.value, planned_by="legacy")
        s.add(plan_row)
    plan_row.route_mm = total_route
    plan_row.s_shape_mm = total_s
    wave.status = "released"
    wave.released_at = now
    s.flush()


def reservations_of(
    s: Session, allocation_pks: set[int]
) -> dict[int, list[tuple[int, int, int, int, int, int, str]]]:
    rows = s.execute(
        select(
            AllocationLine.allocation_pk,
            Reservation.id,
            Reservation.line_pk,
            Reservation.stock_id,
            Reservation.qty,
            Location.aisle,
            Location.y_mm,
            Location.zone,
        )
        .join(AllocationLine, AllocationLine.id == Reservation.line_pk)
        .join(Stock, Stock.id == Reservation.stock_id)
        .join(Location, Location.id == Stock.location_id)
        .where(AllocationLine.allocation_pk.in_(allocation_pks))
        .order_by(Reservation.id)
    ).all()
    out: dict[int, list[tuple[int, int, int, int, int, int, str]]] = {}
    for pk, res_id, line_pk, stock_id, qty, aisle, y, zone in rows:
        out.setdefault(pk, []).append((res_id, line_pk, stock_id, qty, aisle, y, zone))
    return out


# ------------------------------------------------------------------ automatic release


def auto_release(
    uow: SessionFactory, clock: Clock, config: WaveConfig | None = None, max_waves: int = 5
) -> list[dict[str, Any]]:
    """Plan every waiting order and release the waves whose latest release (backwards from
    their pickup at the measured pace) falls within the horizon. Planned waves already
    stored are released when their own time comes."""
    cfg = config or default_config()
    now = clock()
    released: list[dict[str, Any]] = []
    with uow() as tx:
        s = tx.session
        horizon = now + cfg.auto_horizon
        for wave in s.scalars(
            select(Wave)
            .join(WavePlan, WavePlan.wave_id == Wave.id)
            .where(
                Wave.status == "planned",
                WavePlan.latest_release.is_not(None),
                WavePlan.latest_release <= horizon,
            )
            .order_by(WavePlan.latest_release)
            .limit(max_waves)
        ):
            try:
                release_planned(s, wave, now, cfg)
            except ServiceError:
                continue
            released.append(wave_summary(s, wave))
        orders = open_orders(s)
        if orders and len(released) < max_waves:
            rates = measured_rates(s, now, cfg)
            result = plan(orders, cfg.calendar, cfg.rules, rates, cfg.geometry, now)
            for pw in result.waves:
                if len(released) >= max_waves:
                    break
                if pw.latest_release is None or pw.latest_release > horizon:
                    continue
                wave = persist_wave(s, pw, now, "auto")
                s.flush()
                release_planned(s, wave, now, cfg)
                released.append(wave_summary(s, wave))
        tx.commit()
    return released


def preview(
    uow: SessionFactory, clock: Clock, config: WaveConfig | None = None, limit: int = 20
) -> dict[str, Any]:
    """The plan as it stands for every waiting order, without storing anything."""
    cfg = config or default_config()
    now = clock()
    with uow() as tx:
        s = tx.session
        orders = open_orders(s)
        rates = measured_rates(s, now, cfg)
    result = plan(orders, cfg.calendar, cfg.rules, rates, cfg.geometry, now)
    return {
        "rates": {
            "pick_units_per_hour": round(rates.pick_units_per_hour, 1),
            "pack_units_per_hour": round(rates.pack_units_per_hour, 1),
            "pickers": rates.pickers,
            "packers": rates.packers,
        },
        "waves": [
            {
                "orders": len(w.orders),
                "strategy": w.strategy.value,
                "carrier": w.pickup.carrier if w.pickup else None,
                "pickup_at": w.pickup.at.isoformat() if w.pickup else None,
                "latest_release": w.latest_release.isoformat() if w.latest_release else None,
                "at_risk": w.at_risk,
                "batches": len(w.batches),
                "units": w.units,
                "route_m": round(w.route_mm / 1000),
                "s_shape_m": round(w.s_shape_mm / 1000),
            }
            for w in result.waves[:limit]
        ],
        "late": len(result.late),
    }


# ------------------------------------------------------------------ what a wave looks like


# The summary's statements, built once: the dashboard summarises up to ten waves every second
# it is watched, and building a statement and its cache key cost SQLAlchemy about twice
# what running it did (docs/scan-throughput.md, "Tenth session").
_WAVE: BindParameter[int] = bindparam("wave_id", type_=Integer)
_TASK_COUNTS = select(
    func.count(PickTask.id),
    func.count(PickTask.id).filter(PickTask.status == "done"),
    func.coalesce(func.sum(PickTask.qty), 0),
    func.coalesce(func.sum(PickTask.picked_qty), 0),
).where(PickTask.wave_id == _WAVE)
_ORDER_COUNT = select(func.count(Allocation.id)).where(Allocation.wave_id == _WAVE)
_BATCH_COUNTS = select(func.count(PickBatch.id), func.count(PickBatch.picker)).where(
    PickBatch.wave_id == _WAVE
)
_WAVE_PICKERS = (
    select(PickTask.picker)
    .where(PickTask.wave_id == _WAVE, PickTask.picker.is_not(None))
    .distinct()
)


def wave_summary(s: Any, wave: Wave) -> dict[str, Any]:
    which = {"wave_id": wave.id}
    tasks, done, units, picked = s.execute(_TASK_COUNTS, which).one()
    orders = s.scalar(_ORDER_COUNT, which)
    plan_row = s.get(WavePlan, wave.id)
    batches, claimed = s.execute(_BATCH_COUNTS, which).one()
    pickers = sorted(p for p in s.scalars(_WAVE_PICKERS, which) if p)
    return {
        "wave_id": wave.id,
        "code": wave.code,
        "status": wave.status,
        "practice": wave.practice,  # a first-shift practice wave: not real work
        "orders": int(orders or 0),
        "tasks": int(tasks),
        "tasks_done": int(done),
        "units": int(units),
        "units_picked": int(picked),
        "created_at": wave.created_at.isoformat(),
        "released_at": wave.released_at.isoformat() if wave.released_at else None,
        "strategy": plan_row.strategy if plan_row else "discrete",
        "priority": plan_row.priority if plan_row else 0,
        "carrier": plan_row.carrier if plan_row else None,
        "pickup_at": plan_row.pickup_at.isoformat() if plan_row and plan_row.pickup_at else None,
        "latest_release": plan_row.latest_release.isoformat()
        if plan_row and plan_row.latest_release
        else None,
        "planned_by": plan_row.planned_by if plan_row else None,
        "batches": int(batches),
        "batches_claimed": int(claimed),
        "route_m": round((plan_row.route_mm if plan_row else 0) / 1000, 1),
        "s_shape_m": round((plan_row.s_shape_mm if plan_row else 0) / 1000, 1),
        "pickers": pickers,
    }


__all__ = [
    "MAX_ORDERS",
    "Caps",
    "auto_release",
    "build_wave",
    "default_config",
    "measured_rates",
    "open_orders",
    "persist_wave",
    "preview",
    "release_planned",
    "release_wave",
    "wave_summary",
]
