"""Unit-by-unit verification at the pack station: every picked unit is scanned once.

A tote normally holds one order; a tote picked for several orders (a batch picked into one
tote) is sorted at the station: each unit scanned goes to the first order, in the tote's order
(most urgent first), that still needs one of it (`sort_unit`).

Besides the units to pack, a line can have units that never reached the tote (short at
picking: `short`) and units in the tote that were cancelled after picking (`cancelled_in_tote`:
they go back to their bins, never into a carton). Scanning one of those is its own outcome so
the packer hears that the unit must come out of the order, not that it was scanned twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from app.domain.scanning import ParsedScan
from app.domain.text import N_, msg


class PackOutcome(Enum):
    UNIT_OK = "unit_ok"
    WRONG_ITEM = "wrong_item"
    OVER_SCAN = "over_scan"
    CANCELLED_UNIT = "cancelled_unit"


@dataclass(frozen=True)
class PackLine:
    line_pk: int
    sku: str
    codes: frozenset[str]
    picked: int  # units to pack: picked and not cancelled
    verified: int  # scanned at this station and not yet in a carton, plus already packed
    ordered: int = 0  # the line's quantity (0: unknown, treated as `picked`)
    short: int = 0  # short at picking: not in the tote
    cancelled_in_tote: int = 0  # picked, then cancelled: in the tote, to go back to a bin

    @property
    def remaining(self) -> int:
        return self.picked - self.verified

    @property
    def missing(self) -> int:
        """Units the customer ordered that will not be in this order's cartons."""
        return self.short


@dataclass(frozen=True)
class PackVerdict:
    outcome: PackOutcome
    message: str
    line_pk: int | None = None


def _matches(line: PackLine, scan: ParsedScan) -> bool:
    return scan.value in line.codes or scan.raw in line.codes


def verify_unit(lines: Sequence[PackLine], scan: ParsedScan) -> PackVerdict:
    matching = [ln for ln in lines if _matches(ln, scan)]
    if not matching:
        return PackVerdict(
            PackOutcome.WRONG_ITEM, msg("Wrong item: %(raw)s is not in this order.", raw=scan.raw)
        )
    open_line = next((ln for ln in matching if ln.remaining > 0), None)
    if open_line is None:
        cancelled = next((ln for ln in matching if ln.cancelled_in_tote > 0), None)
        if cancelled is not None:
            return PackVerdict(
                PackOutcome.CANCELLED_UNIT,
                msg(
                    "Cancelled: %(cancelled_in_tote)s × %(sku)s of this order "
                    "were cancelled. Do not pack it: put it on the put-back "
                    "shelf.",
                    cancelled_in_tote=cancelled.cancelled_in_tote,
                    sku=cancelled.sku,
                ),
            )
        sku = matching[0].sku
        return PackVerdict(
            PackOutcome.OVER_SCAN,
            msg("Over-scan: every %(sku)s of this order is already verified.", sku=sku),
        )
    left = open_line.remaining - 1
    return PackVerdict(
        PackOutcome.UNIT_OK,
        msg("%(sku)s OK. %(left)s more of it.", sku=open_line.sku, left=left)
        if left
        else msg("%(sku)s OK.", sku=open_line.sku),
        open_line.line_pk,
    )


def all_verified(lines: Sequence[PackLine]) -> bool:
    return all(ln.remaining <= 0 for ln in lines)


@dataclass(frozen=True)
class ToteOrder:
    """One order in a multi-order tote, in sorting priority (most urgent first)."""

    key: str  # the allocation id
    slot: str  # where its units go on the pack bench: A, B, C...
    lines: tuple[PackLine, ...]


@dataclass(frozen=True)
class SortVerdict:
    verdict: PackVerdict
    order_key: str | None = None
    slot: str | None = None


def slot_name(index: int) -> str:
    """A, B, ... Z, AA, AB, ... for the orders of a tote in sorting order."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def sort_unit(orders: Sequence[ToteOrder], scan: ParsedScan) -> SortVerdict:
    """Which order of a multi-order tote this unit belongs to: the first (most urgent) order
    that still needs one of it. When none does, the verdict of the first order that has the
    item at all (over-scan or cancelled), else wrong item."""
    for order in orders:
        verdict = verify_unit(order.lines, scan)
        if verdict.outcome is PackOutcome.UNIT_OK:
            return SortVerdict(
                PackVerdict(
                    verdict.outcome, f"Slot {order.slot}: {verdict.message}", verdict.line_pk
                ),
                order.key,
                order.slot,
            )
    for order in orders:
        verdict = verify_unit(order.lines, scan)
        if verdict.outcome is PackOutcome.CANCELLED_UNIT:
            return SortVerdict(verdict, order.key, order.slot)
    for order in orders:
        verdict = verify_unit(order.lines, scan)
        if verdict.outcome is PackOutcome.OVER_SCAN:
            sku = next(ln.sku for ln in order.lines if _matches(ln, scan))
            return SortVerdict(
                PackVerdict(
                    PackOutcome.OVER_SCAN,
                    msg("Over-scan: every %(sku)s in this tote is already verified.", sku=sku),
                ),
                order.key,
                order.slot,
            )
    return SortVerdict(
        PackVerdict(
            PackOutcome.WRONG_ITEM,
            msg("Wrong item: %(raw)s is in none of these orders.", raw=scan.raw),
        )
    )


@dataclass(frozen=True)
class OverrideReason:
    """Why a packer closed a carton other than the recommended one."""

    code: str
    label: str
    note_required: bool = False

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "note_required": self.note_required}


OVERRIDE_REASONS = (
    OverrideReason("out_of_stock", N_("Recommended carton not on the shelf")),
    OverrideReason("does_not_fit", N_("The units do not fit the recommended carton")),
    OverrideReason("protection", N_("Fragile: needs more room for padding")),
    OverrideReason("customer_request", N_("The order asks for it (gift box, notes)")),
    OverrideReason("other", N_("Other (say why)"), note_required=True),
)
# A carton closed with another type through the plain `close_carton` event, no reason given.
NOT_GIVEN = OverrideReason("not_given", N_("No reason given"))


def override_reason(code: str, note: str | None) -> OverrideReason:
    """The reason for `code`; ValueError when unknown or when it needs a note and has none."""
    reason = next((r for r in OVERRIDE_REASONS if r.code == code), None)
    if reason is None:
        known = ", ".join(r.code for r in OVERRIDE_REASONS)
        raise ValueError(f"unknown override reason {code!r} (known: {known})")
    if reason.note_required and not (note and note.strip()):
        raise ValueError(f"{reason.label}: say why in a note")
    return reason
