"""What supervisors see. Every number is read from the database, never kept in a counter."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.adapters.db.models import Allocation, InboundReject, ScanLog, Wave
from app.adapters.db.uow import SessionFactory
from app.services.outbox import backlog
from app.services.waves import wave_summary


def snapshot(uow: SessionFactory, recent_waves: int = 10) -> dict[str, Any]:
    with uow() as tx:
        s = tx.session
        by_status = dict(
            s.execute(
                select(Allocation.status, func.count(Allocation.id)).group_by(Allocation.status)
            ).all()
        )
        waves = s.scalars(select(Wave).order_by(Wave.id.desc()).limit(recent_waves)).all()
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
        data = {
            "allocations": {k: int(v) for k, v in by_status.items()},
            "waves": [wave_summary(s, w) for w in waves],
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
        }
    data["outbox"] = backlog(uow)
    return data
