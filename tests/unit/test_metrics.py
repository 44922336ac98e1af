"""Operations metrics (app/domain/metrics.py), each on a small scripted history whose answer
is worked out by hand in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain import metrics as m
from app.domain.cartons import CartonType, Unit
from app.domain.rating import Carrier, Service, WeightBand
from app.domain.routing import Geometry

LONDON = ZoneInfo("Europe/London")
SHIFTS = m.ShiftCalendar(
    LONDON,
    (m.Shift("early", time(6)), m.Shift("late", time(14)), m.Shift("night", time(22))),
)
PICKUPS = m.PickupSchedule(
    LONDON,
    (
        m.CarrierPickups("DXP", (time(11), time(16, 30)), frozenset(range(5))),  # weekdays
        m.CarrierPickups("PPL", (time(14), time(18, 30))),
    ),
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------ day and shift


def test_a_night_shift_belongs_to_the_day_it_started() -> None:
    assert SHIFTS.locate(utc(2026, 11, 24, 5, 59)) == (date(2026, 11, 23), "night")
    assert SHIFTS.locate(utc(2026, 11, 24, 6, 0)) == (date(2026, 11, 24), "early")
    assert SHIFTS.locate(utc(2026, 11, 24, 13, 59)) == (date(2026, 11, 24), "early")
    assert SHIFTS.locate(utc(2026, 11, 24, 14, 0)) == (date(2026, 11, 24), "late")
    assert SHIFTS.locate(utc(2026, 11, 24, 23, 30)) == (date(2026, 11, 24), "night")


def test_shifts_follow_local_time_through_summer_time() -> None:
    # 05:30 UTC in July is 06:30 in London: the early shift of that day.
    assert SHIFTS.locate(utc(2026, 7, 1, 5, 30)) == (date(2026, 7, 1), "early")
    start, end = SHIFTS.day_window(date(2026, 7, 1))
    assert (start, end) == (utc(2026, 7, 1, 5), utc(2026, 7, 2, 5))


def test_the_day_the_clocks_go_back_is_25_hours_long() -> None:
    start, end = SHIFTS.day_window(date(2026, 10, 24))  # 06:00 Sat to 06:00 Sun, BST -> GMT
    assert end - start == timedelta(hours=25)


def test_shifts_must_follow_each_other_from_the_day_start() -> None:
    with pytest.raises(ValueError):  # 10:00 comes before 14:00 in a day starting at 06:00
        m.ordered_shifts(
            [m.Shift("early", time(6)), m.Shift("late", time(14)), m.Shift("x", time(10))]
        )
    with pytest.raises(ValueError):
        m.ShiftCalendar(UTC, (m.Shift("a", time(6)), m.Shift("b", time(6))))
    night_first = m.ordered_shifts([m.Shift("night", time(22)), m.Shift("early", time(6))])
    cal = m.ShiftCalendar(UTC, night_first)
    assert cal.locate(utc(2026, 11, 24, 23)) == (date(2026, 11, 24), "night")
    assert cal.locate(utc(2026, 11, 25, 7)) == (date(2026, 11, 24), "early")


# ------------------------------------------------------------------ on time


def test_the_deadline_is_the_carriers_last_pickup_before_ship_by() -> None:
    ship_by = utc(2026, 11, 24, 17)  # Tuesday 17:00
    assert PICKUPS.deadline(ship_by, "DXP", "standard") == utc(2026, 11, 24, 16, 30)
    assert PICKUPS.deadline(ship_by, "PPL", "standard") == utc(2026, 11, 24, 14)
    # Ship-by Monday 09:00, before any pickup that day: Friday's last DXP pickup.
    assert PICKUPS.deadline(utc(2026, 11, 23, 9), "DXP", "standard") == utc(2026, 11, 20, 16, 30)
    # A carrier without a schedule is judged on ship-by alone.
    assert PICKUPS.deadline(ship_by, "FREIGHT", "freight") == ship_by


def test_verdicts_on_time_missed_pickup_late_and_no_promise() -> None:
    ship_by = utc(2026, 11, 24, 17)
    deadline = PICKUPS.deadline(ship_by, "DXP", "standard")
    assert m.verdict(utc(2026, 11, 24, 12), ship_by, deadline) is m.Verdict.ON_TIME
    assert m.verdict(utc(2026, 11, 24, 16, 30), ship_by, deadline) is m.Verdict.ON_TIME
    assert m.verdict(utc(2026, 11, 24, 16, 45), ship_by, deadline) is m.Verdict.MISSED_PICKUP
    assert m.verdict(utc(2026, 11, 24, 17, 1), ship_by, deadline) is m.Verdict.LATE
    assert m.verdict(utc(2026, 11, 24, 12), None, None) is m.Verdict.NO_PROMISE


def _order(
    name: str, carrier: str, level: str, shipped: datetime, ship_by: datetime | None
) -> m.ShippedOrder:
    return m.ShippedOrder(
        allocation_pk=hash(name) % 1000,
        allocation_id=name,
        order_number=f"SO-{name}",
        received_at=utc(2026, 11, 24, 8),
        ship_by=ship_by,
        shipped_at=shipped,
        carrier=carrier,
        service="x",
        channel="web",
        service_level=level,
        zone="A",
        units=1,
        cartons=1,
    )


HISTORY = [
    # name, carrier, level, shipped, ship-by -> verdict, cycle minutes
    _order("A1", "DXP", "standard", utc(2026, 11, 24, 12), utc(2026, 11, 24, 17)),  # on time, 240
    _order(
        "A2", "DXP", "standard", utc(2026, 11, 24, 16, 45), utc(2026, 11, 24, 17)
    ),  # missed, 525
    _order("A3", "DXP", "standard", utc(2026, 11, 24, 17, 30), utc(2026, 11, 24, 17)),  # late, 570
    _order("A4", "PPL", "express", utc(2026, 11, 24, 10), None),  # no promise, 120
    _order("A5", "PPL", "express", utc(2026, 11, 24, 13), utc(2026, 11, 24, 17)),  # on time, 300
]


def test_on_time_percentage_leaves_out_orders_without_ship_by() -> None:
    facts = [m.order_fact(o, SHIFTS, PICKUPS) for o in HISTORY]
    totals = m.on_time_totals(facts, lambda f: f.order.carrier)
    assert (totals["DXP"].on_time, totals["DXP"].missed_pickup, totals["DXP"].late) == (1, 1, 1)
    assert totals["DXP"].on_time_pct == 33.3
    assert (totals["PPL"].no_promise, totals["PPL"].on_time_pct) == (1, 100.0)
    everything = m.on_time_totals(facts, lambda f: "all")["all"]
    assert (everything.orders, everything.promised, everything.on_time_pct) == (5, 4, 50.0)
    assert [f.shift for f in facts] == ["early", "late", "late", "early", "early"]


# ------------------------------------------------------------------ cycle time


def test_cycle_time_median_and_p90_by_service_level() -> None:
    facts = [m.order_fact(o, SHIFTS, PICKUPS) for o in HISTORY]
    assert [f.cycle_min for f in facts] == [240, 525, 570, 120, 300]
    hist = m.cycle_histogram(facts, lambda f: f.order.service_level)
    # standard: 240, 525, 570 -> median (rank 2) 525, p90 (rank 3) 570
    assert m.histogram_percentile(hist["standard"], 50) == 525
    assert m.histogram_percentile(hist["standard"], 90) == 570
    # express: 120, 300 -> median (rank 1) 120, p90 (rank 2) 300
    assert m.histogram_percentile(hist["express"], 50) == 120
    assert m.histogram_percentile(hist["express"], 90) == 300
    assert m.nearest_rank([120, 240, 300, 525, 570], 50) == 300
    assert m.nearest_rank([], 50) is None
    assert m.histogram_percentile({}, 90) is None


def test_cycle_buckets_get_coarser_with_length() -> None:
    assert [m.cycle_bucket(x) for x in (0, 59, 119, 120, 123, 1439, 1440, 1469, 10081)] == [
        0,
        59,
        119,
        120,
        120,
        1435,
        1440,
        1440,
        10080,
    ]
    assert m.duration_text(525) == "8 h 45 m"
    assert m.duration_text(45) == "45 m"
    assert m.duration_text(2 * 1440 + 60) == "2 d 1 h"


@given(st.lists(st.integers(min_value=0, max_value=30 * 1440), min_size=1, max_size=200))
def test_percentiles_of_buckets_equal_the_bucket_of_the_exact_percentile(values: list[int]) -> None:
    hist: dict[int, int] = {}
    for v in values:
        hist[m.cycle_bucket(v)] = hist.get(m.cycle_bucket(v), 0) + 1
    for pct in (50, 90, 99):
        exact = m.nearest_rank(sorted(values), pct)
        assert exact is not None
        assert m.histogram_percentile(hist, pct) == m.cycle_bucket(exact)


# ------------------------------------------------------------------ accuracy


def test_errors_are_counted_at_the_stage_that_caught_them() -> None:
    assert m.error_stage("pick", "wrong_item") is m.Stage.PICK
    assert m.error_stage("pick", "wrong_location") is m.Stage.PICK
    assert m.error_stage("pick", "expected_location") is None  # a prompt, not a mistake
    assert m.error_stage("pick", "item_ok") is None
    assert m.error_stage("pack", "wrong_item") is m.Stage.PACK
    assert m.error_stage("pack", "over_scan") is m.Stage.PACK
    assert m.error_stage("weigh", "weight_out_of_tolerance") is m.Stage.WEIGH
    assert m.error_stage("pick", "put_back_wrong_item") is None


def test_per_thousand_units() -> None:
    assert m.per_thousand(3, 1500) == 2.0
    assert m.per_thousand(2, 12) == 166.67
    assert m.per_thousand(0, 12) == 0.0
    assert m.per_thousand(1, 0) is None


# ------------------------------------------------------------------ productivity


def test_working_time_leaves_out_breaks() -> None:
    t0 = utc(2026, 11, 24, 9)
    scans = [
        (t0, "early"),
        (t0 + timedelta(seconds=30), "early"),
        (t0 + timedelta(seconds=60), "early"),
        (t0 + timedelta(minutes=20), "early"),  # after a 19-minute break: not counted
        (t0 + timedelta(minutes=20, seconds=30), "early"),
    ]
    assert m.working_seconds(scans, idle_gap_s=300) == {"early": 90.0}
    assert m.units_per_hour(6, 90) == 240.0
    assert m.units_per_hour(6, 0) is None


def test_working_time_is_split_by_the_later_scans_shift() -> None:
    t = utc(2026, 11, 24, 13, 59)
    scans = [(t, "early"), (t + timedelta(seconds=45), "late"), (t + timedelta(seconds=75), "late")]
    assert m.working_seconds(scans, 300) == {"early": 0.0, "late": 75.0}


GEO = Geometry.regular(aisles=3, aisle_pitch_mm=3000, front_mm=2000, aisle_length_mm=15600)


def test_travel_walks_from_the_depot_through_the_bins_and_back() -> None:
    t0 = utc(2026, 11, 24, 9)
    picks = [
        (m.CompletedPick(t0, 1, 1, 3200), "A"),
        (m.CompletedPick(t0 + timedelta(seconds=10), 1, 1, 5600), "A"),
        (m.CompletedPick(t0 + timedelta(seconds=30), 1, 2, 4400), "A"),
    ]
    # depot(0, 2000) -> (1, 3200): 3000 + 1200; -> (1, 5600): 2400; -> (2, 4400) over the
    # front cross aisle: 3000 + 3600 + 2400; -> depot: 6000 + 2400. Total 24,000 mm.
    t = m.travel(picks, GEO, idle_gap_s=300)["A"]
    assert (t.travel_mm, t.picks, t.walks, t.per_pick_mm) == (24_000, 3, 1, 8_000)


def test_a_new_wave_or_a_break_starts_a_new_walk() -> None:
    t0 = utc(2026, 11, 24, 9)
    picks = [
        (m.CompletedPick(t0, 1, 1, 3200), "A"),
        (m.CompletedPick(t0 + timedelta(seconds=20), 2, 1, 3200), "A"),  # next wave
        (m.CompletedPick(t0 + timedelta(minutes=30), 2, 1, 3200), "A"),  # after a break
    ]
    t = m.travel(picks, GEO, idle_gap_s=300)["A"]
    assert (t.walks, t.picks, t.travel_mm) == (3, 3, 3 * 8400)


# ------------------------------------------------------------------ packaging

CATALOG = [
    CartonType("S", "Small", (300, 200, 100), (310, 210, 110), 100, 10_000, 20),
    CartonType("L", "Large", (600, 400, 400), (610, 410, 410), 400, 30_000, 60),
]
CARRIER = Carrier(
    "PX",
    "ParcelX",
    "PX",
    zones={"GB": 1},
    services=(
        Service(
            "PX",
            "PX-STD",
            "Standard",
            "standard",
            2,
            dim_divisor=5000,
            bands=(WeightBand(2_000, (500,)), WeightBand(20_000, (900,))),
        ),
    ),
)


def test_dim_weight_avoided_against_the_largest_fitting_carton() -> None:
    book = Unit("BOOK", (240, 170, 40), 600)
    carton = m.ShippedCarton(
        1, "CT1", "S", (310, 210, 110), 1_300, "PX", "PX-STD", "standard", "GB", "", (book, book)
    )
    out = m.packaging(carton, CATALOG, [CARRIER])
    # In S: 310*210*110 / 5000 = 1,432.2 -> 1,433 g billable against 1,300 g: band 2 kg, 500.
    assert (out.billable_g, out.price_minor) == (1_433, 500)
    # In L: 610*410*410 / 5000 = 20,508.2 -> 20,509 g: above the last band... not priced.
    assert out.largest_type == "L"
    assert out.largest_billable_g is None and not out.compared and out.avoided_minor == 0
    # Contents 2 * 240*170*40 = 3,264,000 mm3 of 6,000,000: 54.4 %.
    assert out.utilisation_pct == 54.4


def test_dim_weight_avoided_when_both_cartons_are_priced() -> None:
    medium = CartonType("M", "Medium", (400, 300, 200), (410, 310, 210), 250, 20_000, 40)
    book = Unit("BOOK", (240, 170, 40), 600)
    carton = m.ShippedCarton(
        1, "CT1", "S", (310, 210, 110), 1_300, "PX", "PX-STD", "standard", "GB", "", (book,)
    )
    out = m.packaging(carton, [CATALOG[0], medium], [CARRIER])
    # M: 410*310*210 / 5000 = 5,338.2 -> 5,339 g (band 20 kg: 900); weight 1,300 - 100 + 250.
    assert out.largest_type == "M"
    assert (out.largest_billable_g, out.largest_price_minor) == (5_339, 900)
    assert out.avoided_minor == 400


def test_largest_fitting_respects_unit_size_fill_and_weight() -> None:
    long_item = Unit("POLE", (550, 50, 50), 500)
    assert m.largest_fitting([long_item], 600, 100, CATALOG) == CATALOG[1]  # only L is long enough
    heavy = Unit("ANVIL", (100, 100, 100), 29_800)
    assert m.largest_fitting([heavy], 29_900, 100, CATALOG) is None  # L would weigh 30,200 g


# ------------------------------------------------------------------ returns and exceptions


def test_returns_rate_per_hundred_units_shipped() -> None:
    assert m.returns_rate_pct(1, 12) == 8.3
    assert m.returns_rate_pct(0, 0) is None


def test_exception_causes_are_groupable_words() -> None:
    assert m.exception_cause(m.ExceptionKind.SHORT, "empty") == "bin empty"
    assert m.exception_cause(m.ExceptionKind.SHORT, None) == "unspecified"
    assert m.exception_cause(m.ExceptionKind.CANCEL, "") == "cancelled by the OMS"
    assert m.exception_cause(m.ExceptionKind.HOLD, "  credit check ") == "credit check"
    assert m.exception_cause(m.ExceptionKind.BACKORDER, None) == "no stock"
