"""The layer-by-layer placement diagram (app/domain/pack_diagram.py)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.domain.carton_choice import Destination, choose_cartons
from app.domain.cartons import CartonType, Unit
from app.domain.pack_diagram import (
    MAX_LAYERS,
    DiagramUnit,
    layers,
    packing_order,
    render_pack_diagram_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
INNER = (400, 300, 200)


def two_layers() -> list[DiagramUnit]:
    return [
        DiagramUnit("MUG", (0, 0, 100), (120, 95, 95)),  # on top of the first mug
        DiagramUnit("MUG", (0, 0, 0), (120, 95, 100)),
        DiagramUnit("LAMP", (120, 0, 0), (180, 160, 190)),  # stands up through layer 2
        DiagramUnit("MUG", (300, 0, 0), (100, 95, 95)),
    ]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # our own output: must be well-formed XML


def test_units_are_numbered_bottom_first_back_to_front_left_to_right() -> None:
    order = packing_order(two_layers())
    assert [(u.sku, u.pos_mm) for u in order] == [
        ("MUG", (0, 0, 0)),
        ("LAMP", (120, 0, 0)),
        ("MUG", (300, 0, 0)),
        ("MUG", (0, 0, 100)),
    ]


def test_a_layer_starts_at_each_height_a_unit_is_set_down() -> None:
    found = layers(two_layers())
    assert [(layer.z_mm, layer.top_mm) for layer in found] == [(0, 190), (100, 195)]
    assert [n for n, _ in found[0].units] == [1, 2, 3]
    assert [n for n, _ in found[1].units] == [4]
    # The lamp stands from 0 to 190 mm: it takes room in the layer that starts at 100.
    assert [(n, u.sku) for n, u in found[1].through] == [(2, "LAMP")]


def test_svg_has_one_panel_per_layer_and_every_unit_numbered_once() -> None:
    root = parse(render_pack_diagram_svg("BOX-M", INNER, two_layers()))
    assert root.tag == f"{SVG}svg"
    panels = root.findall(f"{SVG}g")
    assert [p.get("data-layer") for p in panels] == ["1", "2"]
    numbers = [
        t.text for p in panels for t in p.findall(f"{SVG}text") if t.text and t.text.isdigit()
    ]
    assert sorted(numbers, key=int) == ["1", "2", "3", "4"]
    titles = "".join(t.text or "" for t in root.iter(f"{SVG}title"))
    assert "LAMP 180×160×190 mm" in titles
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert "Layer 1 · bottom · 0–190 mm" in texts
    assert "Layer 2 · top · 100–195 mm" in texts
    assert "MUG × 3: units 1, 3, 4" in texts
    assert "LAMP × 1: units 2" in texts


def test_units_stay_inside_the_carton_outline_at_scale() -> None:
    root = parse(render_pack_diagram_svg("BOX-M", INNER, two_layers()))
    panel = root.findall(f"{SVG}g")[0]
    rects = panel.findall(f"{SVG}rect")
    outline, boxes = rects[0], rects[1:]
    x0, y0 = float(outline.get("x") or 0), float(outline.get("y") or 0)
    w, h = float(outline.get("width") or 0), float(outline.get("height") or 0)
    assert w / h == pytest.approx(400 / 300, rel=0.01)
    for r in boxes:
        x, y = float(r.get("x") or 0), float(r.get("y") or 0)
        assert x0 - 0.01 <= x and x + float(r.get("width") or 0) <= x0 + w + 0.01
        assert y0 - 0.01 <= y and y + float(r.get("height") or 0) <= y0 + h + 0.01


def test_sku_and_carton_text_is_escaped() -> None:
    nasty = '<script>alert("x")</script>&'
    svg = render_pack_diagram_svg(
        'BOX-"M"', INNER, [DiagramUnit(nasty, (0, 0, 0), (100, 100, 100))]
    )
    assert "<script>" not in svg
    root = parse(svg)  # still well-formed
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    assert any(nasty in t for t in texts)
    assert 'Carton BOX-"M": 1 unit(s), 1 layer(s)' in (root.get("aria-label") or "")


def test_the_same_placements_give_the_same_svg() -> None:
    units = two_layers()
    assert render_pack_diagram_svg("BOX-M", INNER, units) == render_pack_diagram_svg(
        "BOX-M", INNER, list(reversed(units))
    )


def test_an_empty_carton_and_bad_dimensions() -> None:
    assert "Empty carton" in render_pack_diagram_svg("BOX-M", INNER, [])
    with pytest.raises(ValueError):
        render_pack_diagram_svg("BOX-M", (0, 300, 200), [])


def test_layers_beyond_the_limit_are_counted_not_drawn() -> None:
    units = [DiagramUnit("SHEET", (0, 0, z), (100, 100, 1)) for z in range(MAX_LAYERS + 3)]
    root = parse(render_pack_diagram_svg("BOX-M", INNER, units))
    assert len(root.findall(f"{SVG}g")) == MAX_LAYERS
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "+ 3 more layer(s) not drawn" in texts
    assert f"SHEET × {MAX_LAYERS + 3}: units 1–{MAX_LAYERS + 3}" in texts


def test_a_recommendation_draws_as_a_diagram_of_all_its_units() -> None:
    box = CartonType("BOX-M", "Medium", (400, 300, 200), (408, 308, 208), 290, 20_000, 41)
    order = [Unit("MUG", (120, 95, 95), 350)] * 7 + [Unit("TSHIRT", (300, 250, 20), 180)] * 2
    choice = choose_cartons(order, [box], destination=Destination("GB", "standard"))
    (planned,) = choice.cartons
    units = [DiagramUnit(p.item_id, p.pos, p.dims) for p in planned.placements]
    root = parse(render_pack_diagram_svg("BOX-M", box.inner_mm, units))
    drawn = [
        r
        for g in root.findall(f"{SVG}g")
        for r in g.findall(f"{SVG}rect")
        if r.find(f"{SVG}title") is not None
    ]
    solid = [r for r in drawn if r.get("stroke-dasharray") is None]
    assert len(solid) == 9
