"""Rate shopping (app/domain/rate_shopping.py): service level, ship-by, pickups and cutoffs,
reliability, surcharges and postal zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from app.domain.rate_shopping import (
    Basis,
    ShopPolicy,
    ShopRequest,
    add_business_days,
    manifest_day,
    next_pickup,
    shop,
)
from app.domain.rating import (
    Carrier,
    Pickup,
    PostalZone,
    Quote,
    Service,
    Surcharge,
    WeightBand,
    quotes,
)

LONDON = ZoneInfo("Europe/London")
POLICY = ShopPolicy(min_reliability_pct=90, tz=LONDON)
BOX = (200, 150, 100)
WEEKDAYS = frozenset(range(5))


def svc(carrier: str, code: str, level: str, days: int, price: int, **kw: object) -> Service:
    return Service(
        carrier, code, code, level, days, 5_000, (WeightBand(10_000, (price, price * 3)),), **kw
    )  # type: ignore[arg-type]


FAST = Carrier(
    "FST",
    "Fast",
    "FS",
    {"GB": 1, "*": 2},
    (svc("FST", "FST-STD", "standard", 2, 500), svc("FST", "FST-NXT", "next_day", 1, 900)),
    reliability_pct=97,
    pickup=Pickup(time(17, 0), WEEKDAYS),
)
CHEAP = Carrier(
    "CHP",
    "Cheap",
    "CH",
    {"GB": 1},
    (svc("CHP", "CHP-STD", "standard", 2, 350),),
    reliability_pct=84,
    pickup=Pickup(time(16, 30), frozenset(range(6))),
)
LATE_PICKUP = Carrier(
    "LTE",
    "Late",
    "LT",
    {"GB": 1},
    (svc("LTE", "LTE-STD", "standard", 3, 450),),
    reliability_pct=95,
    pickup=Pickup(time(20, 0), WEEKDAYS),
)


def request(now: datetime, ship_by: datetime | None = None, **kw: object) -> ShopRequest:
    base: dict[str, object] = dict(
        country="GB",
        postal_code="SW1Y 4JH",
        service_level="standard",
        weight_g=800,
        dims_mm=BOX,
        now=now,
        ship_by=ship_by,
    )
    base.update(kw)
    return ShopRequest(**base)  # type: ignore[arg-type]


# Thursday 26 November 2026, London = UTC in winter
THU_10 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
THU_17_30 = datetime(2026, 11, 26, 17, 30, tzinfo=UTC)
THU_SHIP_BY = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)


def test_cheapest_reliable_on_time_service_is_recommended_over_a_cheaper_unreliable_one() -> None:
    result = shop([FAST, CHEAP], request(THU_10, THU_SHIP_BY), POLICY)

    assert result.basis is Basis.CHEAPEST_ON_TIME
    assert result.recommended is not None
    assert result.recommended.key == ("FST", "FST-STD")
    cheap = result.option("CHP", "CHP-STD")
    assert cheap is not None and not cheap.reliable and cheap.on_time
    assert "reliability 84 % is below 90 %" in cheap.notes(POLICY)
    # every qualifying service stays on the list as an alternative
    assert {o.key for o in result.options} == {
        ("FST", "FST-STD"),
        ("FST", "FST-NXT"),
        ("CHP", "CHP-STD"),
    }


def test_a_lower_reliability_bar_lets_the_cheapest_win() -> None:
    result = shop([FAST, CHEAP], request(THU_10, THU_SHIP_BY), ShopPolicy(80, LONDON))
    assert result.recommended is not None and result.recommended.key == ("CHP", "CHP-STD")


def test_slower_services_than_the_level_are_never_offered() -> None:
    result = shop([FAST, CHEAP], request(THU_10, service_level="next_day"), POLICY)
    assert [o.key for o in result.options] == [("FST", "FST-NXT")]


def test_after_the_cutoff_the_pickup_is_the_next_pickup_day_and_misses_todays_ship_by() -> None:
    result = shop([FAST, LATE_PICKUP], request(THU_17_30, THU_SHIP_BY), POLICY)

    fast = result.option("FST", "FST-STD")
    assert fast is not None
    assert fast.pickup_at == datetime(2026, 11, 27, 17, 0, tzinfo=LONDON)
    assert not fast.on_time
    # the 20:00 pickup is still today, but after the 17:00 ship-by: nothing is on time
    assert result.basis is Basis.EARLIEST_WHEN_LATE
    assert result.warning is not None and "ship late" in result.warning


def test_a_later_cutoff_still_meets_a_later_ship_by() -> None:
    ship_by = datetime(2026, 11, 26, 21, 0, tzinfo=UTC)
    result = shop([FAST, LATE_PICKUP], request(THU_17_30, ship_by), POLICY)

    assert result.basis is Basis.CHEAPEST_ON_TIME
    assert result.recommended is not None and result.recommended.key == ("LTE", "LTE-STD")


def test_when_nothing_is_on_time_the_earliest_delivery_is_recommended() -> None:
    already_late = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    result = shop([FAST, LATE_PICKUP], request(THU_10, already_late), POLICY)

    assert result.basis is Basis.EARLIEST_WHEN_LATE
    assert result.recommended is not None
    assert result.recommended.key == ("FST", "FST-NXT")  # next day: delivered Friday
    assert result.recommended.delivery_on == date(2026, 11, 27)


def test_on_time_but_none_reliable_enough_recommends_the_most_reliable() -> None:
    result = shop([CHEAP, FAST], request(THU_10, THU_SHIP_BY), ShopPolicy(99, LONDON))

    assert result.basis is Basis.MOST_RELIABLE_ON_TIME
    assert result.recommended is not None and result.recommended.key == ("FST", "FST-STD")
    assert result.warning is not None and "99 %" in result.warning


def test_a_closed_manifest_moves_the_pickup_to_the_next_day() -> None:
    closed = frozenset({("FST", date(2026, 11, 26))})
    result = shop([FAST], request(THU_10, closed=closed), POLICY)

    option = result.option("FST", "FST-STD")
    assert option is not None
    assert option.pickup_at.date() == date(2026, 11, 27)


def test_friday_after_cutoff_is_collected_on_monday_or_saturday_by_who_collects_then() -> None:
    fri_19 = datetime(2026, 11, 27, 19, 0, tzinfo=UTC)  # after both carriers' cutoffs
    result = shop([FAST, CHEAP], request(fri_19), ShopPolicy(80, LONDON))

    fast = result.option("FST", "FST-STD")
    cheap = result.option("CHP", "CHP-STD")
    assert fast is not None and fast.pickup_at.date() == date(2026, 11, 30)  # Monday
    assert cheap is not None and cheap.pickup_at.date() == date(2026, 11, 28)  # Saturday
    assert cheap.delivery_on == date(2026, 12, 1)  # two working days after Saturday


def test_a_service_cutoff_earlier_than_the_carriers_pickup_counts() -> None:
    early = Carrier(
        "FST",
        "Fast",
        "FS",
        {"GB": 1},
        (svc("FST", "FST-NXT", "next_day", 1, 900, cutoff=time(16, 0)),),
        pickup=Pickup(time(17, 0), WEEKDAYS),
    )
    at_1630 = datetime(2026, 11, 26, 16, 30, tzinfo=UTC)
    option = shop([early], request(at_1630, service_level="next_day"), POLICY).recommended
    assert option is not None and option.pickup_at.date() == date(2026, 11, 27)


def test_cutoffs_are_warehouse_time_across_daylight_saving() -> None:
    # 1 July: London is UTC+1, so the 17:00 cutoff is 16:00 UTC
    summer = datetime(2026, 7, 1, 16, 30, tzinfo=UTC)
    option = shop([FAST], request(summer), POLICY).option("FST", "FST-STD")
    assert option is not None and option.pickup_at.date() == date(2026, 7, 2)
    assert next_pickup(FAST.pickup, time(17, 0), summer, UTC) == datetime(
        2026, 7, 1, 17, 0, tzinfo=UTC
    )


def test_surcharges_are_added_to_the_band_price_when_their_conditions_hold() -> None:
    carrier = Carrier(
        "SUR",
        "Sur",
        "SR",
        {"GB": 1},
        (svc("SUR", "SUR-STD", "standard", 2, 1_000),),
        surcharges=(
            Surcharge("FUEL", "Fuel", percent_bp=850),
            Surcharge("REMOTE", "Remote", flat_minor=450, countries=frozenset({"GB"}),
                      postal_prefixes=("HS", "ZE")),
            Surcharge("LONG", "Long", flat_minor=1_200, min_longest_mm=1_000),
        ),
    )  # fmt: skip
    mainland = quotes([carrier], "GB", "standard", 800, BOX, postal_code="SW1Y 4JH")[0]
    island = quotes([carrier], "GB", "standard", 800, BOX, postal_code="hs1 2ab")[0]
    long_box = quotes([carrier], "GB", "standard", 800, (1_100, 100, 100), postal_code="SW1")[0]

    assert (mainland.base_minor, mainland.price_minor, mainland.surcharges) == (
        1_000,
        1_085,
        (("FUEL", 85),),
    )
    assert island.price_minor == 1_535 and ("REMOTE", 450) in island.surcharges
    assert ("LONG", 1_200) in long_box.surcharges


def test_postal_prefix_zones_override_the_country_zone_longest_prefix_first() -> None:
    carrier = Carrier(
        "PZ",
        "Zoned",
        "PZ",
        {"GB": 1},
        (Service("PZ", "PZ-STD", "Std", "standard", 2, 5_000,
                 (WeightBand(10_000, (100, 200, 300)),)),),
        postal_zones=(PostalZone("GB", ("KW",), 2), PostalZone("GB", ("KW15",), 3)),
    )  # fmt: skip
    price = {
        pc: quotes([carrier], "GB", "standard", 500, BOX, postal_code=pc)[0].price_minor
        for pc in ("SW1Y 4JH", "KW1 4AB", "KW15 1AB")
    }
    assert price == {"SW1Y 4JH": 100, "KW1 4AB": 200, "KW15 1AB": 300}


def test_quotes_from_a_real_carrier_api_are_ranked_too_and_unknown_services_skipped() -> None:
    api_quotes = [
        Quote("FST", "FST-STD", "Std", 480, "GBP", 800, 2),
        Quote("FST", "MYSTERY", "?", 1, "GBP", 800, 2),
    ]
    result = shop([FAST], request(THU_10), POLICY, found=api_quotes)
    assert [o.key for o in result.options] == [("FST", "FST-STD")]


def test_no_service_gives_nothing_with_a_reason() -> None:
    result = shop([CHEAP], request(THU_10, country="US"), POLICY)
    assert result.recommended is None and result.basis is Basis.NOTHING


def test_business_days_skip_weekends() -> None:
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    assert add_business_days(date(2026, 11, 26), 0) == date(2026, 11, 26)


def test_manifest_day_is_the_first_open_pickup_day_from_today() -> None:
    thursday = date(2026, 11, 26)
    assert manifest_day(FAST.pickup, thursday, frozenset()) == thursday
    assert manifest_day(FAST.pickup, thursday, frozenset({thursday})) == date(2026, 11, 27)
    saturday = date(2026, 11, 28)
    assert manifest_day(FAST.pickup, saturday, frozenset()) == date(2026, 11, 30)
