"""The 3D cartonizer (app/domain/cartonization*.py), its validator and `dockhand cartonize`."""

from __future__ import annotations

import copy
import functools
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cartonize import main as cartonize_main
from app.domain.cartonization import (
    Carton,
    Item,
    PackedCarton,
    carton_from_type,
    cartonize,
    items_from_units,
)
from app.domain.cartonization_check import validate
from app.domain.cartonization_format import catalog_of, items_of, mode_of, result_json
from app.domain.cartons import CartonType, Unit

SHARED = Path(__file__).parents[2].parent / "shared/bench/cartons/boxpacker_instances.json"


def instance_json(
    items: list[Item], catalog: list[Carton], mode: str = "cartonize", iid: str = "t"
) -> dict[str, Any]:
    return {
        "id": iid,
        "group": "test",
        "mode": mode,
        "boxes": [
            {
                "id": c.id,
                "inner": list(c.inner),
                "outer": list(c.outer),
                "empty_weight": c.empty_weight,
                "max_weight": c.max_weight,
            }
            for c in catalog
        ],
        "items": [
            {
                "id": it.id,
                "dims": list(it.dims),
                "weight": it.weight,
                "qty": it.qty,
                **({"keep_flat": True} if it.keep_flat else {}),
                **(
                    {"allowed_vertical": list(it.allowed_vertical)}
                    if it.allowed_vertical is not None
                    else {}
                ),
            }
            for it in items
        ],
    }


def solve_json(instance: dict[str, Any]) -> dict[str, Any]:
    answer = cartonize(items_of(instance), catalog_of(instance), mode=mode_of(instance))
    return result_json(instance["id"], answer, 0.0)


def box(cid: str, inner: tuple[int, int, int], tare: int = 0, max_weight: int = 30_000) -> Carton:
    return Carton(cid, inner, inner, tare, max_weight)


# -- generated orders: every answer passes the validator ------------------------------------

dims_st = st.tuples(st.integers(1, 60), st.integers(1, 60), st.integers(1, 60))
item_st = st.builds(
    lambda d, w, q, flat, av: (d, w, q, flat, av),
    dims_st,
    st.integers(0, 800),
    st.integers(1, 5),
    st.booleans(),
    st.one_of(st.none(), st.tuples(st.booleans(), st.booleans(), st.booleans())),
)
carton_st = st.tuples(
    st.integers(10, 120),
    st.integers(10, 120),
    st.integers(10, 120),
    st.integers(0, 300),
    st.integers(200, 6000),
)


@st.composite
def orders(draw: st.DrawFn) -> tuple[list[Item], list[Carton]]:
    raw_items = draw(st.lists(item_st, min_size=1, max_size=7))
    raw_cartons = draw(st.lists(carton_st, min_size=1, max_size=4))
    items = [Item(f"i{n}", d, w, q, flat, av) for n, (d, w, q, flat, av) in enumerate(raw_items)]
    catalog = [
        Carton(f"c{n}", (x, y, z), (x + 4, y + 4, z + 4), tare, tare + cap)
        for n, (x, y, z, tare, cap) in enumerate(raw_cartons)
    ]
    return items, catalog


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_every_generated_order_is_packed_validly(order: tuple[list[Item], list[Carton]]) -> None:
    items, catalog = order
    instance = instance_json(items, catalog)
    result = solve_json(instance)
    assert validate(instance, result) == []


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_single_box_mode_answers_are_valid_and_use_one_container(
    order: tuple[list[Item], list[Carton]],
) -> None:
    items, catalog = order
    instance = instance_json(items, catalog[:1], mode="single_box")
    result = solve_json(instance)
    assert validate(instance, result) == []
    assert len(result["boxes"]) <= 1


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(orders())
def test_the_same_order_gets_the_same_answer(order: tuple[list[Item], list[Carton]]) -> None:
    items, catalog = order
    assert cartonize(items, catalog) == cartonize(list(items), list(catalog))


# -- behaviour ------------------------------------------------------------------------------


def test_this_way_up_items_keep_their_height_vertical() -> None:
    # Lying on its side would be the only way into the flat carton; keep_flat forbids it.
    tall = Item("tall", (40, 40, 100), 100, qty=2, keep_flat=True)
    flat_carton = box("flat", (220, 100, 45))  # smaller than "tall" by volume
    tall_carton = box("tall", (100, 100, 100))
    answer = cartonize([tall], [flat_carton, tall_carton])
    assert [c.carton.id for c in answer.cartons] == ["tall"]
    assert all(p.dims[2] == 100 for c in answer.cartons for p in c.placements)
    free = cartonize([Item("tall", (40, 40, 100), 100, qty=2)], [flat_carton, tall_carton])
    assert [c.carton.id for c in free.cartons] == ["flat"]


def test_allowed_vertical_overrides_keep_flat() -> None:
    item = Item("x", (100, 40, 20), 10, keep_flat=True, allowed_vertical=(True, False, False))
    answer = cartonize([item], [box("b", (50, 50, 120))])
    (placement,) = answer.cartons[0].placements
    assert placement.dims[2] == 100


def test_item_too_large_for_every_carton_is_left_unpacked_and_the_rest_packed() -> None:
    items = [Item("fits", (50, 50, 50), 100, qty=3), Item("huge", (500, 20, 20), 100, qty=2)]
    answer = cartonize(items, [box("s", (100, 100, 100)), box("m", (200, 200, 200))])
    assert answer.unpacked == ("huge", "huge")
    assert [c.carton.id for c in answer.cartons] == ["s"]
    assert sum(len(c.placements) for c in answer.cartons) == 3


def test_item_too_heavy_for_every_carton_is_left_unpacked() -> None:
    answer = cartonize([Item("anvil", (10, 10, 10), 50_000)], [box("s", (100, 100, 100))])
    assert answer.cartons == ()
    assert answer.unpacked == ("anvil",)


def test_weight_limit_splits_the_order_over_several_cartons() -> None:
    # Three 1 kg units per carton (500 g tare, 3.5 kg gross), room for all ten by volume.
    heavy = Item("heavy", (10, 10, 10), 1000, qty=10)
    answer = cartonize([heavy], [box("b", (200, 200, 200), tare=500, max_weight=3500)])
    assert len(answer.cartons) == 4
    assert sorted(len(c.placements) for c in answer.cartons) == [1, 3, 3, 3]
    assert all(c.gross_weight <= 3500 for c in answer.cartons)


def test_perfect_fit_uses_one_carton_full() -> None:
    cubes = Item("cube", (10, 10, 10), 5, qty=8)
    catalog = [box("big", (40, 40, 40)), box("exact", (20, 20, 20)), box("tiny", (10, 10, 10))]
    answer = cartonize([cubes], catalog)
    assert [c.carton.id for c in answer.cartons] == ["exact"]
    assert answer.cartons[0].utilisation == 1.0
    assert answer.unpacked == ()


def test_smallest_carton_that_takes_everything_is_chosen() -> None:
    items = [Item("a", (30, 20, 10), 50, qty=4)]
    catalog = [box("l", (100, 100, 100)), box("m", (60, 40, 20)), box("s", (30, 20, 10))]
    assert [c.carton.id for c in cartonize(items, catalog).cartons] == ["m"]


def test_cheaper_carton_wins_over_smaller_when_costs_are_given() -> None:
    items = [Item("a", (30, 20, 10), 50)]
    small = Carton("small", (40, 30, 20), (42, 32, 22), 10, 5000, cost=90)
    big = Carton("big", (80, 60, 40), (82, 62, 42), 10, 5000, cost=40)
    assert [c.carton.id for c in cartonize(items, [small, big]).cartons] == ["big"]


def test_every_unit_rests_on_the_floor_or_on_another_unit() -> None:
    items = [Item("a", (30, 20, 10), 50, qty=5), Item("b", (15, 15, 15), 20, qty=7)]
    answer = cartonize(items, [box("b", (60, 45, 40))])
    for packed in answer.cartons:
        for p in packed.placements:
            assert p.pos[2] == 0 or _supported(packed, p.pos, p.dims)


def _supported(packed: PackedCarton, pos: tuple[int, ...], dims: tuple[int, ...]) -> bool:
    return any(
        q.pos[2] + q.dims[2] == pos[2]
        and q.pos[0] < pos[0] + dims[0]
        and pos[0] < q.pos[0] + q.dims[0]
        and q.pos[1] < pos[1] + dims[1]
        and pos[1] < q.pos[1] + q.dims[1]
        for q in packed.placements
    )


def test_single_box_mode_packs_the_most_volume_and_leaves_the_rest() -> None:
    items = [Item("big", (60, 60, 60), 0), Item("small", (30, 30, 30), 0, qty=9)]
    answer = cartonize(items, [box("c", (90, 60, 60))], mode="single_box")
    assert len(answer.cartons) == 1
    assert answer.cartons[0].item_volume == 60**3 + 4 * 30**3
    assert Counter(answer.unpacked) == {"small": 5}


def test_skeleton_catalog_and_units_convert() -> None:
    ct = CartonType("BOX-S", "Small", (200, 150, 100), (210, 160, 110), 100, 5_000, 50)
    units = [Unit("SKU1", (50, 50, 50), 200)] * 3 + [Unit("SKU2", (20, 20, 20), 10)]
    items = items_from_units(units)
    assert [(i.id, i.qty) for i in items] == [("SKU1", 3), ("SKU2", 1)]
    answer = cartonize(items, [carton_from_type(ct)])
    assert [c.carton.id for c in answer.cartons] == ["BOX-S"]
    assert answer.cartons[0].gross_weight == 100 + 610


# -- the validator catches broken answers -----------------------------------------------------


@pytest.fixture
def valid_pair() -> tuple[dict[str, Any], dict[str, Any]]:
    items = [
        Item("flat", (40, 30, 10), 400, qty=2, keep_flat=True),
        Item("cube", (20, 20, 20), 300, qty=2),
    ]
    catalog = [box("b", (60, 40, 30), tare=100, max_weight=2000)]
    instance = instance_json(items, catalog)
    result = solve_json(instance)
    assert validate(instance, result) == []
    assert len(result["boxes"]) == 1
    return instance, result


def test_validator_catches_overlap(valid_pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    instance, result = valid_pair
    broken = copy.deepcopy(result)
    placements = broken["boxes"][0]["items"]
    placements[1]["pos"] = list(placements[0]["pos"])
    assert any("overlap" in p for p in validate(instance, broken))


def test_validator_catches_out_of_bounds(valid_pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    instance, result = valid_pair
    broken = copy.deepcopy(result)
    broken["boxes"][0]["items"][0]["pos"] = [59, 0, 0]
    assert any("leaves inner" in p for p in validate(instance, broken))
    broken["boxes"][0]["items"][0]["pos"] = [-1, 0, 0]
    assert any("leaves inner" in p for p in validate(instance, broken))


def test_validator_catches_wrong_rotation(
    valid_pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    instance, result = valid_pair
    broken = copy.deepcopy(result)
    flat = next(p for p in broken["boxes"][0]["items"] if p["item_id"] == "flat")
    flat["dims"] = [40, 10, 30]  # on its side: keep_flat forbids it
    assert any("not an allowed turn" in p for p in validate(instance, broken))
    flat["dims"] = [40, 30, 11]  # not the item's extents at all
    assert any("not an allowed turn" in p for p in validate(instance, broken))


def test_validator_catches_overweight(valid_pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
    instance, result = valid_pair
    heavier = copy.deepcopy(instance)
    heavier["boxes"][0]["max_weight"] = 1000  # 100 g tare + 1400 g of units
    assert any("gross weight" in p for p in validate(heavier, result))


def test_validator_catches_missing_and_duplicated_units(
    valid_pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    instance, result = valid_pair
    missing = copy.deepcopy(result)
    missing["boxes"][0]["items"].pop()
    assert any("units accounted for" in p for p in validate(instance, missing))
    twice = copy.deepcopy(result)
    twice["unpacked"].append(twice["boxes"][0]["items"][0]["item_id"])
    twice["status"] = "partial"
    assert any("units accounted for" in p for p in validate(instance, twice))


def test_validator_catches_bad_cartons_and_needless_unpacked_units(
    valid_pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    instance, result = valid_pair
    unknown = copy.deepcopy(result)
    unknown["boxes"][0]["box_id"] = "nope"
    assert any("not in the instance's catalog" in p for p in validate(instance, unknown))
    empty = copy.deepcopy(result)
    empty["boxes"].append({"box_id": "b", "items": []})
    assert any("empty carton" in p for p in validate(instance, empty))
    lazy = copy.deepcopy(result)
    lazy["unpacked"].append(lazy["boxes"][0]["items"].pop()["item_id"])
    lazy["status"] = "partial"
    assert any("fits a catalog carton" in p for p in validate(instance, lazy))
    failed = dict(result, status="timeout")
    assert validate(instance, failed) != []


def test_validator_allows_one_container_only_in_single_box_mode(
    valid_pair: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    instance, result = valid_pair
    single = dict(instance, mode="single_box")
    split = copy.deepcopy(result)
    moved = split["boxes"][0]["items"].pop()
    moved["pos"] = [0, 0, 0]
    split["boxes"].append({"box_id": "b", "items": [moved]})
    assert validate(instance, split) == []
    assert any("single_box" in p for p in validate(single, split))


# -- BoxPacker's behaviour scenarios ----------------------------------------------------------


@functools.cache
def _load_shared() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(SHARED.read_text(encoding="utf-8"))["instances"])


def _shared_instances(group: str) -> list[dict[str, Any]]:
    if not SHARED.exists():
        pytest.skip(f"shared benchmark instances not found at {SHARED}")
    return [i for i in _load_shared() if i["group"] == group]


def _volume(d: list[int]) -> int:
    return d[0] * d[1] * d[2]


def test_behat_scenarios_match_or_beat_boxpacker() -> None:
    instances = _shared_instances("behat")
    assert len(instances) == 22
    for inst in instances:
        result = solve_json(inst)
        assert validate(inst, result) == [], inst["id"]
        ref = inst["reference"]
        used = Counter(b["box_id"] for b in result["boxes"])
        unpacked = Counter(result["unpacked"])
        if "boxpacker_boxes" in ref:
            assert len(result["boxes"]) <= ref["boxpacker_boxes"], inst["id"]
        if "boxpacker_box_types" in ref:
            inner = {b["id"]: _volume(b["inner"]) for b in inst["boxes"]}
            ours = sum(inner[k] * n for k, n in used.items())
            theirs = sum(inner[k] * n for k, n in ref["boxpacker_box_types"].items())
            assert ours <= theirs, inst["id"]
        expected_unpacked = {k: v for k, v in ref.get("boxpacker_unpacked_counts", {}).items() if v}
        if "boxpacker_box_types" in ref:
            assert dict(unpacked) == expected_unpacked, inst["id"]
        if "boxpacker_packed_counts" in ref:
            dims = {it["id"]: _volume(it["dims"]) for it in inst["items"]}
            packed = Counter(p["item_id"] for b in result["boxes"] for p in b["items"])
            ref_volume = sum(dims[k] * n for k, n in ref["boxpacker_packed_counts"].items())
            assert sum(dims[k] * n for k, n in packed.items()) >= ref_volume, inst["id"]


def test_behat_box_choices_are_boxpackers() -> None:
    for inst in _shared_instances("behat"):
        ref = inst["reference"]
        if "boxpacker_box_types" not in ref:
            continue
        used = Counter(b["box_id"] for b in solve_json(inst)["boxes"])
        expected = {k: v for k, v in ref["boxpacker_box_types"].items() if v}
        assert dict(used) == expected, inst["id"]


def test_behat_single_box_packed_counts_are_boxpackers_or_as_much_volume() -> None:
    for inst in _shared_instances("behat"):
        ref = inst["reference"]
        if "boxpacker_packed_counts" not in ref:
            continue
        result = solve_json(inst)
        packed = Counter(p["item_id"] for b in result["boxes"] for p in b["items"])
        expected = {k: v for k, v in ref["boxpacker_packed_counts"].items() if v}
        if dict(packed) != expected:
            # e.g. three equal-volume units of which any two fit the weight limit
            dims = {it["id"]: _volume(it["dims"]) for it in inst["items"]}
            assert sum(dims[k] * n for k, n in packed.items()) >= sum(
                dims[k] * n for k, n in expected.items()
            ), inst["id"]


def test_packrift_orders_get_boxpackers_cartons() -> None:
    for inst in _shared_instances("packrift"):
        result = solve_json(inst)
        assert validate(inst, result) == []
        ref = inst["reference"]
        used = Counter(b["box_id"] for b in result["boxes"])
        assert dict(used) == {k: v for k, v in ref.get("boxpacker_box_types", {}).items() if v}
        assert dict(Counter(result["unpacked"])) == ref.get("boxpacker_unpacked_counts", {})


# -- the CLI ----------------------------------------------------------------------------------


def test_cli_writes_the_results_format(tmp_path: Path) -> None:
    items = [Item("a", (30, 20, 10), 50, qty=3), Item("huge", (500, 500, 500), 1)]
    doc = {
        "format": "carton-instances/v1",
        "units": {"length": "mm", "weight": "g"},
        "instances": [
            instance_json(items, [box("m", (60, 40, 20))], iid="one"),
            {**instance_json(items[:1], [box("m", (60, 40, 20))], iid="two"), "group": "other"},
        ],
    }
    src, out = tmp_path / "in.json", tmp_path / "out.json"
    src.write_text(json.dumps(doc))
    assert cartonize_main([str(src), "-o", str(out), "--group", "test", "--check"]) == 0
    results = json.loads(out.read_text())
    assert results["packer"] == "dockhand"
    assert isinstance(results["packer_version"], str)
    (r,) = results["results"]
    assert r["id"] == "one" and r["status"] == "partial" and r["unpacked"] == ["huge"]
    assert isinstance(r["time_ms"], float)
    assert [b["box_id"] for b in r["boxes"]] == ["m"]
    assert set(r["boxes"][0]["items"][0]) == {"item_id", "pos", "dims"}
    assert validate(doc["instances"][0], r) == []
    assert cartonize_main([str(src), "-o", str(out), "--limit", "1"]) == 0
    assert [r["id"] for r in json.loads(out.read_text())["results"]] == ["one", "two"]


def test_cli_rejects_a_file_of_another_format(tmp_path: Path) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"format": "something-else", "instances": []}))
    assert cartonize_main([str(src), "-o", str(tmp_path / "out.json")]) == 2


def test_bad_input_is_refused() -> None:
    catalog = [box("b", (100, 100, 100))]
    with pytest.raises(ValueError, match="unique"):
        cartonize([Item("a", (1, 1, 1), 1), Item("a", (2, 2, 2), 1)], catalog)
    with pytest.raises(ValueError, match="positive"):
        cartonize([Item("a", (0, 1, 1), 1)], catalog)
    with pytest.raises(ValueError, match="catalog"):
        cartonize([Item("a", (1, 1, 1), 1)], [])


def test_a_big_catalog_still_answers_quickly() -> None:
    catalog = [
        box(f"c{n}", (40 + 13 * n, 30 + 11 * (n % 7), 20 + 17 * (n % 5)), 50, 4000)
        for n in range(25)
    ]
    items = [Item(f"i{k}", (20 + 7 * k, 15 + 5 * k, 10 + 3 * k), 300, qty=4) for k in range(8)]
    instance = instance_json(items, catalog)
    result = solve_json(instance)
    assert validate(instance, result) == []
    assert len(result["boxes"]) >= 2
