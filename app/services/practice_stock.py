"""What practice does to stock, and how it is put back: the part of a practice wave that the
pick and pack services call inside their own transactions (so this module imports neither).

Every movement a practice order makes itself carries the ledger reason ``practice`` (its
reservations, its picks, the reset), so no report or dashboard that reads picks from the
ledger counts it as work; its scans are logged at the stations ``practice_pick`` and
``practice_pack`` for the same reason. When the practice wave is done (or someone ends it) the
units go back to the practice bins through the ledger: `stock verify` still balances, and the
practice stock is what it was before the run.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    Barcode,
    Carton,
    Location,
    PickTask,
    Reservation,
    Sku,
    Stock,
    Tote,
    Wave,
)
from app.adapters.db.models_first_shift import PracticeRun
from app.adapters.db.models_pick import CountTask
from app.domain.allocations import AllocationStatus
from app.domain.first_shift import PRACTICE_KIND
from app.services.errors import ServiceError

REASON = "practice"
ACTOR = "practice"
CARTON_STATUS = "practice"  # never "packed": the weigh and ship queues do not see it
# A practice order that is over: nothing ships, no pack station finds it in a reused tote.
FINAL_STATUS = AllocationStatus.CANCELLED.value
FINAL_REASON = "practice finished"
# The practice items: restricted-circulation GTINs (prefix 2), never sold, never in the OMS.
PRACTICE_ITEMS = [
    ("PRACTICE-MUG", "Practice mug", (120, 95, 95), 350),
    ("PRACTICE-TSHIRT", "Practice T-shirt", (300, 250, 20), 180),
    ("PRACTICE-CAP", "Practice cap", (270, 190, 110), 110),
    ("PRACTICE-SOCKS", "Practice socks", (220, 120, 40), 150),
]
PRACTICE_UNITS = 50  # per practice bin
FINISHED_ORDER = {
    AllocationStatus.PACKED.value,
    AllocationStatus.BACKORDERED.value,
    AllocationStatus.CANCELLED.value,
}


def ledger_reason(allocation: Allocation, reason: str) -> str:
    """The ledger reason of a movement for this order: `practice` for a practice order."""
    return REASON if allocation.practice else reason


def scan_station(allocation: Allocation | None, station: str) -> str:
    """The scan log's station for a scan on this order: `practice_pick`, `practice_pack`."""
    return f"practice_{station}" if allocation is not None and allocation.practice else station


def run_of_wave(s: Session, wave_id: int | None) -> PracticeRun | None:
    if wave_id is None:
        return None
    return s.scalars(select(PracticeRun).where(PracticeRun.wave_id == wave_id)).first()


# ---------------------------------------------------------------------------- hooks


def on_wave_done(s: Session, wave: Wave, now: datetime) -> None:
    """Picking finished the wave's last task: a practice wave is over."""
    if not wave.practice:
        return
    run = run_of_wave(s, wave.id)
    if run is not None and run.status == "running":
        finish(s, run, now, "done")


def on_carton_closed(s: Session, allocation: Allocation, carton: Carton, now: datetime) -> None:
    """A carton closed at the pack station: a practice carton never goes to weighing, and the
    practice wave is over once its last order is packed."""
    if not allocation.practice:
        return
    carton.status = CARTON_STATUS
    run = run_of_wave(s, allocation.wave_id)
    if run is not None and run.status == "running" and is_complete(s, run):
        finish(s, run, now, "done")


def is_complete(s: Session, run: PracticeRun) -> bool:
    """Every practice task done (pick) or every practice order packed (pack)."""
    s.flush()
    if run.kind == "pick":
        open_tasks = s.scalar(
            select(func.count(PickTask.id)).where(
                PickTask.wave_id == run.wave_id, PickTask.status != "done"
            )
        )
        return not open_tasks
    unfinished = s.scalar(
        select(func.count(Allocation.id)).where(
            Allocation.wave_id == run.wave_id,
            Allocation.practice.is_(True),
            Allocation.status.not_in(FINISHED_ORDER),
        )
    )
    return not unfinished


# ---------------------------------------------------------------------------- reset


def finish(
    s: Session, run: PracticeRun, now: datetime, status: str, ended_by: str | None = None
) -> dict[str, int]:
    """End the run and put its practice stock back: reservations released, picked units back
    in their bins, open tasks closed, totes free, cartons kept as practice cartons. Returns
    the units moved back (`released`, `returned`)."""
    released = returned = 0
    allocations = s.scalars(
        select(Allocation).where(Allocation.wave_id == run.wave_id, Allocation.practice.is_(True))
    ).all()
    touched: set[int] = set()
    for a in allocations:
        line_pks = [ln.id for ln in a.lines]
        tasks = s.scalars(select(PickTask).where(PickTask.allocation_pk == a.id)).all()
        for task in tasks:
            touched.add(task.stock_id)
            if task.picked_qty > 0:
                returned += _move(s, task.stock_id, a, on_hand=task.picked_qty, now=now)
            task.reservation_id = None
            if task.status != "done":
                task.status = "done"
                task.completed_at = now
        s.flush()
        if line_pks:
            for res in s.scalars(select(Reservation).where(Reservation.line_pk.in_(line_pks))):
                touched.add(res.stock_id)
                released += _move(s, res.stock_id, a, allocated=-res.qty, now=now)
                s.delete(res)
        s.execute(update(Tote).where(Tote.allocation_pk == a.id).values(allocation_pk=None))
        s.execute(
            update(Carton)
            .where(Carton.allocation_pk == a.id, Carton.status != CARTON_STATUS)
            .values(status=CARTON_STATUS)
        )
        a.status = FINAL_STATUS
        a.reasons = [FINAL_REASON]
        a.updated_at = now
    if touched:
        # A short pick during practice asks for a count of a practice bin: the reset is it.
        s.execute(
            update(CountTask)
            .where(CountTask.stock_id.in_(touched), CountTask.status == "open")
            .values(status="done", completed_at=now)
        )
    wave = repo.must_get(s, Wave, run.wave_id)
    if wave.status != "done":
        wave.status = "done"
        wave.completed_at = now
    run.status = status
    run.finished_at = now
    run.ended_by = ended_by
    s.flush()
    return {"released": released, "returned": returned}


def _move(
    s: Session,
    stock_id: int,
    allocation: Allocation,
    *,
    now: datetime,
    on_hand: int = 0,
    allocated: int = 0,
) -> int:
    stock = repo.must_get(s, Stock, stock_id)
    if stock.location.kind != PRACTICE_KIND:  # never happens by construction; never let it
        raise RuntimeError(f"practice order {allocation.allocation_id} holds real stock")
    moved = repo.move_stock(
        s,
        stock,
        on_hand_delta=on_hand,
        allocated_delta=allocated,
        reason=REASON,
        reference=allocation.allocation_id,
        actor=ACTOR,
        now=now,
    )
    if not moved:
        raise RuntimeError(f"practice stock {stock_id} could not be put back")
    return abs(on_hand or allocated)


def practice_locations(s: Session) -> list[Location]:
    return list(
        s.scalars(select(Location).where(Location.kind == PRACTICE_KIND).order_by(Location.code))
    )


# ---------------------------------------------------------------------------- seeding


def _ean13(payload12: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(payload12))
    return payload12 + str((10 - total % 10) % 10)


def seed_practice(s: Session, now: datetime) -> dict[str, int]:
    """The practice bins (X01-01-1...), items and stock, in the caller's transaction; what is
    there already is left alone, so it runs on any database, any number of times."""
    made = {"locations": 0, "skus": 0, "units": 0}
    for n, (code, name, dims, weight) in enumerate(PRACTICE_ITEMS, start=1):
        loc_code = f"X01-{n:02d}-1"
        loc = s.scalars(select(Location).where(Location.code == loc_code)).first()
        if loc is None:
            loc = Location(
                code=loc_code,
                kind=PRACTICE_KIND,
                zone="X",
                aisle=1,
                bay=n,
                level=1,
                x_mm=0,
                y_mm=4000 + n * 1200,
            )
            s.add(loc)
            made["locations"] += 1
        elif loc.kind != PRACTICE_KIND:
            raise ServiceError(f"location {loc_code} exists and is not a practice bin", "location")
        sku = s.scalars(select(Sku).where(Sku.sku == code)).first()
        if sku is None:
            sku = Sku(
                sku=code,
                name=name,
                length_mm=dims[0],
                width_mm=dims[1],
                height_mm=dims[2],
                weight_g=weight,
                practice=True,
            )
            sku.barcodes.append(Barcode(code=_ean13(f"2099{n:08d}"), kind="gtin"))
            s.add(sku)
            made["skus"] += 1
        elif not sku.practice:
            raise ServiceError(f"SKU {code} exists and is not a practice item", "sku")
        s.flush()
        stock = s.scalars(
            select(Stock).where(Stock.location_id == loc.id, Stock.sku_id == sku.id)
        ).first()
        if stock is None:
            stock = Stock(location_id=loc.id, sku_id=sku.id, lot="", on_hand=0, allocated=0)
            s.add(stock)
            s.flush()
            repo.move_stock(
                s,
                stock,
                on_hand_delta=PRACTICE_UNITS,
                reason="receipt",
                reference="practice seed",
                actor="seed",
                now=now,
            )
            made["units"] += PRACTICE_UNITS
    return made
