"""Cycle counts: what a blind count found against what the system holds, and what comes next.

A count task counts one location: everything in it, or one SKU there (a short pick's count,
or "count this SKU everywhere"). The counter never sees the system's figures; the comparison
happens when the count is committed, against the bin's on-hand *at that moment*, so picks made
between raising the task and counting it are accounted for (a pick takes the unit out of the
bin and out of on-hand together, so the variance does not move).

The rules, in order (docs/counts.md):

1. A first count that matches the system on every line closes the task: no adjustment.
2. A first count with any variance raises a recount, for another counter if one is signed in.
3. A recount that matches the system closes the chain with no adjustment (the first count was
   the mistake).
4. A recount whose variance equals the first count's goes to a supervisor (two counts agree).
5. A recount that disagrees with both: within the tolerance on every line it closes with no
   adjustment (an unconfirmed small difference is noise); beyond it, to a supervisor.
6. A supervisor approves (the adjustment goes through the ledger with a reason code) or
   rejects (a new count, judged like a recount against the rejected one).

This module decides; app/services/counts.py applies.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum

from app.domain.text import Text, msg


@dataclass(frozen=True, order=True)
class ItemKey:
    """One line of a count: a SKU (or, for a barcode the item master does not know, that
    barcode with unknown=True) and a lot ("" when the stock carries none)."""

    item: str
    lot: str = ""
    unknown: bool = False

    def label(self) -> str:
        what = f"unknown item {self.item}" if self.unknown else self.item
        return f"{what} lot {self.lot}" if self.lot else what


@dataclass(frozen=True)
class LineResult:
    key: ItemKey
    system: int  # on-hand at commit time (0 for found stock)
    counted: int

    @property
    def variance(self) -> int:
        return self.counted - self.system


def compare(
    system: Mapping[ItemKey, int], counted: Mapping[ItemKey, int]
) -> tuple[LineResult, ...]:
    """Every line either side knows of. `system` holds the lines in the task's scope (and
    those the counter found); a line in scope the counter did not count was counted as 0."""
    keys = sorted(set(system) | set(counted))
    return tuple(LineResult(k, system.get(k, 0), counted.get(k, 0)) for k in keys)


def variances(lines: Iterable[LineResult]) -> dict[ItemKey, int]:
    return {line.key: line.variance for line in lines if line.variance != 0}


class Verdict(Enum):
    MATCH = "match"  # first count agrees with the system: closed, no adjustment
    RECOUNT = "recount"  # first count differs: a recount is raised
    SYSTEM_RIGHT = "system"  # recount agrees with the system: closed, no adjustment
    CONFIRMED = "confirmed"  # recount agrees with the previous count: supervisor approval
    DISPUTED = "disputed"  # recount agrees with nothing, beyond tolerance: supervisor
    WITHIN_TOLERANCE = "tolerance"  # recount agrees with nothing, within tolerance: closed

    @property
    def needs_review(self) -> bool:
        return self in (Verdict.CONFIRMED, Verdict.DISPUTED)

    @property
    def closes(self) -> bool:
        return self in (Verdict.MATCH, Verdict.SYSTEM_RIGHT, Verdict.WITHIN_TOLERANCE)


@dataclass(frozen=True)
class Tolerance:
    """How far a recount may stray from the system, on a line, and still be noise: the larger
    of `units` and `percent` of the system's figure. Zero (the default) sends every
    unconfirmed recount variance to a supervisor."""

    units: int = 0
    percent: float = 0.0

    def allows(self, line: LineResult) -> bool:
        allowed = max(self.units, int(abs(line.system) * self.percent / 100))
        return abs(line.variance) <= allowed


def judge_first(lines: Sequence[LineResult]) -> Verdict:
    return Verdict.RECOUNT if variances(lines) else Verdict.MATCH


def judge_recount(
    previous: Mapping[ItemKey, int], lines: Sequence[LineResult], tolerance: Tolerance
) -> Verdict:
    """A recount (or the new count after a rejection) against the count before it.
    `previous`: that count's variances (nonzero lines only), which stay valid although
    picks changed on-hand in between (see the module docstring)."""
    now = variances(lines)
    if not now:
        return Verdict.SYSTEM_RIGHT
    if now == dict(previous):
        return Verdict.CONFIRMED
    if all(tolerance.allows(line) for line in lines):
        return Verdict.WITHIN_TOLERANCE
    return Verdict.DISPUTED


def judge(
    previous: Mapping[ItemKey, int] | None, lines: Sequence[LineResult], tolerance: Tolerance
) -> Verdict:
    """A first count (previous is None) or a recount."""
    if previous is None:
        return judge_first(lines)
    return judge_recount(previous, lines, tolerance)


# ---------------------------------------------------------------- entering a count


class QtyProblem(Enum):
    NEGATIVE = "negative"
    ABSURD = "absurd"


def quantity_problem(qty: int, max_units: int) -> QtyProblem | None:
    if qty < 0:
        return QtyProblem.NEGATIVE
    if qty > max_units:
        return QtyProblem.ABSURD
    return None


def quantity_message(problem: QtyProblem, max_units: int) -> Text:
    if problem is QtyProblem.NEGATIVE:
        return msg("A count cannot be below 0. Key in the units you see.")
    return msg(
        "More than %(n)s units of one item in one bin cannot be right. Count again.", n=max_units
    )


def resolve_lot(scanned: str | None, lots_here: Iterable[str]) -> str | None:
    """The lot a scanned unit belongs to. A scan with a lot (GS1 AI 10) says it; a plain
    barcode is the bin's only lot of that item (or no lot); with several lots of the item in
    the bin, None: the counter must scan the label that carries the lot."""
    if scanned:
        return scanned
    lots = {lot for lot in lots_here if lot}
    if not lots:
        return ""
    if len(lots) == 1:
        return next(iter(lots))
    return None


# ---------------------------------------------------------------- who recounts


def may_take(avoid: str | None, counter: str, others_signed_in: bool) -> bool:
    """A recount goes to another counter than the one whose count it checks; the same counter
    may take it only while nobody else is signed in to count (so a lone night-shift counter
    is not stuck)."""
    return avoid is None or avoid != counter or not others_signed_in


# ---------------------------------------------------------------- approval


def shortfall(on_hand: int, allocated: int, delta: int) -> int:
    """Units of reservations an adjustment would leave uncovered (0: it may go through).
    An adjustment never takes on-hand below what orders hold."""
    return max(0, allocated - (on_hand + delta))


@dataclass(frozen=True)
class ReasonCode:
    code: str
    label: str


class UnknownReason(ValueError):
    def __init__(self, message: Text) -> None:
        super().__init__(message)
        self.message = message


def parse_reason_code(text: str, codes: Sequence[ReasonCode]) -> ReasonCode:
    key = text.strip().lower().replace("-", "_").replace(" ", "_").replace("/", "_")
    for reason in codes:
        if reason.code == key:
            return reason
    raise UnknownReason(
        msg(
            "Unknown reason code %(code)s: choose one of %(codes)s.",
            code=text,
            codes=", ".join(r.code for r in codes),
        )
    )


def unit_value_minor(sku: str, values: Sequence[tuple[str, int]]) -> int | None:
    """What one unit is worth, from the first matching shell-style pattern, else unknown."""
    for pattern, minor in values:
        if fnmatch.fnmatchcase(sku, pattern):
            return minor
    return None


# ---------------------------------------------------------------- the cycle schedule


def abc_classes(
    units_by_sku: Mapping[str, int], a_share: float = 0.8, b_share: float = 0.95
) -> dict[str, str]:
    """Pareto classes by units picked: the fastest movers making the first `a_share` of all
    units are A, the next up to `b_share` B, the rest (and anything never picked) C."""
    total = sum(max(0, u) for u in units_by_sku.values())
    out: dict[str, str] = {}
    before = 0
    for sku, units in sorted(units_by_sku.items(), key=lambda kv: (-kv[1], kv[0])):
        if units <= 0 or total == 0:
            out[sku] = "C"
            continue
        share = before / total
        out[sku] = "A" if share < a_share else "B" if share < b_share else "C"
        before += units
    return out


def best_class(classes: Iterable[str]) -> str:
    """A bin holding an A item is counted as often as an A item."""
    found = set(classes)
    for c in ("A", "B", "C"):
        if c in found:
            return c
    return "C"


@dataclass(frozen=True)
class PlanBin:
    location: str
    every_days: int
    last_counted: date | None
    open_task: bool = False


def due(bins: Iterable[PlanBin], today: date, limit: int) -> list[PlanBin]:
    """The bins whose turn has come, most overdue first (never counted before anything),
    at most `limit` of them so a daily run spreads the work over the interval."""
    ready = [
        b
        for b in bins
        if not b.open_task
        and (b.last_counted is None or (today - b.last_counted).days >= b.every_days)
    ]

    def overdue(b: PlanBin) -> tuple[int, int, str]:
        if b.last_counted is None:
            return (0, 0, b.location)
        return (1, -((today - b.last_counted).days - b.every_days), b.location)

    return sorted(ready, key=overdue)[: max(0, limit)]
