"""Return authorizations from the OMS (oms-v1 2.4), stored for the returns station."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db.models import ReturnAuthorization
from app.adapters.db.uow import SessionFactory
from app.adapters.oms.schemas import ReturnIn
from app.services.clock import Clock


def receive_rma(doc: ReturnIn, uow: SessionFactory, clock: Clock) -> tuple[int, dict[str, Any]]:
    with uow() as tx:
        result = apply_rma(tx.session, doc, clock())
        tx.commit()
        return result


def apply_rma(s: Session, doc: ReturnIn, now: Any) -> tuple[int, dict[str, Any]]:
    existing = s.scalars(
        select(ReturnAuthorization).where(ReturnAuthorization.rma_id == doc.rma_id)
    ).first()
    if existing is not None:
        return 200, {"status": "duplicate", "rma_id": doc.rma_id}
    s.add(
        ReturnAuthorization(
            rma_id=doc.rma_id,
            allocation_id=doc.allocation_id,
            order_number=doc.order_number,
            status="authorized",
            lines=[ln.model_dump() for ln in doc.lines],
            received_at=now,
        )
    )
    return 202, {"status": "authorized", "rma_id": doc.rma_id}
