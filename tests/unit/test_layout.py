"""The warehouse layout file: parsing, validation with the key named, the locations it
defines, and the walking grid it hands the router (app/domain/layout.py)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from app.adapters.config_files import load_layout
from app.domain.layout import LayoutError, parse_layout
from app.domain.paths import Stop
from app.domain.routing import Geometry, Method, route, route_length

CONFIG = Path(__file__).resolve().parents[2] / "config" / "warehouse.toml"


def doc(**over: Any) -> dict[str, Any]:
    """A small valid layout document, with top-level tables replaced by `over`."""
    base: dict[str, Any] = {
        "layout": {"aisle_pitch_mm": 3000, "bay_pitch_mm": 1200, "front_cross_aisle_mm": 2000},
        "cross_aisles": {"back": True, "middle_after_bays": []},
        "zones": [
            {
                "code": "A",
                "first_aisle": 1,
                "aisles": 2,
                "bays": 4,
                "levels": 3,
                "pick_levels": [1, 2],
            },
        ],
        "special": {"pack": {"code": "P00-00-1", "x_mm": 0, "y_mm": 2000}},
    }
    base.update(over)
    return base


def zone(**over: Any) -> dict[str, Any]:
    z: dict[str, Any] = {"code": "A", "aisles": 2, "bays": 4, "levels": 3}
    z.update(over)
    return z


def problems(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(LayoutError) as info:
        parse_layout(data)
    return dict(info.value.problems)


# --- the demo layout ------------------------------------------------------------------------


def test_the_demo_layout_keeps_every_code_the_tests_and_the_floor_know() -> None:
    layout = load_layout(CONFIG)
    locs = {p.code: p for p in layout.locations()}
    assert len([p for p in locs.values() if p.kind in ("pick", "reserve")]) == 10 * 12 * 3
    for code in ("A01-01-1", "A01-03-2", "A03-07-2", "A09-09-3", "A10-12-3"):
        assert code in locs
    assert locs["A03-07-2"].kind == "pick" and locs["A03-07-3"].kind == "reserve"
    assert (locs["A03-07-2"].x_mm, locs["A03-07-2"].y_mm) == (9000, 2000 + 7 * 1200)
    assert layout.special == {
        "pack": "P00-00-1",
        "ship": "S00-00-1",
        "returns": "R00-00-1",
        "quarantine": "Q00-00-1",
        "receiving": "D00-00-1",
    }
    assert locs["P00-00-1"].kind == "pack" and locs["P00-00-1"].y_mm == 2000


def test_the_demo_grid_is_the_one_the_router_always_walked() -> None:
    geo = load_layout(CONFIG).geometry()
    assert geo == Geometry.regular(
        aisles=10, aisle_pitch_mm=3000, front_mm=2000, aisle_length_mm=13 * 1200
    )


def test_the_first_layout_format_still_loads_with_its_top_level_as_reserve() -> None:
    legacy = {
        "layout": {
            "zone": "A",
            "aisles": 10,
            "bays_per_aisle": 12,
            "levels": 3,
            "aisle_pitch_mm": 3000,
            "bay_pitch_mm": 1200,
            "front_cross_aisle_mm": 2000,
        },
        "special": {"pack": "P00-00-1", "returns": "R00-00-1"},
    }
    old = parse_layout(legacy)
    new = load_layout(CONFIG)
    storage = lambda lay: [p for p in lay.locations() if p.kind in ("pick", "reserve")]  # noqa: E731
    assert storage(old) == storage(new)
    assert old.special == {"pack": "P00-00-1", "returns": "R00-00-1"}


# --- zones, positions, pick faces -----------------------------------------------------------


def test_zones_positions_and_pick_levels_make_the_locations() -> None:
    layout = parse_layout(
        doc(
            zones=[
                zone(code="A", aisles=2, bays=2, levels=3, pick_levels=[1, 2]),
                zone(
                    code="B",
                    first_aisle=3,
                    aisles=1,
                    bays=2,
                    levels=2,
                    positions=3,
                    pick_levels=[1],
                ),
            ]
        )
    )
    locs = list(layout.locations())
    codes = [p.code for p in locs]
    assert codes[:3] == ["A01-01-1", "A01-01-2", "A01-01-3"]
    assert "B03-02-2-3" in codes and "B03-02-2" in codes and "B03-02-2-1" not in codes
    assert len([c for c in codes if c.startswith("B")]) == 1 * 2 * 2 * 3
    kinds = {p.code: p.kind for p in locs}
    assert kinds["B03-01-1-2"] == "pick" and kinds["B03-01-2-2"] == "reserve"
    # Positions share the bay's width, left to right, centred on the bay as a whole.
    ys = [p.y_mm for p in locs if p.code.startswith("B03-01-1")]
    assert ys == [2000 + 1200 - 400, 2000 + 1200, 2000 + 1200 + 400]
    # Zone B carries on from zone A: aisle 3 stands one pitch past aisle 2.
    assert {p.x_mm for p in locs if p.zone == "B"} == {9000}


def test_a_zone_can_stand_elsewhere_with_its_own_pitch() -> None:
    layout = parse_layout(
        doc(
            zones=[
                zone(),
                zone(code="C", first_aisle=20, aisles=2, origin_x_mm=50_000, aisle_pitch_mm=2500),
            ]
        )
    )
    geo = layout.geometry()
    assert geo.aisle_x_mm == {1: 3000, 2: 6000, 20: 52_500, 21: 55_000}


def test_middle_cross_aisles_reach_the_router_and_it_uses_them() -> None:
    layout = parse_layout(
        doc(
            zones=[zone(aisles=6, bays=12), zone(code="B", first_aisle=7, aisles=2, bays=12)],
            cross_aisles={"back": True, "middle_after_bays": [6]},
        )
    )
    geo = layout.geometry(depot_x_mm=0)
    assert geo.cross_aisles_mm == (2000, 2000 + 6 * 1200 + 600, 2000 + 13 * 1200)
    assert not geo.single_block
    # Picks just past bay 6 and bay 7 in aisles far apart: crossing in the middle is shorter.
    by_code = {p.code: p for p in layout.locations()}
    stops = [
        Stop(i, by_code[c].aisle, by_code[c].y_mm)
        for i, c in enumerate(["A01-06-1", "A01-07-1", "B08-06-1", "B08-07-1", "A04-07-2"])
    ]
    walk = route(geo, stops)
    assert walk.method in (Method.LARGEST_GAP, Method.COMBINED, Method.LOCAL)
    assert sorted(s.key for s in walk.stops) == list(range(5))
    no_middle = layout.geometry(middle_after_bays=())
    assert walk.length_mm < route(no_middle, stops).length_mm
    assert walk.length_mm == route_length(geo, walk.stops)


def test_without_a_back_cross_aisle_the_aisles_are_dead_ends() -> None:
    layout = parse_layout(doc(cross_aisles={"back": False}))
    assert layout.geometry().cross_aisles_mm == (2000,)


# --- validation: every problem, by key --------------------------------------------------------


def test_missing_and_mistyped_keys_are_named() -> None:
    found = problems(
        doc(
            layout={"aisle_pitch_mm": "3000", "bay_pitch_mm": 1200},
            zones=[{"code": "a", "aisles": 0, "bays": 12, "levels": 12, "bay": 3}],
        )
    )
    assert found["layout.aisle_pitch_mm"] == "must be a whole number from 500 to 100000"
    assert found["layout.front_cross_aisle_mm"] == "is required"
    assert found["zones[0].code"].startswith("must be one capital letter")
    assert found["zones[0].aisles"] == "must be from 1 to 99, not 0"
    assert found["zones[0].levels"] == "must be from 1 to 9, not 12"
    assert found["zones[0].bay"] == "unknown key (did you mean bays?)"


def test_the_error_message_names_the_file_and_every_key() -> None:
    with pytest.raises(LayoutError) as info:
        parse_layout(doc(zones=[zone(levels=0, pick_levels=[5])]), "config/warehouse.toml")
    text = str(info.value)
    assert text.startswith("config/warehouse.toml: ")
    assert "zones[0].levels: must be from 1 to 9, not 0" in text
    assert "zones[0].pick_levels: levels [5] are not in 1..1" in text


@pytest.mark.parametrize(
    ("over", "key", "reason"),
    [
        ({"zones": []}, "zones", "is required: at least one [[zones]] table"),
        (
            {"zones": [zone(), zone(code="A", first_aisle=3)]},
            "zones[1].code",
            "zone A is already zones[0]",
        ),
        (
            {"zones": [zone(), zone(code="B", first_aisle=2)]},
            "zones[1].first_aisle",
            "aisle 2 is already in zone A: aisle numbers are unique in the warehouse",
        ),
        (
            {"zones": [zone(), zone(code="B", first_aisle=5, origin_x_mm=0)]},
            "zones[1].origin_x_mm",
            "aisle 5 stands at x=3000 mm like aisle 1 of zone A",
        ),
        (
            {"zones": [zone(first_aisle=98, aisles=5)]},
            "zones[0].aisles",
            "aisles 98 to 102: aisle numbers stop at 99",
        ),
        (
            {"zones": [zone(pick_levels="1,2")]},
            "zones[0].pick_levels",
            "must be a list of level numbers, e.g. [1, 2]",
        ),
        ({"zones": [zone(pick_levels=[1, 1])]}, "zones[0].pick_levels", "lists a level twice"),
        (
            {"cross_aisles": {"middle_after_bays": [4]}},
            "cross_aisles.middle_after_bays",
            "bays [4] are not between the first and the last bay (1..3)",
        ),
        (
            {"cross_aisles": {"back": False, "middle_after_bays": [2]}},
            "cross_aisles.middle_after_bays",
            "middle cross aisles need the back cross aisle (cross_aisles.back = true)",
        ),
        ({"cross_aisles": {"back": "yes"}}, "cross_aisles.back", "must be true or false"),
        (
            {"cross_aisles": {"front": 2000}},
            "cross_aisles.front",
            "unknown key",
        ),
        (
            {"special": {"pack": "PACK-1"}},
            "special.pack",
            '"PACK-1" is not a location code such as "P00-00-1"',
        ),
        (
            {"special": {"pack": "A01-01-1"}},
            "special.pack",
            "A01-01-1 would be a rack location of zone A: use aisle 00",
        ),
        (
            {"special": {"pack": "P00-00-1", "ship": {"code": "P00-00-1"}}},
            "special.ship.code",
            "P00-00-1 is already special.pack",
        ),
        (
            {"special": {"pick": "P00-00-1"}},
            "special.pick",
            "a special location's kind is a lower-case word other than pick/reserve",
        ),
        (
            {"special": {"pack": {"code": "P00-00-1", "x": 5}}},
            "special.pack.x",
            "unknown key (did you mean x_mm?)",
        ),
        ({"shelves": {}}, "shelves", "unknown key"),
    ],
)
def test_each_mistake_is_reported_with_its_key(over: dict[str, Any], key: str, reason: str) -> None:
    assert problems(doc(**over)).get(key) == reason


def test_a_file_that_is_not_toml_is_a_layout_error_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "warehouse.toml"
    bad.write_text("[layout\naisles = 3\n")
    with pytest.raises(LayoutError) as info:
        load_layout(bad)
    assert info.value.keys == ["(file)"]
    assert str(bad) in str(info.value)


def test_the_shipped_file_is_valid_toml_with_no_unknown_keys() -> None:
    with CONFIG.open("rb") as fh:
        parse_layout(tomllib.load(fh))
