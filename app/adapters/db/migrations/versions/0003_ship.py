"""ship station: labels with void history, label prints, manifests

Revision ID: 0003_ship
Revises: 0002
Create Date: 2026-11-26 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_ship"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.adapters.db.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "ship_manifests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("ship_day", sa.Date(), nullable=False),
        sa.Column("carton_count", sa.Integer(), nullable=False),
        sa.Column("total_weight_g", sa.Integer(), nullable=False),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.Column("closed_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ship_manifests")),
        sa.UniqueConstraint("code", name=op.f("uq_ship_manifests_code")),
        sa.UniqueConstraint("carrier", "ship_day", name="uq_ship_manifest_day"),
    )
    op.create_table(
        "ship_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("carton_pk", sa.Integer(), nullable=False),
        sa.Column("allocation_pk", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=True),
        sa.Column("carrier_reference", sa.String(length=120), nullable=True),
        sa.Column("price_minor", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("ship_day", sa.Date(), nullable=True),
        sa.Column("manifest_id", sa.Integer(), nullable=True),
        sa.Column("recommended_carrier", sa.String(length=40), nullable=True),
        sa.Column("recommended_service", sa.String(length=40), nullable=True),
        sa.Column("overridden", sa.Boolean(), nullable=False),
        sa.Column("override_reason", sa.String(length=200), nullable=True),
        sa.Column("options", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("document_format", sa.String(length=8), nullable=True),
        sa.Column("bought_by", sa.String(length=40), nullable=True),
        sa.Column("bought_at", UTC(timezone=True), nullable=False),
        sa.Column("voided_at", UTC(timezone=True), nullable=True),
        sa.Column("voided_by", sa.String(length=40), nullable=True),
        sa.Column("void_reason", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(
            ["allocation_pk"],
            ["allocations.id"],
            name=op.f("fk_ship_labels_allocation_pk_allocations"),
        ),
        sa.ForeignKeyConstraint(
            ["carton_pk"], ["cartons.id"], name=op.f("fk_ship_labels_carton_pk_cartons")
        ),
        sa.ForeignKeyConstraint(
            ["manifest_id"],
            ["ship_manifests.id"],
            name=op.f("fk_ship_labels_manifest_id_ship_manifests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ship_labels")),
        sa.UniqueConstraint("tracking_number", name=op.f("uq_ship_labels_tracking_number")),
    )
    op.create_index("ix_ship_labels_open", "ship_labels", ["carrier", "status", "manifest_id"])
    op.create_index(op.f("ix_ship_labels_carton_pk"), "ship_labels", ["carton_pk"])
    op.create_index(op.f("ix_ship_labels_allocation_pk"), "ship_labels", ["allocation_pk"])
    op.create_index(op.f("ix_ship_labels_manifest_id"), "ship_labels", ["manifest_id"])
    op.create_table(
        "ship_label_prints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("station", sa.String(length=40), nullable=True),
        sa.Column("printer", sa.String(length=120), nullable=True),
        sa.Column("reprint", sa.Boolean(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.String(length=400), nullable=True),
        sa.Column("by", sa.String(length=40), nullable=True),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["label_id"], ["ship_labels.id"], name=op.f("fk_ship_label_prints_label_id_ship_labels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ship_label_prints")),
    )
    op.create_index(op.f("ix_ship_label_prints_label_id"), "ship_label_prints", ["label_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_ship_label_prints_label_id"), table_name="ship_label_prints")
    op.drop_table("ship_label_prints")
    op.drop_index(op.f("ix_ship_labels_manifest_id"), table_name="ship_labels")
    op.drop_index(op.f("ix_ship_labels_allocation_pk"), table_name="ship_labels")
    op.drop_index(op.f("ix_ship_labels_carton_pk"), table_name="ship_labels")
    op.drop_index("ix_ship_labels_open", table_name="ship_labels")
    op.drop_table("ship_labels")
    op.drop_table("ship_manifests")
