"""first shift: practice flags on skus, allocations and waves; experience marks; practice runs

Revision ID: 0003_practice
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.adapters.db.models

revision: str = "0003_practice"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = app.adapters.db.models.UTCDateTime(timezone=True)
FLAGGED = ("skus", "allocations", "waves")


def upgrade() -> None:
    for table in FLAGGED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("practice", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    op.create_table(
        "experience_marks",
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("marked_by", sa.String(length=40), nullable=False),
        sa.Column("marked_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("badge", name=op.f("pk_experience_marks")),
    )
    op.create_table(
        "practice_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("badge", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("started_by", sa.String(length=40), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("ended_by", sa.String(length=40), nullable=True),
        sa.Column("seen_at", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["wave_id"], ["waves.id"], name=op.f("fk_practice_runs_wave_id_waves")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice_runs")),
        sa.UniqueConstraint("wave_id", name=op.f("uq_practice_runs_wave_id")),
    )
    op.create_index(
        "ix_practice_runs_badge_status", "practice_runs", ["badge", "status"], unique=False
    )
    op.create_index("ix_pick_tasks_picker_status", "pick_tasks", ["picker", "status"], unique=False)
    op.create_index("ix_cartons_packed_by", "cartons", ["packed_by"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_cartons_packed_by", table_name="cartons")
    op.drop_index("ix_pick_tasks_picker_status", table_name="pick_tasks")
    op.drop_index("ix_practice_runs_badge_status", table_name="practice_runs")
    op.drop_table("practice_runs")
    op.drop_table("experience_marks")
    for table in reversed(FLAGGED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("practice")
