"""reports: facts and daily rollups of the operations reports, indexes for the refresh

Revision ID: 0003_reports
Revises: 0002
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_reports"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
# The indexes go on tables of the pick app and the returns station.
depends_on: str | Sequence[str] | None = ("0003_pick", "0003_returns")


def upgrade() -> None:
    op.create_table(
        "report_carton_facts",
        sa.Column("carton_pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("carton_type", sa.String(length=40), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column(
            "contents_mm3", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "inner_mm3", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("billable_g", sa.Integer(), nullable=True),
        sa.Column("price_minor", sa.Integer(), nullable=True),
        sa.Column("largest_type", sa.String(length=40), nullable=True),
        sa.Column("largest_billable_g", sa.Integer(), nullable=True),
        sa.Column("largest_price_minor", sa.Integer(), nullable=True),
        sa.Column("avoided_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.PrimaryKeyConstraint("carton_pk", name=op.f("pk_report_carton_facts")),
    )
    op.create_index(
        "ix_report_carton_facts_day", "report_carton_facts", ["day", "carton_type"], unique=False
    )
    op.create_table(
        "report_cycle_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("service_level", sa.String(length=16), nullable=False),
        sa.Column("bucket_min", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_cycle_daily")),
    )
    op.create_index("ix_report_cycle_daily_day", "report_cycle_daily", ["day"], unique=False)
    op.create_table(
        "report_cycle_monthly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("service_level", sa.String(length=16), nullable=False),
        sa.Column("bucket_min", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_cycle_monthly")),
    )
    op.create_index(
        "ix_report_cycle_monthly_month", "report_cycle_monthly", ["month"], unique=False
    )
    op.create_table(
        "report_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("built_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_report_days")),
    )
    op.create_table(
        "report_error_facts",
        sa.Column(
            "scan_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("cause", sa.String(length=24), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("picker", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=True),
        sa.Column("at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scan_id", name=op.f("pk_report_error_facts")),
    )
    op.create_index(
        "ix_report_error_facts_day", "report_error_facts", ["day", "stage"], unique=False
    )
    op.create_table(
        "report_exception_facts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("cause", sa.String(length=80), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=True),
        sa.Column("allocation_id", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_exception_facts")),
        sa.UniqueConstraint("source", "source_id", name="uq_report_exception_source"),
    )
    op.create_index(
        "ix_report_exception_facts_day", "report_exception_facts", ["day", "kind"], unique=False
    )
    op.create_table(
        "report_hold_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("held_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("seen_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_hold_log")),
        sa.UniqueConstraint("allocation_pk", "held_at", name="uq_report_hold_log_hold"),
    )
    op.create_index("ix_report_hold_log_held_at", "report_hold_log", ["held_at"], unique=False)
    op.create_table(
        "report_order_facts",
        sa.Column("allocation_pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("allocation_id", sa.String(length=64), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("service_level", sa.String(length=16), nullable=False),
        sa.Column("received_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ship_by", app.adapters.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deadline_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("cycle_min", sa.Integer(), nullable=False),
        sa.Column("cycle_bucket", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("cartons", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("allocation_pk", name=op.f("pk_report_order_facts")),
    )
    op.create_index(
        "ix_report_order_facts_day", "report_order_facts", ["day", "carrier"], unique=False
    )
    op.create_index(
        "ix_report_order_facts_verdict_day", "report_order_facts", ["verdict", "day"], unique=False
    )
    op.create_table(
        "report_orders_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("service_level", sa.String(length=16), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Integer(), nullable=False),
        sa.Column("late", sa.Integer(), nullable=False),
        sa.Column("missed_pickup", sa.Integer(), nullable=False),
        sa.Column("no_promise", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column(
            "cycle_min_sum", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_orders_daily")),
    )
    op.create_index("ix_report_orders_daily_day", "report_orders_daily", ["day"], unique=False)
    op.create_table(
        "report_packaging_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("carton_type", sa.String(length=40), nullable=False),
        sa.Column("cartons", sa.Integer(), nullable=False),
        sa.Column(
            "contents_mm3", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "inner_mm3", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("compared", sa.Integer(), nullable=False),
        sa.Column(
            "billable_g", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "largest_billable_g",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "price_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "largest_price_minor",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "avoided_minor", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_packaging_daily")),
    )
    op.create_index(
        "ix_report_packaging_daily_day", "report_packaging_daily", ["day"], unique=False
    )
    op.create_table(
        "report_productivity_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("station", sa.String(length=16), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("working_s", sa.Integer(), nullable=False),
        sa.Column("picks", sa.Integer(), nullable=False),
        sa.Column("walks", sa.Integer(), nullable=False),
        sa.Column(
            "travel_mm", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_productivity_daily")),
    )
    op.create_index(
        "ix_report_productivity_daily_day", "report_productivity_daily", ["day"], unique=False
    )
    op.create_table(
        "report_return_facts",
        sa.Column("unit_pk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.String(length=12), nullable=False),
        sa.Column("grade_reason", sa.String(length=20), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=True),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("received_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("unit_pk", name=op.f("pk_report_return_facts")),
    )
    op.create_index("ix_report_return_facts_day", "report_return_facts", ["day"], unique=False)
    op.create_table(
        "report_state",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_report_state")),
    )
    op.create_table(
        "report_units_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_units_daily")),
    )
    op.create_index(
        "ix_report_units_daily_day", "report_units_daily", ["day", "kind"], unique=False
    )
    op.create_index(
        "ix_report_units_daily_key",
        "report_units_daily",
        ["kind", "stage", "key", "day"],
        unique=False,
    )
    op.create_table(
        "report_units_monthly",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=16), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("stage", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_units_monthly")),
    )
    op.create_index(
        "ix_report_units_monthly_month", "report_units_monthly", ["month", "kind"], unique=False
    )
    op.create_index(
        "ix_report_units_monthly_key",
        "report_units_monthly",
        ["kind", "stage", "key", "month"],
        unique=False,
    )
    # The row a refresh locks while it writes (one refresh at a time across workers).
    op.bulk_insert(
        sa.table("report_state", sa.column("key", sa.String), sa.column("value", sa.String)),
        [{"key": "lock", "value": ""}],
    )
    # Existing tables: the refresh reads one operating day of each kind of event.
    op.create_index("ix_cartons_shipped_at", "cartons", ["shipped_at"], unique=False)
    op.create_index("ix_outbox_type_created_at", "outbox", ["type", "created_at"], unique=False)
    op.create_index("ix_pick_shorts_at", "pick_shorts", ["at"], unique=False)
    op.create_index("ix_pick_tasks_completed_at", "pick_tasks", ["completed_at"], unique=False)
    op.create_index("ix_return_units_graded_at", "return_units", ["graded_at"], unique=False)
    op.create_index("ix_return_units_scanned_at", "return_units", ["scanned_at"], unique=False)
    op.create_index(
        "ix_stock_movements_reason_at", "stock_movements", ["reason", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_report_units_monthly_key", table_name="report_units_monthly")
    op.drop_index("ix_report_units_monthly_month", table_name="report_units_monthly")
    op.drop_table("report_units_monthly")
    op.drop_index("ix_stock_movements_reason_at", table_name="stock_movements")
    op.drop_index("ix_return_units_scanned_at", table_name="return_units")
    op.drop_index("ix_return_units_graded_at", table_name="return_units")
    op.drop_index("ix_pick_tasks_completed_at", table_name="pick_tasks")
    op.drop_index("ix_pick_shorts_at", table_name="pick_shorts")
    op.drop_index("ix_outbox_type_created_at", table_name="outbox")
    op.drop_index("ix_cartons_shipped_at", table_name="cartons")
    op.drop_index("ix_report_units_daily_key", table_name="report_units_daily")
    op.drop_index("ix_report_units_daily_day", table_name="report_units_daily")
    op.drop_index("ix_report_return_facts_day", table_name="report_return_facts")
    op.drop_index("ix_report_productivity_daily_day", table_name="report_productivity_daily")
    op.drop_index("ix_report_packaging_daily_day", table_name="report_packaging_daily")
    op.drop_index("ix_report_orders_daily_day", table_name="report_orders_daily")
    op.drop_index("ix_report_order_facts_verdict_day", table_name="report_order_facts")
    op.drop_index("ix_report_order_facts_day", table_name="report_order_facts")
    op.drop_index("ix_report_hold_log_held_at", table_name="report_hold_log")
    op.drop_index("ix_report_exception_facts_day", table_name="report_exception_facts")
    op.drop_index("ix_report_error_facts_day", table_name="report_error_facts")
    op.drop_index("ix_report_cycle_monthly_month", table_name="report_cycle_monthly")
    op.drop_index("ix_report_cycle_daily_day", table_name="report_cycle_daily")
    op.drop_index("ix_report_carton_facts_day", table_name="report_carton_facts")
    op.drop_table("report_units_daily")
    op.drop_table("report_state")
    op.drop_table("report_return_facts")
    op.drop_table("report_productivity_daily")
    op.drop_table("report_packaging_daily")
    op.drop_table("report_orders_daily")
    op.drop_table("report_order_facts")
    op.drop_table("report_hold_log")
    op.drop_table("report_exception_facts")
    op.drop_table("report_error_facts")
    op.drop_table("report_days")
    op.drop_table("report_cycle_monthly")
    op.drop_table("report_cycle_daily")
    op.drop_table("report_carton_facts")
