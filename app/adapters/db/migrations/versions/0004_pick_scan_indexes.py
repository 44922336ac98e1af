"""indexes two statements of every pick scan needed: the tote an order uses, and the tasks
holding a reservation (deleting one checks that none does)

Revision ID: 0004_pick_scan_indexes
Revises: 0002
Create Date: 2026-11-27 04:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_pick_scan_indexes"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_totes_allocation_pk", "totes", ["allocation_pk"])
    op.create_index("ix_pick_tasks_reservation_id", "pick_tasks", ["reservation_id"])


def downgrade() -> None:
    op.drop_index("ix_pick_tasks_reservation_id", table_name="pick_tasks")
    op.drop_index("ix_totes_allocation_pk", table_name="totes")
