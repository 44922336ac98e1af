"""Returns station tables: a receipt per parcel, a row per unit, a row per photo.

Photos are files on disk (see docs/returns.md): the row holds the path relative to the photo
folder, the size and the SHA-256, so the database stays small and a photo can be checked
against what was recorded."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.adapters.db.models import Base, created_at, intpk


class ReturnReceipt(Base):
    """One parcel received at the returns station, against an RMA or into review."""

    __tablename__ = "return_receipts"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    rma_pk: Mapped[int | None] = mapped_column(ForeignKey("return_authorizations.id"), index=True)
    rma_id: Mapped[str | None] = mapped_column(String(64))
    allocation_pk: Mapped[int | None] = mapped_column(ForeignKey("allocations.id"), index=True)
    order_number: Mapped[str | None] = mapped_column(String(64))
    scanned_code: Mapped[str] = mapped_column(String(80))
    matched_by: Mapped[str] = mapped_column(String(16))  # rma, order, allocation, tracking, none
    status: Mapped[str] = mapped_column(String(16), index=True)  # open, review, closed
    opened_by: Mapped[str | None] = mapped_column(String(40))
    opened_at: Mapped[created_at]
    resolved_by: Mapped[str | None] = mapped_column(String(40))
    resolved_at: Mapped[datetime | None]
    closed_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]
    units: Mapped[list[ReturnUnit]] = relationship(
        back_populates="receipt", order_by="ReturnUnit.seq", lazy="selectin"
    )


class ReturnUnit(Base):
    """One unit taken out of a returned parcel: what it is, its grade and where it went."""

    __tablename__ = "return_units"
    __table_args__ = (UniqueConstraint("receipt_id", "seq", name="uq_return_unit_seq"),)
    id: Mapped[intpk]
    receipt_id: Mapped[int] = mapped_column(ForeignKey("return_receipts.id"), index=True)
    seq: Mapped[int]
    raw_code: Mapped[str] = mapped_column(String(400))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    sku: Mapped[str | None] = mapped_column(String(64))
    line_id: Mapped[str | None] = mapped_column(String(40))
    flag: Mapped[str | None] = mapped_column(String(20))  # over_authorized, not_on_order, ...
    grade: Mapped[str | None] = mapped_column(String(12))  # resellable, damaged, dispose
    reason_code: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(200))
    # scanned, awaiting_put_away, restocked, quarantined, disposed, held, set_aside
    status: Mapped[str] = mapped_column(String(20))
    suggested_location: Mapped[str | None] = mapped_column(String(40))
    location_code: Mapped[str | None] = mapped_column(String(40))
    stock_id: Mapped[int | None] = mapped_column(ForeignKey("stock.id"))
    scanned_by: Mapped[str | None] = mapped_column(String(40))
    scanned_at: Mapped[created_at]
    graded_by: Mapped[str | None] = mapped_column(String(40))
    graded_at: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(40))
    done_at: Mapped[datetime | None]
    receipt: Mapped[ReturnReceipt] = relationship(back_populates="units")
    photos: Mapped[list[ReturnPhoto]] = relationship(order_by="ReturnPhoto.id", lazy="selectin")


class ReturnPhoto(Base):
    """A photo of a returned unit, stored as a JPEG file under the photo folder."""

    __tablename__ = "return_photos"
    __table_args__ = (Index("ix_return_photos_receipt", "receipt_id"),)
    id: Mapped[intpk]
    unit_id: Mapped[int] = mapped_column(ForeignKey("return_units.id"), index=True)
    receipt_id: Mapped[int] = mapped_column(ForeignKey("return_receipts.id"))
    client_photo_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(300))  # relative to the photo folder
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    width_px: Mapped[int]
    height_px: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))  # camera, file
    taken_by: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[created_at]


class ReturnLabelRecord(Base):
    """The prepaid return label issued for an RMA: one tracking number, issued once, so a
    reprint or the OMS asking again gets the same label and the parcel is found by it."""

    __tablename__ = "return_labels"
    id: Mapped[intpk]
    rma_pk: Mapped[int] = mapped_column(ForeignKey("return_authorizations.id"), unique=True)
    tracking_number: Mapped[str] = mapped_column(String(64), unique=True)
    carrier: Mapped[str] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(40))
    weight_g: Mapped[int | None]
    issued_by: Mapped[str | None] = mapped_column(String(40))
    issued_at: Mapped[created_at]
