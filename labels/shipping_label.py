"""4x6 inch carrier shipping label as a one-page PDF.

Layout, top to bottom (points from the bottom edge of the 288 x 432 pt page)::

    424 +--------------------------------+-----------+
        | FROM  name / company / address | SHIP DATE |
        |                                | WEIGHT kg |
    358 +--------------------------------+-----------+
        | SHIP TO:                                   |
        |   NAME (large, bold)                       |
        |   company / street / CITY REGION POSTAL    |
        |   COUNTRY                                  |
    236 +============================================+
        |  CARRIER              SERVICE  (inverted)  |
    196 +============================================+
        | TRACKING #                                 |
        |  ||| ||  Code 128, 1 inch high  || | |||   |
        |            1Z999AA10123456784              |
     90 +--------------------------------------------+
        | ORDER ...            REF ...               |
        | CARTON  ||| smaller Code 128 of carton |||  |
      8 +--------------------------------------------+

Everything customer-supplied is drawn with ``drawString`` (never parsed as markup), made
printable by :func:`labels._text.printable`, and shrunk, wrapped or cut with an ellipsis so
that it stays inside its box whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from typing import Any

from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from labels._barcode import check_code128_value, draw_centered_code128
from labels._text import largest_fitting_size, printable, truncate, width, wrap
from labels.model import Address, ShippingLabel

PAGE_WIDTH = 4 * inch
PAGE_HEIGHT = 6 * inch
MARGIN = 8.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
MONO_BOLD = "Courier-Bold"

# Section boundaries (y of the dividing rule, from the bottom of the page).
_FROM_TOP = PAGE_HEIGHT - MARGIN
_SHIP_TO_TOP = 358.0
_BANNER_TOP = 236.0
_BANNER_BOTTOM = 196.0
_FOOTER_TOP = 90.0

_SIDE_COLUMN_X = 196.0  # left edge of the ship-date / weight box
_TRACKING_BAR_HEIGHT = 1.0 * inch
_CARTON_BAR_HEIGHT = 0.5 * inch


@dataclass(frozen=True)
class _Line:
    text: str
    font: str
    size: float


def format_weight(weight_g: int) -> str:
    """``1234`` -> ``"1.23 kg (1234 g)"``, rounding half up to 2 decimals."""
    kg = (Decimal(weight_g) / 1000).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{kg} kg ({weight_g} g)"


def _city_line(address: Address) -> str:
    parts = [printable(address.city), printable(address.region), printable(address.postal_code)]
    return " ".join(p for p in parts if p)


def _validate(label: ShippingLabel) -> None:
    check_code128_value(label.tracking_number, "tracking_number")
    check_code128_value(label.carton_id, "carton_id")
    if isinstance(label.weight_g, bool) or not isinstance(label.weight_g, int):
        raise ValueError(f"weight_g must be an int, got {label.weight_g!r}")
    if label.weight_g < 0:
        raise ValueError(f"weight_g must not be negative, got {label.weight_g}")


def _draw_lines(canvas: Any, lines: list[_Line], x: float, top: float, leading: float) -> float:
    """Draw ``lines`` downwards from ``top``; return the y below the last line."""
    y = top
    for line in lines:
        y -= line.size * leading
        canvas.setFont(line.font, line.size)
        canvas.drawString(x, y + line.size * (leading - 1.0), line.text)
    return y


def _address_block(
    address: Address,
    *,
    max_width: float,
    scale: float,
    name_size: float,
    body_size: float,
    city_size: float,
    name_lines: int,
    street_lines: int,
    bold_body: bool,
) -> list[_Line]:
    """Lay out an address as wrapped/truncated lines at ``scale`` times the given sizes."""
    ns, bs, cs = name_size * scale, body_size * scale, city_size * scale
    body_font = BOLD if bold_body else REGULAR
    lines: list[_Line] = []

    def add(text: str, font: str, size: float, max_lines: int) -> None:
        lines.extend(_Line(t, font, size) for t in wrap(text, font, size, max_width, max_lines))

    add(printable(address.name), BOLD, ns, name_lines)
    add(printable(address.company), body_font, bs, 1)
    add(printable(address.line1), body_font, bs, street_lines)
    add(printable(address.line2), body_font, bs, 1)
    add(_city_line(address), BOLD, cs, 1)
    add(printable(address.country).upper(), BOLD, cs, 1)
    return lines


def _fit_address(
    address: Address, *, max_width: float, max_height: float, leading: float, **sizes: Any
) -> list[_Line]:
    """Largest scale (1.0 down to 0.6) at which the address block fits ``max_height``."""
    lines: list[_Line] = []
    for step in range(0, 9):
        scale = 1.0 - step * 0.05
        lines = _address_block(address, max_width=max_width, scale=scale, **sizes)
        if sum(line.size * leading for line in lines) <= max_height:
            return lines
    # Still too tall at the smallest scale: drop trailing lines until it fits.
    while lines and sum(line.size * leading for line in lines) > max_height:
        lines.pop()
    return lines


def _draw_ship_from(canvas: Any, label: ShippingLabel) -> None:
    x = MARGIN + 2
    max_width = _SIDE_COLUMN_X - 6 - x
    canvas.setFont(BOLD, 6)
    canvas.drawString(x, _FROM_TOP - 7, "FROM")
    lines = _fit_address(
        label.ship_from,
        max_width=max_width,
        max_height=_FROM_TOP - 9 - (_SHIP_TO_TOP + 3),
        leading=1.15,
        name_size=8.0,
        body_size=7.5,
        city_size=7.5,
        name_lines=1,
        street_lines=1,
        bold_body=False,
    )
    _draw_lines(canvas, lines, x, _FROM_TOP - 9, 1.15)


def _draw_date_and_weight(canvas: Any, label: ShippingLabel) -> None:
    x0, x1 = _SIDE_COLUMN_X, PAGE_WIDTH - MARGIN
    canvas.setLineWidth(1)
    canvas.line(x0 - 2, _SHIP_TO_TOP, x0 - 2, _FROM_TOP)
    x = x0 + 2
    max_width = x1 - x - 2
    top = _FROM_TOP
    if label.shipped_on is not None:
        canvas.setFont(BOLD, 6)
        canvas.drawString(x, top - 7, "SHIP DATE")
        canvas.setFont(BOLD, 10)
        canvas.drawString(x, top - 18, label.shipped_on.isoformat())
        top -= 24
    kg, grams = format_weight(label.weight_g).split(" kg ")
    canvas.setFont(BOLD, 6)
    canvas.drawString(x, top - 7, "WEIGHT")
    size = largest_fitting_size(f"{kg} KG", BOLD, (16, 14, 12, 10, 8), max_width)
    canvas.setFont(BOLD, size)
    canvas.drawString(x, top - 8 - size, f"{kg} KG")
    canvas.setFont(REGULAR, 8)
    canvas.drawString(x, top - 8 - size - 10, truncate(grams, REGULAR, 8, max_width))


def _draw_ship_to(canvas: Any, label: ShippingLabel) -> None:
    x = MARGIN + 2
    canvas.setFont(BOLD, 8)
    canvas.drawString(x, _SHIP_TO_TOP - 10, "SHIP TO:")
    text_x = x + 12
    max_width = PAGE_WIDTH - MARGIN - 2 - text_x
    top = _SHIP_TO_TOP - 13
    phone = printable(label.ship_to.phone)
    bottom = _BANNER_TOP + 3 + (10 if phone else 0)
    lines = _fit_address(
        label.ship_to,
        max_width=max_width,
        max_height=top - bottom,
        leading=1.15,
        name_size=14.0,
        body_size=12.0,
        city_size=14.0,
        name_lines=2,
        street_lines=2,
        bold_body=True,
    )
    _draw_lines(canvas, lines, text_x, top, 1.15)
    if phone:
        canvas.setFont(REGULAR, 8)
        canvas.drawString(text_x, _BANNER_TOP + 4, truncate(f"Tel. {phone}", REGULAR, 8, max_width))


def _draw_banner(canvas: Any, label: ShippingLabel) -> None:
    height = _BANNER_TOP - _BANNER_BOTTOM
    canvas.setFillColorRGB(0, 0, 0)
    canvas.rect(MARGIN, _BANNER_BOTTOM, CONTENT_WIDTH, height, stroke=0, fill=1)
    canvas.setFillColorRGB(1, 1, 1)
    inner = CONTENT_WIDTH - 12
    carrier = printable(label.carrier).upper()
    service = printable(label.service).upper()
    # The carrier name gets up to 55% of the banner; the service takes the rest.
    carrier_max = inner * 0.55 if service else inner
    c_size = largest_fitting_size(carrier, BOLD, (22, 20, 18, 16, 14, 12), carrier_max)
    carrier = truncate(carrier, BOLD, c_size, carrier_max)
    canvas.setFont(BOLD, c_size)
    canvas.drawString(MARGIN + 6, _BANNER_BOTTOM + (height - c_size * 0.72) / 2, carrier)
    if service:
        service_max = inner - width(carrier, BOLD, c_size) - 8
        s_size = largest_fitting_size(service, BOLD, (14, 12, 11, 10, 9, 8), service_max)
        service = truncate(service, BOLD, s_size, service_max)
        canvas.setFont(BOLD, s_size)
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN - 6, _BANNER_BOTTOM + (height - s_size * 0.72) / 2, service
        )
    canvas.setFillColorRGB(0, 0, 0)


def _draw_tracking(canvas: Any, label: ShippingLabel) -> None:
    canvas.setFont(BOLD, 7)
    canvas.drawString(MARGIN + 2, _BANNER_BOTTOM - 9, "TRACKING #")
    bar_y = _FOOTER_TOP + 16
    draw_centered_code128(
        canvas,
        label.tracking_number,
        center_x=PAGE_WIDTH / 2,
        y=bar_y,
        max_width=CONTENT_WIDTH,
        bar_height=_TRACKING_BAR_HEIGHT,
        max_module=0.02 * inch,
        what="tracking_number",
    )
    size = largest_fitting_size(label.tracking_number, MONO_BOLD, (12, 11, 10, 9, 8), CONTENT_WIDTH)
    canvas.setFont(MONO_BOLD, size)
    canvas.drawCentredString(
        PAGE_WIDTH / 2,
        bar_y - size - 1,
        truncate(label.tracking_number, MONO_BOLD, size, CONTENT_WIDTH),
    )


def _draw_footer(canvas: Any, label: ShippingLabel) -> None:
    x = MARGIN + 2
    half = CONTENT_WIDTH / 2 - 4
    baseline = _FOOTER_TOP - 11
    canvas.setFont(BOLD, 6)
    canvas.drawString(x, baseline, "ORDER")
    order = printable(label.order_number)
    size = largest_fitting_size(order, BOLD, (10, 9, 8, 7, 6), half - 24)
    canvas.setFont(BOLD, size)
    canvas.drawString(x + 24, baseline, truncate(order, BOLD, size, half - 24))
    reference = printable(label.reference)
    if reference:
        rx = PAGE_WIDTH / 2 + 4
        canvas.setFont(BOLD, 6)
        canvas.drawString(rx, baseline, "REF")
        canvas.setFont(REGULAR, 9)
        canvas.drawString(rx + 16, baseline, truncate(reference, REGULAR, 9, half - 16))
    canvas.setFont(BOLD, 6)
    canvas.drawString(x, baseline - 11, "CARTON")
    bar_y = MARGIN + 11
    draw_centered_code128(
        canvas,
        label.carton_id,
        center_x=PAGE_WIDTH / 2,
        y=bar_y,
        max_width=CONTENT_WIDTH - 60,
        bar_height=_CARTON_BAR_HEIGHT,
        max_module=0.015 * inch,
        what="carton_id",
    )
    size = largest_fitting_size(label.carton_id, MONO_BOLD, (9, 8, 7, 6), CONTENT_WIDTH)
    canvas.setFont(MONO_BOLD, size)
    canvas.drawCentredString(
        PAGE_WIDTH / 2, bar_y - size, truncate(label.carton_id, MONO_BOLD, size, CONTENT_WIDTH)
    )


def _draw_frame(canvas: Any) -> None:
    canvas.setLineWidth(1.5)
    canvas.rect(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN, stroke=1, fill=0)
    canvas.setLineWidth(1)
    for y in (_SHIP_TO_TOP, _FOOTER_TOP):
        canvas.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)


def render_shipping_label_pdf(label: ShippingLabel) -> bytes:
    """Render ``label`` as a one-page 4x6 inch (288 x 432 pt) PDF.

    The output is deterministic: the same ``label`` always gives byte-identical PDFs
    (reportlab ``invariant=1``, fixed document metadata).

    Raises ``ValueError`` if the tracking number or carton id is empty, contains
    characters other than printable ASCII, or is too long to print as a scannable
    Code 128 across the label, or if ``weight_g`` is negative.
    """
    _validate(label)
    buffer = BytesIO()
    canvas: Any = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    canvas.setTitle(f"Shipping label {printable(label.tracking_number)}")
    canvas.setAuthor("Dockhand")
    canvas.setCreator("Dockhand labels")
    canvas.setSubject(f"Carton {printable(label.carton_id)}")
    _draw_frame(canvas)
    _draw_ship_from(canvas, label)
    _draw_date_and_weight(canvas, label)
    _draw_ship_to(canvas, label)
    _draw_banner(canvas, label)
    _draw_tracking(canvas, label)
    _draw_footer(canvas, label)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
