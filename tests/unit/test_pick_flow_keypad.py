"""The keypad on the handheld (enter_quantity in app/domain/picking.py): quantity by keypad
once one scanned unit proved the item; never past the wanted quantity, never backwards."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.picking import PickState, ScanContext, ScanOutcome, Stage, enter_quantity, step
from app.domain.scanning import parse_scan

CTX = ScanContext(today=date(2026, 11, 26))
GTIN14 = "09501101530003"


def task(**changes: Any) -> PickState:
    state = PickState(
        location="A01-03-2",
        sku="MUG-WHT",
        item_codes=frozenset({GTIN14}),
        qty=6,
        picked=0,
        location_confirmed=True,
        allocation_tote=None,
    )
    return dataclasses.replace(state, **changes)


def test_after_one_scanned_unit_the_keypad_picks_the_rest() -> None:
    scanned = step(task(), parse_scan("9501101530003"), CTX).state
    result = enter_quantity(scanned, 6)
    assert result.outcome is ScanOutcome.ITEM_OK
    assert result.units_picked == 5
    assert result.state.picked == 6 and result.state.stage is Stage.TOTE
    assert result.message == "Item OK: 6 of 6. Scan the tote."


def test_a_partial_keypad_total_leaves_the_rest_to_pick() -> None:
    result = enter_quantity(task(picked=1), 4)
    assert (result.units_picked, result.message) == (3, "Item OK: 4 of 6. 2 more.")


def test_the_keypad_needs_one_scanned_unit_first() -> None:
    result = enter_quantity(task(), 6)
    assert result.outcome is ScanOutcome.SCAN_ONE_FIRST
    assert result.message == "Scan one MUG-WHT first, then key in the quantity."
    assert result.state == task()


def test_the_keypad_needs_the_location_first() -> None:
    result = enter_quantity(task(location_confirmed=False), 2)
    assert result.outcome is ScanOutcome.EXPECTED_LOCATION


def test_more_than_wanted_on_the_keypad_is_an_over_pick() -> None:
    result = enter_quantity(task(picked=2), 7)
    assert result.outcome is ScanOutcome.OVER_PICK
    assert result.units_picked == 0


@pytest.mark.parametrize("total", [1, 2])
def test_a_total_at_or_below_what_is_picked_is_refused(total: int) -> None:
    result = enter_quantity(task(picked=2), total)
    assert result.outcome is ScanOutcome.BAD_QUANTITY
    assert result.message == "Key in the total in hand: more than 2, at most 6."


def test_serial_controlled_lines_take_no_keypad_quantity() -> None:
    result = enter_quantity(task(picked=1, serial_required=True), 3)
    assert result.outcome is ScanOutcome.SERIAL_REQUIRED


def test_a_finished_task_takes_no_keypad_quantity() -> None:
    assert enter_quantity(task(picked=6, done=True), 6).outcome is ScanOutcome.TASK_DONE


@given(
    qty=st.integers(min_value=1, max_value=20),
    picked=st.integers(min_value=0, max_value=20),
    total=st.integers(min_value=-5, max_value=30),
)
def test_the_keypad_never_picks_past_the_quantity_or_backwards(
    qty: int, picked: int, total: int
) -> None:
    state = task(qty=qty, picked=min(picked, qty))
    result = enter_quantity(state, total)
    assert 0 <= result.state.picked <= qty
    assert result.state.picked - state.picked == result.units_picked >= 0
    if result.outcome.accepted:
        assert state.picked >= 1 and result.state.picked == total
    else:
        assert result.state == state
