"""Tables of the handheld pick app: the units a pick took (lot, expiry, serial), short picks,
and the count tasks a short raises for its bin. Count tasks are deliberately minimal: the
cycle-count work (who counts, what the count adjusts) belongs to the inventory area."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk


class PickUnit(Base):
    """What one accepted item scan (or keypad entry) took from the bin: the lot, expiry and
    serial the unit's GS1 code carried. `allocation.picked` reports lots and serials from here."""

    __tablename__ = "pick_units"
    __table_args__ = (
        # NULL serials are distinct on SQLite and PostgreSQL alike: only real serials collide.
        UniqueConstraint("line_pk", "serial", name="uq_pick_units_line_serial"),
    )
    id: Mapped[intpk]
    pick_task_id: Mapped[int] = mapped_column(ForeignKey("pick_tasks.id"), index=True)
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    line_pk: Mapped[int] = mapped_column(ForeignKey("allocation_lines.id"), index=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    qty: Mapped[int]
    lot: Mapped[str | None] = mapped_column(String(40))
    expires_on: Mapped[date | None]
    serial: Mapped[str | None] = mapped_column(String(64))
    client_scan_id: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[created_at]


class PickShort(Base):
    """A picker could not pick every unit from the bin: why, and what became of the rest."""

    __tablename__ = "pick_shorts"
    id: Mapped[intpk]
    pick_task_id: Mapped[int] = mapped_column(ForeignKey("pick_tasks.id"), index=True)
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    line_pk: Mapped[int] = mapped_column(ForeignKey("allocation_lines.id"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    reason: Mapped[str] = mapped_column(String(16))  # empty, damaged, not_found, expired
    missing_qty: Mapped[int]  # units the task still lacked
    reallocated_qty: Mapped[int]  # of those, reserved in other bins (new pick tasks)
    short_qty: Mapped[int]  # of those, nothing could cover: reported as allocation.short
    actor: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[created_at]


class CountTask(Base):
    """Count this bin: a short pick said its stock is not what the system believes, a
    supervisor asked, or the cycle schedule says it is its turn (docs/counts.md). With a
    `sku_id` the count is of that SKU in the bin; without, of everything in it. The cycle-count
    columns (source onwards) belong to app/services/counts.py; its lines are in models_counts."""

    __tablename__ = "count_tasks"
    __table_args__ = (
        Index("ix_count_tasks_stock_status", "stock_id", "status"),
        Index("ix_count_tasks_location_status", "location_id", "status"),
    )
    id: Mapped[intpk]
    stock_id: Mapped[int | None] = mapped_column(ForeignKey("stock.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    reason: Mapped[str] = mapped_column(String(16))
    expected_on_hand: Mapped[int]  # what the system believed when the count was raised
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, review, done
    raised_by: Mapped[str | None] = mapped_column(String(40))
    # A count outlives the pick task that raised it (a cancel may delete the task).
    pick_task_id: Mapped[int | None] = mapped_column(
        ForeignKey("pick_tasks.id", ondelete="SET NULL")
    )
    created_at: Mapped[created_at]
    completed_at: Mapped[datetime | None]
    # short_pick, request, schedule, recount
    source: Mapped[str] = mapped_column(
        String(16), default="short_pick", server_default="short_pick"
    )
    recount_of: Mapped[int | None] = mapped_column(ForeignKey("count_tasks.id"))
    assigned_to: Mapped[str | None] = mapped_column(String(40))  # the counter working it
    avoid_counter: Mapped[str | None] = mapped_column(String(40))  # whose count it checks
    location_confirmed: Mapped[bool] = mapped_column(default=False, server_default=false())
    counted_by: Mapped[str | None] = mapped_column(String(40))
    counted_at: Mapped[datetime | None]
    # match, recount, system, tolerance, confirmed, disputed, approved, rejected
    outcome: Mapped[str | None] = mapped_column(String(16))
    decided_by: Mapped[str | None] = mapped_column(String(40))  # the approving supervisor
    reason_code: Mapped[str | None] = mapped_column(String(24))
