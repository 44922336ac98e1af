"""weigh station: QC exceptions, audit, learned item weights

Revision ID: 0003_weigh
Revises: 0002
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_weigh"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.adapters.db.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "weigh_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carton_id", sa.Integer(), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected_g", sa.Integer(), nullable=False),
        sa.Column("measured_g", sa.Integer(), nullable=False),
        sa.Column("allowed_g", sa.Integer(), nullable=False),
        sa.Column("weighings", sa.Integer(), nullable=False),
        sa.Column("opened_by", sa.String(length=40), nullable=False),
        sa.Column("opened_at", UTC(timezone=True), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("verify_scans", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("verify_problem", sa.String(length=200), nullable=True),
        sa.Column("resolution", sa.String(length=16), nullable=True),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", UTC(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["carton_id"], ["cartons.id"], name=op.f("fk_weigh_exceptions_carton_id_cartons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weigh_exceptions")),
    )
    with op.batch_alter_table("weigh_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_weigh_exceptions_carton_id"), ["carton_id"], unique=False
        )
        batch_op.create_index("ix_weigh_exceptions_status", ["status"], unique=False)

    op.create_table(
        "weigh_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=40), nullable=True),
        sa.Column("station", sa.String(length=40), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("carton_id", sa.Integer(), nullable=True),
        sa.Column("exception_id", sa.Integer(), nullable=True),
        sa.Column("sku_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["carton_id"], ["cartons.id"], name=op.f("fk_weigh_audit_carton_id_cartons")
        ),
        sa.ForeignKeyConstraint(
            ["exception_id"],
            ["weigh_exceptions.id"],
            name=op.f("fk_weigh_audit_exception_id_weigh_exceptions"),
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_weigh_audit_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weigh_audit")),
    )
    with op.batch_alter_table("weigh_audit", schema=None) as batch_op:
        batch_op.create_index("ix_weigh_audit_at", ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_weigh_audit_carton_id"), ["carton_id"], unique=False)

    op.create_table(
        "weight_observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("carton_id", sa.Integer(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("measured_g", sa.Integer(), nullable=False),
        sa.Column("packaging_g", sa.Integer(), nullable=False),
        sa.Column("unit_mg", sa.Integer(), nullable=False),
        sa.Column("master_g", sa.Integer(), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["carton_id"], ["cartons.id"], name=op.f("fk_weight_observations_carton_id_cartons")
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_weight_observations_sku_id_skus")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weight_observations")),
        sa.UniqueConstraint("carton_id", name=op.f("uq_weight_observations_carton_id")),
    )
    with op.batch_alter_table("weight_observations", schema=None) as batch_op:
        batch_op.create_index("ix_weight_observations_sku_at", ["sku_id", "at"], unique=False)

    op.create_table(
        "weight_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("master_g", sa.Integer(), nullable=False),
        sa.Column("proposed_g", sa.Integer(), nullable=False),
        sa.Column("cartons", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("spread_mg", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", UTC(timezone=True), nullable=True),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_weight_proposals_sku_id_skus")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_weight_proposals")),
    )
    with op.batch_alter_table("weight_proposals", schema=None) as batch_op:
        batch_op.create_index("ix_weight_proposals_status", ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_weight_proposals_sku_id"), ["sku_id"], unique=False)


def downgrade() -> None:
    op.drop_table("weight_proposals")
    op.drop_table("weight_observations")
    op.drop_table("weigh_audit")
    op.drop_table("weigh_exceptions")
