"""cycle counts: count task workflow columns, count lines, adjustments, counter presence

Revision ID: 0003_counts
Revises: 0003_pick
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.db.models

revision: str = "0003_counts"
down_revision: str | None = "0003_pick"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.adapters.db.models.UTCDateTime


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table (it cannot drop NOT NULL in place); PostgreSQL
    # gets plain ALTER TABLE statements.
    with op.batch_alter_table("count_tasks", schema=None) as batch_op:
        batch_op.alter_column("stock_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column("sku_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), server_default="short_pick", nullable=False)
        )
        batch_op.add_column(sa.Column("recount_of", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assigned_to", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("avoid_counter", sa.String(length=40), nullable=True))
        batch_op.add_column(
            sa.Column("location_confirmed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("counted_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("counted_at", UTC(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("outcome", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("decided_by", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("reason_code", sa.String(length=24), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_count_tasks_recount_of_count_tasks"),
            "count_tasks",
            ["recount_of"],
            ["id"],
        )
        batch_op.create_index(
            "ix_count_tasks_location_status", ["location_id", "status"], unique=False
        )

    op.create_table(
        "count_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_task_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=True),
        sa.Column("lot", sa.String(length=40), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("counted_qty", sa.Integer(), nullable=False),
        sa.Column("system_qty", sa.Integer(), nullable=True),
        sa.Column("stock_id", sa.Integer(), nullable=True),
        sa.Column("counted_by", sa.String(length=40), nullable=True),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint("counted_qty >= 0", name=op.f("ck_count_lines_counted_not_negative")),
        sa.ForeignKeyConstraint(
            ["count_task_id"],
            ["count_tasks.id"],
            name=op.f("fk_count_lines_count_task_id_count_tasks"),
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_count_lines_sku_id_skus")),
        sa.ForeignKeyConstraint(
            ["stock_id"], ["stock.id"], name=op.f("fk_count_lines_stock_id_stock")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_lines")),
        sa.UniqueConstraint("count_task_id", "item", "lot", name="uq_count_lines_task_item_lot"),
    )
    op.create_index(
        op.f("ix_count_lines_count_task_id"), "count_lines", ["count_task_id"], unique=False
    )

    op.create_table(
        "count_adjustments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("count_task_id", sa.Integer(), nullable=False),
        sa.Column("stock_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=40), nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("value_minor", sa.Integer(), nullable=True),
        sa.Column("reason_code", sa.String(length=24), nullable=False),
        sa.Column("approved_by", sa.String(length=40), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["count_task_id"],
            ["count_tasks.id"],
            name=op.f("fk_count_adjustments_count_task_id_count_tasks"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["locations.id"],
            name=op.f("fk_count_adjustments_location_id_locations"),
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_count_adjustments_sku_id_skus")
        ),
        sa.ForeignKeyConstraint(
            ["stock_id"], ["stock.id"], name=op.f("fk_count_adjustments_stock_id_stock")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_adjustments")),
    )
    op.create_index(
        op.f("ix_count_adjustments_count_task_id"),
        "count_adjustments",
        ["count_task_id"],
        unique=False,
    )

    op.create_table(
        "count_presence",
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("seen_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("badge", name=op.f("pk_count_presence")),
    )


def downgrade() -> None:
    op.drop_table("count_presence")
    op.drop_index(op.f("ix_count_adjustments_count_task_id"), table_name="count_adjustments")
    op.drop_table("count_adjustments")
    op.drop_index(op.f("ix_count_lines_count_task_id"), table_name="count_lines")
    op.drop_table("count_lines")
    with op.batch_alter_table("count_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_count_tasks_location_status")
        batch_op.drop_constraint(
            batch_op.f("fk_count_tasks_recount_of_count_tasks"), type_="foreignkey"
        )
        for column in (
            "reason_code",
            "decided_by",
            "outcome",
            "counted_at",
            "counted_by",
            "location_confirmed",
            "avoid_counter",
            "assigned_to",
            "recount_of",
            "source",
        ):
            batch_op.drop_column(column)
        batch_op.alter_column("sku_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("stock_id", existing_type=sa.Integer(), nullable=False)
