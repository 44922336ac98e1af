"""Which task a picker gets next (app/domain/assignment.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from app.domain.assignment import Candidate, Picker, choose
from app.domain.routing import Geometry, Point

GEO = Geometry.regular(10, 3000, 2000, 15_600)
T0 = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)


def cand(task: int, batch: int, seq: int, aisle: int, **kw: object) -> Candidate:
    defaults: dict[str, object] = {"wave_id": 1, "zone": "A", "pickup_at": T0}
    defaults.update(kw)
    return Candidate(task, batch, sequence=seq, point=Point(aisle, 5000), **defaults)  # type: ignore[arg-type]


def test_a_picker_finishes_their_own_cart_in_route_order() -> None:
    cs = [cand(1, 1, 5, 1, claimed_by="U10"), cand(2, 1, 3, 9, claimed_by="U10"), cand(3, 2, 0, 1)]
    c = choose(Picker("U10"), cs, GEO)
    assert c is not None and (c.task_id, c.claims_batch) == (2, False)


def test_another_pickers_cart_is_never_offered() -> None:
    assert choose(Picker("U11"), [cand(1, 1, 0, 1, claimed_by="U10")], GEO) is None


def test_the_nearest_cart_of_equally_urgent_waves_wins() -> None:
    cs = [cand(1, 1, 0, 1), cand(2, 2, 4, 8)]
    near_8 = Picker("U10", here=Point(8, 4000))
    c = choose(near_8, cs, GEO)
    assert c is not None and c.task_id == 2 and c.claims_batch
    c = choose(Picker("U10"), cs, GEO)  # at the depot, left of aisle 1
    assert c is not None and c.task_id == 1


def test_a_cart_is_offered_at_its_first_stop() -> None:
    cs = [cand(5, 1, 7, 9), cand(4, 1, 2, 2)]
    c = choose(Picker("U10", here=Point(9, 5000)), cs, GEO)
    assert c is not None and c.task_id == 4


def test_priority_then_pickup_outrank_proximity() -> None:
    urgent = cand(1, 1, 0, 10, wave_priority=9)
    near = cand(2, 2, 0, 1, wave_priority=5)
    assert choose(Picker("U10"), [urgent, near], GEO).task_id == 1  # type: ignore[union-attr]
    early = cand(3, 3, 0, 10, pickup_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    assert choose(Picker("U10"), [early, cand(4, 4, 0, 1)], GEO).task_id == 3  # type: ignore[union-attr]


def test_a_picker_with_zones_only_gets_carts_in_those_zones() -> None:
    cs = [cand(1, 1, 0, 1, zone="A"), cand(2, 2, 0, 2, zone="B")]
    c = choose(Picker("U10", zones=frozenset({"B"})), cs, GEO)
    assert c is not None and c.task_id == 2
    assert choose(Picker("U10", zones=frozenset({"C"})), cs, GEO) is None
