"""Which bins a line's units come from: FEFO, pick faces first, fewest locations, no oversell."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from app.domain.stock_allocation import Bin, plan_reservation

TODAY = date(2026, 11, 26)


def ids(plan: list[tuple[Bin, int]]) -> list[tuple[int, int]]:
    return [(b.stock_id, take) for b, take in plan]


def test_a_pick_face_is_used_before_reserve_even_when_reserve_is_fuller() -> None:
    bins = [Bin(1, "reserve", 500), Bin(2, "pick", 8)]
    assert ids(plan_reservation(bins, 5, TODAY)) == [(2, 5)]


def test_the_earliest_expiry_goes_first_even_from_reserve() -> None:
    bins = [
        Bin(1, "pick", 20, date(2027, 6, 1)),
        Bin(2, "reserve", 20, date(2027, 1, 1)),
        Bin(3, "pick", 20, date(2027, 3, 1)),
    ]
    assert ids(plan_reservation(bins, 25, TODAY)) == [(2, 20), (3, 5)]


def test_expired_lots_are_never_promised_but_todays_expiry_still_is() -> None:
    bins = [Bin(1, "pick", 10, date(2026, 11, 25)), Bin(2, "pick", 3, TODAY)]
    assert ids(plan_reservation(bins, 10, TODAY)) == [(2, 3)]


def test_blocked_locations_are_never_promised() -> None:
    bins = [Bin(1, "quarantine", 50), Bin(2, "returns", 50), Bin(3, "practice", 50)]
    assert plan_reservation(bins, 1, TODAY) == []


def test_one_bin_that_covers_the_line_beats_splitting_it() -> None:
    # Fullest-first would take 6 from bin 1 then 4 from bin 2; one stop is better.
    bins = [Bin(1, "pick", 6), Bin(2, "pick", 4), Bin(3, "pick", 12), Bin(4, "pick", 30)]
    assert ids(plan_reservation(bins, 10, TODAY)) == [(3, 10)]


def test_when_no_single_bin_covers_the_fullest_bins_are_taken_first() -> None:
    bins = [Bin(1, "pick", 3), Bin(2, "pick", 7), Bin(3, "pick", 5)]
    assert ids(plan_reservation(bins, 11, TODAY)) == [(2, 7), (3, 4)]


def test_a_short_plan_covers_what_exists_and_no_more() -> None:
    bins = [Bin(1, "pick", 3), Bin(2, "reserve", 2)]
    assert ids(plan_reservation(bins, 9, TODAY)) == [(1, 3), (2, 2)]


bins_strategy = st.lists(
    st.builds(
        Bin,
        stock_id=st.integers(1, 10_000),
        location_kind=st.sampled_from(["pick", "reserve", "quarantine"]),
        free=st.integers(-3, 40),
        expires_on=st.one_of(st.none(), st.dates(date(2026, 11, 1), date(2027, 12, 31))),
    ),
    max_size=12,
    unique_by=lambda b: b.stock_id,
)


@given(bins_strategy, st.integers(0, 200))
def test_a_plan_never_oversells_a_bin_nor_the_line(bins: list[Bin], qty: int) -> None:
    plan = plan_reservation(bins, qty, TODAY)
    usable = sum(
        b.free
        for b in bins
        if b.location_kind != "quarantine"
        and b.free > 0
        and (b.expires_on is None or b.expires_on >= TODAY)
    )
    assert sum(take for _, take in plan) == min(qty, usable)
    assert all(0 < take <= b.free for b, take in plan)
    assert len({b.stock_id for b, _ in plan}) == len(plan)
    dated = [b.expires_on for b, _ in plan if b.expires_on is not None]
    assert dated == sorted(dated)  # FEFO: never a later lot before an earlier one
