"""Carton choice by lowest total cost (app/domain/carton_choice.py).

Every answer is checked by the benchmark's independent validator
(`app.domain.cartonization_check.validate`): each unit placed once, inside its carton, no two
overlapping, only turns "this way up" allows, no carton over its gross weight limit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from app.domain.carton_choice import CartonChoice, Destination, choose_cartons, upright_matcher
from app.domain.cartonization_check import validate
from app.domain.cartons import CartonType, Unit
from app.domain.rating import Carrier, Service, WeightBand

GB = Destination("GB", "standard", "SW1Y 4JH")


def carton(
    code: str,
    inner: tuple[int, int, int],
    cost: int,
    tare: int = 100,
    max_g: int = 20_000,
    wall: int = 5,
) -> CartonType:
    outer = (inner[0] + 2 * wall, inner[1] + 2 * wall, inner[2] + 2 * wall)
    return CartonType(code, code.title(), inner, outer, tare, max_g, cost)


def carrier(
    bands: Sequence[tuple[int, int]], divisor: int = 5000, level: str = "standard"
) -> Carrier:
    service = Service(
        carrier="TST",
        code="TST-STD",
        name="Test Standard",
        level=level,
        transit_days=2,
        dim_divisor=divisor,
        bands=tuple(WeightBand(max_g, (price,)) for max_g, price in bands),
    )
    return Carrier(
        code="TST", name="Test", tracking_prefix="TS", zones={"GB": 1}, services=(service,)
    )


BANDS = [(2_000, 300), (5_000, 500), (10_000, 900), (30_000, 2_000), (60_000, 5_000)]


def units(sku: str, dims: tuple[int, int, int], weight_g: int, qty: int) -> list[Unit]:
    return [Unit(sku, dims, weight_g)] * qty


def check_valid(
    choice: CartonChoice,
    all_units: Sequence[Unit],
    catalog: Sequence[CartonType],
    dunnage_g: int = 0,
    upright: Sequence[str] = (),
) -> None:
    """The choice in the benchmark's result format, through its independent validator."""
    match = upright_matcher(upright)
    counts: dict[str, dict[str, Any]] = {}
    for u in all_units:
        item = counts.setdefault(
            u.sku,
            {"id": u.sku, "dims": list(u.dims_mm), "weight": u.weight_g, "qty": 0},
        )
        item["qty"] += 1
        if match(u.sku):
            item["keep_flat"] = True
    instance = {
        "id": "t",
        "mode": "cartonize",
        "items": list(counts.values()),
        "boxes": [
            {
                "id": c.code,
                "inner": list(c.inner_mm),
                "outer": list(c.outer_mm),
                "empty_weight": c.tare_g + dunnage_g,
                "max_weight": c.max_weight_g,
            }
            for c in catalog
        ],
    }
    unpacked = [u.sku for u in choice.unfit for _ in range(u.qty)]
    result = {
        "id": "t",
        "status": "partial" if unpacked else "ok",
        "boxes": [
            {
                "box_id": c.carton.code,
                "items": [
                    {"item_id": p.item_id, "pos": list(p.pos), "dims": list(p.dims)}
                    for p in c.placements
                ],
            }
            for c in choice.cartons
        ],
        "unpacked": unpacked,
    }
    assert validate(instance, result) == []
    for c in choice.cartons:
        assert c.gross_g == c.carton.tare_g + dunnage_g + c.contents_g
        assert c.gross_g <= c.carton.max_weight_g


def test_a_dearer_compact_carton_wins_when_the_cheap_one_is_billed_on_its_size() -> None:
    flat = carton("BOX-FLAT", (600, 400, 100), cost=10)  # 27.5 l outside: 5.5 kg billable
    cube = carton("BOX-CUBE", (250, 250, 250), cost=30)  # 17.6 l outside: 3.5 kg billable
    catalog = [flat, cube]
    order = units("MUG", (120, 120, 90), 200, 4)
    choice = choose_cartons(order, catalog, [carrier(BANDS)], GB)
    check_valid(choice, order, catalog)
    assert [c.carton.code for c in choice.cartons] == ["BOX-CUBE"]
    assert choice.chosen is not None and choice.chosen.total_minor == 30 + 500
    assert [o.label for o in choice.alternatives] == ["BOX-FLAT"]
    assert choice.alternatives[0].total_minor == 10 + 900
    assert choice.cartons[0].rate is not None and choice.cartons[0].rate.dimensional
    assert "BOX-CUBE (Box-Cube) costs least in total" in choice.why
    assert "dimensional weight" in choice.why
    assert "Next best: BOX-FLAT at 9.10 GBP (+3.80 GBP)" in choice.why


def test_without_a_carrier_rate_the_cheapest_carton_wins_and_says_so() -> None:
    flat = carton("BOX-FLAT", (600, 400, 100), cost=10)
    cube = carton("BOX-CUBE", (250, 250, 250), cost=30)
    order = units("MUG", (120, 120, 90), 200, 4)
    choice = choose_cartons(order, [flat, cube], [carrier(BANDS)], Destination("US", "standard"))
    assert [c.carton.code for c in choice.cartons] == ["BOX-FLAT"]
    assert choice.chosen is not None and not choice.chosen.rated
    assert "No carrier rate for US at standard: chosen by carton cost alone." in choice.why


def test_two_small_cartons_beat_one_big_one_when_that_is_cheaper_to_ship() -> None:
    big = carton("BOX-BIG", (600, 600, 600), cost=50, max_g=40_000)  # 46 kg dimensional
    small = carton("BOX-SMALL", (300, 300, 300), cost=20)  # 6 kg dimensional
    catalog = [big, small]
    order = units("SPEAKER", (280, 280, 280), 2_000, 2)
    choice = choose_cartons(order, catalog, [carrier(BANDS)], GB)
    check_valid(choice, order, catalog)
    assert [c.carton.code for c in choice.cartons] == ["BOX-SMALL", "BOX-SMALL"]
    assert choice.chosen is not None and choice.chosen.total_minor == 2 * (20 + 900)
    assert "2 cartons (2 × BOX-SMALL) cost less in total than one BOX-BIG (50.50 GBP)" in choice.why


def test_weight_limit_splits_the_order_and_no_carton_is_over_it() -> None:
    light = carton("BOX-S", (400, 300, 300), cost=20, tare=200, max_g=5_000)
    catalog = [light]
    order = units("KETTLEBELL", (120, 120, 120), 2_000, 4)  # fits by size, not by weight
    choice = choose_cartons(order, catalog, [carrier(BANDS)], GB, dunnage_g=50)
    check_valid(choice, order, catalog, dunnage_g=50)
    assert len(choice.cartons) == 2
    assert all(c.gross_g <= 5_000 for c in choice.cartons)
    assert sorted(len(c.placements) for c in choice.cartons) == [2, 2]
    assert "No single carton takes all of it: 2 cartons" in choice.why


def test_an_oversize_unit_is_reported_and_the_rest_is_packed() -> None:
    box = carton("BOX-M", (400, 300, 200), cost=40)
    order = units("MUG", (120, 95, 95), 350, 2) + units("SURFBOARD", (2_000, 500, 80), 4_000, 1)
    choice = choose_cartons(order, [box], [carrier(BANDS)], GB)
    check_valid(choice, order, [box])
    assert [c.carton.code for c in choice.cartons] == ["BOX-M"]
    assert sum(len(c.placements) for c in choice.cartons) == 2
    assert [(u.sku, u.qty) for u in choice.unfit] == [("SURFBOARD", 1)]
    assert "too big for every carton (largest 400×300×200 mm inside)" in choice.unfit[0].reason
    assert "Do not force it" in choice.why


def test_a_unit_heavier_than_any_carton_takes_is_too_heavy_not_packed() -> None:
    box = carton("BOX-M", (400, 300, 200), cost=40, tare=300, max_g=10_000)
    order = units("ANVIL", (200, 150, 100), 12_000, 1)
    choice = choose_cartons(order, [box], [carrier(BANDS)], GB)
    assert choice.cartons == ()
    assert choice.unfit[0].reason.startswith("too heavy: 12.00 kg per unit")
    assert "9.70 kg" in choice.unfit[0].reason


def test_this_way_up_units_keep_their_height_vertical() -> None:
    low = carton("BOX-LOW", (300, 300, 60), cost=10)  # only lying down fits
    tall = carton("BOX-TALL", (200, 200, 150), cost=25)
    catalog = [low, tall]
    order = units("CANDLE-RED", (50, 50, 120), 300, 2)
    choice = choose_cartons(
        order, catalog, [carrier(BANDS)], GB, upright=upright_matcher(["CANDLE-*"])
    )
    check_valid(choice, order, catalog, upright=["CANDLE-*"])
    assert [c.carton.code for c in choice.cartons] == ["BOX-TALL"]
    assert all(p.dims[2] == 120 for p in choice.cartons[0].placements)
    # Without the rule the cheap low carton takes them lying down.
    loose = choose_cartons(order, catalog, [carrier(BANDS)], GB)
    check_valid(loose, order, catalog)
    assert [c.carton.code for c in loose.cartons] == ["BOX-LOW"]


def test_this_way_up_unit_too_tall_standing_is_reported_with_that_reason() -> None:
    low = carton("BOX-LOW", (300, 300, 60), cost=10)
    order = units("CANDLE-RED", (50, 50, 120), 300, 1)
    choice = choose_cartons(order, [low], [], GB, upright=upright_matcher(["CANDLE-*"]))
    assert choice.cartons == ()
    assert choice.unfit[0].reason == (
        "must stay this way up and is too tall for every carton standing"
    )


def test_an_unrated_option_ranks_after_rated_ones() -> None:
    # The single big carton is over the carrier's heaviest band: two rated ones win.
    big = carton("BOX-BIG", (600, 600, 600), cost=10, max_g=80_000)
    small = carton("BOX-SMALL", (300, 300, 300), cost=40)
    order = units("SPEAKER", (280, 280, 280), 2_000, 2)
    choice = choose_cartons(order, [big, small], [carrier(BANDS[:3])], GB)
    assert choice.chosen is not None and choice.chosen.rated
    assert [c.carton.code for c in choice.cartons] == ["BOX-SMALL", "BOX-SMALL"]
    assert any(not o.rated for o in choice.alternatives)


def test_same_order_gives_the_same_answer_and_placements() -> None:
    catalog = [carton("BOX-S", (300, 220, 120), 26), carton("BOX-M", (400, 300, 200), 41)]
    order = units("TSHIRT", (300, 250, 20), 180, 3) + units("MUG", (120, 95, 95), 350, 2)
    first = choose_cartons(order, catalog, [carrier(BANDS)], GB, dunnage_g=20)
    again = choose_cartons(list(order), catalog, [carrier(BANDS)], GB, dunnage_g=20)
    assert first.to_json() == again.to_json()
    turned = choose_cartons(list(reversed(order)), catalog, [carrier(BANDS)], GB, dunnage_g=20)
    assert first.chosen is not None and turned.chosen is not None
    assert (turned.chosen.label, turned.chosen.total_minor) == (
        first.chosen.label,
        first.chosen.total_minor,
    )
    check_valid(first, order, catalog, dunnage_g=20)


def test_every_placement_is_valid_for_a_mixed_order_on_the_real_catalog() -> None:
    catalog = [
        carton("BOX-XS", (220, 160, 80), 18, 90, 5_000),
        carton("BOX-S", (300, 220, 120), 26, 160, 10_000),
        carton("BOX-M", (400, 300, 200), 41, 290, 20_000),
        carton("BOX-L", (600, 400, 300), 68, 520, 30_000),
    ]
    order = (
        units("LAMP-BLK-S", (380, 180, 160), 1_450, 3)
        + units("MUG-BLK-S", (120, 95, 95), 350, 5)
        + units("SOCKS-RED-M", (220, 120, 40), 150, 4)
        + units("CANDLE-WHT-S", (90, 90, 110), 420, 3)
    )
    choice = choose_cartons(
        order,
        catalog,
        [carrier(BANDS)],
        GB,
        dunnage_g=20,
        upright=upright_matcher(["CANDLE-*", "LAMP-*"]),
    )
    check_valid(choice, order, catalog, dunnage_g=20, upright=["CANDLE-*", "LAMP-*"])
    assert sum(len(c.placements) for c in choice.cartons) == len(order)
    assert choice.chosen is not None
    best = choice.chosen.total_minor
    assert all(best <= o.total_minor for o in choice.alternatives if o.rated)


def test_nothing_to_pack_gives_no_carton() -> None:
    choice = choose_cartons([], [carton("BOX-M", (400, 300, 200), 40)])
    assert choice.cartons == () and choice.why == "Nothing left to pack."


@pytest.mark.parametrize("level", ["express", "next_day"])
def test_a_service_level_no_carrier_offers_is_unrated(level: str) -> None:
    box = carton("BOX-M", (400, 300, 200), cost=40)
    choice = choose_cartons(
        units("MUG", (120, 95, 95), 350, 1), [box], [carrier(BANDS)], Destination("GB", level)
    )
    assert choice.chosen is not None and not choice.chosen.rated
    assert f"No carrier rate for GB at {level}" in choice.why
