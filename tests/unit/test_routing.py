"""Pick paths (app/domain/routing.py): the exact single-block router against brute force, the
multi-block heuristics, the S-shape baseline and re-sequencing."""

from __future__ import annotations

import random
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.paths import Stop
from app.domain.routing import (
    Geometry,
    Method,
    Point,
    combined_route,
    improve,
    largest_gap_route,
    optimal_route,
    route,
    route_length,
    s_shape_route,
    sequence_from,
)

FRONT = 2000
LENGTH = 15_600  # 12 bays of 1.2 m plus a pitch: the demo layout


def demo(aisles: int = 10, **kw: object) -> Geometry:
    return Geometry.regular(aisles, 3000, FRONT, LENGTH, **kw)  # type: ignore[arg-type]


def held_karp(geo: Geometry, stops: list[Stop]) -> int:
    """The shortest closed walk from the depot through every distinct stop position."""
    pts = list(dict.fromkeys(Point(s.aisle, s.y_mm) for s in stops))
    n = len(pts)
    if n == 0:
        return 0
    d0 = [geo.distance(geo.depot, p) for p in pts]
    d = [[geo.distance(p, q) for q in pts] for p in pts]
    best: dict[tuple[int, int], int] = {(1 << i, i): d0[i] for i in range(n)}
    for mask in range(1, 1 << n):
        for i in range(n):
            c = best.get((mask, i))
            if c is None:
                continue
            for j in range(n):
                if mask >> j & 1:
                    continue
                k = (mask | 1 << j, j)
                if c + d[i][j] < best.get(k, 1 << 60):
                    best[k] = c + d[i][j]
    full = (1 << n) - 1
    return min(best[(full, i)] + d0[i] for i in range(n))


def random_stops(rng: random.Random, n: int, aisles: int) -> list[Stop]:
    return [Stop(i, rng.randint(1, aisles), FRONT + rng.randint(1, 12) * 1200) for i in range(n)]


@pytest.mark.parametrize("seed", range(6))
def test_exact_router_matches_brute_force_on_small_single_block_instances(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        aisles = rng.randint(1, 7)
        geo = Geometry.regular(
            aisles,
            3000,
            FRONT,
            LENGTH,
            back=rng.random() < 0.85,
            depot_x_mm=rng.choice([0, 3000, 4500, 3000 * aisles, 3000 * aisles + 2000]),
        )
        stops = random_stops(rng, rng.randint(1, 8), aisles)
        r = optimal_route(geo, stops)
        assert r.method is Method.EXACT
        assert sorted(s.key for s in r.stops) == sorted(s.key for s in stops)
        assert r.length_mm == held_karp(geo, stops)
        # The visiting order walks exactly the optimal length.
        assert route_length(geo, r.stops) == r.length_mm


def test_exact_router_never_walks_more_than_s_shape() -> None:
    rng = random.Random(7)
    geo = demo()
    for n in (5, 10, 20, 30, 60):
        for _ in range(10):
            stops = random_stops(rng, n, 10)
            assert optimal_route(geo, stops).length_mm <= s_shape_route(geo, stops).length_mm


def test_one_aisle_with_a_far_pick_is_entered_and_left_from_the_front() -> None:
    geo = demo()
    r = optimal_route(geo, [Stop(1, 1, FRONT + 4 * 1200)])
    # Along the front to aisle 1 (3 m) and back, 4.8 m in and out.
    assert r.length_mm == 2 * 3000 + 2 * 4800


def test_picks_at_both_ends_of_far_aisles_use_the_back_cross_aisle() -> None:
    geo = demo(4)
    stops = [Stop(1, 1, FRONT + 12 * 1200), Stop(2, 4, FRONT + 12 * 1200)]
    r = optimal_route(geo, stops)
    # Up aisle 1, along the back, down aisle 4, back along the front.
    assert r.length_mm == 2 * 12_000 + 2 * LENGTH


def test_depot_between_aisles_is_handled_exactly() -> None:
    geo = demo(6, depot_x_mm=10_500)
    rng = random.Random(3)
    for _ in range(30):
        stops = random_stops(rng, 7, 6)
        assert optimal_route(geo, stops).length_mm == held_karp(geo, stops)


def test_no_stops_is_a_walk_of_nothing() -> None:
    assert optimal_route(demo(), []).length_mm == 0
    assert route(demo(middle_mm=[7800]), []).stops == ()


def test_exact_router_refuses_multi_block_layouts_and_stops_past_the_back() -> None:
    with pytest.raises(ValueError, match="single-block"):
        optimal_route(demo(middle_mm=[7800]), [Stop(1, 1, 5000)])
    with pytest.raises(ValueError, match="outside"):
        optimal_route(demo(), [Stop(1, 1, FRONT + LENGTH + 10)])


def test_multi_block_router_is_close_to_optimal_and_beats_the_heuristic_seeds() -> None:
    geo = demo(8, middle_mm=[7800])
    rng = random.Random(11)
    ratios = []
    for _ in range(25):
        stops = random_stops(rng, 8, 8)
        best = held_karp(geo, stops)
        r = route(geo, stops)
        assert r.length_mm >= best
        assert r.length_mm <= min(
            largest_gap_route(geo, stops).length_mm, combined_route(geo, stops).length_mm
        )
        assert route_length(geo, r.stops) == r.length_mm
        ratios.append(r.length_mm / best)
    assert sum(ratios) / len(ratios) <= 1.03


def test_heuristics_visit_every_stop_once() -> None:
    geo = demo(6, middle_mm=[6000, 10_000])
    stops = random_stops(random.Random(5), 25, 6)
    for r in (largest_gap_route(geo, stops), combined_route(geo, stops), s_shape_route(geo, stops)):
        assert sorted(s.key for s in r.stops) == list(range(25))


def test_s_shape_length_is_the_policys_own() -> None:
    geo = demo(4)
    # Two aisles with stops: through aisle 1, through aisle 3, back along the front.
    stops = [Stop(1, 1, FRONT + 1200), Stop(2, 3, FRONT + 1200)]
    assert s_shape_route(geo, stops).length_mm == 2 * LENGTH + 2 * 9000
    # Odd number of aisles: the last is entered and left from the front.
    stops.append(Stop(3, 4, FRONT + 2400))
    assert s_shape_route(geo, stops).length_mm == 2 * LENGTH + 2 * 2400 + 2 * 12_000


def test_resequencing_from_the_pickers_place_ends_at_the_depot_and_visits_all() -> None:
    geo = demo()
    stops = random_stops(random.Random(9), 12, 10)
    here = Point(7, FRONT + 6000)
    order = sequence_from(geo, here, stops)
    assert sorted(s.key for s in order) == list(range(12))
    best_by_brute = min(route_length(geo, list(p), here) for p in permutations(stops[:6]))
    assert route_length(geo, sequence_from(geo, here, stops[:6]), here) <= best_by_brute * 1.05


def test_local_search_never_lengthens_a_walk() -> None:
    geo = demo(6, middle_mm=[7800])
    stops = random_stops(random.Random(2), 20, 6)
    assert route_length(geo, improve(geo, stops)) <= route_length(geo, stops)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 12)), min_size=1, max_size=7))
def test_exact_router_is_optimal_for_any_small_pick_list(picks: list[tuple[int, int]]) -> None:
    geo = demo(5)
    stops = [Stop(i, a, FRONT + b * 1200) for i, (a, b) in enumerate(picks)]
    assert optimal_route(geo, stops).length_mm == held_karp(geo, stops)
