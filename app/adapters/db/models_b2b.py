"""B2B freight tables: every SSCC we issued (cartons and pallets), pallets and the cartons on
them, bills of lading."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk


class IssuedSscc(Base):
    """One SSCC, issued once: to one carton or one pallet. The unique number is what makes
    "never reused" hold even if the configured range is moved back."""

    __tablename__ = "ssccs"
    __table_args__ = (
        CheckConstraint(
            "(carton_pk IS NULL) <> (pallet_id IS NULL)", name="one_carton_or_one_pallet"
        ),
    )
    id: Mapped[intpk]
    sscc: Mapped[str] = mapped_column(String(18), unique=True)
    kind: Mapped[str] = mapped_column(String(8))  # carton, pallet
    carton_pk: Mapped[int | None] = mapped_column(ForeignKey("cartons.id"), unique=True)
    pallet_id: Mapped[int | None] = mapped_column(ForeignKey("pallets.id"), unique=True)
    issued_at: Mapped[created_at]


class BillOfLading(Base):
    """The freight document for one consignee's pallets handed to one carrier."""

    __tablename__ = "bills_of_lading"
    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(17), unique=True)  # a GSIN (AI 402)
    carrier: Mapped[str] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(40))
    pro_number: Mapped[str | None] = mapped_column(String(64))
    consignee_key: Mapped[str] = mapped_column(String(40), index=True)
    freight_terms: Mapped[str] = mapped_column(String(16))  # prepaid, collect, third_party
    freight_class: Mapped[str | None] = mapped_column(String(8))
    special_instructions: Mapped[str | None] = mapped_column(Text)
    trailer_number: Mapped[str | None] = mapped_column(String(40))
    seal_number: Mapped[str | None] = mapped_column(String(40))
    ship_day: Mapped[date]
    price_minor: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[created_at]
    # What was printed, kept so a reprint is the same document.
    snapshot: Mapped[dict[str, Any]]


class Pallet(Base):
    """A pallet built at the ship station: open while cartons are scanned on, closed with its
    measured weight and height and an SSCC label, shipped with a bill of lading."""

    __tablename__ = "pallets"
    __table_args__ = (
        CheckConstraint("height_mm IS NULL OR height_mm > 0", name="height_positive"),
        CheckConstraint("weight_g IS NULL OR weight_g > 0", name="weight_positive"),
    )
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)  # PAL000001
    status: Mapped[str] = mapped_column(String(12), index=True)  # open, closed, shipped
    consignee_key: Mapped[str | None] = mapped_column(String(40), index=True)
    station: Mapped[str | None] = mapped_column(String(40))
    pallet_type: Mapped[str] = mapped_column(String(16))
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    tare_g: Mapped[int]
    height_mm: Mapped[int | None]
    weight_g: Mapped[int | None]  # gross, as measured when it was closed
    kind: Mapped[str | None] = mapped_column(String(12))  # single_sku, mixed
    content_gtin: Mapped[str | None] = mapped_column(String(14))
    content_count: Mapped[int | None]
    bol_id: Mapped[int | None] = mapped_column(ForeignKey("bills_of_lading.id"), index=True)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[created_at]
    closed_by: Mapped[str | None] = mapped_column(String(40))
    closed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]


class PalletCarton(Base):
    """A carton on a pallet; a carton is on one pallet at most."""

    __tablename__ = "pallet_cartons"
    id: Mapped[intpk]
    pallet_id: Mapped[int] = mapped_column(ForeignKey("pallets.id"), index=True)
    carton_pk: Mapped[int] = mapped_column(ForeignKey("cartons.id"), unique=True)
    added_by: Mapped[str | None] = mapped_column(String(40))
    added_at: Mapped[created_at]
