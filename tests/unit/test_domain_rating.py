"""Carrier rating and tracking numbers (app/domain/rating.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.rating import (
    Carrier,
    Service,
    WeightBand,
    billable_weight_g,
    luhn_check_digit,
    qualifies,
    quotes,
    tracking_number,
)

BANDS = (WeightBand(1_000, (300, 400, 500)), WeightBand(5_000, (600, 800, 1_000)))


def service(code: str, level: str, days: int, bands: tuple[WeightBand, ...] = BANDS) -> Service:
    return Service("PX", code, code.title(), level, days, dim_divisor=5_000, bands=bands)


PARCELX = Carrier(
    "PX",
    "ParcelX",
    "PX",
    zones={"GB": 1, "FR": 2, "*": 3},
    services=(
        service("eco", "economy", 4),
        service("std", "standard", 2, (WeightBand(1_000, (350, 450, 550)),)),
        service("exp", "express", 1, (WeightBand(5_000, (900, 1_100)),)),
    ),
)
FREIGHTCO = Carrier(
    "FC",
    "FreightCo",
    "FC",
    zones={"GB": 1},
    services=(
        Service("FC", "pallet", "Pallet", "freight", 3, 4_000, (WeightBand(999_999, (100,)),)),
    ),
)
CARRIERS = [PARCELX, FREIGHTCO]
SMALL_BOX = (200, 150, 100)  # 3,000,000 mm³ -> 600 g dimensional at divisor 5000

LEVELS = ["economy", "standard", "express", "next_day"]


def luhn_valid(number: str) -> bool:
    """Independent Luhn validation over a whole digit string (check digit last)."""
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# --- billable weight ----------------------------------------------------------------------


def test_dimensional_weight_wins_for_a_large_light_carton() -> None:
    assert billable_weight_g(500, (400, 300, 200), 5_000) == 4_800


def test_actual_weight_wins_for_a_small_heavy_carton() -> None:
    assert billable_weight_g(2_500, SMALL_BOX, 5_000) == 2_500


def test_dimensional_weight_rounds_up_to_the_next_gram() -> None:
    assert billable_weight_g(1, (101, 101, 101), 5_000) == 207  # 206.06 g


# --- which services may carry a level -----------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "offered"),
    [(w, o) for w in LEVELS for o in LEVELS if LEVELS.index(o) >= LEVELS.index(w)],
)
def test_same_or_faster_service_qualifies(wanted: str, offered: str) -> None:
    assert qualifies(wanted, offered)


@pytest.mark.parametrize(
    ("wanted", "offered"),
    [(w, o) for w in LEVELS for o in LEVELS if LEVELS.index(o) < LEVELS.index(w)],
)
def test_slower_service_never_qualifies(wanted: str, offered: str) -> None:
    assert not qualifies(wanted, offered)


@pytest.mark.parametrize("parcel", LEVELS)
def test_freight_never_carries_a_parcel_and_parcel_never_carries_freight(parcel: str) -> None:
    assert not qualifies(parcel, "freight")
    assert not qualifies("freight", parcel)
    assert qualifies("freight", "freight")


# --- quotes -------------------------------------------------------------------------------


def test_quotes_are_cheapest_first_and_include_faster_services() -> None:
    found = quotes(CARRIERS, "GB", "economy", 800, SMALL_BOX)
    assert [(q.service, q.price_minor) for q in found] == [
        ("eco", 300),
        ("std", 350),
        ("exp", 900),
    ]
    assert all(q.carrier == "PX" and q.currency == "GBP" for q in found)
    assert found[0].billable_g == 800
    assert found[0].transit_days == 4


def test_standard_order_is_not_offered_economy() -> None:
    found = quotes(CARRIERS, "GB", "standard", 800, SMALL_BOX)
    assert {q.service for q in found} == {"std", "exp"}


def test_freight_order_gets_only_freight_quotes() -> None:
    found = quotes(CARRIERS, "GB", "freight", 80_000, (1200, 800, 1000))
    assert [(q.carrier, q.service) for q in found] == [("FC", "pallet")]


def test_country_zone_sets_the_price() -> None:
    found = quotes([PARCELX], "FR", "economy", 800, SMALL_BOX)
    assert found[0].price_minor == 400


def test_unlisted_country_falls_back_to_the_star_zone() -> None:
    found = quotes([PARCELX], "US", "economy", 800, SMALL_BOX)
    assert [(q.service, q.price_minor) for q in found] == [("eco", 500), ("std", 550)]
    # "exp" only prices zones 1 and 2: no quote for zone 3.


def test_carrier_without_the_country_or_a_star_zone_gives_no_quote() -> None:
    assert quotes([FREIGHTCO], "FR", "freight", 80_000, (1200, 800, 1000)) == []


def test_too_heavy_for_every_band_gives_no_quote() -> None:
    assert quotes([PARCELX], "GB", "economy", 5_001, SMALL_BOX) == []


def test_large_light_carton_is_priced_by_its_dimensional_weight() -> None:
    found = quotes([PARCELX], "GB", "economy", 500, (400, 300, 200))  # 4,800 g billable
    assert [(q.service, q.price_minor, q.billable_g) for q in found] == [
        ("eco", 600, 4_800),
        ("exp", 900, 4_800),
    ]


def test_equal_prices_prefer_the_faster_service() -> None:
    same = WeightBand(5_000, (500,))
    carrier = Carrier(
        "PX",
        "ParcelX",
        "PX",
        {"GB": 1},
        (service("slow", "economy", 5, (same,)), service("fast", "express", 1, (same,))),
    )
    assert [q.service for q in quotes([carrier], "GB", "economy", 100, SMALL_BOX)] == [
        "fast",
        "slow",
    ]


# --- Luhn and tracking numbers ------------------------------------------------------------


def test_luhn_check_digit_matches_the_textbook_example() -> None:
    assert luhn_check_digit("7992739871") == 3


def test_tracking_numbers_carry_a_valid_luhn_check_digit() -> None:
    number = tracking_number("PX", 42)
    assert number == "PX00000000422"
    for serial in (0, 1, 42, 9_999, 123_456_789, 9_999_999_999):
        digits = tracking_number("PX", serial)[2:]
        assert len(digits) == 11
        assert luhn_valid(digits)


def test_different_cartons_get_different_tracking_numbers() -> None:
    numbers = {tracking_number("PX", serial) for serial in range(1_000)}
    assert len(numbers) == 1_000


@given(payload=st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_luhn_check_digit_makes_a_valid_number(payload: str) -> None:
    assert luhn_valid(payload + str(luhn_check_digit(payload)))


@given(
    payload=st.text(alphabet="0123456789", min_size=1, max_size=20),
    data=st.data(),
)
def test_luhn_check_digit_detects_any_single_digit_substitution(
    payload: str, data: st.DataObject
) -> None:
    number = payload + str(luhn_check_digit(payload))
    pos = data.draw(st.integers(min_value=0, max_value=len(number) - 1), label="position")
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != number[pos]]), label="digit")
    typo = number[:pos] + new + number[pos + 1 :]
    assert luhn_check_digit(typo[:-1]) != int(typo[-1])
