"""pack station: carton plans (placements), packer overrides, pack photos

Revision ID: 0003_pack
Revises: 0002
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.db.models

revision: str = "0003_pack"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = app.adapters.db.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pack_carton_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carton_id", sa.Integer(), nullable=False),
        sa.Column("carton_type", sa.String(length=40), nullable=False),
        sa.Column("recommended", sa.String(length=200), nullable=True),
        sa.Column("placements", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("carton_cost_minor", sa.Integer(), nullable=False),
        sa.Column("rate_minor", sa.Integer(), nullable=True),
        sa.Column("carrier", sa.String(length=40), nullable=True),
        sa.Column("service", sa.String(length=40), nullable=True),
        sa.Column("billable_g", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("why", sa.Text(), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["carton_id"], ["cartons.id"], name=op.f("fk_pack_carton_plans_carton_id_cartons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_carton_plans")),
        sa.UniqueConstraint("carton_id", name=op.f("uq_pack_carton_plans_carton_id")),
    )
    op.create_table(
        "pack_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("carton_id", sa.Integer(), nullable=True),
        sa.Column("recommended", sa.String(length=200), nullable=False),
        sa.Column("chosen", sa.String(length=40), nullable=False),
        sa.Column("reason_code", sa.String(length=24), nullable=False),
        sa.Column("note", sa.String(length=400), nullable=True),
        sa.Column("recommended_total_minor", sa.Integer(), nullable=True),
        sa.Column("chosen_total_minor", sa.Integer(), nullable=True),
        sa.Column("packer", sa.String(length=40), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_pk"],
            ["allocations.id"],
            name=op.f("fk_pack_overrides_allocation_pk_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["carton_id"], ["cartons.id"], name=op.f("fk_pack_overrides_carton_id_cartons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_overrides")),
    )
    op.create_index(
        op.f("ix_pack_overrides_allocation_pk"), "pack_overrides", ["allocation_pk"], unique=False
    )
    op.create_index(
        op.f("ix_pack_overrides_carton_id"), "pack_overrides", ["carton_id"], unique=False
    )
    op.create_table(
        "pack_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("carton_id", sa.Integer(), nullable=True),
        sa.Column("client_photo_id", sa.String(length=64), nullable=True),
        sa.Column("path", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width_px", sa.Integer(), nullable=False),
        sa.Column("height_px", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("camera", sa.String(length=80), nullable=True),
        sa.Column("codes_seen", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("taken_by", sa.String(length=40), nullable=True),
        sa.Column("taken_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["allocation_pk"],
            ["allocations.id"],
            name=op.f("fk_pack_photos_allocation_pk_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["carton_id"], ["cartons.id"], name=op.f("fk_pack_photos_carton_id_cartons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pack_photos")),
        sa.UniqueConstraint("client_photo_id", name=op.f("uq_pack_photos_client_photo_id")),
    )
    op.create_index(
        op.f("ix_pack_photos_allocation_pk"), "pack_photos", ["allocation_pk"], unique=False
    )
    op.create_index(op.f("ix_pack_photos_carton_id"), "pack_photos", ["carton_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_pack_photos_carton_id"), table_name="pack_photos")
    op.drop_index(op.f("ix_pack_photos_allocation_pk"), table_name="pack_photos")
    op.drop_table("pack_photos")
    op.drop_index(op.f("ix_pack_overrides_carton_id"), table_name="pack_overrides")
    op.drop_index(op.f("ix_pack_overrides_allocation_pk"), table_name="pack_overrides")
    op.drop_table("pack_overrides")
    op.drop_table("pack_carton_plans")
