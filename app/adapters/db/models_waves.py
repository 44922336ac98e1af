"""Wave plans, pick batches (carts) and picker zones: the tables of wave planning."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk


class WavePlan(Base):
    """How a wave was planned: strategy, the pickup it aims for, when it must be released."""

    __tablename__ = "wave_plans"
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), primary_key=True)
    strategy: Mapped[str] = mapped_column(String(16))  # discrete, batch, zone
    planned_by: Mapped[str] = mapped_column(String(40))  # a badge, or "auto"
    priority: Mapped[int] = mapped_column(default=0)
    carrier: Mapped[str | None] = mapped_column(String(40))
    pickup_at: Mapped[datetime | None]
    latest_release: Mapped[datetime | None]
    profile: Mapped[str | None] = mapped_column(String(16))
    route_mm: Mapped[int] = mapped_column(default=0)
    s_shape_mm: Mapped[int] = mapped_column(default=0)
    status_before_pause: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(String(200))


class PickBatch(Base):
    """One walk: a cart of orders (one tote each), or one order (discrete), or a zone's part
    of a cart (zone picking). Claimed by one picker."""

    __tablename__ = "pick_batches"
    __table_args__ = (Index("ix_pick_batches_wave_status", "wave_id", "status"),)
    id: Mapped[intpk]
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    position: Mapped[int]
    zone: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, active, done, cancelled
    picker: Mapped[str | None] = mapped_column(String(40))
    route_mm: Mapped[int] = mapped_column(default=0)
    s_shape_mm: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[created_at]
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]


class PickBatchOrder(Base):
    __tablename__ = "pick_batch_orders"
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("pick_batches.id", ondelete="CASCADE"), primary_key=True
    )
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), primary_key=True)
    slot: Mapped[int]  # the tote's place on the cart, 1-based


class PickBatchTask(Base):
    """Which batch a pick task belongs to. Deleting a task (a cancel) deletes the row."""

    __tablename__ = "pick_batch_tasks"
    task_id: Mapped[int] = mapped_column(
        ForeignKey("pick_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("pick_batches.id", ondelete="CASCADE"), index=True
    )


class PickerZone(Base):
    """The zones a supervisor put a picker in; no row means any zone."""

    __tablename__ = "picker_zones"
    badge: Mapped[str] = mapped_column(String(40), primary_key=True)
    zones: Mapped[str] = mapped_column(String(200))  # comma-separated
    updated_at: Mapped[created_at]
