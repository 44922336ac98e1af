"""SQLAlchemy 2.x typed models. Units in names; integers for measures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which has no tz) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use datetime.now(UTC)")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
created_at = Annotated[datetime, mapped_column(UTCDateTime(), default=utcnow)]
code40 = Annotated[str, mapped_column(String(40))]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(none_as_null=True),
        list[Any]: JSON(none_as_null=True),
    }


class User(Base):
    __tablename__ = "users"
    id: Mapped[intpk]
    badge: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))  # picker, packer, shipper, supervisor, admin
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # The screens' language for this person (en, de, nl, pl); None: the station's own.
    language: Mapped[str | None] = mapped_column(String(8))


class Sku(Base):
    __tablename__ = "skus"
    id: Mapped[intpk]
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    weight_g: Mapped[int]
    # A practice item (first shift): never known to the OMS, stocked only in practice bins.
    practice: Mapped[bool] = mapped_column(default=False, server_default=false())
    barcodes: Mapped[list[Barcode]] = relationship(back_populates="sku_ref", lazy="selectin")


class Barcode(Base):
    __tablename__ = "barcodes"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # gtin, alt
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    sku_ref: Mapped[Sku] = relationship(back_populates="barcodes")


class Location(Base):
    __tablename__ = "locations"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # pick, reserve, pack, ship, returns, quarantine
    zone: Mapped[str] = mapped_column(String(16))
    aisle: Mapped[int]
    bay: Mapped[int]
    level: Mapped[int]
    x_mm: Mapped[int]
    y_mm: Mapped[int]


class Stock(Base):
    __tablename__ = "stock"
    __table_args__ = (
        UniqueConstraint("location_id", "sku_id", "lot", name="uq_stock_location_sku_lot"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("allocated >= 0", name="allocated_not_negative"),
        CheckConstraint("allocated <= on_hand", name="allocated_within_on_hand"),
    )
    id: Mapped[intpk]
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    lot: Mapped[str] = mapped_column(String(40), default="")
    expires_on: Mapped[date | None]
    on_hand: Mapped[int] = mapped_column(default=0)
    allocated: Mapped[int] = mapped_column(default=0)
    location: Mapped[Location] = relationship(lazy="joined")
    sku: Mapped[Sku] = relationship(lazy="joined")


class StockMovement(Base):
    """The ledger: every change to on_hand or allocated is one row here."""

    __tablename__ = "stock_movements"
    id: Mapped[intpk]
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"), index=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    on_hand_delta: Mapped[int] = mapped_column(default=0)
    allocated_delta: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(String(24))  # receipt, reserve, release, pick, adjust ...
    reference: Mapped[str | None] = mapped_column(String(80))
    actor: Mapped[str | None] = mapped_column(String(40))
    at: Mapped[created_at]


class Allocation(Base):
    __tablename__ = "allocations"
    id: Mapped[intpk]
    allocation_id: Mapped[str] = mapped_column(String(64), unique=True)
    version: Mapped[int]
    order_number: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(8))
    priority: Mapped[int] = mapped_column(default=5)
    placed_at: Mapped[datetime | None]
    ship_by: Mapped[datetime | None]
    service_level: Mapped[str] = mapped_column(String(16))
    ship_to: Mapped[dict[str, Any]]
    b2b: Mapped[dict[str, Any] | None]
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    wave_id: Mapped[int | None] = mapped_column(ForeignKey("waves.id"), index=True)
    # A hold remembers the status it interrupted, so a release resumes exactly there.
    held_from: Mapped[str | None] = mapped_column(String(16))
    cancel_reason: Mapped[str | None] = mapped_column(String(200))
    # A practice order (first shift): practice stock only, no outbox event, not real work.
    practice: Mapped[bool] = mapped_column(default=False, server_default=false())
    received_at: Mapped[created_at]
    updated_at: Mapped[created_at]
    lines: Mapped[list[AllocationLine]] = relationship(
        back_populates="allocation",
        cascade="all, delete-orphan",
        order_by="AllocationLine.id",
        lazy="selectin",
    )


class AllocationLine(Base):
    __tablename__ = "allocation_lines"
    __table_args__ = (UniqueConstraint("allocation_pk", "line_id", name="uq_line_per_allocation"),)
    id: Mapped[intpk]
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    line_id: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    qty: Mapped[int]
    lot: Mapped[str | None] = mapped_column(String(40))
    serial_required: Mapped[bool] = mapped_column(default=False)
    picked: Mapped[int] = mapped_column(default=0)
    short: Mapped[int] = mapped_column(default=0)
    packed: Mapped[int] = mapped_column(default=0)
    shipped: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[int] = mapped_column(default=0)
    allocation: Mapped[Allocation] = relationship(back_populates="lines")


class Reservation(Base):
    """Units of one allocation line held in one bin until they are picked."""

    __tablename__ = "reservations"
    __table_args__ = (CheckConstraint("qty > 0", name="qty_positive"),)
    id: Mapped[intpk]
    line_pk: Mapped[int] = mapped_column(ForeignKey("allocation_lines.id"), index=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"), index=True)
    qty: Mapped[int]


class Wave(Base):
    __tablename__ = "waves"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # planned, released, done
    created_at: Mapped[created_at]
    released_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    practice: Mapped[bool] = mapped_column(default=False, server_default=false())


class PickTask(Base):
    __tablename__ = "pick_tasks"
    __table_args__ = (
        CheckConstraint("picked_qty >= 0 AND picked_qty <= qty", name="picked_within_qty"),
        Index("ix_pick_tasks_wave_status", "wave_id", "status"),
    )
    id: Mapped[intpk]
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"))
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    line_pk: Mapped[int] = mapped_column(ForeignKey("allocation_lines.id"))
    # Indexed: deleting a reservation (a task's last unit) checks that no task points to it.
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("reservations.id"), index=True)
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    sequence: Mapped[int]
    qty: Mapped[int]
    picked_qty: Mapped[int] = mapped_column(default=0)
    location_confirmed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, active, done
    picker: Mapped[str | None] = mapped_column(String(40))
    tote_code: Mapped[str | None] = mapped_column(String(40))
    completed_at: Mapped[datetime | None]


class Tote(Base):
    __tablename__ = "totes"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    # Indexed: every pick scan asks for the tote its order already uses (a warehouse has
    # thousands of totes; without it that question read all of them).
    allocation_pk: Mapped[int | None] = mapped_column(ForeignKey("allocations.id"), index=True)


class Carton(Base):
    __tablename__ = "cartons"
    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(40), unique=True)
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    carton_type: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # packed, weighed, shipped
    expected_weight_g: Mapped[int]
    weight_g: Mapped[int | None]
    length_mm: Mapped[int]
    width_mm: Mapped[int]
    height_mm: Mapped[int]
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"))
    carrier: Mapped[str | None] = mapped_column(String(40))
    service: Mapped[str | None] = mapped_column(String(40))
    tracking_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    rate_minor: Mapped[int | None]
    packed_by: Mapped[str | None] = mapped_column(String(40))
    packed_at: Mapped[created_at]
    weighed_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime | None]
    lines: Mapped[list[CartonLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CartonLine.id"
    )


class CartonLine(Base):
    __tablename__ = "carton_lines"
    id: Mapped[intpk]
    carton_id: Mapped[int] = mapped_column(ForeignKey("cartons.id"), index=True)
    line_pk: Mapped[int] = mapped_column(ForeignKey("allocation_lines.id"))
    qty: Mapped[int]


class PackUnit(Base):
    """A unit verified by scan at the pack station, waiting for its carton."""

    __tablename__ = "pack_units"
    id: Mapped[intpk]
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    line_pk: Mapped[int] = mapped_column(ForeignKey("allocation_lines.id"))
    carton_id: Mapped[int | None] = mapped_column(ForeignKey("cartons.id"))
    at: Mapped[created_at]


class Shipment(Base):
    __tablename__ = "shipments"
    id: Mapped[intpk]
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    carrier: Mapped[str] = mapped_column(String(40))
    service: Mapped[str] = mapped_column(String(40))
    shipped_at: Mapped[created_at]


class ScanLog(Base):
    """Every scan, accepted or rejected: who, where, when, what was read and what came of it."""

    __tablename__ = "scan_log"
    __table_args__ = (Index("ix_scan_log_at", "at"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    client_scan_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    station: Mapped[str] = mapped_column(String(16))
    device: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str | None] = mapped_column(String(40))
    raw: Mapped[str] = mapped_column(String(400))
    parsed: Mapped[dict[str, Any] | None]
    result: Mapped[str] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(String(400))
    allocation_pk: Mapped[int | None] = mapped_column(index=True)
    task_id: Mapped[int | None]
    at: Mapped[created_at]


class OutboxEvent(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)
    id: Mapped[intpk]
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    allocation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # Events of one stream are delivered in order: an allocation, or one SKU's stock.
    stream_key: Mapped[str] = mapped_column(String(80), index=True, default="")
    body: Mapped[str] = mapped_column(Text)  # exact bytes re-sent on every retry
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[created_at]
    last_error: Mapped[str | None] = mapped_column(String(400))
    created_at: Mapped[created_at]
    sent_at: Mapped[datetime | None]


class Counter(Base):
    """Named sequences (tracking numbers, carton codes) issued inside the same transaction."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class PutBackTask(Base):
    """Picked units of a cancelled line going back to a bin, worked on a handheld."""

    __tablename__ = "put_back_tasks"
    __table_args__ = (CheckConstraint("done_qty >= 0 AND done_qty <= qty", name="done_within_qty"),)
    id: Mapped[intpk]
    allocation_pk: Mapped[int] = mapped_column(ForeignKey("allocations.id"), index=True)
    line_pk: Mapped[int] = mapped_column(ForeignKey("allocation_lines.id"))
    stock_id: Mapped[int] = mapped_column(ForeignKey("stock.id"))
    qty: Mapped[int]
    done_qty: Mapped[int] = mapped_column(default=0)
    location_confirmed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    picker: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[created_at]
    completed_at: Mapped[datetime | None]


class ReturnAuthorization(Base):
    __tablename__ = "return_authorizations"
    id: Mapped[intpk]
    rma_id: Mapped[str] = mapped_column(String(64), unique=True)
    allocation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    order_number: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default="authorized")
    lines: Mapped[list[Any]]
    received_at: Mapped[created_at]


class SyncState(Base):
    """Durable cursors and similar small facts (the pull-mode cursor)."""

    __tablename__ = "sync_state"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(400))


class InboundReject(Base):
    """A pulled message that could not be applied: kept with its errors for supervisors."""

    __tablename__ = "inbound_rejects"
    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str | None] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(80))
    payload: Mapped[str] = mapped_column(Text)
    errors: Mapped[list[Any]]
    at: Mapped[created_at]
