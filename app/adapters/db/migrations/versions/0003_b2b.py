"""b2b freight: SSCCs issued, pallets and their cartons, bills of lading

Revision ID: 0003_b2b
Revises: 0002
Create Date: 2026-11-27 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_b2b"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.adapters.db.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "bills_of_lading",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=17), nullable=False),
        sa.Column("carrier", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("pro_number", sa.String(length=64), nullable=True),
        sa.Column("consignee_key", sa.String(length=40), nullable=False),
        sa.Column("freight_terms", sa.String(length=16), nullable=False),
        sa.Column("freight_class", sa.String(length=8), nullable=True),
        sa.Column("special_instructions", sa.Text(), nullable=True),
        sa.Column("trailer_number", sa.String(length=40), nullable=True),
        sa.Column("seal_number", sa.String(length=40), nullable=True),
        sa.Column("ship_day", sa.Date(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("snapshot", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bills_of_lading")),
        sa.UniqueConstraint("number", name=op.f("uq_bills_of_lading_number")),
    )
    op.create_index(op.f("ix_bills_of_lading_consignee_key"), "bills_of_lading", ["consignee_key"])
    op.create_table(
        "pallets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("consignee_key", sa.String(length=40), nullable=True),
        sa.Column("station", sa.String(length=40), nullable=True),
        sa.Column("pallet_type", sa.String(length=16), nullable=False),
        sa.Column("length_mm", sa.Integer(), nullable=False),
        sa.Column("width_mm", sa.Integer(), nullable=False),
        sa.Column("tare_g", sa.Integer(), nullable=False),
        sa.Column("height_mm", sa.Integer(), nullable=True),
        sa.Column("weight_g", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=12), nullable=True),
        sa.Column("content_gtin", sa.String(length=14), nullable=True),
        sa.Column("content_count", sa.Integer(), nullable=True),
        sa.Column("bol_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC(timezone=True), nullable=False),
        sa.Column("closed_by", sa.String(length=40), nullable=True),
        sa.Column("closed_at", UTC(timezone=True), nullable=True),
        sa.Column("shipped_at", UTC(timezone=True), nullable=True),
        sa.CheckConstraint(
            "height_mm IS NULL OR height_mm > 0", name=op.f("ck_pallets_height_positive")
        ),
        sa.CheckConstraint(
            "weight_g IS NULL OR weight_g > 0", name=op.f("ck_pallets_weight_positive")
        ),
        sa.ForeignKeyConstraint(
            ["bol_id"], ["bills_of_lading.id"], name=op.f("fk_pallets_bol_id_bills_of_lading")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pallets")),
        sa.UniqueConstraint("code", name=op.f("uq_pallets_code")),
    )
    op.create_index(op.f("ix_pallets_bol_id"), "pallets", ["bol_id"])
    op.create_index(op.f("ix_pallets_consignee_key"), "pallets", ["consignee_key"])
    op.create_index(op.f("ix_pallets_status"), "pallets", ["status"])
    op.create_table(
        "pallet_cartons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pallet_id", sa.Integer(), nullable=False),
        sa.Column("carton_pk", sa.Integer(), nullable=False),
        sa.Column("added_by", sa.String(length=40), nullable=True),
        sa.Column("added_at", UTC(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["carton_pk"], ["cartons.id"], name=op.f("fk_pallet_cartons_carton_pk_cartons")
        ),
        sa.ForeignKeyConstraint(
            ["pallet_id"], ["pallets.id"], name=op.f("fk_pallet_cartons_pallet_id_pallets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pallet_cartons")),
        sa.UniqueConstraint("carton_pk", name=op.f("uq_pallet_cartons_carton_pk")),
    )
    op.create_index(op.f("ix_pallet_cartons_pallet_id"), "pallet_cartons", ["pallet_id"])
    op.create_table(
        "ssccs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sscc", sa.String(length=18), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("carton_pk", sa.Integer(), nullable=True),
        sa.Column("pallet_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", UTC(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(carton_pk IS NULL) <> (pallet_id IS NULL)",
            name=op.f("ck_ssccs_one_carton_or_one_pallet"),
        ),
        sa.ForeignKeyConstraint(
            ["carton_pk"], ["cartons.id"], name=op.f("fk_ssccs_carton_pk_cartons")
        ),
        sa.ForeignKeyConstraint(
            ["pallet_id"], ["pallets.id"], name=op.f("fk_ssccs_pallet_id_pallets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ssccs")),
        sa.UniqueConstraint("carton_pk", name=op.f("uq_ssccs_carton_pk")),
        sa.UniqueConstraint("pallet_id", name=op.f("uq_ssccs_pallet_id")),
        sa.UniqueConstraint("sscc", name=op.f("uq_ssccs_sscc")),
    )


def downgrade() -> None:
    op.drop_table("ssccs")
    op.drop_index(op.f("ix_pallet_cartons_pallet_id"), table_name="pallet_cartons")
    op.drop_table("pallet_cartons")
    op.drop_index(op.f("ix_pallets_status"), table_name="pallets")
    op.drop_index(op.f("ix_pallets_consignee_key"), table_name="pallets")
    op.drop_index(op.f("ix_pallets_bol_id"), table_name="pallets")
    op.drop_table("pallets")
    op.drop_index(op.f("ix_bills_of_lading_consignee_key"), table_name="bills_of_lading")
    op.drop_table("bills_of_lading")
