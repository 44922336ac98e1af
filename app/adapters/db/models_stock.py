"""Tables of receiving and replenishment: min/max per pick face, the replenishment tasks that
move stock from reserve to the faces, low-stock thresholds per SKU, and the stock alerts
supervisors see. Stock itself moves only through the ledger (models.Stock/StockMovement)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk

# A task is live until it is done or cancelled: one live task per face at a time.
_LIVE_TASK = text("status IN ('open', 'active')")
_OPEN_ALERT = text("status = 'open'")


class ReplenishmentRule(Base):
    """Min/max of one SKU at one pick face, in units."""

    __tablename__ = "replenishment_rules"
    __table_args__ = (
        UniqueConstraint("location_id", "sku_id", name="uq_replenishment_rules_face"),
        CheckConstraint("min_units >= 0", name="min_not_negative"),
        CheckConstraint("max_units > min_units", name="max_above_min"),
    )
    id: Mapped[intpk]
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    min_units: Mapped[int]
    max_units: Mapped[int]
    updated_by: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[created_at]


class ReplenishmentTask(Base):
    """Bring `qty` units from one reserve bin (`from_stock_id`) to a pick face."""

    __tablename__ = "replenishment_tasks"
    __table_args__ = (
        CheckConstraint("qty > 0", name="qty_positive"),
        CheckConstraint("moved_qty >= 0 AND moved_qty <= qty", name="moved_within_qty"),
        Index(
            "uq_replenishment_tasks_live_face",
            "to_location_id",
            "sku_id",
            unique=True,
            sqlite_where=_LIVE_TASK,
            postgresql_where=_LIVE_TASK,
        ),
        Index("ix_replenishment_tasks_status", "status", "created_at"),
    )
    id: Mapped[intpk]
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    from_stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"), index=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot: Mapped[str] = mapped_column(String(40), default="")
    qty: Mapped[int]
    moved_qty: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, active, done, cancelled
    trigger: Mapped[str] = mapped_column(String(16))  # pick, short, stock, done, manual
    raised_by: Mapped[str | None] = mapped_column(String(40))
    assigned_to: Mapped[str | None] = mapped_column(String(40))
    done_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[created_at]
    completed_at: Mapped[datetime | None]


class LowStockLevel(Base):
    """Alert supervisors when the SKU's available units fall below this (0: never). SKUs
    without a row use the `stock_low_available_units` setting."""

    __tablename__ = "low_stock_levels"
    __table_args__ = (CheckConstraint("below_units >= 0", name="below_not_negative"),)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), primary_key=True)
    below_units: Mapped[int]
    updated_by: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[created_at]


class StockAlert(Base):
    """Something a supervisor should act on: a SKU low on stock, or a pick face that needs
    stock no reserve bin has. Open until the condition clears; one open alert per key."""

    __tablename__ = "stock_alerts"
    __table_args__ = (
        Index(
            "uq_stock_alerts_open_key",
            "key",
            unique=True,
            sqlite_where=_OPEN_ALERT,
            postgresql_where=_OPEN_ALERT,
        ),
        Index("ix_stock_alerts_status", "status", "id"),
    )
    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # low_stock, no_reserve
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    available: Mapped[int]  # low_stock: available units; no_reserve: on hand at the face
    threshold: Mapped[int]  # low_stock: the level; no_reserve: the face's min
    message: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(12), default="open")  # open, resolved
    created_at: Mapped[created_at]
    resolved_at: Mapped[datetime | None]
