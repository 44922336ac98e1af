"""The S-shape (serpentine) pick path (app/domain/paths.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.domain.paths import Stop, s_shape


def test_s_shape_walks_up_odd_and_down_even_aisles() -> None:
    stops = [
        Stop(1, aisle=1, y_mm=9_000),
        Stop(2, aisle=2, y_mm=1_000),
        Stop(3, aisle=1, y_mm=2_000),
        Stop(4, aisle=2, y_mm=8_000),
        Stop(5, aisle=3, y_mm=5_000),
        Stop(6, aisle=3, y_mm=500),
    ]
    assert [s.key for s in s_shape(stops)] == [3, 1, 4, 2, 6, 5]


def test_empty_aisles_are_skipped_and_the_direction_follows_visiting_order() -> None:
    stops = [Stop(1, 7, 100), Stop(2, 7, 900), Stop(3, 2, 100), Stop(4, 2, 900)]
    # Aisle 2 is the first one walked (up), aisle 7 the second (down).
    assert [s.key for s in s_shape(stops)] == [3, 4, 2, 1]


def test_stops_at_the_same_spot_keep_a_stable_order() -> None:
    stops = [Stop(9, 1, 100), Stop(4, 1, 100), Stop(7, 2, 100), Stop(5, 2, 100)]
    assert [s.key for s in s_shape(stops)] == [4, 9, 7, 5]


def test_no_stops_no_walk() -> None:
    assert s_shape([]) == []


stops_st = st.lists(
    st.builds(Stop, st.integers(), st.integers(min_value=1, max_value=12), st.integers(0, 20_000)),
    max_size=40,
)


@given(stops=stops_st)
def test_every_stop_is_visited_once_aisle_by_aisle_in_a_serpentine(stops: list[Stop]) -> None:
    path = s_shape(stops)
    assert sorted(path, key=repr) == sorted(stops, key=repr)
    aisles = [s.aisle for s in path]
    visiting = list(dict.fromkeys(aisles))
    assert visiting == sorted(visiting)  # aisles in order, each entered once
    for i, aisle in enumerate(visiting):
        ys = [s.y_mm for s in path if s.aisle == aisle]
        assert ys == sorted(ys, reverse=i % 2 == 1)
