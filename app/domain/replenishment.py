"""Replenishment of pick faces from reserve (issue #4): when a face needs stock, how much to
bring, and from which reserve bin; and when a SKU's available stock is low enough to tell a
supervisor. Pure rules: the service reads the numbers, asks these functions, and applies the
answer in its own transaction.

A pick face has a min/max (units of one SKU in one location). When picks bring what is on
hand there to the min or below, a task moves stock from reserve to bring it up to the max.
A short pick at the face asks for stock whatever the level says (the units the picker could
not find are taken as gone until the count says otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from app.domain.text import Text, msg, nmsg

# A pick face holds at most this many units of one SKU: a guard against typing 1000000.
MAX_FACE_UNITS = 100_000


class Trigger(Enum):
    PICK = "pick"  # a pick brought the face to its min or below
    SHORT = "short"  # a picker could not find every unit at the face
    STOCK = "stock"  # stock arrived in reserve for a face that was waiting for it
    MOVE = "move"  # someone moved stock out of the face by hand
    DONE = "done"  # the previous task for the face is done and it is still low
    MANUAL = "manual"  # someone asked (CLI)


@dataclass(frozen=True)
class MinMax:
    min_units: int
    max_units: int


def rule_errors(min_units: int, max_units: int) -> list[tuple[str, str]]:
    """(field, reason) for every way a min/max is unusable; empty when it is fine."""
    errors: list[tuple[str, str]] = []
    if min_units < 0:
        errors.append(("min", "must be 0 or more"))
    if max_units <= 0:
        errors.append(("max", "must be 1 or more"))
    elif max_units > MAX_FACE_UNITS:
        errors.append(("max", f"must be at most {MAX_FACE_UNITS}"))
    if min_units >= 0 and max_units > 0 and max_units <= min_units:
        errors.append(("max", f"must be above the min ({min_units})"))
    return errors


def units_wanted(on_hand: int, rule: MinMax, trigger: Trigger) -> int:
    """Units to bring to the face: up to its max once it is at or below its min (a short
    pick asks whatever the level); 0 when the face needs nothing."""
    level = max(on_hand, 0)
    if trigger is not Trigger.SHORT and level > rule.min_units:
        return 0
    return max(rule.max_units - level, 0)


@dataclass(frozen=True)
class ReserveBin:
    stock_id: int
    location: str
    free: int  # on hand minus allocated minus what open tasks already plan to take
    lot: str = ""
    expires_on: date | None = None


def usable(b: ReserveBin, today: date) -> bool:
    return b.free > 0 and (b.expires_on is None or b.expires_on >= today)


def plan_moves(bins: list[ReserveBin], wanted: int, today: date) -> list[tuple[ReserveBin, int]]:
    """Reserve bins to bring `wanted` units from, first move first: first expiry first out
    (undated stock last), then fewest moves. Within the earliest expiry, one bin that covers
    everything is taken alone (the emptiest such bin, so remnants get used up); otherwise the
    fullest bins first. Covers as much of `wanted` as there is: the caller compares."""
    if wanted <= 0:
        return []
    candidates = [b for b in bins if usable(b, today)]
    if not candidates:
        return []

    def fefo(b: ReserveBin) -> date:
        return b.expires_on or date.max

    plan: list[tuple[ReserveBin, int]] = []
    remaining = wanted
    for expiry in sorted({fefo(b) for b in candidates}):
        tier = [b for b in candidates if fefo(b) == expiry]
        whole = [b for b in tier if b.free >= remaining]
        if whole:
            best = min(whole, key=lambda b: (b.free, b.location, b.stock_id))
            plan.append((best, remaining))
            return plan
        for b in sorted(tier, key=lambda b: (-b.free, b.location, b.stock_id)):
            take = min(b.free, remaining)
            plan.append((b, take))
            remaining -= take
            if remaining == 0:
                return plan
    return plan


def next_move(bins: list[ReserveBin], wanted: int, today: date) -> tuple[ReserveBin, int] | None:
    """The first move of the plan: a task carries one move (one trip from one reserve bin);
    when it is done the face is looked at again and the next move follows if still needed."""
    plan = plan_moves(bins, wanted, today)
    return plan[0] if plan else None


# ---------------------------------------------------------------------------- alerts


class AlertKind(Enum):
    LOW_STOCK = "low_stock"  # a SKU's available units fell below its threshold
    NO_RESERVE = "no_reserve"  # a pick face needs stock and no reserve bin has any


def is_low(available: int, threshold: int) -> bool:
    """Below the threshold (a threshold of 0 means: never alert)."""
    return threshold > 0 and available < threshold


def alert_key(kind: AlertKind, sku: str, location: str | None = None) -> str:
    """One open alert per key: the same condition is not announced twice."""
    return f"{kind.value}:{sku}" + (f"@{location}" if location else "")


def low_stock_message(sku: str, available: int, threshold: int) -> Text:
    return nmsg(
        "Low stock: %(sku)s has %(n)s unit available (alert below %(threshold)s).",
        "Low stock: %(sku)s has %(n)s units available (alert below %(threshold)s).",
        available,
        sku=sku,
        n=available,
        threshold=threshold,
    )


def no_reserve_message(sku: str, face: str, on_hand: int, rule: MinMax) -> Text:
    return msg(
        "Pick face %(face)s needs %(sku)s (%(on_hand)s on hand, min %(min)s) "
        "and no reserve bin has any to bring.",
        face=face,
        sku=sku,
        on_hand=on_hand,
        min=rule.min_units,
    )


def task_message(sku: str, qty: int, source: str, face: str) -> Text:
    return msg(
        "Replenish %(qty)s × %(sku)s from %(source)s to %(face)s.",
        qty=qty,
        sku=sku,
        source=source,
        face=face,
    )
