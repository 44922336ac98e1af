"""A put-back task on the handheld: go to the bin, scan it, scan each unit as it goes in."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from app.domain.scanning import ParsedScan, ScanKind


class PutBackOutcome(Enum):
    LOCATION_OK = "location_ok"
    ITEM_OK = "item_ok"
    WRONG_LOCATION = "wrong_location"
    WRONG_ITEM = "wrong_item"
    EXPECTED_LOCATION = "expected_location"
    OVER_PUT = "over_put"
    TASK_DONE = "task_done"

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
        return PutBackStep(state, PutBackOutcome.TASK_DONE, "This put-back is already done.")
    if scan.kind is ScanKind.LOCATION:
        if scan.value != state.location:
            return PutBackStep(
                state,
                PutBackOutcome.WRONG_LOCATION,
                f"Wrong location: put {state.sku} back in {state.location}.",
            )
        new = dataclasses.replace(state, location_confirmed=True)
        return PutBackStep(
            new,
            PutBackOutcome.LOCATION_OK,
            f"Location confirmed. Scan each {state.sku} as it goes in.",
        )
    if not state.location_confirmed:
        return PutBackStep(
            state, PutBackOutcome.EXPECTED_LOCATION, f"Scan the location {state.location} first."
        )
    if scan.value not in state.item_codes and scan.raw not in state.item_codes:
        return PutBackStep(
            state, PutBackOutcome.WRONG_ITEM, f"Wrong item: this put-back is {state.sku}."
        )
    new = dataclasses.replace(state, done_qty=state.done_qty + 1)
    left = new.qty - new.done_qty
    return PutBackStep(
        new,
        PutBackOutcome.ITEM_OK,
        f"Put back {new.done_qty} of {new.qty}." + (" Done." if left == 0 else ""),
    )
