"""pick app: units picked (lot, expiry, serial), short picks, count tasks

Revision ID: 0003_pick
Revises: 0002
Create Date: 2026-11-26 06:51:57.659488
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_pick"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "count_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("expected_on_hand", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_by", sa.String(length=40), nullable=True),
        sa.Column("pick_task_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_count_tasks_location_id_locations")
        ),
        sa.ForeignKeyConstraint(
            ["pick_task_id"],
            ["pick_tasks.id"],
            name=op.f("fk_count_tasks_pick_task_id_pick_tasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_count_tasks_sku_id_skus")),
        sa.ForeignKeyConstraint(
            ["stock_id"], ["stock.id"], name=op.f("fk_count_tasks_stock_id_stock")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_tasks")),
    )
    op.create_index(
        "ix_count_tasks_stock_status", "count_tasks", ["stock_id", "status"], unique=False
    )

    op.create_table(
        "pick_shorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pick_task_id", sa.Integer(), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("line_pk", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("missing_qty", sa.Integer(), nullable=False),
        sa.Column("reallocated_qty", sa.Integer(), nullable=False),
        sa.Column("short_qty", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=True),
        sa.Column("at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_pk"],
            ["allocations.id"],
            name=op.f("fk_pick_shorts_allocation_pk_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["line_pk"],
            ["allocation_lines.id"],
            name=op.f("fk_pick_shorts_line_pk_allocation_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["pick_task_id"], ["pick_tasks.id"], name=op.f("fk_pick_shorts_pick_task_id_pick_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["stock_id"], ["stock.id"], name=op.f("fk_pick_shorts_stock_id_stock")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_shorts")),
    )
    op.create_index(
        op.f("ix_pick_shorts_allocation_pk"), "pick_shorts", ["allocation_pk"], unique=False
    )
    op.create_index(
        op.f("ix_pick_shorts_pick_task_id"), "pick_shorts", ["pick_task_id"], unique=False
    )

    op.create_table(
        "pick_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pick_task_id", sa.Integer(), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("line_pk", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=40), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("serial", sa.String(length=64), nullable=True),
        sa.Column("client_scan_id", sa.String(length=64), nullable=True),
        sa.Column("at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_pk"],
            ["allocations.id"],
            name=op.f("fk_pick_units_allocation_pk_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["line_pk"],
            ["allocation_lines.id"],
            name=op.f("fk_pick_units_line_pk_allocation_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["pick_task_id"], ["pick_tasks.id"], name=op.f("fk_pick_units_pick_task_id_pick_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["stock_id"], ["stock.id"], name=op.f("fk_pick_units_stock_id_stock")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_units")),
        sa.UniqueConstraint("line_pk", "serial", name="uq_pick_units_line_serial"),
    )
    op.create_index(
        op.f("ix_pick_units_allocation_pk"), "pick_units", ["allocation_pk"], unique=False
    )
    op.create_index(op.f("ix_pick_units_line_pk"), "pick_units", ["line_pk"], unique=False)
    op.create_index(
        op.f("ix_pick_units_pick_task_id"), "pick_units", ["pick_task_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("pick_units")
    op.drop_table("pick_shorts")
    op.drop_index("ix_count_tasks_stock_status", table_name="count_tasks")
    op.drop_table("count_tasks")
