"""The placement diagram a packer follows: the carton seen from above, one panel per layer.

A layer starts at each height where a unit is set down (the bottom first). In a layer's panel
the units set down at that height are drawn solid, numbered in packing order and coloured by
SKU; units from lower layers that stand up through it are drawn hatched, so the packer sees
the space they take. A legend lists the SKUs with their colours and unit numbers.

Pure and deterministic: the same carton and placements give the same SVG text. Every text
that comes from data (carton and SKU codes) is XML-escaped, so a SKU called `<script>` is
drawn as those characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

# High-contrast fills with black text readable on each (floor screens, arm's length).
PALETTE = (
    "#7fb3ff",
    "#ffcf5c",
    "#8ee08e",
    "#ff9e9e",
    "#c9a7ff",
    "#6fd6d0",
    "#ffb36b",
    "#d4d4d4",
    "#f7a8e0",
    "#b5d96b",
)
PANEL_W = 300  # px available for the carton's length
PANEL_H = 210  # px available for its width
GAP = 24
TITLE_H = 30
COLUMNS = 3
MAX_LAYERS = 12


@dataclass(frozen=True)
class DiagramUnit:
    sku: str
    pos_mm: tuple[int, int, int]
    dims_mm: tuple[int, int, int]


@dataclass(frozen=True)
class Layer:
    z_mm: int
    top_mm: int
    units: tuple[tuple[int, DiagramUnit], ...]  # (unit number, unit) set down here
    through: tuple[tuple[int, DiagramUnit], ...]  # from lower layers, standing up through it


def packing_order(units: Sequence[DiagramUnit]) -> list[DiagramUnit]:
    """Bottom first, then back to front, left to right: the order a person fills a box."""
    return sorted(units, key=lambda u: (u.pos_mm[2], u.pos_mm[1], u.pos_mm[0], u.sku))


def layers(units: Sequence[DiagramUnit]) -> list[Layer]:
    numbered = list(enumerate(packing_order(units), start=1))
    heights = sorted({u.pos_mm[2] for _, u in numbered})
    out = []
    for z in heights:
        here = tuple((n, u) for n, u in numbered if u.pos_mm[2] == z)
        through = tuple((n, u) for n, u in numbered if u.pos_mm[2] < z < u.pos_mm[2] + u.dims_mm[2])
        top = max(u.pos_mm[2] + u.dims_mm[2] for _, u in here)
        out.append(Layer(z, top, here, through))
    return out


def _colours(units: Sequence[DiagramUnit]) -> dict[str, str]:
    skus: list[str] = []
    for u in packing_order(units):
        if u.sku not in skus:
            skus.append(u.sku)
    return {sku: PALETTE[i % len(PALETTE)] for i, sku in enumerate(skus)}


def _fmt(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(
    x: float, y: float, body: str, size: int = 14, weight: str = "normal", **attrs: str
) -> str:
    extra = "".join(f" {k.replace('_', '-')}={quoteattr(v)}" for k, v in attrs.items())
    return (
        f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" font-weight="{weight}"'
        f"{extra}>{escape(body)}</text>"
    )


def render_pack_diagram_svg(
    carton_code: str,
    inner_mm: tuple[int, int, int],
    units: Sequence[DiagramUnit],
    *,
    title: str | None = None,
) -> str:
    """The diagram of one carton as a standalone SVG document (UTF-8 text)."""
    length, width, height = inner_mm
    if min(length, width, height) <= 0:
        raise ValueError(f"carton {carton_code!r}: inner dimensions must be positive")
    all_layers = layers(units)
    shown = all_layers[:MAX_LAYERS]
    colours = _colours(units)
    scale = min(PANEL_W / length, PANEL_H / width)
    pw, ph = length * scale, width * scale
    cols = max(1, min(COLUMNS, len(shown)))
    rows = max(1, -(-len(shown) // cols))
    head = 34
    legend_rows = len(colours) + (1 if len(all_layers) > MAX_LAYERS else 0)
    heading = title or f"Carton {carton_code}: {len(units)} unit(s), {len(all_layers)} layer(s)"
    order = packing_order(units)
    legend = [
        (sku, colour, [n for n, u in enumerate(order, start=1) if u.sku == sku])
        for sku, colour in colours.items()
    ]
    lines = [f"{sku} × {len(ns)}: units {_ranges(ns)}" for sku, _, ns in legend]
    # Wide enough for the heading and the legend at roughly 9 and 8 px per character.
    text_w = max([len(heading) * 9] + [len(line) * 8 + 24 for line in lines])
    total_w = max(GAP + cols * (pw + GAP), 2 * GAP + min(text_w, 1600))
    legend_y = head + rows * (ph + TITLE_H + GAP)
    total_h = legend_y + 22 * legend_rows + GAP
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_fmt(total_w)}" '
        f'height="{_fmt(total_h)}" viewBox="0 0 {_fmt(total_w)} {_fmt(total_h)}" role="img" '
        f'aria-label={quoteattr(heading)} font-family="sans-serif">',
        f"<title>{escape(heading)}</title>",
        '<defs><pattern id="below" width="8" height="8" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="8" height="8" fill="#eeeeee"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#777777" stroke-width="3"/></pattern></defs>',
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        _text(GAP, 24, heading, 16, "bold"),
    ]
    if not shown:
        out.append(_text(GAP, head + 30, "Empty carton", 14))
    for i, layer in enumerate(shown):
        col, row = i % cols, i // cols
        x0 = GAP + col * (pw + GAP)
        y0 = head + row * (ph + TITLE_H + GAP) + TITLE_H
        where = "bottom" if i == 0 else ("top" if i == len(all_layers) - 1 else "")
        label = f"Layer {i + 1}{' · ' + where if where else ''} · {layer.z_mm}–{layer.top_mm} mm"
        out.append(f'<g class="layer" data-layer="{i + 1}">')
        out.append(_text(x0, y0 - 8, label, 14, "bold"))
        out.append(
            f'<rect x="{_fmt(x0)}" y="{_fmt(y0)}" width="{_fmt(pw)}" height="{_fmt(ph)}" '
            'fill="#fafafa" stroke="#000000" stroke-width="2"/>'
        )
        for _, u in layer.through:
            out.append(_box(x0, y0, scale, u, "url(#below)", "#555555", dashed=True))
        for n, u in layer.units:
            out.append(_box(x0, y0, scale, u, colours[u.sku], "#000000"))
            cx = x0 + (u.pos_mm[0] + u.dims_mm[0] / 2) * scale
            cy = y0 + (u.pos_mm[1] + u.dims_mm[1] / 2) * scale
            size = 14 if min(u.dims_mm[0], u.dims_mm[1]) * scale >= 18 else 10
            out.append(_text(cx, cy + size / 3, str(n), size, "bold", text_anchor="middle"))
        out.append("</g>")
    y = legend_y
    for (_, colour, _), line in zip(legend, lines, strict=True):
        out.append(
            f'<rect x="{GAP}" y="{_fmt(y)}" width="16" height="16" fill="{colour}" '
            'stroke="#000000"/>'
        )
        out.append(_text(GAP + 24, y + 13, line, 13))
        y += 22
    if len(all_layers) > MAX_LAYERS:
        more = len(all_layers) - MAX_LAYERS
        out.append(_text(GAP, y + 13, f"+ {more} more layer(s) not drawn", 13, "bold"))
    out.append("</svg>")
    return "".join(out)


def _ranges(numbers: Sequence[int]) -> str:
    """1, 2, 3, 5, 7, 8 -> "1–3, 5, 7, 8": runs of three or more as a range."""
    parts: list[str] = []
    i = 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        if j - i >= 2:
            parts.append(f"{numbers[i]}–{numbers[j]}")
        else:
            parts.extend(str(n) for n in numbers[i : j + 1])
        i = j + 1
    return ", ".join(parts)


def _box(
    x0: float, y0: float, scale: float, u: DiagramUnit, fill: str, stroke: str, dashed: bool = False
) -> str:
    dash = ' stroke-dasharray="4 3"' if dashed else ""
    return (
        f'<rect x="{_fmt(x0 + u.pos_mm[0] * scale)}" y="{_fmt(y0 + u.pos_mm[1] * scale)}" '
        f'width="{_fmt(u.dims_mm[0] * scale)}" height="{_fmt(u.dims_mm[1] * scale)}" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"{dash}>'
        f"<title>{escape(u.sku)} {u.dims_mm[0]}×{u.dims_mm[1]}×{u.dims_mm[2]} mm</title></rect>"
    )
