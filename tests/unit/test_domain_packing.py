"""Unit-by-unit verification at the pack station (app/domain/packing.py)."""

from __future__ import annotations

import dataclasses

from app.domain.packing import PackLine, PackOutcome, all_verified, verify_unit
from app.domain.scanning import parse_scan

MUG = "09501101530003"
SHIRT = "00036000291452"


def order(mug_picked: int = 2, shirt_picked: int = 1) -> list[PackLine]:
    return [
        PackLine(1, "MUG-WHT", frozenset({MUG}), picked=mug_picked, verified=0),
        PackLine(2, "TSHIRT-BLK-M", frozenset({SHIRT, "SHIRT-ALT"}), shirt_picked, 0),
    ]


def scan_all(lines: list[PackLine], *raws: str) -> tuple[list[PackLine], list[PackOutcome]]:
    """Apply each verdict the way the station does: an OK unit bumps its line's `verified`."""
    outcomes = []
    for raw in raws:
        verdict = verify_unit(lines, parse_scan(raw))
        outcomes.append(verdict.outcome)
        if verdict.outcome is PackOutcome.UNIT_OK:
            lines = [
                dataclasses.replace(ln, verified=ln.verified + 1)
                if ln.line_pk == verdict.line_pk
                else ln
                for ln in lines
            ]
    return lines, outcomes


def test_each_picked_unit_is_verified_once_and_the_order_is_complete() -> None:
    lines, outcomes = scan_all(order(), "9501101530003", "036000291452", "9501101530003")
    assert outcomes == [PackOutcome.UNIT_OK] * 3
    assert all_verified(lines)


def test_unit_ok_points_at_its_order_line_and_says_how_many_are_left() -> None:
    verdict = verify_unit(order(mug_picked=3), parse_scan("9501101530003"))
    assert verdict.outcome is PackOutcome.UNIT_OK
    assert verdict.line_pk == 1
    assert verdict.message == "MUG-WHT OK. 2 more of it."


def test_last_unit_of_a_line_says_no_more() -> None:
    verdict = verify_unit(order(), parse_scan("036000291452"))
    assert verdict.message == "TSHIRT-BLK-M OK."


def test_one_more_unit_than_was_picked_is_an_over_scan() -> None:
    lines, outcomes = scan_all(order(), "036000291452", "036000291452")
    assert outcomes == [PackOutcome.UNIT_OK, PackOutcome.OVER_SCAN]
    verdict = verify_unit(lines, parse_scan("036000291452"))
    assert verdict.line_pk is None
    assert "every TSHIRT-BLK-M of this order is already verified" in verdict.message


def test_item_not_in_the_order_is_the_wrong_item() -> None:
    verdict = verify_unit(order(), parse_scan("4006381333931"))
    assert verdict.outcome is PackOutcome.WRONG_ITEM
    assert verdict.line_pk is None
    assert "4006381333931" in verdict.message


def test_short_picked_line_cannot_be_verified() -> None:
    verdict = verify_unit(order(shirt_picked=0), parse_scan("036000291452"))
    assert verdict.outcome is PackOutcome.OVER_SCAN


def test_upc_a_scan_verifies_a_line_stored_as_ean13() -> None:
    assert verify_unit(order(), parse_scan("0036000291452")).line_pk == 2
    assert verify_unit(order(), parse_scan("036000291452")).line_pk == 2


def test_alternate_barcode_verifies_its_line() -> None:
    assert verify_unit(order(), parse_scan("SHIRT-ALT")).line_pk == 2


def test_gs1_element_string_on_the_unit_verifies_its_line() -> None:
    assert verify_unit(order(), parse_scan(f"]C101{MUG}10LOT1")).line_pk == 1


def test_two_lines_of_one_sku_fill_up_in_order() -> None:
    lines = [
        PackLine(10, "MUG-WHT", frozenset({MUG}), picked=1, verified=0),
        PackLine(11, "MUG-WHT", frozenset({MUG}), picked=1, verified=0),
    ]
    lines, outcomes = scan_all(lines, MUG, MUG, MUG)
    assert outcomes == [PackOutcome.UNIT_OK, PackOutcome.UNIT_OK, PackOutcome.OVER_SCAN]
    assert [ln.verified for ln in lines] == [1, 1]


def test_order_is_not_complete_while_a_unit_is_unverified() -> None:
    lines, _ = scan_all(order(), "9501101530003", "036000291452")
    assert not all_verified(lines)
    assert [ln.remaining for ln in lines] == [1, 0]
