"""What is waiting at each station, oldest first."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.adapters.db.models import Allocation, Carton, Tote
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus

LIMIT = 50


def pack_queue(uow: SessionFactory) -> list[dict[str, Any]]:
    with uow() as tx:
        rows = tx.session.execute(
            select(Tote.code, Allocation.allocation_id, Allocation.order_number, Allocation.status)
            .join(Allocation, Allocation.id == Tote.allocation_pk)
            .where(
                Allocation.status.in_(
                    [AllocationStatus.PICKED.value, AllocationStatus.PACKING.value]
                ),
                Allocation.practice.is_(False),  # a practice tote is for its trainee alone
            )
            .order_by(Allocation.ship_by, Allocation.id)
            .limit(LIMIT)
        ).all()
        return [
            {"tote": t, "allocation_id": a, "order_number": o, "status": st} for t, a, o, st in rows
        ]


def carton_queue(uow: SessionFactory, status: str) -> list[dict[str, Any]]:
    with uow() as tx:
        rows = tx.session.execute(
            select(Carton.code, Carton.carton_type, Allocation.order_number)
            .join(Allocation, Allocation.id == Carton.allocation_pk)
            .where(Carton.status == status, Allocation.status != AllocationStatus.HELD.value)
            .order_by(Carton.id)
            .limit(LIMIT)
        ).all()
        return [{"carton": c, "carton_type": t, "order_number": o} for c, t, o in rows]
