"""The pick task's steps as a pure state machine: step(state, scan, context) -> Step.

Location, then each unit, then the tote. A location scan confirms the bin but never picks a
unit by itself (hiding a discrepancy is what pickers complain about in other systems).
Quantity comes from repeat scans or, once one unit has been scanned, from the keypad
(`enter_quantity`); a line that needs serials takes one scan per unit, each serial once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from app.domain.records import evolve
from app.domain.scanning import ParsedScan, ScanKind, check_failed_message
from app.domain.text import N_, Text, msg


class Stage(Enum):
    LOCATION = "location"
    ITEM = "item"
    TOTE = "tote"
    DONE = "done"


class ScanOutcome(Enum):
    LOCATION_OK = "location_ok"
    ITEM_OK = "item_ok"
    TOTE_OK = "tote_ok"
    WRONG_LOCATION = "wrong_location"
    WRONG_ITEM = "wrong_item"
    OVER_PICK = "over_pick"
    WRONG_TOTE = "wrong_tote"
    TOTE_IN_USE = "tote_in_use"
    EXPIRED = "expired"
    WRONG_LOT = "wrong_lot"
    EXPECTED_LOCATION = "expected_location"
    EXPECTED_TOTE = "expected_tote"
    TASK_DONE = "task_done"
    SERIAL_REQUIRED = "serial_required"
    DUPLICATE_SERIAL = "duplicate_serial"
    SCAN_ONE_FIRST = "scan_one_first"
    BAD_QUANTITY = "bad_quantity"
    CHECK_FAILED = "check_failed"  # a location or tote label whose check character fails

    @property
    def accepted(self) -> bool:
        return self in (ScanOutcome.LOCATION_OK, ScanOutcome.ITEM_OK, ScanOutcome.TOTE_OK)


# What the picker reads (translated at the station edge: app/domain/text.py).
MESSAGES = {
    ScanOutcome.LOCATION_OK: N_("Location confirmed. Scan the item."),
    ScanOutcome.ITEM_OK: N_("Item OK."),
    ScanOutcome.TOTE_OK: N_("Put in tote. Task done."),
    ScanOutcome.WRONG_LOCATION: N_("Wrong location: go to %(location)s."),
    ScanOutcome.WRONG_ITEM: N_("Wrong item: this is not %(sku)s."),
    ScanOutcome.OVER_PICK: N_("Over-pick: only %(qty)s wanted. Put the extra unit back."),
    ScanOutcome.WRONG_TOTE: N_("Wrong tote: this order is in tote %(tote)s."),
    ScanOutcome.TOTE_IN_USE: N_("Tote %(scanned)s holds another order. Use an empty tote."),
    ScanOutcome.EXPIRED: N_("Expired unit (lot %(lot)s, expired %(expires_on)s). Do not pick it."),
    ScanOutcome.WRONG_LOT: N_("Wrong lot %(lot)s: this order needs lot %(wanted_lot)s."),
    ScanOutcome.EXPECTED_LOCATION: N_("Scan the location %(location)s first."),
    ScanOutcome.EXPECTED_TOTE: N_("All %(qty)s picked: scan the tote."),
    ScanOutcome.TASK_DONE: N_("This task is already done."),
    ScanOutcome.SERIAL_REQUIRED: N_("%(sku)s needs its serial number: scan the serial barcode."),
    ScanOutcome.DUPLICATE_SERIAL: N_("Serial %(serial)s was already picked. Scan another unit."),
    ScanOutcome.SCAN_ONE_FIRST: N_("Scan one %(sku)s first, then key in the quantity."),
    ScanOutcome.BAD_QUANTITY: N_(
        "Key in the total in hand: more than %(picked)s, at most %(qty)s."
    ),
    ScanOutcome.CHECK_FAILED: N_("Code check failed: rescan the label."),
}


@dataclass(frozen=True)
class PickState:
    location: str
    sku: str
    item_codes: frozenset[str]  # GTIN-14s and alternate codes of the SKU
    qty: int
    picked: int
    location_confirmed: bool
    allocation_tote: str | None  # the tote this order already uses, if any
    wanted_lot: str | None = None  # the order line asks for this lot
    done: bool = False
    serial_required: bool = False
    serials: frozenset[str] = frozenset()  # serials already picked for this line
    bin_lot: str | None = None  # the lot the bin's stock row holds ("" on file = none)
    bin_expires_on: date | None = None  # the expiry on file for the bin's stock

    @property
    def stage(self) -> Stage:
        return stage_of(self.done, self.location_confirmed, self.picked, self.qty)


def stage_of(done: bool, location_confirmed: bool, picked: int, qty: int) -> Stage:
    """Where a task stands: the stage its next scan belongs to."""
    if done:
        return Stage.DONE
    if not location_confirmed:
        return Stage.LOCATION
    if picked < qty:
        return Stage.ITEM
    return Stage.TOTE


@dataclass(frozen=True)
class ScanContext:
    today: date
    tote_owner_is_other: bool = False  # the scanned tote holds another allocation


@dataclass(frozen=True)
class Step:
    state: PickState
    outcome: ScanOutcome
    message: str
    units_picked: int = 0
    tote: str | None = None


def _msg(outcome: ScanOutcome, state: PickState, scan: ParsedScan) -> Text:
    template = MESSAGES[outcome]
    values = {
        "location": state.location,
        "sku": state.sku,
        "qty": state.qty,
        "tote": state.allocation_tote,
        "scanned": scan.value,
        "lot": scan.lot or state.bin_lot or msg("unknown"),
        "expires_on": scan.expires_on or state.bin_expires_on,
        "wanted_lot": state.wanted_lot,
        "serial": scan.serial,
        "picked": state.picked,
    }
    return Text(template, {k: v for k, v in values.items() if f"%({k})s" in template})


def _reject(state: PickState, outcome: ScanOutcome, scan: ParsedScan) -> Step:
    return Step(state, outcome, _msg(outcome, state, scan))


def step(state: PickState, scan: ParsedScan, ctx: ScanContext) -> Step:
    stage = state.stage
    if scan.kind is ScanKind.CHECK_FAILED:
        return Step(state, ScanOutcome.CHECK_FAILED, check_failed_message(scan))
    if stage is Stage.DONE:
        return _reject(state, ScanOutcome.TASK_DONE, scan)
    if stage is Stage.LOCATION:
        if scan.kind is ScanKind.LOCATION:
            if scan.value != state.location:
                return _reject(state, ScanOutcome.WRONG_LOCATION, scan)
            new = evolve(state, location_confirmed=True)
            return Step(new, ScanOutcome.LOCATION_OK, _msg(ScanOutcome.LOCATION_OK, new, scan))
        return _reject(state, ScanOutcome.EXPECTED_LOCATION, scan)
    if scan.kind is ScanKind.LOCATION:
        if scan.value == state.location:
            return Step(
                state, ScanOutcome.LOCATION_OK, msg("Location already confirmed. Scan the item.")
            )
        return _reject(state, ScanOutcome.WRONG_LOCATION, scan)
    if scan.kind is ScanKind.TOTE:
        if stage is Stage.ITEM:
            return Step(
                state,
                ScanOutcome.EXPECTED_TOTE,
                msg(
                    "Pick all %(qty)s first (%(picked)s so far), then scan the tote.",
                    qty=state.qty,
                    picked=state.picked,
                ),
            )
        if state.allocation_tote is not None and scan.value != state.allocation_tote:
            return _reject(state, ScanOutcome.WRONG_TOTE, scan)
        if state.allocation_tote is None and ctx.tote_owner_is_other:
            return _reject(state, ScanOutcome.TOTE_IN_USE, scan)
        new = evolve(state, done=True, allocation_tote=scan.value)
        return Step(new, ScanOutcome.TOTE_OK, _msg(ScanOutcome.TOTE_OK, new, scan), tote=scan.value)
    # Anything else is an item scan.
    if scan.value not in state.item_codes and scan.raw not in state.item_codes:
        return _reject(state, ScanOutcome.WRONG_ITEM, scan)
    if _expired(state, scan, ctx.today):
        return _reject(state, ScanOutcome.EXPIRED, scan)
    if scan.lot and state.wanted_lot and scan.lot != state.wanted_lot:
        return _reject(state, ScanOutcome.WRONG_LOT, scan)
    if scan.lot and not state.wanted_lot and state.bin_lot and scan.lot != state.bin_lot:
        # Not the order's demand but the ledger's: the unit would leave another lot's bin.
        return Step(
            state,
            ScanOutcome.WRONG_LOT,
            msg(
                "Wrong lot %(lot)s: bin %(location)s holds lot %(bin_lot)s.",
                lot=scan.lot,
                location=state.location,
                bin_lot=state.bin_lot,
            ),
        )
    if stage is Stage.TOTE:
        return _reject(state, ScanOutcome.OVER_PICK, scan)
    if state.serial_required:
        if not scan.serial:
            return _reject(state, ScanOutcome.SERIAL_REQUIRED, scan)
        if scan.serial in state.serials:
            return _reject(state, ScanOutcome.DUPLICATE_SERIAL, scan)
    serials = state.serials
    if state.serial_required and scan.serial is not None:
        serials = serials | {scan.serial}
    new = evolve(state, picked=state.picked + 1, serials=serials)
    return Step(new, ScanOutcome.ITEM_OK, _progress(new), units_picked=1)


def _expired(state: PickState, scan: ParsedScan, today: date) -> bool:
    """The unit's own expiry (AI 17) decides; without one, the bin's expiry on file does,
    unless the unit names a lot other than the bin's."""
    if scan.expires_on is not None:
        return scan.expires_on < today
    if scan.lot and state.bin_lot and scan.lot != state.bin_lot:
        return False
    return state.bin_expires_on is not None and state.bin_expires_on < today


def _progress(state: PickState) -> Text:
    remaining = state.qty - state.picked
    if remaining == 0:
        return msg(
            "Item OK: %(picked)s of %(qty)s. Scan the tote.", picked=state.picked, qty=state.qty
        )
    return msg(
        "Item OK: %(picked)s of %(qty)s. %(left)s more.",
        picked=state.picked,
        qty=state.qty,
        left=remaining,
    )


def enter_quantity(state: PickState, total: int) -> Step:
    """The keypad: `total` units of the item are in hand. Only after one unit was scanned
    (the scan proved the item and its lot); never for serial-controlled lines."""
    empty = ParsedScan(str(total), ScanKind.OTHER, str(total))
    stage = state.stage
    if stage is Stage.DONE:
        return _reject(state, ScanOutcome.TASK_DONE, empty)
    if stage is Stage.LOCATION:
        return _reject(state, ScanOutcome.EXPECTED_LOCATION, empty)
    if state.serial_required:
        return _reject(state, ScanOutcome.SERIAL_REQUIRED, empty)
    if state.picked == 0:
        return _reject(state, ScanOutcome.SCAN_ONE_FIRST, empty)
    if total > state.qty:
        return _reject(state, ScanOutcome.OVER_PICK, empty)
    if total <= state.picked:
        return _reject(state, ScanOutcome.BAD_QUANTITY, empty)
    new = evolve(state, picked=total)
    return Step(new, ScanOutcome.ITEM_OK, _progress(new), units_picked=total - state.picked)
