"""Weigh station tables: QC exceptions, their audit trail, item-weight observations and the
corrections proposed to supervisors."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk


class WeighException(Base):
    """A carton whose weight disagreed with its contents. Open until a re-weigh within
    tolerance, a clean re-verify by scan, or a supervisor override closes it."""

    __tablename__ = "weigh_exceptions"
    __table_args__ = (Index("ix_weigh_exceptions_status", "status"),)
    id: Mapped[intpk]
    carton_id: Mapped[int] = mapped_column(ForeignKey("cartons.id"), index=True)
    station: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved
    expected_g: Mapped[int]
    measured_g: Mapped[int]
    allowed_g: Mapped[int]
    weighings: Mapped[int] = mapped_column(default=1)
    opened_by: Mapped[str] = mapped_column(String(40))
    opened_at: Mapped[created_at]
    # Work done on it: "reverify" (scanning), "repack" (contents being fixed)
    stage: Mapped[str | None] = mapped_column(String(16))
    verify_scans: Mapped[dict[str, Any] | None]  # SKU -> units scanned so far
    verify_problem: Mapped[str | None] = mapped_column(String(200))
    # reweighed, repacked, reverified, overridden, voided
    resolution: Mapped[str | None] = mapped_column(String(16))
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(String(400))


class WeighAudit(Base):
    """Everything done at a weigh station that changes what a carton may do: every weight,
    every QC step, override, zero and tare, and every item weight decision."""

    __tablename__ = "weigh_audit"
    __table_args__ = (Index("ix_weigh_audit_at", "at"),)
    id: Mapped[intpk]
    at: Mapped[created_at]
    actor: Mapped[str | None] = mapped_column(String(40))
    station: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(32))
    carton_id: Mapped[int | None] = mapped_column(ForeignKey("cartons.id"), index=True)
    exception_id: Mapped[int | None] = mapped_column(ForeignKey("weigh_exceptions.id"))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    detail: Mapped[dict[str, Any] | None]


class WeightObservation(Base):
    """A single-SKU carton's accepted weight, as evidence of one unit's real weight."""

    __tablename__ = "weight_observations"
    __table_args__ = (Index("ix_weight_observations_sku_at", "sku_id", "at"),)
    id: Mapped[intpk]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    carton_id: Mapped[int] = mapped_column(ForeignKey("cartons.id"), unique=True)
    qty: Mapped[int]
    measured_g: Mapped[int]
    packaging_g: Mapped[int]
    unit_mg: Mapped[int]
    master_g: Mapped[int]  # the master weight the carton was expected with
    at: Mapped[created_at]


class WeightProposal(Base):
    """A corrected unit weight proposed to supervisors, approved or rejected by one."""

    __tablename__ = "weight_proposals"
    __table_args__ = (Index("ix_weight_proposals_status", "status"),)
    id: Mapped[intpk]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # approved, rejected
    master_g: Mapped[int]
    proposed_g: Mapped[int]
    cartons: Mapped[list[Any]]
    spread_mg: Mapped[int]
    created_at: Mapped[created_at]
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None]
    note: Mapped[str | None] = mapped_column(String(400))
