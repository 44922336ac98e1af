"""A put-back task on the handheld: go to the bin, scan it, scan each unit as it goes in."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from app.domain.scanning import ParsedScan, ScanKind, check_failed_message
from app.domain.text import msg


class PutBackOutcome(Enum):
    LOCATION_OK = "location_ok"
    ITEM_OK = "item_ok"
    WRONG_LOCATION = "wrong_location"
    WRONG_ITEM = "wrong_item"
    EXPECTED_LOCATION = "expected_location"
    OVER_PUT = "over_put"
    TASK_DONE = "task_done"
    CHECK_FAILED = "check_failed"  # a location label whose check character fails

    @property
    def accepted(self) -> bool:
        return self in (PutBackOutcome.LOCATION_OK, PutBackOutcome.ITEM_OK)


@dataclass(frozen=True)
class PutBackState:
    location: str
    sku: str
    item_codes: frozenset[str]
    qty: int
    done_qty: int
    location_confirmed: bool

    @property
    def done(self) -> bool:
        return self.done_qty >= self.qty


@dataclass(frozen=True)
class PutBackStep:
    state: PutBackState
    outcome: PutBackOutcome
    message: str


def step(state: PutBackState, scan: ParsedScan) -> PutBackStep:
    if state.done:
        return PutBackStep(state, PutBackOutcome.TASK_DONE, msg("This put-back is already done."))
    if scan.kind is ScanKind.CHECK_FAILED:
        return PutBackStep(state, PutBackOutcome.CHECK_FAILED, check_failed_message(scan))
    if scan.kind is ScanKind.LOCATION:
        if scan.value != state.location:
            return PutBackStep(
                state,
                PutBackOutcome.WRONG_LOCATION,
                msg(
                    "Wrong location: put %(sku)s back in %(location)s.",
                    sku=state.sku,
                    location=state.location,
                ),
            )
        new = dataclasses.replace(state, location_confirmed=True)
        return PutBackStep(
            new,
            PutBackOutcome.LOCATION_OK,
            msg("Location confirmed. Scan each %(sku)s as it goes in.", sku=state.sku),
        )
    if not state.location_confirmed:
        return PutBackStep(
            state,
            PutBackOutcome.EXPECTED_LOCATION,
            msg("Scan the location %(location)s first.", location=state.location),
        )
    if scan.value not in state.item_codes and scan.raw not in state.item_codes:
        return PutBackStep(
            state,
            PutBackOutcome.WRONG_ITEM,
            msg("Wrong item: this put-back is %(sku)s.", sku=state.sku),
        )
    new = dataclasses.replace(state, done_qty=state.done_qty + 1)
    left = new.qty - new.done_qty
    return PutBackStep(
        new,
        PutBackOutcome.ITEM_OK,
        msg("Put back %(done)s of %(qty)s. Done.", done=new.done_qty, qty=new.qty)
        if left == 0
        else msg("Put back %(done)s of %(qty)s.", done=new.done_qty, qty=new.qty),
    )
