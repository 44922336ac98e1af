"""A person's first shift: who counts as new at a station kind, and what a practice wave holds.

New means: fewer than ``needed`` real tasks completed at that station kind (pick tasks done,
orders packed) and not marked experienced by a supervisor. Practice work never counts: the
hints stay on for the first real tasks after a practice wave.

A practice wave is a handful of small orders on practice stock (practice SKUs in locations of
kind ``practice``), worked on the real screens. ``plan_practice`` decides its orders from the
practice bins that have units free; the service reserves them through the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

PRACTICE_KIND = "practice"  # locations.kind of the practice bins


class StationKind(str, Enum):
    PICK = "pick"
    PACK = "pack"


@dataclass(frozen=True)
class Experience:
    kind: StationKind
    done: int  # real tasks completed at this station kind (counted up to `needed`)
    needed: int
    marked: bool = False  # a supervisor said: experienced

    @property
    def is_new(self) -> bool:
        return not self.marked and self.done < self.needed

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "new": self.is_new,
            "done": min(self.done, self.needed),
            "needed": self.needed,
            "marked": self.marked,
        }


def show_hints(experience: Experience | None, practice: bool) -> bool:
    """Hints on a task: always while practising, else while the person is new."""
    return practice or (experience is not None and experience.is_new)


@dataclass(frozen=True)
class PracticeBin:
    stock_id: int
    sku: str
    free: int  # on hand minus allocated


@dataclass(frozen=True)
class PracticeLine:
    stock_id: int
    sku: str
    qty: int


def plan_practice(bins: list[PracticeBin], orders: int) -> list[list[PracticeLine]]:
    """Small orders that teach the steps: the first a single unit, the next two units of one
    item (one scan per unit), a later one two lines (two stops). Each line comes from one bin
    with enough free units; items rotate so consecutive orders visit different bins. Fewer
    orders (or none) when the practice bins run short: never more than is free."""
    free = {b.stock_id: b.free for b in bins}
    usable = sorted((b for b in bins if b.free > 0), key=lambda b: (b.sku, b.stock_id))
    if not usable or orders <= 0:
        return []
    shapes = [(1,), (2,), (1, 1)]
    plan: list[list[PracticeLine]] = []
    turn = 0
    for n in range(orders):
        shape = shapes[n % len(shapes)]
        lines: list[PracticeLine] = []
        used: set[int] = set()
        for qty in shape:
            chosen = None
            for k in range(len(usable)):
                b = usable[(turn + k) % len(usable)]
                if b.stock_id not in used and free[b.stock_id] >= qty:
                    chosen = b
                    turn = turn + k + 1
                    break
            if chosen is None:
                break
            free[chosen.stock_id] -= qty
            used.add(chosen.stock_id)
            lines.append(PracticeLine(chosen.stock_id, chosen.sku, qty))
        if not lines:
            break
        plan.append(lines)
    return plan
