"""Rules of the stock handheld (receive, put-away and moves, replenishment) and the CSV stock
import: which quantities, lots and locations are acceptable, and the sentences a receiver
hears. Pure: the services look things up and ask these functions.

Every refusal is a `Refusal` (a result code the station plays its tone for) with a sentence
(`msg`: English here, the reader's language at the station's edge); a refused scan changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from app.domain.stock_allocation import ALLOCATABLE_KINDS
from app.domain.text import Text, msg

# Where received or moved stock may go without asking: pick faces, reserve, and a receiving
# dock if the layout has one. Quarantine only when the receiver says so explicitly (damaged
# goods); pack, ship and returns benches never.
STORAGE_KINDS = frozenset(ALLOCATABLE_KINDS | {"receiving"})
QUARANTINE = "quarantine"
# The CSV import's ceiling per row: an initial load may be large, a typo of a million is not.
MAX_IMPORT_UNITS = 1_000_000


class Purpose(Enum):
    RECEIVE = "receive"  # where received units go
    FROM = "from"  # a move's source bin
    TO = "to"  # a move's destination


class Refusal(Enum):
    UNKNOWN_ITEM = "unknown_item"
    NOT_AN_ITEM = "not_an_item"
    UNKNOWN_LOCATION = "unknown_location"
    NOT_A_LOCATION = "not_a_location"
    WRONG_KIND = "wrong_location_kind"
    EXPIRED = "expired"
    BAD_QUANTITY = "bad_quantity"
    EMPTY_BIN = "empty_bin"
    NOT_IN_BIN = "not_in_bin"
    NOT_ENOUGH = "not_enough"
    SAME_LOCATION = "same_location"
    WHICH_LOT = "which_lot"
    LOT_EXPIRY = "lot_expiry_mismatch"
    WRONG_LOCATION = "wrong_location"
    WRONG_ITEM = "wrong_item"
    WRONG_LOT = "wrong_lot"
    NO_TASK = "no_task"
    TASK_TAKEN = "task_taken"


@dataclass(frozen=True)
class Verdict:
    refusal: Refusal
    message: Text


def check_quantity(qty: int, max_units: int) -> Verdict | None:
    if qty <= 0:
        return Verdict(
            Refusal.BAD_QUANTITY,
            msg("Quantity %(qty)s is not possible: it must be 1 or more.", qty=qty),
        )
    if qty > max_units:
        return Verdict(
            Refusal.BAD_QUANTITY,
            msg(
                "Quantity %(qty)s is more than %(max)s, the most one scan may book. "
                "Check the count, or book it in parts.",
                qty=qty,
                max=max_units,
            ),
        )
    return None


def check_expiry(expires_on: date | None, today: date, lot: str | None) -> Verdict | None:
    if expires_on is None or expires_on >= today:
        return None
    if lot:
        text = msg(
            "Lot %(lot)s expired on %(date)s: it cannot go into stock. "
            "Set it aside for the supervisor.",
            lot=lot,
            date=expires_on.isoformat(),
        )
    else:
        text = msg(
            "This item expired on %(date)s: it cannot go into stock. "
            "Set it aside for the supervisor.",
            date=expires_on.isoformat(),
        )
    return Verdict(Refusal.EXPIRED, text)


_WRONG_KIND = {
    Purpose.RECEIVE: (
        "%(code)s is a %(kind)s location: you cannot receive into it here. "
        "Scan a pick or reserve bin."
    ),
    Purpose.FROM: (
        "%(code)s is a %(kind)s location: you cannot move stock out of it here. "
        "Scan a pick or reserve bin."
    ),
    Purpose.TO: (
        "%(code)s is a %(kind)s location: you cannot move stock into it here. "
        "Scan a pick or reserve bin."
    ),
}


def check_kind(code: str, kind: str, purpose: Purpose, quarantine: bool) -> Verdict | None:
    """Receipts and move destinations go to storage (or to quarantine when the receiver
    asked for it); moves start from storage (quarantined stock is blocked: never moved here)."""
    if kind in STORAGE_KINDS:
        return None
    if kind == QUARANTINE and purpose is not Purpose.FROM and quarantine:
        return None
    if kind == QUARANTINE and purpose is not Purpose.FROM:
        return Verdict(
            Refusal.WRONG_KIND,
            msg(
                "%(code)s is the quarantine. Stock goes there only when you tick "
                "'Into quarantine' (damaged goods).",
                code=code,
            ),
        )
    return Verdict(Refusal.WRONG_KIND, msg(_WRONG_KIND[purpose], code=code, kind=kind))


def check_lot_expiry(
    lot: str, in_bin: date | None, scanned: date | None, code: str
) -> Verdict | None:
    """One lot has one expiry: a label saying otherwise for a lot already in the bin is
    refused rather than booked under the wrong date."""
    if not lot or in_bin is None or scanned is None or in_bin == scanned:
        return None
    return Verdict(
        Refusal.LOT_EXPIRY,
        msg(
            "Lot %(lot)s in %(code)s expires %(in_bin)s, the label says %(label)s. "
            "Check the label with your supervisor.",
            lot=lot,
            code=code,
            in_bin=in_bin.isoformat(),
            label=scanned.isoformat(),
        ),
    )


def check_move(free: int, qty: int, on_hand: int, sku: str, code: str) -> Verdict | None:
    """Only free units move: units promised to orders stay where their pick tasks expect them."""
    if qty <= free:
        return None
    promised = on_hand - free
    if promised > 0:
        text = msg(
            "Only %(free)s × %(sku)s free in %(code)s (%(promised)s promised to orders): "
            "you cannot move %(qty)s.",
            free=free,
            sku=sku,
            code=code,
            promised=promised,
            qty=qty,
        )
    else:
        text = msg(
            "Only %(free)s × %(sku)s free in %(code)s: you cannot move %(qty)s.",
            free=free,
            sku=sku,
            code=code,
            qty=qty,
        )
    return Verdict(Refusal.NOT_ENOUGH, text)


def received_message(qty: int, sku: str, location: str, lot: str | None) -> Text:
    if lot:
        return msg(
            "Received %(qty)s × %(sku)s (lot %(lot)s) into %(location)s.",
            qty=qty,
            sku=sku,
            lot=lot,
            location=location,
        )
    return msg("Received %(qty)s × %(sku)s into %(location)s.", qty=qty, sku=sku, location=location)


def moved_message(qty: int, sku: str, source: str, target: str) -> Text:
    return msg(
        "Moved %(qty)s × %(sku)s from %(source)s to %(target)s.",
        qty=qty,
        sku=sku,
        source=source,
        target=target,
    )


def replenished_message(qty: int, sku: str, source: str, face: str) -> Text:
    return msg(
        "Replenished %(face)s: %(qty)s × %(sku)s from %(source)s.",
        face=face,
        qty=qty,
        sku=sku,
        source=source,
    )
