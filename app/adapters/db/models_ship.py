"""Ship station tables: every label bought (with void history), every print, the manifests."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk


class ShipLabel(Base):
    """One label bought for one carton: pending while an outside carrier is being asked,
    active once its tracking number is stored, voided when taken back. A carton has at most
    one pending or active label; voided ones stay as history."""

    __tablename__ = "ship_labels"
    __table_args__ = (Index("ix_ship_labels_open", "carrier", "status", "manifest_id"),)
    id: Mapped[intpk]
    carton_pk: Mapped[int] = mapped_column(ForeignKey("cartons.id"), index=True)
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))  # pending, active, voided, failed
    carrier: Mapped[str] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(40))
    # The carrier account of the station that bought it (station set-up), when it had one.
    carrier_account: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    carrier_reference: Mapped[str | None] = mapped_column(String(120))
    price_minor: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    weight_g: Mapped[int]
    ship_day: Mapped[date | None]
    manifest_id: Mapped[int | None] = mapped_column(ForeignKey("ship_manifests.id"), index=True)
    # Rate shopping: what was recommended, whether the shipper chose otherwise, and why.
    recommended_carrier: Mapped[str | None] = mapped_column(String(40))
    recommended_service: Mapped[str | None] = mapped_column(String(40))
    overridden: Mapped[bool] = mapped_column(default=False)
    override_reason: Mapped[str | None] = mapped_column(String(200))
    options: Mapped[list[Any]] = mapped_column(default=list)
    document: Mapped[bytes | None] = mapped_column(LargeBinary)  # the carrier's own label
    document_format: Mapped[str | None] = mapped_column(String(8))
    bought_by: Mapped[str | None] = mapped_column(String(40))
    bought_at: Mapped[created_at]
    voided_at: Mapped[datetime | None]
    voided_by: Mapped[str | None] = mapped_column(String(40))
    void_reason: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[str | None] = mapped_column(String(400))


class ShipManifest(Base):
    """The end-of-day close-out of one carrier: one per carrier and ship day."""

    __tablename__ = "ship_manifests"
    __table_args__ = (UniqueConstraint("carrier", "ship_day", name="uq_ship_manifest_day"),)
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    carrier: Mapped[str] = mapped_column(String(40))
    ship_day: Mapped[date]
    carton_count: Mapped[int]
    total_weight_g: Mapped[int]
    closed_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[created_at]


class LabelPrint(Base):
    """Every time a label went to a printer or was opened as PDF: first print or reprint."""

    __tablename__ = "ship_label_prints"
    id: Mapped[intpk]
    label_id: Mapped[int] = mapped_column(ForeignKey("ship_labels.id"), index=True)
    format: Mapped[str] = mapped_column(String(8))  # pdf, zpl
    station: Mapped[str | None] = mapped_column(String(40))
    printer: Mapped[str | None] = mapped_column(String(120))
    reprint: Mapped[bool] = mapped_column(default=False)
    ok: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[str | None] = mapped_column(String(400))
    by: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[created_at]
