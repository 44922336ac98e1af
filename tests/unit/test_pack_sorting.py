"""Multi-order totes, cancelled units and camera codes at the pack station: the pure parts
(app/domain/packing.py sort_unit, app/services/pack_photos.py arrivals / unit_codes)."""

from __future__ import annotations

import pytest

from app.domain.packing import (
    PackLine,
    PackOutcome,
    ToteOrder,
    override_reason,
    slot_name,
    sort_unit,
    verify_unit,
)
from app.domain.scanning import parse_scan
from app.services.pack_photos import SeenCode, arrivals, unit_codes

MUG = "09501101530003"
SHIRT = "00036000291452"


def order(key: str, slot: str, mugs: int, shirts: int, verified_mugs: int = 0) -> ToteOrder:
    return ToteOrder(
        key,
        slot,
        (
            PackLine(1, "MUG-WHT", frozenset({MUG}), mugs, verified_mugs),
            PackLine(2, "TSHIRT-BLK-M", frozenset({SHIRT}), shirts, 0),
        ),
    )


def test_a_unit_goes_to_the_most_urgent_order_that_still_needs_it() -> None:
    tote = [order("AL-1", "A", mugs=1, shirts=0), order("AL-2", "B", mugs=2, shirts=1)]
    first = sort_unit(tote, parse_scan(MUG))
    assert (first.order_key, first.slot, first.verdict.outcome) == (
        "AL-1",
        "A",
        PackOutcome.UNIT_OK,
    )
    assert first.verdict.message.startswith("Slot A: MUG-WHT OK.")
    # AL-1 has its mug: the next one goes to AL-2.
    tote[0] = order("AL-1", "A", mugs=1, shirts=0, verified_mugs=1)
    second = sort_unit(tote, parse_scan(MUG))
    assert (second.order_key, second.slot) == ("AL-2", "B")
    shirt = sort_unit(tote, parse_scan("036000291452"))  # the UPC-A of the shirt's GTIN
    assert (shirt.order_key, shirt.verdict.line_pk) == ("AL-2", 2)


def test_a_unit_no_order_of_the_tote_needs_is_an_over_scan_or_a_wrong_item() -> None:
    tote = [order("AL-1", "A", mugs=1, shirts=0, verified_mugs=1)]
    over = sort_unit(tote, parse_scan(MUG))
    assert over.verdict.outcome is PackOutcome.OVER_SCAN
    assert "every MUG-WHT in this tote is already verified" in over.verdict.message
    wrong = sort_unit(tote, parse_scan("4006381333931"))
    assert wrong.verdict.outcome is PackOutcome.WRONG_ITEM and wrong.order_key is None


def test_a_cancelled_unit_still_in_the_tote_is_its_own_outcome() -> None:
    lines = [PackLine(1, "MUG-WHT", frozenset({MUG}), 1, 1, ordered=3, cancelled_in_tote=2)]
    verdict = verify_unit(lines, parse_scan(MUG))
    assert verdict.outcome is PackOutcome.CANCELLED_UNIT
    assert "put it on the put-back shelf" in verdict.message
    assert verdict.line_pk is None


def test_slots_are_letters_then_pairs() -> None:
    assert [slot_name(i) for i in (0, 1, 25, 26, 27)] == ["A", "B", "Z", "AA", "AB"]


def test_override_reasons_are_known_and_other_needs_a_note() -> None:
    assert override_reason("out_of_stock", None).label.startswith("Recommended carton")
    with pytest.raises(ValueError, match="say why"):
        override_reason("other", "  ")
    assert override_reason("other", "customer called").code == "other"
    with pytest.raises(ValueError, match="unknown override reason"):
        override_reason("because", None)


def test_a_code_counts_once_while_it_stays_in_view() -> None:
    new, state = arrivals({}, [MUG], 10.0)
    assert new == [MUG]
    new, state = arrivals(state, [MUG], 10.4)
    assert new == []
    new, state = arrivals(state, [], 10.8)  # one frame misses it: still in view
    new, state = arrivals(state, [MUG], 11.2)
    assert new == []
    new, state = arrivals(state, [], 13.0)  # put down out of view
    new, state = arrivals(state, [MUG], 13.2)  # the next unit of the same item
    assert new == [MUG]


def test_only_unit_barcodes_are_scanned_each_once_by_gtin() -> None:
    seen = [
        SeenCode("036000291452", "upca", "00036000291452"),
        SeenCode("0036000291452", "ean13", "00036000291452"),  # the same item, read twice
        SeenCode("T0001", "code128"),  # the tote's label
        SeenCode("BOX-M", "code128"),  # a carton on the shelf behind
        SeenCode("U0040", "code128"),  # the packer's badge
        SeenCode("ALT-CODE-7", "code128"),  # an alternate item barcode: may be a unit
    ]
    assert [c.scan_text for c in unit_codes(seen)] == ["00036000291452", "ALT-CODE-7"]
