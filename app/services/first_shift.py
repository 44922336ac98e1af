"""First-shift hints: who is still new at the pick or pack station, and the one-line hint
that goes with each pick task and each order on the pack bench while they are.

New is counted from the work itself (app/domain/first_shift.py): pick tasks the person
finished, orders they closed cartons for, practice left out. A supervisor's mark makes someone
experienced at once. The counts stop at the threshold and use their own indexes, so asking
costs little; once someone is experienced the answer is kept a few minutes per process.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.adapters.db.models import Allocation, Carton, PickTask, User, Wave
from app.adapters.db.models_first_shift import ExperienceMark
from app.adapters.db.uow import SessionFactory
from app.domain.first_shift import Experience, StationKind, show_hints
from app.domain.hints import (
    PackFacts,
    PickFacts,
    pack_hint,
    pack_step,
    task_hints,
)
from app.domain.text import msg
from app.services import practice
from app.services.auth import audit
from app.services.clock import Clock
from app.services.errors import NotFound
from app.services.per_owner import PerOwner

EXPERIENCED_TTL_S = 300.0
# A new picker's count is read again after anything that may have finished a task (a tote
# scan, a short pick, a new task); between those, location and item scans and refusals use
# the count read last, for at most this long (issue #12: one query less per scan).
NEW_TTL_S = 30.0
_NEW_MAX = 10_000
# Answers after which a picker's count of finished tasks cannot have changed.
_COUNT_UNCHANGED = frozenset({"location_ok", "item_ok"})
_WAVES_MAX = 10_000


@dataclass(frozen=True)
class FirstShiftRules:
    pick_tasks: int = 10  # a picker is new until this many pick tasks are done
    pack_orders: int = 5  # a packer is new until this many orders are packed

    def needed(self, kind: StationKind) -> int:
        return self.pick_tasks if kind is StationKind.PICK else self.pack_orders


@dataclass
class _Memory:
    """What this process keeps about one database. Only "experienced" is kept, for a few
    minutes: it does not go back by itself, while a supervisor's mark that makes someone
    experienced must show at once. Waves never change their practice flag."""

    experienced: dict[tuple[str, str, int], float] = field(default_factory=dict)
    practice_waves: dict[int, bool] = field(default_factory=dict)
    # Still new, as counted at a moment: good until an action that may finish a task.
    new: dict[tuple[str, str, int], tuple[float, Experience]] = field(default_factory=dict)

    def is_experienced(self, badge: str, kind: StationKind, needed: int) -> bool:
        return self.experienced.get((badge, kind.value, needed), 0.0) > time.monotonic()

    def still_new(self, badge: str, kind: StationKind, needed: int) -> Experience | None:
        found = self.new.get((badge, kind.value, needed))
        return found[1] if found is not None and found[0] > time.monotonic() else None


# One memory per database (its unit-of-work factory): tests and tools open several.
_memory: PerOwner[SessionFactory, _Memory] = PerOwner(lambda _uow: _Memory())


def forget(uow: SessionFactory | None = None, badge: str | None = None) -> None:
    """Drop what this process remembers (a supervisor changed a mark; tests)."""
    if uow is None:
        _memory.forget()
        return
    memory = _memory(uow)
    for key in [k for k in memory.experienced if badge is None or k[0] == badge]:
        memory.experienced.pop(key, None)
    for key in [k for k in memory.new if badge is None or k[0] == badge]:
        memory.new.pop(key, None)


# ---------------------------------------------------------------------------- counting


def _done(s: Session, badge: str, kind: StationKind, needed: int) -> int:
    if kind is StationKind.PICK:
        inner = (
            select(PickTask.id)
            .join(Wave, Wave.id == PickTask.wave_id)
            .where(
                PickTask.picker == badge,
                PickTask.status == "done",
                PickTask.picked_qty > 0,
                Wave.practice.is_(False),
            )
            .limit(needed)
        )
    else:
        inner = (
            select(Carton.allocation_pk)
            .distinct()
            .join(Allocation, Allocation.id == Carton.allocation_pk)
            .where(
                Carton.packed_by == badge,
                Carton.status != "voided",
                Allocation.practice.is_(False),
            )
            .limit(needed)
        )
    return int(s.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def experience(s: Session, badge: str, kind: StationKind, rules: FirstShiftRules) -> Experience:
    needed = rules.needed(kind)
    marked = s.get(ExperienceMark, badge) is not None
    return Experience(kind, _done(s, badge, kind, needed), needed, marked)


def _experience_cached(
    s: Session, memory: _Memory, badge: str, kind: StationKind, rules: FirstShiftRules
) -> Experience:
    needed = rules.needed(kind)
    if memory.is_experienced(badge, kind, needed):
        return Experience(kind, needed, needed, marked=False)
    found = experience(s, badge, kind, rules)
    key = (badge, kind.value, needed)
    if not found.is_new:
        memory.experienced[key] = time.monotonic() + EXPERIENCED_TTL_S
        memory.new.pop(key, None)
    else:
        if len(memory.new) > _NEW_MAX:
            memory.new.clear()
        memory.new[key] = (time.monotonic() + NEW_TTL_S, found)
    return found


def _practice_flags(s: Session, memory: _Memory, wave_ids: Iterable[int]) -> dict[int, bool]:
    known = memory.practice_waves
    wanted = set(wave_ids)
    missing = wanted - set(known)
    if missing:
        if len(known) > _WAVES_MAX:
            known.clear()
        for wave_id, flag in s.execute(select(Wave.id, Wave.practice).where(Wave.id.in_(missing))):
            known[wave_id] = bool(flag)
    return {w: known.get(w, False) for w in wanted}


# ---------------------------------------------------------------------------- hints


def _tasks_in(ack: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    task = ack.get("task")
    if isinstance(task, dict):
        found.append(task)
    for row in ack.get("tasks") or []:  # the reconcile answer
        if isinstance(row, dict) and isinstance(row.get("task"), dict):
            found.append(row["task"])
    return found


def pick_facts(task: dict[str, Any]) -> PickFacts:
    qty = int(task.get("qty") or 0)
    picked = int(task.get("picked") or 0)
    return PickFacts(
        stage=str(task.get("stage") or ""),
        put_back=task.get("kind") == "put_back",
        qty_left=max(0, qty - picked),
        serial_required=bool(task.get("serial_required")),
        lot=task.get("lot") or None,
        tote=task.get("tote") or None,
    )


def with_pick_hints(
    ack: dict[str, Any], picker: str, uow: SessionFactory, rules: FirstShiftRules
) -> dict[str, Any]:
    """Each task in a pick answer gets `practice`, and while the picker is new (or
    practising) `hint` for its stage and `hints` for every stage (the handheld follows them
    offline). An experienced picker's tasks carry `hint: null`."""
    tasks = _tasks_in(ack)
    if not tasks:
        return ack
    memory = _memory(uow)
    waves = [w for t in tasks if isinstance(w := t.get("wave_id"), int)]
    known = all(w in memory.practice_waves for w in waves)
    unchanged = not ack.get("ok") or ack.get("result") in _COUNT_UNCHANGED
    if memory.is_experienced(picker, StationKind.PICK, rules.pick_tasks):
        remembered: Experience | None = Experience(StationKind.PICK, 1, 1)
    elif unchanged:  # a new picker's scan within a task
        remembered = memory.still_new(picker, StationKind.PICK, rules.pick_tasks)
    else:
        remembered = None
    if known and remembered is not None:  # the common case: no database round trip at all
        flags = {w: memory.practice_waves[w] for w in waves}
        exp = remembered
    else:
        with uow.reader() as tx:
            flags = _practice_flags(tx.session, memory, waves)
            exp = _experience_cached(tx.session, memory, picker, StationKind.PICK, rules)
    for task in tasks:
        wave_id = task.get("wave_id")
        is_practice = bool(isinstance(wave_id, int) and flags.get(wave_id))
        task["practice"] = is_practice
        if show_hints(exp, is_practice):
            task["hint"], task["hints"] = task_hints(pick_facts(task))
        else:
            task["hint"] = None
            task["hints"] = {}
    return ack


def pack_facts(order: dict[str, Any] | None, tote: dict[str, Any] | None) -> PackFacts:
    if order is None:
        return PackFacts(has_order=False, multi_order_tote=bool(tote and tote.get("multi")))
    recommendation = order.get("recommendation") or {}
    return PackFacts(
        has_order=True,
        blocked=bool(order.get("blocked")),
        status=str(order.get("status") or ""),
        all_verified=bool(order.get("all_verified")),
        loose_units=int(order.get("loose_units") or 0),
        carton_code=recommendation.get("code"),
        multi_order_tote=bool(tote and tote.get("multi")),
    )


def with_pack_hint(
    ack: dict[str, Any], packer: str, uow: SessionFactory, rules: FirstShiftRules
) -> dict[str, Any]:
    """A pack answer gets `hint` (also on its order) while the packer is new or the order
    is a practice order."""
    if "order" not in ack:
        return ack
    order = ack.get("order") if isinstance(ack.get("order"), dict) else None
    tote = ack.get("tote") if isinstance(ack.get("tote"), dict) else None
    is_practice = bool(order and order.get("practice"))
    exp = None
    if not is_practice:
        memory = _memory(uow)
        if memory.is_experienced(packer, StationKind.PACK, rules.pack_orders):
            exp = Experience(StationKind.PACK, 1, 1)
        else:
            with uow.reader() as tx:
                exp = _experience_cached(tx.session, memory, packer, StationKind.PACK, rules)
    hint = pack_hint(pack_step(pack_facts(order, tote))) if show_hints(exp, is_practice) else None
    ack["hint"] = hint
    if order is not None:
        order["hint"] = hint
    return ack


# ---------------------------------------------------------------------------- status, marks


def status(
    badge: str, kind: StationKind, uow: SessionFactory, clock: Clock, rules: FirstShiftRules
) -> dict[str, Any]:
    """What the station shows about the person's first shift: new or not, progress, the idle
    hint, the practice run."""
    run = practice.status(badge, uow, clock)
    with uow.reader() as tx:
        exp = experience(tx.session, badge, kind, rules)
    practising = run is not None and run["status"] == "running" and run["kind"] == kind.value
    idle = None
    if kind is StationKind.PACK and show_hints(exp, practising):
        idle = pack_hint(pack_step(PackFacts(has_order=False)))
    return {
        **exp.to_json(),
        "idle_hint": idle,
        "practice": run,
        "can_practise": run is None or run["status"] != "running",
    }


def mark(
    badge: str, experienced: bool, by: str, uow: SessionFactory, clock: Clock
) -> dict[str, Any]:
    """A supervisor marks someone experienced (no hints from now on), or takes the mark back
    (hints again while the count says new)."""
    with uow() as tx:
        s = tx.session
        user = s.scalars(select(User).where(User.badge == badge)).first()
        if user is None:
            raise NotFound(msg("Badge %(badge)s is not registered.", badge=badge), "badge")
        existing = s.get(ExperienceMark, badge)
        if experienced and existing is None:
            s.add(ExperienceMark(badge=badge, marked_by=by, marked_at=clock()))
        elif not experienced and existing is not None:
            s.execute(delete(ExperienceMark).where(ExperienceMark.badge == badge))
        audit(s, by, "first_shift.mark", {"badge": badge, "experienced": experienced})
        tx.commit()
    forget(uow, badge)
    return {"badge": badge, "experienced": experienced}


FLOOR_ROLES = {"picker": StationKind.PICK, "packer": StationKind.PACK}


def people(uow: SessionFactory, clock: Clock, rules: FirstShiftRules) -> list[dict[str, Any]]:
    """Pickers and packers with their first-shift state, new people first."""
    with uow.reader() as tx:
        s = tx.session
        users = s.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_(list(FLOOR_ROLES)))
            .order_by(User.badge)
        ).all()
        runs = practice.runs_of(s, [u.badge for u in users])
        out = []
        for u in users:
            kind = FLOOR_ROLES[u.role]
            exp = experience(s, u.badge, kind, rules)
            out.append(
                {
                    "badge": u.badge,
                    "name": u.name,
                    "role": u.role,
                    **exp.to_json(),
                    "practice": runs.get(u.badge),
                }
            )
    out.sort(key=lambda p: (not p["new"], p["badge"]))
    return out
