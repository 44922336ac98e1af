"""Wave planning (app/domain/planning.py): pickups from the calendar, grouping, caps,
strategies, backwards scheduling from the cutoffs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.domain.batching import Caps
from app.domain.paths import Stop
from app.domain.planning import (
    Calendar,
    CarrierPickups,
    OpenOrder,
    Profile,
    Rates,
    Rules,
    Selection,
    Strategy,
    due_for_release,
    plan,
)
from app.domain.routing import Geometry

LONDON = ZoneInfo("Europe/London")
GEO = Geometry.regular(10, 3000, 2000, 15_600)
CAL = Calendar(
    LONDON,
    (
        CarrierPickups("DXP", frozenset({"standard", "economy"}), (time(11, 0), time(16, 30))),
        CarrierPickups("PPL", frozenset({"express", "standard"}), (time(14, 0),)),
    ),
    lead=timedelta(minutes=20),
)
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT in November)


def order(
    key: int,
    level: str = "standard",
    units: int = 2,
    lines: int = 2,
    priority: int = 5,
    aisle: int = 3,
    zones: tuple[str, ...] | None = None,
    ship_by: datetime | None = None,
) -> OpenOrder:
    stops = tuple(Stop(key * 10 + i, aisle + i % 3, 3200 + 1200 * i) for i in range(lines))
    return OpenOrder(
        key=key,
        allocation_id=f"AL-{key}",
        priority=priority,
        service_level=level,
        ship_by=ship_by,
        received_at=NOW - timedelta(minutes=key),
        stops=stops,
        zones=zones or ("A",) * lines,
        lines=lines,
        units=units,
    )


def test_an_order_aims_at_the_earliest_pickup_that_can_still_be_made() -> None:
    assert CAL.target("standard", NOW).at == datetime(2026, 11, 26, 11, 0, tzinfo=LONDON)
    assert CAL.target("express", NOW).carrier == "PPL"
    # 10:50 is too close to 11:00 with a 20-minute lead: the 14:00 PPL pickup is next.
    late = datetime(2026, 11, 26, 10, 50, tzinfo=UTC)
    assert CAL.target("standard", late).carrier == "PPL"
    # After the last pickup of the day, tomorrow's first.
    night = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
    assert CAL.target("economy", night).at == datetime(2026, 11, 27, 11, 0, tzinfo=LONDON)
    assert CAL.target("freight", NOW) is None


def test_orders_are_grouped_by_pickup_and_profile_and_cut_by_the_wave_caps() -> None:
    orders = [order(i) for i in range(10)] + [order(20 + i, "express") for i in range(3)]
    orders += [order(40 + i, units=1, lines=1) for i in range(4)]
    rules = Rules(wave_caps=Caps(totes=4))
    result = plan(orders, CAL, rules, Rates(), GEO, NOW)
    for w in result.waves:
        assert len(w.orders) <= 4
        keys = set(w.orders)
        assert len({o.profile for o in orders if o.key in keys}) == 1
        pickups = {w.pickup.carrier if w.pickup else None}
        assert len(pickups) == 1
    assert sorted(k for w in result.waves for k in w.orders) == sorted(o.key for o in orders)


def test_the_earliest_pickup_goes_first_and_is_released_first() -> None:
    orders = [order(1, "express"), order(2, "standard")]
    result = plan(orders, CAL, Rules(), Rates(), GEO, NOW)
    assert result.waves[0].pickup.carrier == "DXP"  # 11:00 before 14:00
    assert result.waves[0].latest_release < result.waves[1].latest_release


def test_release_works_backwards_from_the_cutoff_with_the_measured_pace() -> None:
    rates = Rates(
        pick_units_per_hour=60,
        pack_units_per_hour=60,
        pickers=1,
        packers=1,
        dock_buffer=timedelta(minutes=30),
    )
    orders = [order(i, units=10, lines=2) for i in range(3)]  # 30 units: 30 min pick, 30 pack
    result = plan(orders, CAL, Rules(by_profile=False), rates, GEO, NOW)
    (w,) = result.waves
    pickup = datetime(2026, 11, 26, 11, 0, tzinfo=LONDON)
    assert w.latest_release == pickup - timedelta(minutes=30) - timedelta(hours=1)
    assert not w.at_risk
    assert due_for_release(result, NOW) == []
    assert due_for_release(result, NOW + timedelta(minutes=31)) == [w]


def test_a_wave_that_cannot_make_its_pickup_even_now_is_at_risk() -> None:
    rates = Rates(pick_units_per_hour=10, pickers=1)
    result = plan([order(1, units=30)], CAL, Rules(), rates, GEO, NOW)
    assert result.waves[0].at_risk


def test_earlier_waves_start_early_enough_to_leave_room_for_later_ones() -> None:
    rates = Rates(
        pick_units_per_hour=60,
        pack_units_per_hour=1e12,
        pickers=1,
        packers=1,
        dock_buffer=timedelta(0),
    )
    # Both pickups 11:00 (DXP) and 14:00 (PPL); the 14:00 wave needs 4 hours of picking, so
    # it must start at 10:00, and the 11:00 wave must finish by then.
    a = order(1, "economy", units=30)
    b = order(2, "express", units=240)
    result = plan([a, b], CAL, Rules(), rates, GEO, NOW)
    by_key = {w.orders[0]: w for w in result.waves}
    assert by_key[2].latest_release == datetime(2026, 11, 26, 10, 0, tzinfo=LONDON)
    assert by_key[1].latest_release == datetime(2026, 11, 26, 9, 30, tzinfo=LONDON)


def test_strategies_by_profile_and_zones() -> None:
    rules = Rules()
    singles = [order(i, units=1, lines=1) for i in range(5)]
    assert rules.strategy_for(singles) is Strategy.BATCH
    two_zones = [order(1, zones=("A", "B"))]
    assert rules.strategy_for(two_zones) is Strategy.ZONE
    assert Rules(strategy=Strategy.DISCRETE).strategy_for(singles) is Strategy.DISCRETE


def test_discrete_waves_route_each_order_alone_and_batch_waves_share_carts() -> None:
    orders = [order(i, aisle=1 + i % 7) for i in range(12)]
    d = plan(orders, CAL, Rules(strategy=Strategy.DISCRETE), Rates(), GEO, NOW).waves[0]
    b = plan(
        orders, CAL, Rules(strategy=Strategy.BATCH, cart_caps=Caps(totes=4)), Rates(), GEO, NOW
    ).waves[0]
    assert len(d.batches) == 12 and all(len(x.orders) == 1 for x in d.batches)
    assert len(b.batches) == 3 and all(len(x.orders) <= 4 for x in b.batches)
    assert b.route_mm < d.route_mm
    for w in (d, b):
        assert w.route_mm <= w.s_shape_mm


def test_zone_picking_gives_each_zone_its_own_walks() -> None:
    orders = [order(i, lines=2, zones=("A", "B")) for i in range(4)]
    w = plan(orders, CAL, Rules(strategy=Strategy.ZONE), Rates(), GEO, NOW).waves[0]
    assert {b.zone for b in w.batches} == {"A", "B"}
    for b in w.batches:
        assert len(b.route.stops) == len(b.orders)  # one stop per order in each zone


def test_a_selection_keeps_only_matching_orders() -> None:
    orders = [
        order(1, "express", priority=9),
        order(2, "standard", priority=3),
        order(3, units=1, lines=1, priority=1),
    ]
    sel = Selection(min_priority=5)
    assert [w.orders for w in plan(orders, CAL, Rules(), Rates(), GEO, NOW, sel).waves] == [(1,)]
    sel = Selection(profiles=frozenset({Profile.SINGLE_UNIT}))
    assert [w.orders for w in plan(orders, CAL, Rules(), Rates(), GEO, NOW, sel).waves] == [(3,)]
    sel = Selection(carrier="PPL")
    assert [w.orders for w in plan(orders, CAL, Rules(), Rates(), GEO, NOW, sel).waves] == [(1,)]


def test_orders_whose_pickup_comes_after_their_ship_by_are_reported_late() -> None:
    late = order(1, ship_by=datetime(2026, 11, 26, 10, 0, tzinfo=UTC))
    assert plan([late], CAL, Rules(), Rates(), GEO, NOW).late == (1,)


def test_higher_priority_orders_fill_a_capped_wave_first() -> None:
    orders = [order(i, priority=1) for i in range(5)] + [order(9, priority=9)]
    w = plan(orders, CAL, Rules(wave_caps=Caps(totes=2)), Rates(), GEO, NOW).waves[0]
    assert 9 in w.orders
