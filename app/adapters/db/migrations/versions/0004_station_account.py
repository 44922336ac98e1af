"""the carrier account a ship station bought a label on (station set-up)

Revision ID: 0004_station_account
Revises: 0003_station_setup
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_station_account"
down_revision: str | None = "0003_station_setup"
branch_labels: str | Sequence[str] | None = None
# ship_labels is created on another branch: it must exist before the column is added.
depends_on: str | Sequence[str] | None = "0003_ship"


def upgrade() -> None:
    with op.batch_alter_table("ship_labels") as batch:
        batch.add_column(sa.Column("carrier_account", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ship_labels") as batch:
        batch.drop_column("carrier_account")
