"""station set-up from the browser: printer, scale, camera and carrier account per station

Revision ID: 0003_station_setup
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
import app.adapters.db.models


revision: str = "0003_station_setup"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = app.adapters.db.models.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "station_devices",
        sa.Column("station", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=True),
        sa.Column("printer", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("scale", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("camera", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("carrier_account", sa.String(length=40), nullable=True),
        sa.Column("updated_by", sa.String(length=40), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("station", name=op.f("pk_station_devices")),
    )


def downgrade() -> None:
    op.drop_table("station_devices")
