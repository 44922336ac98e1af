"""Carton content label: a 4x6 inch PDF stuck on the outside of a packed carton, saying what is
inside without opening it (exceptions shelf, returns, a dispute, a multi-carton order).

Layout, top to bottom::

    +--------------------------------------------+
    | CARTON CONTENTS              carton 1 of 2 |
    | ||| Code 128 of the carton code |||        |
    |               CT000123                     |
    +--------------------------------------------+
    | Order SO-1001   allocation AL-1            |
    | To: name, city, country                    |
    | BOX-M · expected 1.24 kg · 3 units         |
    +--------------------------------------------+
    | QTY  SKU            item                   |
    |  2   TSHIRT-BLK-S   T-shirt black S        |
    |  ... (lines that do not fit: "+ N more")   |
    +--------------------------------------------+
    | packed by U0040 at 2026-11-27 10:14 UTC    |
    +--------------------------------------------+

Pure and deterministic (reportlab `invariant=1`): data in, bytes out. Text is drawn with
`drawString`, never parsed as markup, made printable and cut to fit its column.
"""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from typing import Any

from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from labels._barcode import draw_centered_code128
from labels._text import printable, truncate

PAGE_WIDTH = 4 * inch
PAGE_HEIGHT = 6 * inch
MARGIN = 10.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
MONO_BOLD = "Courier-Bold"
LINE_H = 15.0
_TABLE_TOP = 250.0
_FOOTER_TOP = 40.0


@dataclass(frozen=True)
class ContentLine:
    sku: str
    name: str
    qty: int


@dataclass(frozen=True)
class CartonContents:
    carton_code: str
    order_number: str
    allocation_id: str
    carton_index: int
    carton_count: int
    carton_type: str
    expected_weight_g: int
    lines: tuple[ContentLine, ...]
    ship_to_name: str = ""
    ship_to_place: str = ""
    packed_by: str = ""
    packed_at: str = ""  # already formatted: the renderer reads no clock and no time zone


def _kg(grams: int) -> str:
    return f"{grams / 1000:.2f} kg"


def _validate(c: CartonContents) -> None:
    if c.carton_index < 1 or c.carton_count < c.carton_index:
        raise ValueError(f"carton {c.carton_index} of {c.carton_count} makes no sense")
    for line in c.lines:
        if isinstance(line.qty, bool) or not isinstance(line.qty, int) or line.qty < 0:
            raise ValueError(f"qty of {line.sku!r} must be a non-negative int, got {line.qty!r}")


def _text(canvas: Any, x: float, y: float, text: str, font: str, size: float, room: float) -> None:
    canvas.setFont(font, size)
    canvas.drawString(x, y, truncate(printable(text), font, size, room))


def render_carton_content_pdf(contents: CartonContents) -> bytes:
    """One 4x6 inch page. ValueError for a carton code Code 128 cannot carry, a negative
    quantity or an impossible carton number."""
    _validate(contents)
    buffer = BytesIO()
    canvas: Any = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    canvas.setTitle(f"Carton contents {printable(contents.carton_code)}")
    canvas.setAuthor("Dockhand")
    canvas.setCreator("Dockhand labels")
    canvas.setSubject(f"Order {printable(contents.order_number)}")
    top = PAGE_HEIGHT - MARGIN
    canvas.setLineWidth(1.5)
    canvas.rect(MARGIN / 2, MARGIN / 2, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN)

    _text(canvas, MARGIN, top - 18, "CARTON CONTENTS", BOLD, 16, CONTENT_WIDTH * 0.62)
    canvas.setFont(BOLD, 12)
    canvas.drawRightString(
        PAGE_WIDTH - MARGIN,
        top - 17,
        f"carton {contents.carton_index} of {contents.carton_count}",
    )
    draw_centered_code128(
        canvas,
        contents.carton_code,
        center_x=PAGE_WIDTH / 2,
        y=top - 92,
        max_width=CONTENT_WIDTH,
        bar_height=0.85 * inch,
        max_module=0.02 * inch,
        what="carton_code",
    )
    canvas.setFont(MONO_BOLD, 14)
    canvas.drawCentredString(PAGE_WIDTH / 2, top - 108, printable(contents.carton_code))
    y = top - 120
    canvas.line(MARGIN / 2, y, PAGE_WIDTH - MARGIN / 2, y)

    _text(canvas, MARGIN, y - 18, f"Order {contents.order_number}", BOLD, 13, CONTENT_WIDTH)
    _text(canvas, MARGIN, y - 32, f"Allocation {contents.allocation_id}", REGULAR, 9, CONTENT_WIDTH)
    to = ", ".join(p for p in (contents.ship_to_name, contents.ship_to_place) if p)
    if to:
        _text(canvas, MARGIN, y - 46, f"To: {to}", REGULAR, 9, CONTENT_WIDTH)
    units = sum(line.qty for line in contents.lines)
    _text(
        canvas,
        MARGIN,
        y - 62,
        f"{contents.carton_type} · expected {_kg(contents.expected_weight_g)} · {units} unit(s)",
        BOLD,
        11,
        CONTENT_WIDTH,
    )
    canvas.line(MARGIN / 2, _TABLE_TOP + 6, PAGE_WIDTH - MARGIN / 2, _TABLE_TOP + 6)

    qty_x, sku_x, name_x = MARGIN, MARGIN + 34, MARGIN + 132
    canvas.setFont(BOLD, 9)
    canvas.drawString(qty_x, _TABLE_TOP - 8, "QTY")
    canvas.drawString(sku_x, _TABLE_TOP - 8, "SKU")
    canvas.drawString(name_x, _TABLE_TOP - 8, "ITEM")
    y = _TABLE_TOP - 8 - LINE_H
    room = int((y - _FOOTER_TOP - 4) // LINE_H) + 1
    shown = contents.lines if len(contents.lines) <= room else contents.lines[: room - 1]
    for line in shown:
        canvas.setFont(BOLD, 11)
        canvas.drawRightString(qty_x + 22, y, str(line.qty))
        _text(canvas, sku_x, y, line.sku, MONO_BOLD, 9, name_x - sku_x - 6)
        _text(canvas, name_x, y, line.name, REGULAR, 9, PAGE_WIDTH - MARGIN - name_x)
        y -= LINE_H
    if len(shown) < len(contents.lines):
        rest = contents.lines[len(shown) :]
        more = f"+ {len(rest)} more line(s), {sum(ln.qty for ln in rest)} unit(s)"
        _text(canvas, sku_x, y, more, BOLD, 9, PAGE_WIDTH - MARGIN - sku_x)
    if not contents.lines:
        _text(canvas, sku_x, y, "(empty)", REGULAR, 9, CONTENT_WIDTH)

    canvas.line(MARGIN / 2, _FOOTER_TOP, PAGE_WIDTH - MARGIN / 2, _FOOTER_TOP)
    who = " ".join(
        p
        for p in (
            f"packed by {contents.packed_by}" if contents.packed_by else "",
            f"at {contents.packed_at}" if contents.packed_at else "",
        )
        if p
    )
    if who:
        _text(canvas, MARGIN, _FOOTER_TOP - 16, who, REGULAR, 8, CONTENT_WIDTH)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
