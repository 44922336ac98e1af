"""receiving and replenishment: min/max per pick face, replenishment tasks, low-stock
levels, stock alerts

Revision ID: 0003_receiving
Revises: 0002
Create Date: 2026-11-26 09:33:03.824226
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_receiving"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "low_stock_levels",
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("below_units", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.Column("updated_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("below_units >= 0", name=op.f("ck_low_stock_levels_below_not_negative")),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_low_stock_levels_sku_id_skus")
        ),
        sa.PrimaryKeyConstraint("sku_id", name=op.f("pk_low_stock_levels")),
    )
    op.create_table(
        "replenishment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("min_units", sa.Integer(), nullable=False),
        sa.Column("max_units", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.Column("updated_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "max_units > min_units", name=op.f("ck_replenishment_rules_max_above_min")
        ),
        sa.CheckConstraint("min_units >= 0", name=op.f("ck_replenishment_rules_min_not_negative")),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_replenishment_rules_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_replenishment_rules_sku_id_skus")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replenishment_rules")),
        sa.UniqueConstraint("location_id", "sku_id", name="uq_replenishment_rules_face"),
    )
    with op.batch_alter_table("replenishment_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_replenishment_rules_sku_id"), ["sku_id"], unique=False)

    op.create_table(
        "stock_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("available", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("message", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("created_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_stock_alerts_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_stock_alerts_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_alerts")),
    )
    with op.batch_alter_table("stock_alerts", schema=None) as batch_op:
        batch_op.create_index("ix_stock_alerts_status", ["status", "id"], unique=False)
        batch_op.create_index(
            "uq_stock_alerts_open_key",
            ["key"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "replenishment_tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("from_stock_id", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=40), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("moved_qty", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("raised_by", sa.String(length=40), nullable=True),
        sa.Column("assigned_to", sa.String(length=40), nullable=True),
        sa.Column("done_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", app.adapters.db.models.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "moved_qty >= 0 AND moved_qty <= qty",
            name=op.f("ck_replenishment_tasks_moved_within_qty"),
        ),
        sa.CheckConstraint("qty > 0", name=op.f("ck_replenishment_tasks_qty_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["locations.id"],
            name=op.f("fk_replenishment_tasks_from_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["from_stock_id"], ["stock.id"], name=op.f("fk_replenishment_tasks_from_stock_id_stock")
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_replenishment_tasks_sku_id_skus")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["locations.id"],
            name=op.f("fk_replenishment_tasks_to_location_id_locations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_replenishment_tasks")),
    )
    with op.batch_alter_table("replenishment_tasks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_replenishment_tasks_from_stock_id"), ["from_stock_id"], unique=False
        )
        batch_op.create_index(
            "ix_replenishment_tasks_status", ["status", "created_at"], unique=False
        )
        batch_op.create_index(
            "uq_replenishment_tasks_live_face",
            ["to_location_id", "sku_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'active')"),
            postgresql_where=sa.text("status IN ('open', 'active')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("replenishment_tasks", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_replenishment_tasks_live_face",
            sqlite_where=sa.text("status IN ('open', 'active')"),
            postgresql_where=sa.text("status IN ('open', 'active')"),
        )
        batch_op.drop_index("ix_replenishment_tasks_status")
        batch_op.drop_index(batch_op.f("ix_replenishment_tasks_from_stock_id"))

    op.drop_table("replenishment_tasks")
    with op.batch_alter_table("stock_alerts", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_stock_alerts_open_key",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index("ix_stock_alerts_status")

    op.drop_table("stock_alerts")
    with op.batch_alter_table("replenishment_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_replenishment_rules_sku_id"))

    op.drop_table("replenishment_rules")
    op.drop_table("low_stock_levels")
