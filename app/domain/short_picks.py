"""A short pick: the picker cannot take every unit the task wants from its bin.

The picker names a reason; whatever the task still lacks is covered from other bins where
free stock exists (each becomes a new reservation and pick task), a count task is raised for
the bin, and what nothing can cover is short: reported upstream as `allocation.short`, while
the order goes on with what was picked. This module decides; the service applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from app.domain.text import N_, join, msg


class ShortReason(str, Enum):
    EMPTY = "empty"
    DAMAGED = "damaged"
    NOT_FOUND = "not_found"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> ShortReason:
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        for reason in cls:
            if reason.value == key:
                return reason
        raise ValueError(f"unknown short reason {text!r}: one of {', '.join(r.value for r in cls)}")


REASON_LABELS = {
    ShortReason.EMPTY: N_("bin empty"),
    ShortReason.DAMAGED: N_("damaged"),
    ShortReason.NOT_FOUND: N_("not found"),
    ShortReason.EXPIRED: N_("expired"),
}


class ShortRefusal(Enum):
    NOTHING_MISSING = "nothing_missing"  # every unit is picked: scan the tote
    TASK_DONE = "task_done"


@dataclass(frozen=True)
class Bin:
    """A stock row that might cover the rest: same SKU, another bin."""

    stock_id: int
    location: str
    free: int  # on hand minus allocated
    pick_face: bool
    lot: str | None
    expires_on: date | None
    under_count: bool = False  # a count is open for it: its figures are in doubt


@dataclass(frozen=True)
class ShortPlan:
    missing: int
    take: tuple[tuple[Bin, int], ...]  # new reservations, in the order to pick them

    @property
    def reallocated(self) -> int:
        return sum(qty for _, qty in self.take)

    @property
    def uncovered(self) -> int:
        return self.missing - self.reallocated


def refusal(qty: int, picked: int, done: bool) -> ShortRefusal | None:
    """Why this task cannot be shorted now, or None when it can."""
    if done:
        return ShortRefusal.TASK_DONE
    if picked >= qty:
        return ShortRefusal.NOTHING_MISSING
    return None


def usable(candidate: Bin, short_stock_id: int, wanted_lot: str | None, today: date) -> bool:
    if candidate.stock_id == short_stock_id or candidate.free <= 0 or candidate.under_count:
        return False
    if candidate.expires_on is not None and candidate.expires_on < today:
        return False
    return not wanted_lot or candidate.lot == wanted_lot


def plan_short(
    missing: int,
    short_stock_id: int,
    candidates: list[Bin],
    wanted_lot: str | None,
    today: date,
) -> ShortPlan:
    """Cover `missing` units from other bins: pick faces first, then the fullest bins (the
    fewest extra stops), never an expired bin, a bin under count, or another lot than the
    line asks for."""
    if missing <= 0:
        return ShortPlan(0, ())
    ordered = sorted(
        (c for c in candidates if usable(c, short_stock_id, wanted_lot, today)),
        key=lambda c: (not c.pick_face, -c.free, c.stock_id),
    )
    take: list[tuple[Bin, int]] = []
    left = missing
    for candidate in ordered:
        if left == 0:
            break
        qty = min(left, candidate.free)
        take.append((candidate, qty))
        left -= qty
    return ShortPlan(missing, tuple(take))


def short_message(reason: ShortReason, location: str, plan: ShortPlan, picked: int) -> str:
    """What the picker reads after a short: where the rest comes from, and what to do now."""
    parts = [
        msg(
            "Short at %(location)s (%(reason)s). Count task raised.",
            location=location,
            reason=msg(reason.label),
        )
    ]
    if plan.reallocated:
        bins = ", ".join(b.location for b, _ in plan.take)
        parts.append(msg("%(n)s more from %(bins)s.", n=plan.reallocated, bins=bins))
    if plan.uncovered:
        parts.append(msg("%(n)s not in stock: the office is told.", n=plan.uncovered))
    if picked:
        parts.append(msg("Scan the tote for the %(picked)s you have.", picked=picked))
    return join(parts)
