"""The pick task as the picker lives it: location, each unit, then the tote (picking.py)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.picking import (
    MESSAGES,
    PickState,
    ScanContext,
    ScanOutcome,
    Stage,
    Step,
    enter_quantity,
    step,
)
from app.domain.scanning import ParsedScan, ScanKind, parse_scan

LOCATION = "A01-03-2"
OTHER_LOCATION = "A01-04-1"
GTIN14 = "09501101530003"
OTHER_GTIN = "04006381333931"
ALTERNATE_CODE = "MUG-WHT-ALT"
TODAY = date(2026, 11, 26)
CTX = ScanContext(today=TODAY)

LOC = parse_scan(LOCATION)
WRONG_LOC = parse_scan(OTHER_LOCATION)
ITEM = parse_scan("9501101530003")
WRONG_ITEM = parse_scan("4006381333931")
TOTE = parse_scan("T0001")
OTHER_TOTE = parse_scan("T0002")


def task(qty: int = 2, **changes: Any) -> PickState:
    state = PickState(
        location=LOCATION,
        sku="MUG-WHT",
        item_codes=frozenset({GTIN14, ALTERNATE_CODE}),
        qty=qty,
        picked=0,
        location_confirmed=False,
        allocation_tote=None,
    )
    return dataclasses.replace(state, **changes)


def lot_scan(lot: str | None, expires_on: date | None) -> ParsedScan:
    # Built by hand so the pick rules are tested apart from the parser.
    return ParsedScan(f"01{GTIN14}", ScanKind.ITEM, GTIN14, lot, expires_on)


def run(state: PickState, *scans: ParsedScan, ctx: ScanContext = CTX) -> list[Step]:
    steps = []
    for scan in scans:
        result = step(state, scan, ctx)
        steps.append(result)
        state = result.state
    return steps


# --- happy path ---------------------------------------------------------------------------


def test_full_happy_path_location_then_each_unit_then_the_tote() -> None:
    steps = run(task(qty=2), LOC, ITEM, ITEM, TOTE)
    assert [s.outcome for s in steps] == [
        ScanOutcome.LOCATION_OK,
        ScanOutcome.ITEM_OK,
        ScanOutcome.ITEM_OK,
        ScanOutcome.TOTE_OK,
    ]
    assert [s.units_picked for s in steps] == [0, 1, 1, 0]
    assert [s.state.stage for s in steps] == [Stage.ITEM, Stage.ITEM, Stage.TOTE, Stage.DONE]
    assert steps[1].message == "Item OK: 1 of 2. 1 more."
    assert steps[2].message == "Item OK: 2 of 2. Scan the tote."
    final = steps[-1]
    assert final.tote == "T0001"
    assert final.state.allocation_tote == "T0001"
    assert final.state.done
    assert final.state.picked == 2


def test_a_new_task_waits_for_the_location() -> None:
    assert task().stage is Stage.LOCATION


def test_the_order_s_own_tote_finishes_the_task() -> None:
    state = task(qty=1, allocation_tote="T0001")
    final = run(state, LOC, ITEM, TOTE)[-1]
    assert final.outcome is ScanOutcome.TOTE_OK
    assert final.state.done


def test_lower_case_location_label_confirms_the_bin() -> None:
    assert step(task(), parse_scan("a01-03-2"), CTX).outcome is ScanOutcome.LOCATION_OK


def test_upc_a_scan_picks_a_unit_whose_ean13_is_on_file() -> None:
    state = task(item_codes=frozenset({"00036000291452"}), location_confirmed=True)
    result = step(state, parse_scan("036000291452"), CTX)
    assert result.outcome is ScanOutcome.ITEM_OK
    assert result.state.picked == 1


def test_alternate_barcode_on_file_picks_a_unit() -> None:
    result = step(task(location_confirmed=True), parse_scan(ALTERNATE_CODE), CTX)
    assert result.outcome is ScanOutcome.ITEM_OK
    assert result.units_picked == 1


# --- location -----------------------------------------------------------------------------


def test_location_scan_never_picks_a_unit() -> None:
    steps = run(task(), LOC, LOC, LOC, LOC)
    assert all(s.outcome is ScanOutcome.LOCATION_OK for s in steps)
    assert all(s.units_picked == 0 and s.state.picked == 0 for s in steps)
    assert steps[-1].state.stage is Stage.ITEM


def test_wrong_location_is_rejected_and_names_the_right_one() -> None:
    result = step(task(), WRONG_LOC, CTX)
    assert result.outcome is ScanOutcome.WRONG_LOCATION
    assert not result.state.location_confirmed
    assert LOCATION in result.message


def test_wrong_location_after_confirming_is_still_rejected() -> None:
    result = run(task(), LOC, ITEM, WRONG_LOC)[-1]
    assert result.outcome is ScanOutcome.WRONG_LOCATION
    assert result.state.picked == 1
    assert result.state.location_confirmed


@pytest.mark.parametrize("scan", [ITEM, TOTE, WRONG_ITEM], ids=["item", "tote", "wrong-item"])
def test_anything_but_the_location_first_asks_for_the_location(scan: ParsedScan) -> None:
    result = step(task(), scan, CTX)
    assert result.outcome is ScanOutcome.EXPECTED_LOCATION
    assert result.message == f"Scan the location {LOCATION} first."
    assert result.state == task()


# --- items --------------------------------------------------------------------------------


def test_wrong_item_is_rejected_and_picks_nothing() -> None:
    result = run(task(), LOC, WRONG_ITEM)[-1]
    assert result.outcome is ScanOutcome.WRONG_ITEM
    assert result.units_picked == 0
    assert result.state.picked == 0
    assert "MUG-WHT" in result.message


@pytest.mark.parametrize("raw", ["CT000001", "U0001", "BOX-M", "00106141411234567898"])
def test_carton_badge_or_pallet_label_is_not_the_item(raw: str) -> None:
    result = step(task(location_confirmed=True), parse_scan(raw), CTX)
    assert result.outcome is ScanOutcome.WRONG_ITEM


def test_tote_scanned_before_every_unit_is_picked_does_not_finish_the_task() -> None:
    """Scanning the tote while units are still owed does not finish the task."""
    result = run(task(qty=3), LOC, ITEM, TOTE)[-1]
    assert result.outcome is ScanOutcome.EXPECTED_TOTE
    assert result.message == "Pick all 3 first (1 so far), then scan the tote."
    assert not result.state.done
    assert result.tote is None


def test_one_unit_more_than_wanted_is_an_over_pick() -> None:
    result = run(task(qty=2), LOC, ITEM, ITEM, ITEM)[-1]
    assert result.outcome is ScanOutcome.OVER_PICK
    assert result.state.picked == 2
    assert result.units_picked == 0
    assert "only 2 wanted" in result.message


def test_expired_unit_is_rejected() -> None:
    scan = lot_scan("L7", TODAY - timedelta(days=1))
    result = step(task(location_confirmed=True), scan, CTX)
    assert result.outcome is ScanOutcome.EXPIRED
    assert result.state.picked == 0
    assert "L7" in result.message and "2026-11-25" in result.message


def test_unit_expiring_today_can_still_be_picked() -> None:
    result = step(task(location_confirmed=True), lot_scan("L7", TODAY), CTX)
    assert result.outcome is ScanOutcome.ITEM_OK


def test_wrong_lot_is_rejected_for_a_lot_controlled_line() -> None:
    state = task(location_confirmed=True, wanted_lot="L7")
    result = step(state, lot_scan("L8", TODAY + timedelta(days=90)), CTX)
    assert result.outcome is ScanOutcome.WRONG_LOT
    assert result.message == "Wrong lot L8: this order needs lot L7."
    assert result.state.picked == 0


def test_wanted_lot_is_accepted() -> None:
    state = task(location_confirmed=True, wanted_lot="L7")
    result = step(state, lot_scan("L7", TODAY + timedelta(days=90)), CTX)
    assert result.outcome is ScanOutcome.ITEM_OK


def test_expired_unit_of_another_sku_is_just_the_wrong_item() -> None:
    scan = ParsedScan("x", ScanKind.ITEM, OTHER_GTIN, "L1", TODAY - timedelta(days=1))
    assert step(task(location_confirmed=True), scan, CTX).outcome is ScanOutcome.WRONG_ITEM


def test_expired_lot_is_rejected_at_the_scan() -> None:
    scan = parse_scan(f"]C101{GTIN14}17261125" + "10L7")  # expired 2026-11-25
    assert step(task(location_confirmed=True), scan, CTX).outcome is ScanOutcome.EXPIRED


def test_wrong_lot_is_rejected_at_the_scan() -> None:
    state = task(location_confirmed=True, wanted_lot="L7")
    scan = parse_scan(f"]d201{GTIN14}10L8\x1d17270101")
    assert step(state, scan, CTX).outcome is ScanOutcome.WRONG_LOT


# --- tote ---------------------------------------------------------------------------------


def test_order_already_in_a_tote_must_go_to_that_tote() -> None:
    state = task(qty=1, allocation_tote="T0002")
    result = run(state, LOC, ITEM, TOTE)[-1]
    assert result.outcome is ScanOutcome.WRONG_TOTE
    assert result.message == "Wrong tote: this order is in tote T0002."
    assert not result.state.done


def test_tote_holding_another_order_is_refused() -> None:
    ctx = ScanContext(today=TODAY, tote_owner_is_other=True)
    result = run(task(qty=1), LOC, ITEM, TOTE, ctx=ctx)[-1]
    assert result.outcome is ScanOutcome.TOTE_IN_USE
    assert result.message == "Tote T0001 holds another order. Use an empty tote."
    assert not result.state.done
    assert result.state.allocation_tote is None


@pytest.mark.parametrize("scan", [LOC, ITEM, TOTE, OTHER_TOTE, WRONG_ITEM])
def test_any_scan_after_the_task_is_done_is_refused(scan: ParsedScan) -> None:
    done = run(task(qty=1), LOC, ITEM, TOTE)[-1].state
    result = step(done, scan, CTX)
    assert result.outcome is ScanOutcome.TASK_DONE
    assert result.state == done
    assert result.units_picked == 0


# --- whole-machine properties ---------------------------------------------------------------


def test_every_outcome_is_reachable_through_step() -> None:
    other_ctx = ScanContext(today=TODAY, tote_owner_is_other=True)
    lot_state = task(location_confirmed=True, wanted_lot="L7")
    serial_state = task(location_confirmed=True, serial_required=True, serials=frozenset({"S1"}))
    seen = {
        step(task(), WRONG_LOC, CTX).outcome,
        step(task(), ITEM, CTX).outcome,
        *(s.outcome for s in run(task(qty=1), LOC, WRONG_ITEM, TOTE, ITEM, ITEM, TOTE, TOTE)),
        run(task(qty=1, allocation_tote="T0002"), LOC, ITEM, TOTE)[-1].outcome,
        run(task(qty=1), LOC, ITEM, TOTE, ctx=other_ctx)[-1].outcome,
        step(lot_state, lot_scan("L8", None), CTX).outcome,
        step(lot_state, lot_scan("L7", TODAY - timedelta(days=1)), CTX).outcome,
        # Serial-controlled lines and the keypad (enter_quantity).
        step(serial_state, lot_scan(None, None), CTX).outcome,
        step(serial_state, ParsedScan("x", ScanKind.ITEM, GTIN14, serial="S1"), CTX).outcome,
        enter_quantity(task(location_confirmed=True), 2).outcome,
        enter_quantity(task(location_confirmed=True, picked=1), 1).outcome,
        # A location label whose check character fails (A01-03-2 checks with V).
        step(task(), parse_scan(LOCATION + "W"), CTX).outcome,
    }
    assert seen == set(ScanOutcome)


def test_only_location_item_and_tote_ok_count_as_accepted() -> None:
    accepted = {o for o in ScanOutcome if o.accepted}
    assert accepted == {ScanOutcome.LOCATION_OK, ScanOutcome.ITEM_OK, ScanOutcome.TOTE_OK}


def test_every_outcome_has_a_message() -> None:
    assert set(MESSAGES) == set(ScanOutcome)


SCANS = {
    "right-location": LOC,
    "wrong-location": WRONG_LOC,
    "right-item": ITEM,
    "wrong-item": WRONG_ITEM,
    "tote": TOTE,
    "other-tote": OTHER_TOTE,
}


@given(
    qty=st.integers(min_value=1, max_value=5),
    allocation_tote=st.sampled_from([None, "T0001", "T0002"]),
    tote_owner_is_other=st.booleans(),
    names=st.lists(st.sampled_from(sorted(SCANS)), max_size=40),
)
def test_picked_never_exceeds_qty_and_only_a_tote_scan_finishes(
    qty: int, allocation_tote: str | None, tote_owner_is_other: bool, names: list[str]
) -> None:
    ctx = ScanContext(today=TODAY, tote_owner_is_other=tote_owner_is_other)
    state = task(qty=qty, allocation_tote=allocation_tote)
    for name in names:
        scan = SCANS[name]
        result = step(state, scan, ctx)
        new = result.state
        assert 0 <= new.picked <= new.qty == qty
        assert new.picked >= state.picked
        assert new.picked - state.picked == result.units_picked
        if result.units_picked:
            assert scan is ITEM
            assert state.location_confirmed
        if new.done and not state.done:
            assert result.outcome is ScanOutcome.TOTE_OK
            assert scan.kind is ScanKind.TOTE
            assert state.picked == qty
            assert result.tote == scan.value
        if state.done:
            assert new == state
        if not result.outcome.accepted:
            assert new == state, f"{result.outcome} changed the task"
        state = new
