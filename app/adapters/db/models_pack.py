"""Pack station tables: what was planned for each carton, packer overrides, pack photos.

Photos are files on disk under the pack photo folder (docs/pack.md); the row keeps the path
relative to that folder, the size and the SHA-256, so the database stays small and a photo
can be proved unchanged when a customer disputes what was in the box."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, created_at, intpk


class CartonPlan(Base):
    """How a closed carton was meant to be packed: the placements (every unit's position and
    turn inside the carton) and what the carton was expected to cost to ship."""

    __tablename__ = "pack_carton_plans"
    id: Mapped[intpk]
    carton_id: Mapped[int] = mapped_column(ForeignKey("cartons.id"), unique=True)
    carton_type: Mapped[str] = mapped_column(String(40))
    recommended: Mapped[str | None] = mapped_column(String(200))  # the recommendation's label
    placements: Mapped[list[Any]]  # [{sku, pos_mm, dims_mm}]
    carton_cost_minor: Mapped[int]
    rate_minor: Mapped[int | None]
    carrier: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(40))
    billable_g: Mapped[int | None]
    currency: Mapped[str | None] = mapped_column(String(3))
    why: Mapped[str | None] = mapped_column(Text)
    at: Mapped[created_at]


class PackOverride(Base):
    """A packer closed a carton other than the recommended one, and why."""

    __tablename__ = "pack_overrides"
    id: Mapped[intpk]
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    carton_id: Mapped[int | None] = mapped_column(ForeignKey("cartons.id"), index=True)
    recommended: Mapped[str] = mapped_column(String(200))  # e.g. "BOX-M" or "BOX-L + BOX-S"
    chosen: Mapped[str] = mapped_column(String(40))
    reason_code: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(String(400))
    recommended_total_minor: Mapped[int | None]
    chosen_total_minor: Mapped[int | None]
    packer: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[created_at]


class PackPhoto(Base):
    """A photo of a packed carton (or of an order's units before its carton was closed)."""

    __tablename__ = "pack_photos"
    id: Mapped[intpk]
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    carton_id: Mapped[int | None] = mapped_column(ForeignKey("cartons.id"), index=True)
    client_photo_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(300))  # relative to the pack photo folder
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int]
    width_px: Mapped[int]
    height_px: Mapped[int]
    source: Mapped[str] = mapped_column(String(16))  # browser, station
    camera: Mapped[str | None] = mapped_column(String(80))
    codes_seen: Mapped[list[Any] | None]  # barcodes decoded in the photo
    taken_by: Mapped[str | None] = mapped_column(String(40))
    taken_at: Mapped[created_at]
