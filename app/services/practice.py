"""Practice waves: a new picker or packer works a handful of practice orders on the real
screens, on practice stock, with nothing reaching the OMS (docs/first-shift.md).

A supervisor starts one for a person (the first-shift page), or the person does from the pick
or pack screen. Pick practice: a few small orders reserved in the practice bins and handed to
that picker alone (``next_task`` gives nothing else while it runs). Pack practice: the same
orders already picked into practice totes, for that packer to verify and close into cartons.
Either ends by itself when its last order is done, or when someone ends it; then the practice
stock is put back through the ledger (app/services/practice_stock.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Location,
    PickTask,
    Reservation,
    ScanLog,
    Sku,
    Stock,
    Tote,
    User,
    Wave,
)
from app.adapters.db.models_first_shift import PracticeRun
from app.adapters.db.models_waves import PickBatch
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus
from app.domain.first_shift import PRACTICE_KIND, PracticeBin, StationKind, plan_practice
from app.domain.text import msg
from app.services import practice_stock
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.picking import task_view

ROLES = {
    StationKind.PICK: frozenset({"picker", "supervisor", "admin"}),
    StationKind.PACK: frozenset({"packer", "supervisor", "admin"}),
}
# Practice totes have labels of their own (`dockhand labels totes --from 990001 --to 990009`):
# a packer practises without taking a real tote off the floor.
PRACTICE_TOTES = tuple(f"T99{n:04d}" for n in range(1, 1000))
ADDRESS = {
    "name": "Practice order",
    "company": None,
    "line1": "1 Dock Road",
    "line2": None,
    "city": "Daventry",
    "region": None,
    "postal_code": "NN11 8QL",
    "country": "GB",
    "phone": None,
    "email": None,
}


@dataclass(frozen=True)
class PracticeRules:
    orders: int = 3  # orders in one practice wave


# ---------------------------------------------------------------------------- practice stock


def ensure_practice_stock(uow: SessionFactory, clock: Clock) -> dict[str, int]:
    with uow() as tx:
        made = practice_stock.seed_practice(tx.session, clock())
        tx.commit()
        return made


def _bins(s: Session) -> list[PracticeBin]:
    rows = s.execute(
        select(Stock.id, Sku.sku, Stock.on_hand - Stock.allocated)
        .join(Location, Location.id == Stock.location_id)
        .join(Sku, Sku.id == Stock.sku_id)
        .where(Location.kind == PRACTICE_KIND, Sku.practice.is_(True))
        .order_by(Stock.id)
    ).all()
    return [PracticeBin(stock_id, sku, int(free)) for stock_id, sku, free in rows]


# ---------------------------------------------------------------------------- runs


def _kind(value: str) -> StationKind:
    try:
        return StationKind(value)
    except ValueError as exc:
        raise ServiceError(msg("Practice is for the pick or the pack station."), "kind") from exc


def current_run(s: Session, badge: str) -> PracticeRun | None:
    """The person's running practice, else the last one they have not seen the end of."""
    return s.scalars(
        select(PracticeRun)
        .where(
            PracticeRun.badge == badge,
            (PracticeRun.status == "running") | PracticeRun.seen_at.is_(None),
        )
        .order_by(PracticeRun.id.desc())
        .limit(1)
    ).first()


def start(
    badge: str,
    kind: str,
    started_by: str,
    uow: SessionFactory,
    clock: Clock,
    rules: PracticeRules | None = None,
) -> dict[str, Any]:
    """A practice wave for `badge` at the pick or pack station."""
    station = _kind(kind)
    rules = rules or PracticeRules()
    now = clock()
    with uow() as tx:
        s = tx.session
        user = s.scalars(select(User).where(User.badge == badge, User.active.is_(True))).first()
        if user is None:
            raise NotFound(msg("Badge %(badge)s is not registered.", badge=badge), "badge")
        if user.role not in ROLES[station]:
            raise ServiceError(
                msg(
                    "%(name)s (%(role)s) cannot practise at the %(station)s station.",
                    name=user.name,
                    role=user.role,
                    station=station.value,
                ),
                "kind",
            )
        running = s.scalars(
            select(PracticeRun).where(PracticeRun.badge == badge, PracticeRun.status == "running")
        ).first()
        if running is not None:
            raise Conflict(
                msg("%(badge)s is practising already: finish or end that first.", badge=badge),
                "badge",
            )
        if station is StationKind.PICK and _has_real_work(s, badge):
            raise Conflict(
                msg("%(badge)s has a pick task in hand: finish it before practising.", badge=badge),
                "badge",
            )
        plan = plan_practice(_bins(s), rules.orders)
        if not plan:
            raise Conflict(
                msg("No practice stock is free. Run `dockhand first-shift seed`, or wait."), "kind"
            )
        number = repo.next_counter(s, "practice_wave")
        wave = Wave(
            code=f"PRACTICE-{number}",
            status="released",
            created_at=now,
            released_at=now,
            practice=True,
        )
        s.add(wave)
        s.flush()
        run = PracticeRun(
            badge=badge,
            kind=station.value,
            wave_id=wave.id,
            status="running",
            started_by=started_by,
            started_at=now,
            orders=len(plan),
            units=sum(ln.qty for order in plan for ln in order),
        )
        s.add(run)
        totes = _free_totes(s, len(plan)) if station is StationKind.PACK else []
        sequence = 0
        for i, lines in enumerate(plan):
            allocation = _practice_order(s, wave, number, i + 1, lines, station, now)
            for line, planned in zip(allocation.lines, lines, strict=True):
                sequence += 1
                _task_for(
                    s, wave, allocation, line, planned.stock_id, sequence, badge, station, now
                )
            if station is StationKind.PACK:
                _into_tote(s, allocation, totes[i])
        # Practice stock is nobody's business upstream (its SKUs are filtered anyway).
        s.info.pop("available_changed", None)
        s.flush()
        view = _run_view(s, run)
        tx.commit()
        return view


def _has_real_work(s: Session, badge: str) -> bool:
    task = s.scalars(
        select(PickTask.id)
        .join(Wave, Wave.id == PickTask.wave_id)
        .where(PickTask.picker == badge, PickTask.status == "active", Wave.practice.is_(False))
        .limit(1)
    ).first()
    cart = s.scalars(
        select(PickBatch.id).where(PickBatch.picker == badge, PickBatch.status == "active").limit(1)
    ).first()
    return task is not None or cart is not None


def _free_totes(s: Session, n: int) -> list[str]:
    busy = set(
        s.scalars(
            select(Tote.code).where(Tote.code.in_(PRACTICE_TOTES), Tote.allocation_pk.is_not(None))
        )
    )
    free = [code for code in PRACTICE_TOTES if code not in busy][:n]
    if len(free) < n:
        raise Conflict(msg("Every practice tote is in use: end a practice run first."), "kind")
    return free


def _practice_order(
    s: Session,
    wave: Wave,
    number: int,
    n: int,
    lines: list[Any],
    station: StationKind,
    now: datetime,
) -> Allocation:
    code = f"PRACTICE-{number}-{n}"
    skus = {sku.sku: sku for sku in s.scalars(select(Sku).where(Sku.practice.is_(True)))}
    allocation = Allocation(
        allocation_id=code,
        version=1,
        order_number=code,
        channel="practice",
        type="b2c",
        priority=9,
        placed_at=now,
        ship_by=None,
        service_level="standard",
        ship_to=dict(ADDRESS),
        b2b=None,
        notes=None,
        status=(
            AllocationStatus.RELEASED.value
            if station is StationKind.PICK
            else AllocationStatus.PICKED.value
        ),
        reasons=[],
        wave_id=wave.id,
        practice=True,
        received_at=now,
        updated_at=now,
    )
    for k, planned in enumerate(lines, start=1):
        allocation.lines.append(
            AllocationLine(
                line_id=str(k),
                sku=planned.sku,
                sku_id=skus[planned.sku].id,
                qty=planned.qty,
                picked=planned.qty if station is StationKind.PACK else 0,
            )
        )
    s.add(allocation)
    s.flush()
    return allocation


def _task_for(
    s: Session,
    wave: Wave,
    allocation: Allocation,
    line: AllocationLine,
    stock_id: int,
    sequence: int,
    badge: str,
    station: StationKind,
    now: datetime,
) -> None:
    stock = repo.must_get(s, Stock, stock_id)
    if stock.location.kind != PRACTICE_KIND:
        raise RuntimeError("a practice order may only take practice stock")
    pick = station is StationKind.PICK
    # Pick practice reserves the units for its tasks; pack practice finds them already in a
    # tote (as if picked): they leave the practice bin now and come back at the reset.
    if not repo.move_stock(
        s,
        stock,
        on_hand_delta=0 if pick else -line.qty,
        allocated_delta=line.qty if pick else 0,
        reason=practice_stock.REASON,
        reference=allocation.allocation_id,
        actor=practice_stock.ACTOR,
        now=now,
    ):
        raise Conflict(msg("No practice stock is free. Run `dockhand first-shift seed`, or wait."))
    reservation_id = None
    if pick:
        res = Reservation(line_pk=line.id, stock_id=stock.id, qty=line.qty)
        s.add(res)
        s.flush()
        reservation_id = res.id
    s.add(
        PickTask(
            wave_id=wave.id,
            allocation_pk=allocation.id,
            line_pk=line.id,
            reservation_id=reservation_id,
            stock_id=stock.id,
            sequence=sequence,
            qty=line.qty,
            picked_qty=0 if pick else line.qty,
            location_confirmed=not pick,
            # Handed to the trainee at once, so no other picker is ever offered it.
            status="active" if pick else "done",
            picker=badge if pick else None,
            completed_at=None if pick else now,
        )
    )


def _into_tote(s: Session, allocation: Allocation, code: str) -> None:
    tote = s.scalars(select(Tote).where(Tote.code == code)).first()
    if tote is None:
        tote = Tote(code=code)
        s.add(tote)
    tote.allocation_pk = allocation.id
    for task in s.scalars(select(PickTask).where(PickTask.allocation_pk == allocation.id)):
        task.tote_code = code


def end(badge: str, ended_by: str, uow: SessionFactory, clock: Clock) -> dict[str, Any] | None:
    """Stop a running practice (its stock is put back), or, for the person themselves,
    acknowledge the end of the last one so that real work comes through. None: nothing to end."""
    now = clock()
    with uow() as tx:
        s = tx.session
        run = current_run(s, badge)
        if run is None:
            return None
        if run.status == "running":
            practice_stock.finish(s, run, now, "ended", ended_by)
        if ended_by == badge and run.seen_at is None:
            run.seen_at = now
        view = _run_view(s, run)
        tx.commit()
        return view


def next_task(badge: str, uow: SessionFactory, clock: Clock) -> tuple[bool, dict[str, Any] | None]:
    """While a pick practice runs (or its end has not been seen), the picker's next task comes
    from it alone: (True, task or None). (False, None): no practice, ask the real queue."""
    with uow() as tx:
        s = tx.session
        run = current_run(s, badge)
        if run is None or run.kind != StationKind.PICK.value:
            return False, None
        if run.status == "running":
            task = s.scalars(
                select(PickTask)
                .where(
                    PickTask.wave_id == run.wave_id,
                    PickTask.picker == badge,
                    PickTask.status == "active",
                )
                .order_by(PickTask.sequence, PickTask.id)
                .limit(1)
            ).first()
            if task is not None:
                return True, task_view(s, task)
            if practice_stock.is_complete(s, run):  # e.g. a crash between scan and reset
                practice_stock.finish(s, run, clock(), "done")
                tx.commit()
        return True, None


def status(badge: str, uow: SessionFactory, clock: Clock) -> dict[str, Any] | None:
    """The person's running practice, or the last one whose end they have not seen."""
    with uow() as tx:
        s = tx.session
        run = current_run(s, badge)
        if run is None:
            return None
        if run.status == "running" and practice_stock.is_complete(s, run):
            practice_stock.finish(s, run, clock(), "done")
            view = _run_view(s, run)
            tx.commit()
            return view
        return _run_view(s, run)


def run_view(s: Session, run: PracticeRun) -> dict[str, Any]:
    return _run_view(s, run)


def _run_view(s: Session, run: PracticeRun) -> dict[str, Any]:
    wave = repo.must_get(s, Wave, run.wave_id)
    allocations = s.scalars(
        select(Allocation).where(Allocation.wave_id == run.wave_id).order_by(Allocation.id)
    ).all()
    pks = [a.id for a in allocations]
    picked = packed = 0
    for a in allocations:
        picked += sum(ln.picked for ln in a.lines)
        packed += sum(ln.packed for ln in a.lines)
    station = f"practice_{run.kind}"
    scans, wrong = (0, 0)
    if pks:
        scans, wrong = s.execute(
            select(
                func.count(ScanLog.id),
                func.count(ScanLog.id).filter(~ScanLog.result.like("%_ok")),
            ).where(ScanLog.allocation_pk.in_(pks), ScanLog.station == station)
        ).one()
    contents = []
    if run.kind == StationKind.PACK.value:
        # What goes in which practice tote (someone puts the practice items in them).
        tote_of = dict(
            s.execute(
                select(PickTask.allocation_pk, func.min(PickTask.tote_code))
                .where(PickTask.wave_id == run.wave_id)
                .group_by(PickTask.allocation_pk)
            ).all()
        )
        contents = [
            {
                "tote": tote_of.get(a.id),
                "allocation_id": a.allocation_id,
                "lines": [[ln.sku, ln.qty] for ln in a.lines],
            }
            for a in allocations
        ]
    totes = [c["tote"] for c in contents if c["tote"]]
    return {
        "run_id": run.id,
        "badge": run.badge,
        "kind": run.kind,
        "wave": wave.code,
        "status": run.status,
        "started_by": run.started_by,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "ended_by": run.ended_by,
        "seen": run.seen_at is not None,
        "orders": run.orders,
        "units": run.units,
        "orders_done": sum(
            1
            for a in allocations
            if (run.kind == "pick" and (a.status == "picked" or _all_picked(a)))
            or (run.kind == "pack" and (a.status == "packed" or _all_packed(a)))
        ),
        "units_done": picked if run.kind == "pick" else packed,
        "scans": int(scans or 0),
        "wrong_scans": int(wrong or 0),
        "totes": totes,
        "contents": contents,
        "allocation_ids": [a.allocation_id for a in allocations],
    }


def _all_picked(a: Allocation) -> bool:
    return bool(a.lines) and all(ln.picked >= ln.qty for ln in a.lines)


def _all_packed(a: Allocation) -> bool:
    return bool(a.lines) and all(ln.packed >= ln.qty for ln in a.lines)


def runs_of(s: Session, badges: list[str]) -> dict[str, dict[str, Any]]:
    """Each person's current (or last unseen) practice, for the supervisors' page."""
    out: dict[str, dict[str, Any]] = {}
    for badge in badges:
        run = current_run(s, badge)
        if run is not None:
            out[badge] = _run_view(s, run)
    return out
