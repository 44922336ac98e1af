"""Packing slip as an A4 PDF (210 x 297 mm).

A4 rather than Letter because the packing stations print on A4 stock; the content width
(180 mm) also fits on Letter (216 mm wide) if a printer substitutes paper, though the
bottom margin would then be tighter.

The slip shows the order number with its Code 128, allocation and carton ids, the ship-to
and ship-from addresses, a table of lines (SKU, item, quantity) that breaks across pages
with its header repeated, the total units, the gift message in its own box and any notes.
Every page carries "Order ... page n of N" in its footer.

Customer text is escaped before it reaches reportlab's Paragraph markup parser, so "<b>"
or "&" in a name prints literally.

The slip's own words come through ``t`` (gettext with ``%(name)s`` values): the packing
service passes the ship-to country's language (app/adapters/translations.py), English by
default. The base-14 fonts print cp1252, so Polish letters outside it are transliterated
(ł -> l) like every other text on the labels.
"""

from __future__ import annotations

from collections.abc import Callable
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.platypus import (
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from labels._barcode import fitted_code128
from labels._text import ELLIPSIS, printable, truncate
from labels.model import Address, PackingSlip

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"

_BASE = ParagraphStyle("slip-base", fontName=REGULAR, fontSize=9.5, leading=12)
_SMALL = ParagraphStyle("slip-small", parent=_BASE, fontSize=8, leading=10)
_TITLE = ParagraphStyle("slip-title", parent=_BASE, fontName=BOLD, fontSize=20, leading=24)
_HEADING = ParagraphStyle("slip-heading", parent=_BASE, fontName=BOLD, fontSize=10, leading=13)
_ORDER = ParagraphStyle("slip-order", parent=_BASE, fontName=BOLD, fontSize=14, leading=17)
_CELL = ParagraphStyle("slip-cell", parent=_BASE, fontSize=9, leading=11)
_CELL_HEAD = ParagraphStyle("slip-cell-head", parent=_CELL, fontName=BOLD)
_CELL_QTY = ParagraphStyle("slip-cell-qty", parent=_CELL, alignment=TA_RIGHT)
_CELL_QTY_HEAD = ParagraphStyle("slip-cell-qty-head", parent=_CELL_QTY, fontName=BOLD)
_TOTAL = ParagraphStyle("slip-total", parent=_CELL, fontName=BOLD, fontSize=10, leading=12)
_TOTAL_QTY = ParagraphStyle("slip-total-qty", parent=_TOTAL, alignment=TA_RIGHT)
_GIFT = ParagraphStyle(
    "slip-gift",
    parent=_BASE,
    fontName="Helvetica-Oblique",
    fontSize=11,
    leading=15,
    borderWidth=1.5,
    borderColor=colors.black,
    borderPadding=(8, 10, 10, 10),
    leftIndent=10,
    rightIndent=10,
)

_COLUMN_WIDTHS = (45 * mm, CONTENT_WIDTH - 45 * mm - 22 * mm, 22 * mm)
_GRID = colors.Color(0.6, 0.6, 0.6)
_STRIPE = colors.Color(0.94, 0.94, 0.94)


Translate = Callable[..., str]


def _english(msgid: str, **values: Any) -> str:
    return msgid % values if values else msgid


def _words(msgid: str, t: Translate, **values: Any) -> str:
    """The slip's own words in its language, printable with the base-14 fonts, escaped."""
    return escape(printable(t(msgid, **values)))


_MAX_FIELD_CHARS = 300
"""Longest single field printed on the slip. Table rows cannot split across pages, so an
absurdly long name must not be allowed to grow one row taller than a page."""


def _text(value: str | None) -> str:
    """Customer text made printable, capped in length, and safe for Paragraph markup."""
    text = printable(value)
    if len(text) > _MAX_FIELD_CHARS:
        text = text[: _MAX_FIELD_CHARS - 1].rstrip() + ELLIPSIS
    return escape(text)


def _multiline(value: str) -> str:
    """Like :func:`_text` but uncapped, keeping the author's line breaks as ``<br/>``."""
    return "<br/>".join(escape(printable(line)) for line in value.splitlines() if line.strip())


def _address_paragraphs(title: str, address: Address, t: Translate = _english) -> list[Any]:
    city = " ".join(
        p for p in (_text(address.city), _text(address.region), _text(address.postal_code)) if p
    )
    lines = [
        f"<b>{_text(address.name)}</b>",
        _text(address.company),
        _text(address.line1),
        _text(address.line2),
        city,
        _text(address.country.upper()),
    ]
    body = "<br/>".join(line for line in lines if line)
    paragraphs: list[Any] = [Paragraph(title, _HEADING), Paragraph(body, _BASE)]
    if address.phone:
        paragraphs.append(Paragraph(_words("Tel. %(phone)s", t, phone=address.phone), _SMALL))
    return paragraphs


def _validate(slip: PackingSlip) -> None:
    for line in slip.lines:
        if isinstance(line.qty, bool) or not isinstance(line.qty, int):
            raise ValueError(f"qty of {line.sku!r} must be an int, got {line.qty!r}")
        if line.qty < 0:
            raise ValueError(f"qty of {line.sku!r} must not be negative, got {line.qty}")


def _header(slip: PackingSlip, t: Translate) -> Any:
    ids = [f"{_words('Allocation', t)} <b>{_text(slip.allocation_id)}</b>"]
    if slip.carton_id:
        ids.append(f"{_words('Carton', t)} <b>{_text(slip.carton_id)}</b>")
    left: list[Any] = [
        Paragraph(_words("PACKING SLIP", t), _TITLE),
        Paragraph(f"{_words('Order', t)} {_text(slip.order_number)}", _ORDER),
        Paragraph(" &nbsp; ".join(ids), _BASE),
    ]
    barcode_width = CONTENT_WIDTH * 0.5
    barcode, _ = fitted_code128(
        slip.order_number,
        max_width=barcode_width,
        max_module=0.015 * inch,
        bar_height=0.6 * inch,
        what="order_number",
    )
    barcode.hAlign = "RIGHT"
    caption = ParagraphStyle("slip-barcode-caption", parent=_SMALL, alignment=TA_RIGHT)
    right: list[Any] = [
        barcode,
        Paragraph(escape(truncate(slip.order_number, REGULAR, 8, barcode_width)), caption),
    ]
    table = Table([[left, right]], colWidths=(CONTENT_WIDTH - barcode_width, barcode_width))
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1.5, colors.black),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def _addresses(slip: PackingSlip, t: Translate) -> Any:
    half = CONTENT_WIDTH / 2
    table = Table(
        [
            [
                _address_paragraphs(_words("Ship to", t), slip.ship_to, t),
                _address_paragraphs(_words("Ship from", t), slip.ship_from, t),
            ]
        ],
        colWidths=(half, half),
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    return table


def _lines_table(slip: PackingSlip, t: Translate) -> Any:
    rows: list[list[Any]] = [
        [
            Paragraph(_words("SKU", t), _CELL_HEAD),
            Paragraph(_words("Item", t), _CELL_HEAD),
            Paragraph(_words("Qty", t), _CELL_QTY_HEAD),
        ]
    ]
    for line in slip.lines:
        rows.append(
            [
                Paragraph(_text(line.sku), _CELL),
                Paragraph(_text(line.name), _CELL),
                Paragraph(str(line.qty), _CELL_QTY),
            ]
        )
    if not slip.lines:
        rows.append(
            [
                Paragraph("", _CELL),
                Paragraph(f"<i>{_words('No items', t)}</i>", _CELL),
                Paragraph("", _CELL_QTY),
            ]
        )
    total = sum(line.qty for line in slip.lines)
    rows.append(
        [
            Paragraph("", _TOTAL),
            Paragraph(_words("Total units", t), _TOTAL),
            Paragraph(str(total), _TOTAL_QTY),
        ]
    )
    last = len(rows) - 1
    style: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.82, 0.82, 0.82)),
        ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
        ("LINEBELOW", (0, 1), (-1, last - 1), 0.25, _GRID),
        ("LINEABOVE", (0, last), (-1, last), 1.5, colors.black),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    style.extend(("BACKGROUND", (0, row), (-1, row), _STRIPE) for row in range(2, last, 2))
    table = Table(rows, colWidths=_COLUMN_WIDTHS, repeatRows=1)
    table.setStyle(TableStyle(style))
    return table


def _gift_box(message: str, t: Translate) -> Any:
    """The gift message in a ruled box; a bordered Paragraph, so even a very long
    message can split across pages (a Table cell could not)."""
    body = f"<b>{_words('Gift message', t)}</b><br/>{_multiline(message)}"
    return KeepTogether([Spacer(1, 14), Paragraph(body, _GIFT)])


def _story(slip: PackingSlip, t: Translate) -> list[Any]:
    story: list[Any] = [
        _header(slip, t),
        _addresses(slip, t),
        Spacer(1, 4),
        _lines_table(slip, t),
    ]
    if slip.gift_message and slip.gift_message.strip():
        story.append(_gift_box(slip.gift_message, t))
    if slip.notes and slip.notes.strip():
        story.extend(
            [
                Spacer(1, 10),
                Paragraph(_words("Notes", t), _HEADING),
                Paragraph(_multiline(slip.notes), _BASE),
            ]
        )
    return story


def _build(slip: PackingSlip, total_pages: int | None, t: Translate) -> tuple[bytes, int]:
    buffer = BytesIO()
    order = printable(slip.order_number)

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        page = int(doc.page)
        if total_pages:
            numbered = printable(t("Page %(page)s of %(pages)s", page=page, pages=total_pages))
        else:
            numbered = printable(t("Page %(page)s", page=page))
        text = truncate(printable(t("Order %(order)s", order=order)), REGULAR, 8, CONTENT_WIDTH / 2)
        canvas.drawString(MARGIN, MARGIN / 2, text)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN / 2, numbered)
        if page > 1:
            canvas.setFont(BOLD, 9)
            continued = printable(t("Packing slip - order %(order)s (continued)", order=order))
            canvas.drawString(
                MARGIN,
                PAGE_HEIGHT - MARGIN / 2 - 4,
                truncate(continued, BOLD, 9, CONTENT_WIDTH),
            )
        canvas.restoreState()

    doc: Any = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        invariant=1,
        pageCompression=1,
        title=printable(t("Packing slip %(order)s", order=order)),
        author="Dockhand",
        creator="Dockhand labels",
        subject=f"Allocation {printable(slip.allocation_id)}",
    )
    doc.build(_story(slip, t), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue(), int(doc.page)


def render_packing_slip_pdf(slip: PackingSlip, t: Translate = _english) -> bytes:
    """Render ``slip`` as an A4 PDF of one or more pages, its own words through ``t``
    (``t("Order %(order)s", order=...)``: gettext for the slip's language; English default).

    Deterministic: the same slip always gives byte-identical output (``invariant=1``).
    Raises ``ValueError`` if the order number cannot be printed as a scannable Code 128
    (empty, not printable ASCII, too long) or a line quantity is negative.
    """
    _validate(slip)
    # Lay out once to learn the page count for the "page n of N" footers. The footer's
    # width does not depend on N, so the second pass paginates identically.
    _, pages = _build(slip, None, t)
    pdf, _ = _build(slip, pages, t)
    return pdf
