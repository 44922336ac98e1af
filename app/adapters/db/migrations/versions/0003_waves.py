"""waves: wave plans, pick batches (carts) and their orders and tasks, picker zones

Revision ID: 0003_waves
Revises: 0002
Create Date: 2026-11-26 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_waves"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = app.adapters.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "wave_plans",
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("strategy", sa.String(length=16), nullable=False),
        sa.Column("planned_by", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=True),
        sa.Column("pickup_at", TS, nullable=True),
        sa.Column("latest_release", TS, nullable=True),
        sa.Column("profile", sa.String(length=16), nullable=True),
        sa.Column("route_mm", sa.Integer(), nullable=False),
        sa.Column("s_shape_mm", sa.Integer(), nullable=False),
        sa.Column("status_before_pause", sa.String(length=16), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_wave_plans_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("wave_id", name=op.f("pk_wave_plans")),
    )
    op.create_table(
        "pick_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("picker", sa.String(length=40), nullable=True),
        sa.Column("route_mm", sa.Integer(), nullable=False),
        sa.Column("s_shape_mm", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("completed_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_pick_batches_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_batches")),
    )
    op.create_index(
        "ix_pick_batches_wave_status", "pick_batches", ["wave_id", "status"], unique=False
    )
    op.create_table(
        "pick_batch_orders",
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_pk"],
            ["allocations.id"],
            name=op.f("fk_pick_batch_orders_allocation_pk_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["pick_batches.id"],
            name=op.f("fk_pick_batch_orders_batch_id_pick_batches"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", "allocation_pk", name=op.f("pk_pick_batch_orders")),
    )
    op.create_table(
        "pick_batch_tasks",
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["pick_batches.id"],
            name=op.f("fk_pick_batch_tasks_batch_id_pick_batches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["pick_tasks.id"],
            name=op.f("fk_pick_batch_tasks_task_id_pick_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_pick_batch_tasks")),
    )
    op.create_index(
        op.f("ix_pick_batch_tasks_batch_id"), "pick_batch_tasks", ["batch_id"], unique=False
    )
    op.create_table(
        "picker_zones",
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("zones", sa.String(length=200), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("badge", name=op.f("pk_picker_zones")),
    )


def downgrade() -> None:
    op.drop_table("picker_zones")
    op.drop_index(op.f("ix_pick_batch_tasks_batch_id"), table_name="pick_batch_tasks")
    op.drop_table("pick_batch_tasks")
    op.drop_table("pick_batch_orders")
    op.drop_index("ix_pick_batches_wave_status", table_name="pick_batches")
    op.drop_table("pick_batches")
    op.drop_table("wave_plans")
