"""Supervisors build waves from accepted allocations and release them to the pickers."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, PickTask, Reservation, Stock, Wave
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus
from app.domain.paths import Stop, s_shape
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError

MAX_ORDERS = 200


def build_wave(
    uow: SessionFactory,
    clock: Clock,
    allocation_ids: list[str] | None = None,
    max_orders: int = 20,
) -> dict[str, Any]:
    if not 1 <= max_orders <= MAX_ORDERS:
        raise ServiceError(f"max_orders must be between 1 and {MAX_ORDERS}", "max_orders")
    now = clock()
    with uow() as tx:
        s = tx.session
        stmt = select(Allocation).where(
            Allocation.status == AllocationStatus.ACCEPTED.value, Allocation.wave_id.is_(None)
        )
        if allocation_ids:
            stmt = stmt.where(Allocation.allocation_id.in_(allocation_ids))
        # Earliest ship-by first, then priority (higher first), then arrival.
        stmt = stmt.order_by(
            Allocation.ship_by.is_(None),
            Allocation.ship_by,
            Allocation.priority.desc(),
            Allocation.id,
        ).limit(max_orders)
        chosen = list(s.scalars(stmt).all())
        if allocation_ids:
            found = {a.allocation_id for a in chosen}
            missing = [a for a in allocation_ids if a not in found]
            if missing:
                raise ServiceError(
                    f"not waveable (unknown, held, or already in a wave): {', '.join(missing)}",
                    "allocation_ids",
                )
        if not chosen:
            raise ServiceError("no accepted allocations are waiting for a wave", "allocation_ids")
        number = repo.next_counter(s, "wave")
        wave = Wave(code=f"W{number:05d}", status="planned", created_at=now)
        s.add(wave)
        s.flush()
        for a in chosen:
            a.wave_id = wave.id
        result = wave_summary(s, wave)
        tx.commit()
        return result


def release_wave(wave_id: int, uow: SessionFactory, clock: Clock) -> dict[str, Any]:
    now = clock()
    with uow() as tx:
        s = tx.session
        wave = s.get(Wave, wave_id, with_for_update=True)
        if wave is None:
            raise NotFound(f"no wave {wave_id}", "wave_id")
        if wave.status != "planned":
            raise Conflict(f"wave {wave.code} is already {wave.status}", "wave_id")
        allocations = s.scalars(select(Allocation).where(Allocation.wave_id == wave.id)).all()
        work: list[tuple[Stop, Allocation, int, Reservation]] = []
        for a in allocations:
            if a.status != AllocationStatus.ACCEPTED.value:
                a.wave_id = None  # held or cancelled since planning: it stays out
                continue
            for line in a.lines:
                for res in s.scalars(select(Reservation).where(Reservation.line_pk == line.id)):
                    stock = s.get(Stock, res.stock_id)
                    assert stock is not None
                    loc = stock.location
                    work.append((Stop(res.id, loc.aisle, loc.y_mm), a, line.id, res))
            a.status = AllocationStatus.RELEASED.value
            a.updated_at = now
        if not work:
            raise ServiceError(f"wave {wave.code} has no releasable allocations", "wave_id")
        order = {stop.key: i for i, stop in enumerate(s_shape([w[0] for w in work]))}
        for stop, a, line_pk, res in work:
            s.add(
                PickTask(
                    wave_id=wave.id,
                    allocation_pk=a.id,
                    line_pk=line_pk,
                    reservation_id=res.id,
                    stock_id=res.stock_id,
                    sequence=order[stop.key],
                    qty=res.qty,
                )
            )
        wave.status = "released"
        wave.released_at = now
        s.flush()
        result = wave_summary(s, wave)
        tx.commit()
        return result


def wave_summary(s: Any, wave: Wave) -> dict[str, Any]:
    tasks, done, units, picked = s.execute(
        select(
            func.count(PickTask.id),
            func.count(PickTask.id).filter(PickTask.status == "done"),
            func.coalesce(func.sum(PickTask.qty), 0),
            func.coalesce(func.sum(PickTask.picked_qty), 0),
        ).where(PickTask.wave_id == wave.id)
    ).one()
    orders = s.scalar(select(func.count(Allocation.id)).where(Allocation.wave_id == wave.id))
    return {
        "wave_id": wave.id,
        "code": wave.code,
        "status": wave.status,
        "orders": int(orders or 0),
        "tasks": int(tasks),
        "tasks_done": int(done),
        "units": int(units),
        "units_picked": int(picked),
        "created_at": wave.created_at.isoformat(),
        "released_at": wave.released_at.isoformat() if wave.released_at else None,
    }
