"""The one-page daily summary a supervisor prints at shift end (A4 portrait).

Twelve figures in tiles (on time, cycle time, accuracy, productivity, packaging, returns,
short picks), then small tables: on time by carrier, cycle time by service level, accuracy by
stage, exceptions by kind and the pickers. Everything is wrapped in one shrink-to-fit frame,
so the summary is always exactly one page however many carriers or pickers the day had
(tables longer than `MAX_ROWS` show their first rows and say how many were left out).

Pure: summary data in, PDF bytes out; `invariant=1` makes the bytes depend on the data only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from labels._text import printable, truncate

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 12 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
CONTENT_HEIGHT = PAGE_HEIGHT - 2 * MARGIN
MAX_ROWS = 12
REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"

_BASE = ParagraphStyle("sum-base", fontName=REGULAR, fontSize=8.5, leading=10.5)
_TITLE = ParagraphStyle("sum-title", parent=_BASE, fontName=BOLD, fontSize=17, leading=21)
_META = ParagraphStyle("sum-meta", parent=_BASE, fontSize=8, leading=10, textColor=colors.gray)
_HEAD = ParagraphStyle("sum-head", parent=_BASE, fontName=BOLD, fontSize=10.5, leading=13)
_TILE_VALUE = ParagraphStyle(
    "sum-tile-value", parent=_BASE, fontName=BOLD, fontSize=15, leading=18, alignment=TA_CENTER
)
_TILE_LABEL = ParagraphStyle(
    "sum-tile-label", parent=_BASE, fontSize=7.5, leading=9, alignment=TA_CENTER
)
_CELL = ParagraphStyle("sum-cell", parent=_BASE, fontSize=8, leading=9.5)
_CELL_HEAD = ParagraphStyle("sum-cell-head", parent=_CELL, fontName=BOLD)
_CELL_NUM = ParagraphStyle("sum-cell-num", parent=_CELL, alignment=TA_RIGHT)
_CELL_NUM_HEAD = ParagraphStyle("sum-cell-num-head", parent=_CELL_NUM, fontName=BOLD)
_GRID = colors.Color(0.7, 0.7, 0.7)
_STRIPE = colors.Color(0.95, 0.95, 0.95)
_TILE_BG = colors.Color(0.93, 0.95, 0.98)

_NUMERIC = frozenset({"num", "dec", "pct", "money"})


@dataclass(frozen=True)
class Tile:
    label: str
    value: str


@dataclass(frozen=True)
class Section:
    title: str
    headers: tuple[str, ...]
    numeric: tuple[bool, ...]  # right-aligned columns
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class DailySummary:
    site: str
    day: date
    generated_at: datetime
    timezone: str
    tiles: tuple[Tile, ...]
    sections: tuple[Section, ...]

    @classmethod
    def from_report(cls, data: Mapping[str, Any]) -> DailySummary:
        """From `app.services.reports.daily_summary`'s plain data."""
        tiles = tuple(Tile(str(label), fmt(value, kind)) for label, value, kind in data["tiles"])
        sections = []
        for title, table in data["sections"]:
            cols = table["columns"]
            sections.append(
                Section(
                    title=str(title),
                    headers=tuple(str(c["label"]) for c in cols),
                    numeric=tuple(c["kind"] in _NUMERIC for c in cols),
                    rows=tuple(
                        tuple(fmt(r.get(c["key"]), c["kind"]) for c in cols) for r in table["rows"]
                    ),
                )
            )
        return cls(
            site=str(data["site"]),
            day=data["day"],
            generated_at=data["generated_at"],
            timezone=str(data["timezone"]),
            tiles=tiles,
            sections=tuple(sections),
        )


def fmt(value: Any, kind: str) -> str:
    """A figure as printed: "—" for none, thousands separators, one decimal for percent."""
    if value is None:
        return "—"
    if kind == "pct":
        return f"{float(value):.1f} %"
    if kind == "num":
        return f"{int(value):,}"
    if kind in ("dec", "money"):
        return f"{float(value):,.2f}"
    return str(value)


def _p(text: str, style: ParagraphStyle, width: float | None = None) -> Paragraph:
    clean = printable(text)
    if width is not None:
        clean = truncate(clean, style.fontName, style.fontSize, width - 4)
    return Paragraph(escape(clean), style)


def _tiles(tiles: Sequence[Tile]) -> Table:
    per_row = 4
    width = CONTENT_WIDTH / per_row
    cells: list[list[Any]] = []
    for i in range(0, len(tiles), per_row):
        row: list[Any] = [
            [_p(t.value, _TILE_VALUE, width), _p(t.label, _TILE_LABEL, width)]
            for t in tiles[i : i + per_row]
        ]
        row += [""] * (per_row - len(row))
        cells.append(row)
    table = Table(cells, colWidths=[width] * per_row)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), _TILE_BG),
                ("BOX", (0, 0), (-1, -1), 0.8, colors.white),
                ("INNERGRID", (0, 0), (-1, -1), 3, colors.white),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _section(s: Section, width: float) -> list[Flowable]:
    shown = s.rows[:MAX_ROWS]
    n = max(1, len(s.headers))
    first = width * 0.34 if n > 2 else width / n
    rest = (width - first) / (n - 1) if n > 1 else 0
    widths = [first] + [rest] * (n - 1)
    # Cells wrap rather than cut: a carrier or picker name is never shortened.
    head = [_p(h, _CELL_NUM_HEAD if s.numeric[i] else _CELL_HEAD) for i, h in enumerate(s.headers)]
    body = [
        [_p(v, _CELL_NUM if s.numeric[i] else _CELL) for i, v in enumerate(row)] for row in shown
    ]
    if not body:
        body = [[_p("Nothing recorded.", _CELL)] + [""] * (n - 1)]
    table = Table([head, *body], colWidths=widths, repeatRows=1)
    style = [
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, _GRID),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for i in range(1, len(body) + 1, 2):
        style.append(("BACKGROUND", (0, i), (-1, i), _STRIPE))
    table.setStyle(TableStyle(style))
    out: list[Flowable] = [_p(s.title, _HEAD), Spacer(1, 1.5 * mm), table]
    if len(s.rows) > MAX_ROWS:
        out.append(_p(f"… and {len(s.rows) - MAX_ROWS} more (see the CSV export).", _META))
    return out


def _pair(left: Section, right: Section, half: float) -> Table:
    pair = Table(
        [[_section(left, half), _section(right, half)]],
        colWidths=[half + 3 * mm, half + 3 * mm],
    )
    pair.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3 * mm),
            ]
        )
    )
    return pair


def _story(summary: DailySummary) -> list[Flowable]:
    generated = summary.generated_at.strftime("%Y-%m-%d %H:%M UTC")
    story: list[Flowable] = [
        _p(f"Daily summary · {summary.day.strftime('%A %d %B %Y')}", _TITLE),
        _p(
            f"{summary.site} · operating day in {summary.timezone} · printed {generated}",
            _META,
        ),
        Spacer(1, 4 * mm),
        _tiles(summary.tiles),
        Spacer(1, 5 * mm),
    ]
    # Narrow tables (up to four columns) side by side in pairs, wider ones full width.
    half = (CONTENT_WIDTH - 6 * mm) / 2
    waiting: Section | None = None
    for s in summary.sections:
        if len(s.headers) > 4:
            story += [*_section(s, CONTENT_WIDTH), Spacer(1, 4 * mm)]
        elif waiting is None:
            waiting = s
        else:
            story += [_pair(waiting, s, half), Spacer(1, 4 * mm)]
            waiting = None
    if waiting is not None:
        story += [*_section(waiting, CONTENT_WIDTH), Spacer(1, 4 * mm)]
    story.append(
        _p(
            "On time: shipped by ship-by and by the carrier's last pickup before it. Cycle time: "
            "allocation received to last carton shipped (nearest-rank percentiles). Accuracy: "
            "errors caught per 1,000 units picked or packed. Every figure can be traced on the "
            "reports page to the orders and scans behind it.",
            _META,
        )
    )
    return story


def render_daily_summary(summary: DailySummary) -> bytes:
    """The summary as a one-page A4 PDF; byte-identical for the same data."""
    buffer = BytesIO()
    doc: Any = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        invariant=1,
        pageCompression=1,
        title=f"Daily summary {summary.day.isoformat()}",
        author="Dockhand",
    )
    frame_fit = KeepInFrame(CONTENT_WIDTH, CONTENT_HEIGHT - 2 * mm, _story(summary), mode="shrink")
    doc.build([frame_fit])
    return buffer.getvalue()
