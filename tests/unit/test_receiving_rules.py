"""The pure rules of the stock handheld (app/domain/receiving.py): quantities, expiry, the
kinds of location stock may go to or come from, lots, and what a move may take."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.receiving import (
    Purpose,
    Refusal,
    check_expiry,
    check_kind,
    check_lot_expiry,
    check_move,
    check_quantity,
    moved_message,
    received_message,
)

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("qty", [1, 12, 10_000])
def test_sensible_quantities_pass(qty: int) -> None:
    assert check_quantity(qty, 10_000) is None


@pytest.mark.parametrize("qty", [0, -1, -10_000, 10_001, 2**31 - 1])
def test_zero_negative_and_absurd_quantities_are_refused_with_the_number(qty: int) -> None:
    verdict = check_quantity(qty, 10_000)
    assert verdict is not None and verdict.refusal is Refusal.BAD_QUANTITY
    assert str(qty) in verdict.message


def test_an_expired_lot_is_refused_and_today_is_still_good() -> None:
    assert check_expiry(None, TODAY, None) is None
    assert check_expiry(TODAY, TODAY, "L1") is None
    verdict = check_expiry(date(2026, 11, 25), TODAY, "L1")
    assert verdict is not None and verdict.refusal is Refusal.EXPIRED
    assert verdict.message.startswith("Lot L1 expired on 2026-11-25")


@pytest.mark.parametrize("kind", ["pick", "reserve", "receiving"])
@pytest.mark.parametrize("purpose", list(Purpose))
def test_storage_locations_take_and_give_stock(kind: str, purpose: Purpose) -> None:
    assert check_kind("A01-01-1", kind, purpose, quarantine=False) is None


def test_quarantine_only_when_asked_and_never_as_a_source() -> None:
    for purpose in (Purpose.RECEIVE, Purpose.TO):
        refused = check_kind("Q00-00-1", "quarantine", purpose, quarantine=False)
        assert refused is not None and refused.refusal is Refusal.WRONG_KIND
        assert "Into quarantine" in refused.message
        assert check_kind("Q00-00-1", "quarantine", purpose, quarantine=True) is None
    out = check_kind("Q00-00-1", "quarantine", Purpose.FROM, quarantine=True)
    assert out is not None and out.refusal is Refusal.WRONG_KIND


@pytest.mark.parametrize("kind", ["pack", "ship", "returns", "practice"])
def test_benches_and_docks_are_the_wrong_kind(kind: str) -> None:
    verdict = check_kind("P00-00-1", kind, Purpose.RECEIVE, quarantine=True)
    assert verdict is not None and verdict.refusal is Refusal.WRONG_KIND
    assert f"is a {kind} location" in verdict.message


def test_one_lot_one_expiry() -> None:
    assert check_lot_expiry("L1", date(2027, 1, 1), date(2027, 1, 1), "A01-01-1") is None
    assert check_lot_expiry("", date(2027, 1, 1), date(2028, 1, 1), "A01-01-1") is None
    assert check_lot_expiry("L1", None, date(2028, 1, 1), "A01-01-1") is None
    clash = check_lot_expiry("L1", date(2027, 1, 1), date(2028, 1, 1), "A01-01-1")
    assert clash is not None and clash.refusal is Refusal.LOT_EXPIRY


def test_only_free_units_move_and_the_message_says_what_is_promised() -> None:
    assert check_move(free=10, qty=10, on_hand=15, sku="MUG", code="A01-01-1") is None
    verdict = check_move(free=10, qty=11, on_hand=15, sku="MUG", code="A01-01-1")
    assert verdict is not None and verdict.refusal is Refusal.NOT_ENOUGH
    assert (
        verdict.message
        == "Only 10 × MUG free in A01-01-1 (5 promised to orders): you cannot move 11."
    )
    bare = check_move(free=2, qty=3, on_hand=2, sku="MUG", code="A01-01-1")
    assert bare is not None and "promised" not in bare.message


def test_the_receiver_hears_what_was_booked() -> None:
    assert received_message(12, "MUG", "A03-07-2", None) == "Received 12 × MUG into A03-07-2."
    assert (
        received_message(1, "MUG", "A03-07-2", "L9") == "Received 1 × MUG (lot L9) into A03-07-2."
    )
    assert (
        moved_message(5, "MUG", "D00-00-1", "A03-07-3")
        == "Moved 5 × MUG from D00-00-1 to A03-07-3."
    )
