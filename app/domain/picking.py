"""The pick task's steps as a pure state machine: step(state, scan, context) -> Step.

Location, then each unit, then the tote. A location scan confirms the bin but never picks a
unit by itself (hiding a discrepancy is what pickers complain about in other systems).
Quantity comes from repeat scans or, once one unit has been scanned, from the keypad
(`enter_quantity`); a line that needs serials takes one scan per unit, each serial once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from enum import Enum

from app.domain.scanning import ParsedScan, ScanKind


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

    @property
    def accepted(self) -> bool:
        return self in (ScanOutcome.LOCATION_OK, ScanOutcome.ITEM_OK, ScanOutcome.TOTE_OK)


MESSAGES = {
    ScanOutcome.LOCATION_OK: "Location confirmed. Scan the item.",
    ScanOutcome.ITEM_OK: "Item OK.",
    ScanOutcome.TOTE_OK: "Put in tote. Task done.",
    ScanOutcome.WRONG_LOCATION: "Wrong location: go to {location}.",
    ScanOutcome.WRONG_ITEM: "Wrong item: this is not {sku}.",
    ScanOutcome.OVER_PICK: "Over-pick: only {qty} wanted. Put the extra unit back.",
    ScanOutcome.WRONG_TOTE: "Wrong tote: this order is in tote {tote}.",
    ScanOutcome.TOTE_IN_USE: "Tote {scanned} holds another order. Use an empty tote.",
    ScanOutcome.EXPIRED: "Expired unit (lot {lot}, expired {expires_on}). Do not pick it.",
    ScanOutcome.WRONG_LOT: "Wrong lot {lot}: this order needs lot {wanted_lot}.",
    ScanOutcome.EXPECTED_LOCATION: "Scan the location {location} first.",
    ScanOutcome.EXPECTED_TOTE: "All {qty} picked: scan the tote.",
    ScanOutcome.TASK_DONE: "This task is already done.",
    ScanOutcome.SERIAL_REQUIRED: "{sku} needs its serial number: scan the serial barcode.",
    ScanOutcome.DUPLICATE_SERIAL: "Serial {serial} was already picked. Scan another unit.",
    ScanOutcome.SCAN_ONE_FIRST: "Scan one {sku} first, then key in the quantity.",
    ScanOutcome.BAD_QUANTITY: "Key in the total in hand: more than {picked}, at most {qty}.",
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
        if self.done:
            return Stage.DONE
        if not self.location_confirmed:
            return Stage.LOCATION
        if self.picked < self.qty:
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


def _msg(outcome: ScanOutcome, state: PickState, scan: ParsedScan) -> str:
    return MESSAGES[outcome].format(
        location=state.location,
        sku=state.sku,
        qty=state.qty,
        tote=state.allocation_tote,
        scanned=scan.value,
        lot=scan.lot or state.bin_lot or "unknown",
        expires_on=scan.expires_on or state.bin_expires_on,
        wanted_lot=state.wanted_lot,
        serial=scan.serial,
        picked=state.picked,
    )


def _reject(state: PickState, outcome: ScanOutcome, scan: ParsedScan) -> Step:
    return Step(state, outcome, _msg(outcome, state, scan))


def step(state: PickState, scan: ParsedScan, ctx: ScanContext) -> Step:
    stage = state.stage
    if stage is Stage.DONE:
        return _reject(state, ScanOutcome.TASK_DONE, scan)
    if stage is Stage.LOCATION:
        if scan.kind is ScanKind.LOCATION:
            if scan.value != state.location:
                return _reject(state, ScanOutcome.WRONG_LOCATION, scan)
            new = dataclasses.replace(state, location_confirmed=True)
            return Step(new, ScanOutcome.LOCATION_OK, _msg(ScanOutcome.LOCATION_OK, new, scan))
        return _reject(state, ScanOutcome.EXPECTED_LOCATION, scan)
    if scan.kind is ScanKind.LOCATION:
        if scan.value == state.location:
            return Step(
                state, ScanOutcome.LOCATION_OK, "Location already confirmed. Scan the item."
            )
        return _reject(state, ScanOutcome.WRONG_LOCATION, scan)
    if scan.kind is ScanKind.TOTE:
        if stage is Stage.ITEM:
            return Step(
                state,
                ScanOutcome.EXPECTED_TOTE,
                f"Pick all {state.qty} first ({state.picked} so far), then scan the tote.",
            )
        if state.allocation_tote is not None and scan.value != state.allocation_tote:
            return _reject(state, ScanOutcome.WRONG_TOTE, scan)
        if state.allocation_tote is None and ctx.tote_owner_is_other:
            return _reject(state, ScanOutcome.TOTE_IN_USE, scan)
        new = dataclasses.replace(state, done=True, allocation_tote=scan.value)
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
            f"Wrong lot {scan.lot}: bin {state.location} holds lot {state.bin_lot}.",
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
    new = dataclasses.replace(state, picked=state.picked + 1, serials=serials)
    return Step(new, ScanOutcome.ITEM_OK, _progress(new), units_picked=1)


def _expired(state: PickState, scan: ParsedScan, today: date) -> bool:
    """The unit's own expiry (AI 17) decides; without one, the bin's expiry on file does,
    unless the unit names a lot other than the bin's."""
    if scan.expires_on is not None:
        return scan.expires_on < today
    if scan.lot and state.bin_lot and scan.lot != state.bin_lot:
        return False
    return state.bin_expires_on is not None and state.bin_expires_on < today


def _progress(state: PickState) -> str:
    remaining = state.qty - state.picked
    return f"Item OK: {state.picked} of {state.qty}." + (
        " Scan the tote." if remaining == 0 else f" {remaining} more."
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
    new = dataclasses.replace(state, picked=total)
    return Step(new, ScanOutcome.ITEM_OK, _progress(new), units_picked=total - state.picked)
