"""Tables of the first shift: a supervisor's "experienced" mark, and practice runs.

Whether a person is still new is counted from the work itself (pick tasks done, cartons packed:
two indexes below keep those counts cheap); only the supervisor's mark is stored. The practice
flag of orders, waves and SKUs lives on those tables (app/adapters/db/models.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.adapters.db.models import Base, Carton, PickTask, created_at, intpk


class ExperienceMark(Base):
    """A supervisor marked this person experienced: no first-shift hints, whatever the count."""

    __tablename__ = "experience_marks"
    badge: Mapped[str] = mapped_column(String(40), primary_key=True)
    marked_by: Mapped[str] = mapped_column(String(40))
    marked_at: Mapped[created_at]


class PracticeRun(Base):
    """One practice wave for one person: pick (orders to pick on the handheld) or pack
    (practice totes to pack at the bench). Running until its orders are done or someone ends
    it; then the practice stock is put back through the ledger (reason ``practice``)."""

    __tablename__ = "practice_runs"
    __table_args__ = (Index("ix_practice_runs_badge_status", "badge", "status"),)
    id: Mapped[intpk]
    badge: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))  # pick, pack
    wave_id: Mapped[int] = mapped_column(ForeignKey("waves.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="running")  # running, done, ended
    started_by: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[created_at]
    orders: Mapped[int] = mapped_column(default=0)
    units: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    ended_by: Mapped[str | None] = mapped_column(String(40))
    # The person saw how it went ("Start work"): until then the handheld offers no real task.
    seen_at: Mapped[datetime | None]


# Counting a person's real work: pick tasks done by a picker, cartons closed by a packer.
PICK_TASKS_PICKER_STATUS = Index("ix_pick_tasks_picker_status", PickTask.picker, PickTask.status)
CARTONS_PACKED_BY = Index("ix_cartons_packed_by", Carton.packed_by)
