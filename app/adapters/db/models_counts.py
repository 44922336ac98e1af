"""Tables of the cycle counts (docs/counts.md): what each count task found line by line, the
adjustments approved counts made, and which counters are signed in (for recount routing).
The tasks themselves are `count_tasks` (models_pick.CountTask), which short picks raise too."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk


class CountLine(Base):
    """One item (and lot) of one count: what the counter counted and, from the moment the count
    was committed, what the system held then. A line in the task's scope that the counter did
    not count is written with counted_qty 0 at commit."""

    __tablename__ = "count_lines"
    __table_args__ = (
        UniqueConstraint("count_task_id", "item", "lot", name="uq_count_lines_task_item_lot"),
        CheckConstraint("counted_qty >= 0", name="counted_not_negative"),
    )
    id: Mapped[intpk]
    count_task_id: Mapped[int] = mapped_column(ForeignKey("count_tasks.id"), index=True)
    # The SKU code, or for a barcode the item master does not know, that barcode (sku_id NULL).
    item: Mapped[str] = mapped_column(String(64))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    lot: Mapped[str] = mapped_column(String(40), default="")
    expires_on: Mapped[date | None]  # from a GS1 scan: given to found stock on approval
    counted_qty: Mapped[int] = mapped_column(default=0)
    system_qty: Mapped[int | None]  # on-hand when the count was committed
    stock_id: Mapped[int | None] = mapped_column(ForeignKey("stock.id"))
    counted_by: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[created_at]


class CountAdjustment(Base):
    """A stock change an approved count made (also a `count` row in the ledger)."""

    __tablename__ = "count_adjustments"
    id: Mapped[intpk]
    count_task_id: Mapped[int] = mapped_column(ForeignKey("count_tasks.id"), index=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    lot: Mapped[str] = mapped_column(String(40), default="")
    on_hand_delta: Mapped[int]
    value_minor: Mapped[int | None]
    reason_code: Mapped[str] = mapped_column(String(24))
    approved_by: Mapped[str] = mapped_column(String(40))
    at: Mapped[created_at]


class CountPresence(Base):
    """Counters whose /count page was heard from lately: a recount goes to someone else than
    the first counter while anyone else is here."""

    __tablename__ = "count_presence"
    badge: Mapped[str] = mapped_column(String(40), primary_key=True)
    seen_at: Mapped[datetime]
