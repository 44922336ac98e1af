"""Lots, expiry and serials at the scan (app/domain/picking.py): the unit's own GS1 data
decides; without it, the bin's lot and expiry on file do; serial-controlled lines take one
scan per unit, each serial once."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from app.domain.picking import PickState, ScanContext, ScanOutcome, step
from app.domain.scanning import ParsedScan, ScanKind, parse_scan

TODAY = date(2026, 11, 26)
CTX = ScanContext(today=TODAY)
GTIN14 = "09501101530003"
GS = "\x1d"


def task(**changes: Any) -> PickState:
    state = PickState(
        location="A01-03-2",
        sku="MUG-WHT",
        item_codes=frozenset({GTIN14}),
        qty=2,
        picked=0,
        location_confirmed=True,
        allocation_tote=None,
    )
    return dataclasses.replace(state, **changes)


def unit(
    lot: str | None = None, expires: date | None = None, serial: str | None = None
) -> ParsedScan:
    return ParsedScan("x", ScanKind.ITEM, GTIN14, lot, expires, serial)


def test_a_plain_gtin_from_a_bin_whose_stock_expired_is_refused() -> None:
    result = step(task(bin_lot="L1", bin_expires_on=TODAY - timedelta(days=1)), unit(), CTX)
    assert result.outcome is ScanOutcome.EXPIRED
    assert result.message == "Expired unit (lot L1, expired 2026-11-25). Do not pick it."


def test_the_unit_s_own_expiry_beats_the_bin_s() -> None:
    old_bin = task(bin_expires_on=TODAY - timedelta(days=30))
    assert step(old_bin, unit(expires=TODAY + timedelta(days=90)), CTX).outcome is (
        ScanOutcome.ITEM_OK
    )


def test_a_unit_of_another_lot_than_the_bin_s_is_the_wrong_lot() -> None:
    result = step(task(bin_lot="L1"), parse_scan(f"01{GTIN14}10L2"), CTX)
    assert result.outcome is ScanOutcome.WRONG_LOT
    assert result.message == "Wrong lot L2: bin A01-03-2 holds lot L1."
    assert result.state.picked == 0


def test_the_order_s_lot_is_checked_before_the_bin_s() -> None:
    result = step(task(wanted_lot="L7", bin_lot="L7"), unit(lot="L8"), CTX)
    assert result.message == "Wrong lot L8: this order needs lot L7."


def test_a_unit_without_a_lot_from_a_lot_bin_is_taken_as_the_bin_s_lot() -> None:
    assert step(task(bin_lot="L1"), unit(), CTX).outcome is ScanOutcome.ITEM_OK


def test_a_serial_controlled_line_needs_the_serial() -> None:
    result = step(task(serial_required=True), unit(lot="L1"), CTX)
    assert result.outcome is ScanOutcome.SERIAL_REQUIRED
    assert result.message == "MUG-WHT needs its serial number: scan the serial barcode."


def test_each_serial_is_picked_once() -> None:
    first = step(task(serial_required=True), parse_scan(f"01{GTIN14}21SN1"), CTX)
    assert first.outcome is ScanOutcome.ITEM_OK and first.state.serials == {"SN1"}
    again = step(first.state, parse_scan(f"]d201{GTIN14}21SN1"), CTX)
    assert again.outcome is ScanOutcome.DUPLICATE_SERIAL
    assert again.message == "Serial SN1 was already picked. Scan another unit."
    other = step(first.state, parse_scan(f"https://id.gs1.org/01/{GTIN14}/21/SN2"), CTX)
    assert other.outcome is ScanOutcome.ITEM_OK and other.state.serials == {"SN1", "SN2"}


def test_serials_of_a_line_that_needs_none_are_ignored() -> None:
    result = step(task(), parse_scan(f"01{GTIN14}10L1{GS}21SN1"), CTX)
    assert result.outcome is ScanOutcome.ITEM_OK and result.state.serials == frozenset()


def test_expiry_is_judged_before_serials() -> None:
    result = step(task(serial_required=True), unit(expires=TODAY - timedelta(days=1)), CTX)
    assert result.outcome is ScanOutcome.EXPIRED
