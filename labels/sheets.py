"""Label sheets on A4 or US Letter: location labels for the racks, tote labels, badges.

Each sheet is a grid of labels with thin grey cut guides. Every label carries a Code 128
and its text in large bold type, readable at arm's length (a location code is printed at
28 pt or more, a tote number at 40 pt or more).

- Location and tote barcodes carry the code followed by its check character (ISO 7064
  Mod 37,36, app/domain/codes.py): `A03-07-2K`. The large text is the code alone, which is
  what a person types when a label will not scan; the check character is printed small.
- Rack labels can point at their location: an arrow up (the label is on the beam below the
  location) or down (the label is above it, e.g. for floor level).
- Badges show the name, the role and the badge code's barcode (what the stations' sign-in
  scans). Never a PIN or password: the badge data has no field for one.

Pure and deterministic (reportlab `invariant=1`): label data in, PDF bytes out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import Any, Literal

from reportlab.lib.pagesizes import A4, letter
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.domain.codes import barcode_payload, check_character
from labels._barcode import fitted_code128
from labels._text import largest_fitting_size, printable, truncate, width

__all__ = [
    "PAPERS",
    "Arrow",
    "BadgeLabel",
    "LocationLabel",
    "ToteLabel",
    "render_badge_sheet",
    "render_location_sheet",
    "render_tote_sheet",
]

Paper = Literal["a4", "letter"]
PAPERS: dict[str, tuple[float, float]] = {"a4": A4, "letter": letter}
Arrow = Literal["up", "down"]

BOLD = "Helvetica-Bold"
REGULAR = "Helvetica"
MARGIN = 10 * mm
MAX_MODULE = 0.55 * mm  # wide enough for a handheld at a metre; the width decides below

LOCATION_MIN_TEXT_PT = 28
TOTE_MIN_TEXT_PT = 40


@dataclass(frozen=True)
class LocationLabel:
    code: str  # A03-07-2
    caption: str = ""  # "Zone A · aisle 3 · bay 7 · level 2", or "Pack benches"
    arrow: Arrow | None = None


@dataclass(frozen=True)
class ToteLabel:
    code: str  # T000042


@dataclass(frozen=True)
class BadgeLabel:
    badge: str  # U0001
    name: str
    role: str


@dataclass(frozen=True)
class _Grid:
    columns: int
    rows: int
    cell_w: float
    cell_h: float
    page_w: float
    page_h: float

    def origin(self, index: int) -> tuple[float, float]:
        """Bottom-left corner of the index-th cell on its page, filled row by row."""
        slot = index % (self.columns * self.rows)
        row, col = divmod(slot, self.columns)
        x = MARGIN + col * self.cell_w
        y = self.page_h - MARGIN - (row + 1) * self.cell_h
        return x, y

    @property
    def per_page(self) -> int:
        return self.columns * self.rows


def _grid(paper: str, columns: int, min_h: float, max_w: float | None = None) -> _Grid:
    if paper not in PAPERS:
        raise ValueError(f"paper must be one of {', '.join(PAPERS)}, not {paper!r}")
    page_w, page_h = PAPERS[paper]
    usable_w, usable_h = page_w - 2 * MARGIN, page_h - 2 * MARGIN
    cell_w = usable_w / columns if max_w is None else min(max_w, usable_w / columns)
    rows = max(1, int(usable_h // min_h))
    cell_h = usable_h / rows if max_w is None else min_h
    return _Grid(columns, rows, cell_w, cell_h, page_w, page_h)


def _sheet(
    items: Sequence[Any],
    grid: _Grid,
    title: str,
    draw: Callable[[Any, Any, float, float, float, float], None],
) -> bytes:
    if not items:
        raise ValueError("a label sheet needs at least one label")
    buffer = BytesIO()
    canvas: Any = Canvas(
        buffer, pagesize=(grid.page_w, grid.page_h), invariant=1, pageCompression=1
    )
    canvas.setTitle(title)
    canvas.setAuthor("Dockhand")
    canvas.setCreator("Dockhand labels")
    for i, item in enumerate(items):
        if i and i % grid.per_page == 0:
            canvas.showPage()
        x, y = grid.origin(i)
        _cut_guide(canvas, x, y, grid.cell_w, grid.cell_h)
        draw(canvas, item, x, y, grid.cell_w, grid.cell_h)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _cut_guide(canvas: Any, x: float, y: float, w: float, h: float) -> None:
    canvas.saveState()
    canvas.setStrokeColorRGB(0.7, 0.7, 0.7)
    canvas.setLineWidth(0.4)
    canvas.setDash(2, 3)
    canvas.rect(x, y, w, h)
    canvas.restoreState()


def _barcode(
    canvas: Any, value: str, cx: float, y: float, max_w: float, bar_h: float, what: str
) -> None:
    symbol, symbol_w = fitted_code128(
        value, max_width=max_w, bar_height=bar_h, max_module=MAX_MODULE, what=what
    )
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    symbol.drawOn(canvas, cx - symbol_w / 2, y)
    canvas.restoreState()


def _centred(canvas: Any, text: str, font: str, size: float, cx: float, y: float) -> None:
    canvas.setFont(font, size)
    canvas.drawCentredString(cx, y, text)


def _arrow(canvas: Any, direction: Arrow, x: float, y: float, w: float, h: float) -> None:
    """A solid arrow filling a w x h box: a shaft and a head, pointing up or down."""
    cx = x + w / 2
    head_h = min(h * 0.45, w * 0.9)
    shaft_w = w * 0.32
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    path = canvas.beginPath()
    if direction == "up":
        tip, base = y + h, y + h - head_h
        path.moveTo(cx, tip)
        path.lineTo(x, base)
        path.lineTo(cx - shaft_w / 2, base)
        path.lineTo(cx - shaft_w / 2, y)
        path.lineTo(cx + shaft_w / 2, y)
        path.lineTo(cx + shaft_w / 2, base)
        path.lineTo(x + w, base)
    else:
        tip, base = y, y + head_h
        path.moveTo(cx, tip)
        path.lineTo(x, base)
        path.lineTo(cx - shaft_w / 2, base)
        path.lineTo(cx - shaft_w / 2, y + h)
        path.lineTo(cx + shaft_w / 2, y + h)
        path.lineTo(cx + shaft_w / 2, base)
        path.lineTo(x + w, base)
    path.close()
    canvas.drawPath(path, stroke=0, fill=1)
    canvas.restoreState()


# ------------------------------------------------------------------------------ locations

_LOCATION_SIZES = (44, 40, 36, 32, 30, LOCATION_MIN_TEXT_PT)


def _draw_location(
    canvas: Any, label: LocationLabel, x: float, y: float, w: float, h: float
) -> None:
    pad = 3 * mm
    left = x + pad
    if label.arrow is not None:
        arrow_w = 14 * mm
        _arrow(canvas, label.arrow, left, y + pad + 2 * mm, arrow_w, h - 2 * pad - 4 * mm)
        left += arrow_w + 3 * mm
    right = x + w - pad
    area_w = right - left
    cx = left + area_w / 2
    code = printable(label.code)
    size = largest_fitting_size(code, BOLD, _LOCATION_SIZES, area_w)
    top = y + h - pad
    _centred(canvas, code, BOLD, size, cx, top - size * 0.78)
    bar_top = top - size * 0.78 - 3 * mm
    caption_size = 8.5
    bar_bottom = y + pad + caption_size + 2 * mm
    _barcode(
        canvas,
        barcode_payload(label.code),
        cx,
        bar_bottom,
        area_w,
        max(8 * mm, bar_top - bar_bottom),
        "location code",
    )
    caption = " · ".join(
        part for part in (printable(label.caption), f"check {check_character(label.code)}") if part
    )
    caption = truncate(caption, REGULAR, caption_size, area_w)
    _centred(canvas, caption, REGULAR, caption_size, cx, y + pad)


def render_location_sheet(labels: Sequence[LocationLabel], paper: str = "a4") -> bytes:
    """Two labels across, about 40 mm tall (7 rows on A4, 6 on Letter)."""
    return _sheet(labels, _grid(paper, 2, 38 * mm), "Location labels", _draw_location)


# ------------------------------------------------------------------------------ totes

_TOTE_SIZES = (72, 64, 56, 48, TOTE_MIN_TEXT_PT)


def _draw_tote(canvas: Any, label: ToteLabel, x: float, y: float, w: float, h: float) -> None:
    pad = 4 * mm
    cx = x + w / 2
    area_w = w - 2 * pad
    code = printable(label.code)
    size = largest_fitting_size(code, BOLD, _TOTE_SIZES, area_w)
    top = y + h - pad
    _centred(canvas, code, BOLD, size, cx, top - size * 0.78)
    caption_size = 10.0
    bar_bottom = y + pad + caption_size + 2 * mm
    bar_top = top - size * 0.78 - 4 * mm
    _barcode(
        canvas,
        barcode_payload(label.code),
        cx,
        bar_bottom,
        area_w,
        max(10 * mm, bar_top - bar_bottom),
        "tote code",
    )
    caption = f"Tote {int(label.code[1:])} · check {check_character(label.code)}"
    _centred(canvas, caption, REGULAR, caption_size, cx, y + pad)


def render_tote_sheet(labels: Sequence[ToteLabel], paper: str = "a4") -> bytes:
    """Two labels across, about 65 mm tall (4 rows on A4 and on Letter)."""
    return _sheet(labels, _grid(paper, 2, 62 * mm), "Tote labels", _draw_tote)


# ------------------------------------------------------------------------------ badges

CARD_W, CARD_H = 85.6 * mm, 54 * mm  # ISO/IEC 7810 ID-1, fits a standard badge holder


def _draw_badge(canvas: Any, label: BadgeLabel, x: float, y: float, w: float, h: float) -> None:
    pad = 4 * mm
    cx = x + w / 2
    area_w = w - 2 * pad
    top = y + h - pad
    canvas.setFont(REGULAR, 8)
    canvas.drawString(x + pad, top - 8, "DOCKHAND")
    name = printable(label.name) or label.badge
    size = largest_fitting_size(name, BOLD, (20, 18, 16, 14, 12), area_w)
    name = truncate(name, BOLD, size, area_w)
    _centred(canvas, name, BOLD, size, cx, top - 8 - 3 * mm - size * 0.78)
    role = printable(label.role).upper()
    role_y = top - 8 - 3 * mm - size * 0.78 - 14
    _centred(canvas, role, REGULAR, 11, cx, role_y)
    code_size = 14.0
    _centred(canvas, label.badge, BOLD, code_size, cx, y + pad)
    bar_bottom = y + pad + code_size + 1.5 * mm
    _barcode(
        canvas,
        label.badge,
        cx,
        bar_bottom,
        area_w,
        max(8 * mm, role_y - 3 * mm - bar_bottom),
        "badge",
    )


def render_badge_sheet(labels: Sequence[BadgeLabel], paper: str = "a4") -> bytes:
    """Credit-card-sized badges (85.6 x 54 mm), two across: 10 on A4, 8 on Letter."""
    for b in labels:
        if not b.badge or width(b.badge, BOLD, 14) > CARD_W:
            raise ValueError(f"badge {b.badge!r} cannot be printed")
    return _sheet(labels, _grid(paper, 2, CARD_H, max_w=CARD_W), "Badges", _draw_badge)
