"""Reports: facts (one row per shipped order, shipped carton, caught error, exception,
returned unit) and daily rollups, all keyed by the operating day they belong to.

Everything here is derived: `app.services.reports.refresh` rebuilds a day from the scan log,
the ledger and the order tables (delete the day, insert it again), so these tables can be
dropped and rebuilt at any time (`dockhand reports rebuild`). Only `report_hold_log` holds
something the other tables do not: the holds the refresh saw (an OMS hold leaves no history
once released).

The indexes at the end go on existing tables: the refresh reads one day at a time by the
time each event happened.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import (
    Base,
    Carton,
    OutboxEvent,
    PickTask,
    StockMovement,
    intpk,
)
from app.adapters.db.models_pick import PickShort
from app.adapters.db.models_returns import ReturnUnit

big = BigInteger().with_variant(Integer, "sqlite")

# Dimensions every rollup shares. "" means "not known for this row" (no carrier yet, a
# station without a zone), so filters compare plain strings and NULLs never hide rows.
_DIM = 40


class ReportState(Base):
    """The refresh's watermarks: when it last ran, the last scan id it had seen."""

    __tablename__ = "report_state"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class ReportDay(Base):
    """An operating day whose facts and rollups are built, and when."""

    __tablename__ = "report_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    built_at: Mapped[datetime]
    orders: Mapped[int] = mapped_column(default=0)
    scans: Mapped[int] = mapped_column(default=0)


class ReportOrderFact(Base):
    """A shipped allocation: when, by which carrier, on time or not, its cycle time."""

    __tablename__ = "report_order_facts"
    __table_args__ = (
        Index("ix_report_order_facts_day", "day", "carrier"),
        Index("ix_report_order_facts_verdict_day", "verdict", "day"),
    )
    allocation_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    allocation_id: Mapped[str] = mapped_column(String(64))
    order_number: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    service: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    service_level: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime]
    ship_by: Mapped[datetime | None]
    deadline_at: Mapped[datetime | None]
    shipped_at: Mapped[datetime]
    verdict: Mapped[str] = mapped_column(String(16))
    cycle_min: Mapped[int]
    cycle_bucket: Mapped[int]
    units: Mapped[int]
    cartons: Mapped[int]


class ReportOrdersDaily(Base):
    __tablename__ = "report_orders_daily"
    __table_args__ = (Index("ix_report_orders_daily_day", "day"),)
    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    service_level: Mapped[str] = mapped_column(String(16))
    orders: Mapped[int]
    on_time: Mapped[int]
    late: Mapped[int]
    missed_pickup: Mapped[int]
    no_promise: Mapped[int]
    units: Mapped[int]
    cycle_min_sum: Mapped[int] = mapped_column(big)


class ReportCycleDaily(Base):
    """Cycle-time histogram: orders per bucket (lower bound in minutes)."""

    __tablename__ = "report_cycle_daily"
    __table_args__ = (Index("ix_report_cycle_daily_day", "day"),)
    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    service_level: Mapped[str] = mapped_column(String(16))
    bucket_min: Mapped[int]
    orders: Mapped[int]


class ReportCycleMonthly(Base):
    """The same histogram summed per calendar month of operating days (`month` is the
    first day): a year's question reads twelve months instead of 365 days."""

    __tablename__ = "report_cycle_monthly"
    __table_args__ = (Index("ix_report_cycle_monthly_month", "month"),)
    id: Mapped[intpk]
    month: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    service_level: Mapped[str] = mapped_column(String(16))
    bucket_min: Mapped[int]
    orders: Mapped[int]


class ReportCartonFact(Base):
    """A shipped carton: how full it was, and what dimensional weight it saved against the
    largest carton its contents fit."""

    __tablename__ = "report_carton_facts"
    __table_args__ = (Index("ix_report_carton_facts_day", "day", "carton_type"),)
    carton_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(40))
    allocation_pk: Mapped[int]
    order_number: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    service: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    carton_type: Mapped[str] = mapped_column(String(40))
    units: Mapped[int]
    weight_g: Mapped[int]
    contents_mm3: Mapped[int] = mapped_column(big)
    inner_mm3: Mapped[int] = mapped_column(big)
    billable_g: Mapped[int | None]
    price_minor: Mapped[int | None]
    largest_type: Mapped[str | None] = mapped_column(String(40))
    largest_billable_g: Mapped[int | None]
    largest_price_minor: Mapped[int | None]
    avoided_minor: Mapped[int]
    currency: Mapped[str | None] = mapped_column(String(3))


class ReportPackagingDaily(Base):
    __tablename__ = "report_packaging_daily"
    __table_args__ = (Index("ix_report_packaging_daily_day", "day"),)
    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    carton_type: Mapped[str] = mapped_column(String(40))
    cartons: Mapped[int]
    contents_mm3: Mapped[int] = mapped_column(big)
    inner_mm3: Mapped[int] = mapped_column(big)
    compared: Mapped[int]  # cartons with both prices known
    billable_g: Mapped[int] = mapped_column(big)
    largest_billable_g: Mapped[int] = mapped_column(big)
    price_minor: Mapped[int] = mapped_column(big)
    largest_price_minor: Mapped[int] = mapped_column(big)
    avoided_minor: Mapped[int] = mapped_column(big)


class ReportErrorFact(Base):
    """A scan that caught an error: a mis-scan at pick, a mis-pack at pack, a weight
    failure. `picker` is who picked the order (for errors caught downstream)."""

    __tablename__ = "report_error_facts"
    __table_args__ = (Index("ix_report_error_facts_day", "day", "stage"),)
    scan_id: Mapped[int] = mapped_column(big, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(_DIM))
    stage: Mapped[str] = mapped_column(String(8))
    cause: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(40))
    picker: Mapped[str] = mapped_column(String(40))
    sku: Mapped[str] = mapped_column(String(64))
    allocation_pk: Mapped[int | None]
    at: Mapped[datetime]


class ReportUnitsDaily(Base):
    """Units handled (the accuracy and returns denominators): per stage, in total
    (kind "total", key ""), per person (kind "person") and per SKU (kind "sku")."""

    __tablename__ = "report_units_daily"
    __table_args__ = (
        Index("ix_report_units_daily_day", "day", "kind"),
        Index("ix_report_units_daily_key", "kind", "stage", "key", "day"),
    )
    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    stage: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64))
    units: Mapped[int]


class ReportUnitsMonthly(Base):
    """The same units summed per calendar month of operating days (`month` is the first
    day), for questions spanning months."""

    __tablename__ = "report_units_monthly"
    __table_args__ = (
        Index("ix_report_units_monthly_month", "month", "kind"),
        Index("ix_report_units_monthly_key", "kind", "stage", "key", "month"),
    )
    id: Mapped[intpk]
    month: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    stage: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(64))
    units: Mapped[int]


class ReportProductivityDaily(Base):
    """One person at one station (device) in one shift and zone: units, scans, working time,
    and for pickers the walking done."""

    __tablename__ = "report_productivity_daily"
    __table_args__ = (Index("ix_report_productivity_daily_day", "day"),)
    id: Mapped[intpk]
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    station: Mapped[str] = mapped_column(String(16))
    device: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(40))
    units: Mapped[int]
    scans: Mapped[int]
    working_s: Mapped[int]
    picks: Mapped[int]
    walks: Mapped[int]
    travel_mm: Mapped[int] = mapped_column(big)


class ReportReturnFact(Base):
    """A returned unit as the returns report sees it (see metrics.ReturnedUnit)."""

    __tablename__ = "report_return_facts"
    __table_args__ = (Index("ix_report_return_facts_day", "day"),)
    unit_pk: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(_DIM))
    channel: Mapped[str] = mapped_column(String(_DIM))
    sku: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(200))
    grade: Mapped[str] = mapped_column(String(12))
    grade_reason: Mapped[str] = mapped_column(String(20))
    allocation_pk: Mapped[int | None]
    order_number: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class ReportExceptionFact(Base):
    """A short pick, backorder, hold, cancel or reject, with its cause."""

    __tablename__ = "report_exception_facts"
    __table_args__ = (
        UniqueConstraint("source", "source_id", name="uq_report_exception_source"),
        Index("ix_report_exception_facts_day", "day", "kind"),
    )
    id: Mapped[intpk]
    source: Mapped[str] = mapped_column(String(16))  # pick_short, outbox, hold_log
    source_id: Mapped[str] = mapped_column(String(64))
    day: Mapped[date] = mapped_column(Date)
    shift: Mapped[str] = mapped_column(String(16))
    zone: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(_DIM))
    kind: Mapped[str] = mapped_column(String(12))
    cause: Mapped[str] = mapped_column(String(80))
    units: Mapped[int]
    sku: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(40))
    allocation_pk: Mapped[int | None]
    allocation_id: Mapped[str] = mapped_column(String(64))
    order_number: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime]


class ReportHoldLog(Base):
    """A hold the refresh saw on an allocation (held_at is when it began)."""

    __tablename__ = "report_hold_log"
    __table_args__ = (
        UniqueConstraint("allocation_pk", "held_at", name="uq_report_hold_log_hold"),
        Index("ix_report_hold_log_held_at", "held_at"),
    )
    id: Mapped[intpk]
    allocation_pk: Mapped[int]
    held_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200))
    seen_at: Mapped[datetime]


# Indexes on existing tables: each lets the refresh read one day of one kind of event.
CARTONS_SHIPPED_AT = Index("ix_cartons_shipped_at", Carton.shipped_at)
PICK_TASKS_COMPLETED_AT = Index("ix_pick_tasks_completed_at", PickTask.completed_at)
STOCK_MOVEMENTS_REASON_AT = Index(
    "ix_stock_movements_reason_at", StockMovement.reason, StockMovement.at
)
OUTBOX_TYPE_CREATED = Index("ix_outbox_type_created_at", OutboxEvent.type, OutboxEvent.created_at)
PICK_SHORTS_AT = Index("ix_pick_shorts_at", PickShort.at)
RETURN_UNITS_SCANNED_AT = Index("ix_return_units_scanned_at", ReturnUnit.scanned_at)
RETURN_UNITS_GRADED_AT = Index("ix_return_units_graded_at", ReturnUnit.graded_at)
