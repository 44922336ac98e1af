"""What supervisors see. Every number is read from the database, never kept in a counter:
picks from the stock ledger, pack and weigh results from the scan log, shipments from the
cartons, short picks from their own table, dead letters from the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Integer, cast, extract, func, literal_column, select
from sqlalchemy.orm import Session

from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Carton,
    InboundReject,
    PickTask,
    ScanLog,
    StockMovement,
    Tote,
    Wave,
)
from app.adapters.db.models_pick import PickShort
from app.adapters.db.models_waves import PickBatch, PickerZone, WavePlan
from app.adapters.db.uow import SessionFactory
from app.adapters.wave_config import WaveConfig
from app.domain.allocations import AllocationStatus
from app.domain.text import N_
from app.services.clock import Clock, system_clock
from app.services.outbox import backlog
from app.services.waves import default_config, measured_rates, person_rates, wave_summary

RATE_WINDOW = timedelta(hours=1)
OPEN = [
    AllocationStatus.ACCEPTED.value,
    AllocationStatus.RELEASED.value,
    AllocationStatus.PICKING.value,
    AllocationStatus.PICKED.value,
    AllocationStatus.PACKING.value,
]


def snapshot(
    uow: SessionFactory,
    recent_waves: int = 10,
    clock: Clock = system_clock,
    config: WaveConfig | None = None,
) -> dict[str, Any]:
    cfg = config or default_config()
    now = clock()
    day_start = (
        now.astimezone(cfg.calendar.tz)
        .replace(hour=0, minute=0, second=0, microsecond=0)
        .astimezone(UTC)
    )
    with uow() as tx:
        s = tx.session
        by_status = dict(
            s.execute(
                select(Allocation.status, func.count(Allocation.id))
                .where(Allocation.practice.is_(False))  # first-shift practice is not work
                .group_by(Allocation.status)
            ).all()
        )
        live = s.scalars(
            select(Wave)
            .where(Wave.status.in_(["planned", "released", "paused"]))
            .order_by(Wave.id.desc())
            .limit(recent_waves * 2)
        ).all()
        finished = s.scalars(
            select(Wave)
            .where(Wave.status.in_(["done", "cancelled"]))
            .order_by(Wave.id.desc())
            .limit(max(0, recent_waves - len(live)))
        ).all()
        waiting_count = s.scalar(
            select(func.count(Allocation.id)).where(
                Allocation.status == "accepted", Allocation.wave_id.is_(None)
            )
        )
        waiting = s.scalars(
            select(Allocation)
            .where(Allocation.status == "accepted", Allocation.wave_id.is_(None))
            .order_by(Allocation.ship_by, Allocation.id)
            .limit(50)
        ).all()
        scans = dict(
            s.execute(
                select(ScanLog.station, func.count(ScanLog.id)).group_by(ScanLog.station)
            ).all()
        )
        rejected = s.scalar(select(func.count(ScanLog.id)).where(~ScanLog.result.like("%_ok")))
        data: dict[str, Any] = {
            "at": now.isoformat(),
            "allocations": {k: int(v) for k, v in by_status.items()},
            "waves": [wave_summary(s, w) for w in [*live, *finished]],
            "waiting_count": int(waiting_count or 0),
            "waiting": [
                {
                    "allocation_id": a.allocation_id,
                    "order_number": a.order_number,
                    "priority": a.priority,
                    "ship_by": a.ship_by.isoformat() if a.ship_by else None,
                    "service_level": a.service_level,
                    "units": sum(ln.qty for ln in a.lines),
                }
                for a in waiting
            ],
            "scans": {k: int(v) for k, v in scans.items()},
            "rejected_scans": int(rejected or 0),
            "inbound_rejects": int(s.scalar(select(func.count(InboundReject.id))) or 0),
            "pickers": _pickers(s, now),
            "stations": _stations(s, now),
            "exceptions": _exceptions(s, day_start),
            "at_risk": _at_risk(s, now, cfg),
            "throughput": _throughput(s, now, day_start),
        }
    data["outbox"] = backlog(uow)
    data["exceptions"]["dead_letters"] = data["outbox"]["dead"]
    return data


def _pickers(s: Session, now: datetime) -> list[dict[str, Any]]:
    since = now - RATE_WINDOW
    rows = s.execute(
        select(StockMovement.actor, StockMovement.at, -StockMovement.on_hand_delta)
        .where(StockMovement.reason == "pick", StockMovement.at >= since)
        .order_by(StockMovement.actor, StockMovement.at)
    ).all()
    rates = person_rates(rows, now)
    last = {a: at for a, at, _u in rows}
    active = s.execute(
        select(PickTask.picker, Wave.code, func.count(PickTask.id))
        .join(Wave, Wave.id == PickTask.wave_id)
        .where(PickTask.status == "active", PickTask.picker.is_not(None))
        .group_by(PickTask.picker, Wave.code)
    ).all()
    working: dict[str, dict[str, Any]] = {}
    for picker, wave, n in active:
        if picker is None:
            continue
        w = working.setdefault(picker, {"waves": [], "tasks_in_hand": 0})
        w["waves"].append(wave)
        w["tasks_in_hand"] += int(n)
    carts = dict(
        s.execute(
            select(PickBatch.picker, func.count(PickBatch.id))
            .where(PickBatch.status == "active", PickBatch.picker.is_not(None))
            .group_by(PickBatch.picker)
        ).all()
    )
    zones = {z.badge: z.zones.split(",") for z in s.scalars(select(PickerZone))}
    out = []
    for badge in sorted(set(rates) | set(working) | set(zones)):
        r = rates.get(badge, {})
        out.append(
            {
                "badge": badge,
                "units_last_hour": int(r.get("units", 0)),
                "units_per_hour": r.get("per_hour", 0.0),
                "last_pick_at": last[badge].isoformat() if badge in last else None,
                "waves": sorted(working.get(badge, {}).get("waves", [])),
                "tasks_in_hand": working.get(badge, {}).get("tasks_in_hand", 0),
                "carts": int(carts.get(badge, 0)),
                "zones": zones.get(badge, []),
            }
        )
    return out


def _per_hour(rows: list[Any], now: datetime) -> float:
    total = sum(float(r[2] or 0) for r in rows if r[0] is not None)
    rates = person_rates(rows, now)
    active = sum(d["active_s"] for d in rates.values())
    return round(total * 3600 / active, 1) if active else 0.0


def _stations(s: Session, now: datetime) -> dict[str, dict[str, Any]]:
    since = now - RATE_WINDOW
    pick_rows = s.execute(
        select(StockMovement.actor, StockMovement.at, -StockMovement.on_hand_delta)
        .where(StockMovement.reason == "pick", StockMovement.at >= since)
        .order_by(StockMovement.actor, StockMovement.at)
    ).all()

    def scan_rows(station: str, result: str) -> list[Any]:
        return list(
            s.execute(
                select(ScanLog.actor, ScanLog.at, 1)
                .where(ScanLog.station == station, ScanLog.result == result, ScanLog.at >= since)
                .order_by(ScanLog.actor, ScanLog.at)
            ).all()
        )

    ship_rows = s.execute(
        select(Carton.carrier, Carton.shipped_at, 1)
        .where(Carton.shipped_at.is_not(None), Carton.shipped_at >= since)
        .order_by(Carton.carrier, Carton.shipped_at)
    ).all()
    open_units = s.scalar(
        select(func.coalesce(func.sum(PickTask.qty - PickTask.picked_qty), 0))
        .join(Wave, Wave.id == PickTask.wave_id)
        .where(
            PickTask.status.in_(["open", "active"]),
            Wave.status == "released",
            Wave.practice.is_(False),
        )
    )
    open_tasks = s.scalar(
        select(func.count(PickTask.id))
        .join(Wave, Wave.id == PickTask.wave_id)
        .where(
            PickTask.status.in_(["open", "active"]),
            Wave.status == "released",
            Wave.practice.is_(False),
        )
    )
    pack_queue = s.scalar(
        select(func.count(Tote.id))
        .join(Allocation, Allocation.id == Tote.allocation_pk)
        .where(
            Allocation.status.in_([AllocationStatus.PICKED.value, AllocationStatus.PACKING.value]),
            Allocation.practice.is_(False),
        )
    )
    cartons = dict(
        s.execute(
            select(Carton.status, func.count(Carton.id))
            .where(Carton.status.in_(["packed", "weighed"]))
            .group_by(Carton.status)
        ).all()
    )
    return {
        "pick": {
            "units_per_hour": _per_hour(list(pick_rows), now),
            "units_last_hour": int(sum(r[2] or 0 for r in pick_rows)),
            "queue": int(open_tasks or 0),
            "queue_units": int(open_units or 0),
            "queue_label": N_("tasks open"),
        },
        "pack": {
            "units_per_hour": _per_hour(scan_rows("pack", "unit_ok"), now),
            "queue": int(pack_queue or 0),
            "queue_label": N_("totes waiting"),
        },
        "weigh": {
            "units_per_hour": _per_hour(scan_rows("weigh", "weight_ok"), now),
            "queue": int(cartons.get("packed", 0)),
            "queue_label": N_("cartons waiting"),
        },
        "ship": {
            "units_per_hour": _per_hour(list(ship_rows), now),
            "queue": int(cartons.get("weighed", 0)),
            "queue_label": N_("cartons waiting"),
        },
    }


def _exceptions(s: Session, since: datetime) -> dict[str, Any]:
    shorts = s.execute(
        select(
            PickShort.at,
            PickShort.reason,
            PickShort.missing_qty,
            PickShort.short_qty,
            PickShort.actor,
        )
        .where(PickShort.at >= since)
        .order_by(PickShort.id.desc())
    ).all()
    mis = s.execute(
        select(ScanLog.at, ScanLog.station, ScanLog.actor, ScanLog.result, ScanLog.raw)
        .where(
            ScanLog.at >= since,
            ScanLog.station.in_(["pick", "pack"]),
            ~ScanLog.result.like("%_ok"),
        )
        .order_by(ScanLog.id.desc())
        .limit(200)
    ).all()
    mis_count = s.scalar(
        select(func.count(ScanLog.id)).where(
            ScanLog.at >= since,
            ScanLog.station.in_(["pick", "pack"]),
            ~ScanLog.result.like("%_ok"),
        )
    )
    weight = s.execute(
        select(ScanLog.at, ScanLog.actor, ScanLog.result, ScanLog.raw)
        .where(ScanLog.at >= since, ScanLog.station == "weigh", ~ScanLog.result.like("%_ok"))
        .order_by(ScanLog.id.desc())
        .limit(50)
    ).all()
    weight_count = s.scalar(
        select(func.count(ScanLog.id)).where(
            ScanLog.at >= since, ScanLog.station == "weigh", ~ScanLog.result.like("%_ok")
        )
    )
    recent: list[dict[str, Any]] = []
    for at, reason, missing, short, actor in shorts[:10]:
        recent.append(
            {
                "kind": "short_pick",
                "at": at.isoformat(),
                "who": actor,
                "what": f"{reason}: {missing} missing, {short} short",
            }
        )
    for at, station, actor, result, raw in mis[:10]:
        recent.append(
            {
                "kind": "mis_scan",
                "at": at.isoformat(),
                "who": actor,
                "what": f"{station} {result}: {raw}",
            }
        )
    for at, actor, result, raw in weight[:10]:
        recent.append(
            {"kind": "weight", "at": at.isoformat(), "who": actor, "what": f"{result}: {raw}"}
        )
    recent.sort(key=lambda e: e["at"], reverse=True)
    return {
        "short_picks": len(shorts),
        "short_units": int(sum(r[3] for r in shorts)),
        "mis_scans": int(mis_count or 0),
        "weight_failures": int(weight_count or 0),
        "dead_letters": 0,
        "recent": recent[:15],
    }


def _at_risk(s: Session, now: datetime, cfg: WaveConfig) -> dict[str, Any]:
    """Open orders that will not make their pickup at the measured pace: all open work with
    an earlier or equal pickup goes first, then this order's, then packing and the dock
    buffer. The pickup is the wave's, else the one planning would aim at."""
    rows = s.execute(
        select(
            Allocation.id,
            Allocation.allocation_id,
            Allocation.order_number,
            Allocation.status,
            Allocation.service_level,
            Allocation.ship_by,
            Allocation.priority,
            WavePlan.carrier,
            WavePlan.pickup_at,
            func.coalesce(
                func.sum(
                    AllocationLine.qty
                    - AllocationLine.picked
                    - AllocationLine.short
                    - AllocationLine.cancelled
                ),
                0,
            ),
            func.coalesce(
                func.sum(AllocationLine.qty - AllocationLine.packed - AllocationLine.cancelled), 0
            ),
        )
        .join(AllocationLine, AllocationLine.allocation_pk == Allocation.id)
        .outerjoin(WavePlan, WavePlan.wave_id == Allocation.wave_id)
        .where(Allocation.status.in_(OPEN), Allocation.practice.is_(False))
        .group_by(
            Allocation.id,
            Allocation.allocation_id,
            Allocation.order_number,
            Allocation.status,
            Allocation.service_level,
            Allocation.ship_by,
            Allocation.priority,
            WavePlan.carrier,
            WavePlan.pickup_at,
        )
        .limit(20000)
    ).all()
    rates = measured_rates(s, now, cfg)
    targets: dict[str, Any] = {}
    work = []
    for pk, aid, number, status, level, ship_by, prio, carrier, pickup_at, to_pick, to_pack in rows:
        if pickup_at is None:
            if level not in targets:
                targets[level] = cfg.calendar.target(level, now)
            p = targets[level]
            carrier, pickup_at = (p.carrier, p.at) if p else (None, None)
        deadline = pickup_at
        if ship_by is not None and (deadline is None or ship_by < deadline):
            deadline = ship_by
        work.append(
            (
                deadline,
                -prio,
                pk,
                aid,
                number,
                status,
                carrier,
                pickup_at,
                int(to_pick),
                int(to_pack),
            )
        )
    work.sort(key=lambda w: (w[0] is None, w[0] or now, w[1], w[2]))
    pick_ahead = pack_ahead = 0
    risky = []
    for deadline, _p, _pk, aid, number, status, carrier, pickup_at, to_pick, to_pack in work:
        pick_ahead += to_pick
        pack_ahead += to_pack
        if deadline is None:
            continue
        finish = now + rates.pick_time(pick_ahead) + rates.pack_time(pack_ahead) + rates.dock_buffer
        if finish > deadline:
            risky.append(
                {
                    "allocation_id": aid,
                    "order_number": number,
                    "status": status,
                    "carrier": carrier,
                    "pickup_at": pickup_at.isoformat() if pickup_at else None,
                    "deadline": deadline.isoformat(),
                    "projected_finish": finish.isoformat(),
                    "late_min": int((finish - deadline).total_seconds() // 60),
                }
            )
    return {
        "count": len(risky),
        "orders": risky[:30],
        "pick_units_per_hour": round(rates.pick_units_per_hour, 1),
        "pickers": rates.pickers,
    }


def _hour(col: Any) -> Any:
    # A literal, not a bound parameter: PostgreSQL must see the SELECT and GROUP BY
    # expressions as the same expression.
    epoch = cast(extract("epoch", col), Integer)
    return epoch - epoch % literal_column("3600", Integer)


def _throughput(s: Session, now: datetime, day_start: datetime) -> dict[str, Any]:
    """Per hour since midnight (local): units picked, units packed, cartons shipped."""
    picked: dict[int, int] = dict(
        s.execute(
            select(_hour(StockMovement.at), func.sum(-StockMovement.on_hand_delta))
            .where(StockMovement.reason == "pick", StockMovement.at >= day_start)
            .group_by(_hour(StockMovement.at))
        ).all()
    )
    packed: dict[int, int] = dict(
        s.execute(
            select(_hour(ScanLog.at), func.count(ScanLog.id))
            .where(ScanLog.station == "pack", ScanLog.result == "unit_ok", ScanLog.at >= day_start)
            .group_by(_hour(ScanLog.at))
        ).all()
    )
    shipped: dict[int, int] = dict(
        s.execute(
            select(_hour(Carton.shipped_at), func.count(Carton.id))
            .where(Carton.shipped_at >= day_start)
            .group_by(_hour(Carton.shipped_at))
        ).all()
    )
    first = int(day_start.timestamp()) // 3600 * 3600
    last = int(now.timestamp()) // 3600 * 3600
    hours = list(range(first, last + 1, 3600))
    return {
        "hours": [datetime.fromtimestamp(h, UTC).isoformat() for h in hours],
        "picked_units": [int(picked.get(h, 0) or 0) for h in hours],
        "packed_units": [int(packed.get(h, 0) or 0) for h in hours],
        "shipped_cartons": [int(shipped.get(h, 0) or 0) for h in hours],
    }
