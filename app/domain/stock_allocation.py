"""Which bins an allocation line's units come from (issue #4: pick faces first, FEFO for lots
with expiry, fewest locations, no oversell).

Pure rules; the service reads candidate bins, asks `plan_reservation` for a plan and applies
it with conditional updates, so a plan made on stale numbers can fail but never oversell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# Stock in these kinds of location may be promised to orders; returns waiting for a decision,
# quarantine, pack/ship benches and practice stock never are.
ALLOCATABLE_KINDS = frozenset({"pick", "reserve"})


@dataclass(frozen=True)
class Bin:
    stock_id: int
    location_kind: str
    free: int  # on hand minus allocated
    expires_on: date | None = None
    location_code: str = ""


def usable(b: Bin, today: date) -> bool:
    if b.location_kind not in ALLOCATABLE_KINDS or b.free <= 0:
        return False
    return b.expires_on is None or b.expires_on >= today


def preference(b: Bin) -> tuple[date, bool, int, str, int]:
    """FEFO first (undated stock sorts last, so dated and undated lots of one SKU still leave
    oldest first), then pick faces before reserve, then the fullest bin: taking from the
    fullest bins first covers the line from the fewest locations."""
    return (
        b.expires_on or date.max,
        b.location_kind != "pick",
        -b.free,
        b.location_code,
        b.stock_id,
    )


def plan_reservation(bins: list[Bin], qty: int, today: date) -> list[tuple[Bin, int]]:
    """Units to take from each bin, best first. Covers as much of `qty` as exists: the
    caller compares the total with `qty` to tell a full plan from a short one.

    Where one pick face (of the earliest expiry) holds the whole quantity, the line is
    served from that single bin even if a fuller one exists: one stop on the pick path."""
    if qty <= 0:
        return []
    candidates = sorted((b for b in bins if usable(b, today)), key=preference)
    if not candidates:
        return []
    first = candidates[0]
    same_tier = [
        b
        for b in candidates
        if b.expires_on == first.expires_on and b.location_kind == first.location_kind
    ]
    whole = [b for b in same_tier if b.free >= qty]
    if whole:
        # The emptiest bin that still covers the line: keeps the big bins for big lines
        # and empties small remnants (fewer half-empty locations to count and replenish).
        best = min(whole, key=lambda b: (b.free, b.location_code, b.stock_id))
        return [(best, qty)]
    plan: list[tuple[Bin, int]] = []
    remaining = qty
    for b in candidates:
        take = min(remaining, b.free)
        plan.append((b, take))
        remaining -= take
        if remaining == 0:
            break
    return plan
