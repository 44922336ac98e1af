"""Prepaid 4x6 inch return label, as PDF and as ZPL II.

Top-down: a black RETURN banner with the carrier and service; FROM (the customer); RETURN TO
(our returns dock) in large type; the GS1-128 "ship to postal code" (AI 421) of the dock for
the carrier's sorters; the return tracking number as Code 128; the RMA number as Code 128,
which the returns station scans when the parcel arrives; the order number.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from labels._barcode import check_code128_value, draw_centered_code128
from labels._text import largest_fitting_size, printable, truncate, wrap
from labels.gs1 import VARIABLE_LENGTH, human_readable, ship_to_postal
from labels.model import Address, ReturnLabel
from labels.zpl import FNC1, ZplLabel, gs1_data

PAGE_WIDTH = 4 * inch
PAGE_HEIGHT = 6 * inch
MARGIN = 8.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BOLD = "Helvetica-Bold"
REGULAR = "Helvetica"


def _validate(label: ReturnLabel) -> None:
    check_code128_value(label.tracking_number, "tracking_number")
    check_code128_value(label.rma_id, "rma_id")
    if label.weight_g is not None and (not isinstance(label.weight_g, int) or label.weight_g < 0):
        raise ValueError(f"weight_g must be a non-negative int, got {label.weight_g!r}")


def _address_lines(address: Address) -> list[str]:
    city = " ".join(
        p
        for p in (
            printable(address.city),
            printable(address.region),
            printable(address.postal_code),
        )
        if p
    )
    lines = [
        printable(address.name),
        printable(address.company),
        printable(address.line1),
        printable(address.line2),
        city,
        printable(address.country).upper(),
    ]
    return [line for line in lines if line]


def _routing(label: ReturnLabel) -> list[tuple[str, str]]:
    element = ship_to_postal(label.return_to.country, label.return_to.postal_code)
    return [element] if element else []


# ----------------------------------------------------------------------------------- PDF


def _draw_gs1(canvas: Any, elements: list[tuple[str, str]], y: float) -> None:
    data = gs1_data(elements, VARIABLE_LENGTH)
    probe: Any = Code128(data, barWidth=1.0, quiet=0)
    modules = float(probe.width) + 20
    module = min(0.02 * inch, CONTENT_WIDTH / modules)
    barcode: Any = Code128(
        data,
        barWidth=module,
        barHeight=0.45 * inch,
        quiet=1,
        lquiet=10 * module,
        rquiet=10 * module,
        humanReadable=0,
    )
    barcode.drawOn(canvas, PAGE_WIDTH / 2 - float(barcode.width) / 2, y)
    canvas.setFont(REGULAR, 7)
    canvas.drawCentredString(PAGE_WIDTH / 2, y - 8, human_readable(elements))


def render_return_label_pdf(label: ReturnLabel) -> bytes:
    """One 4x6 inch page; deterministic (reportlab ``invariant=1``)."""
    _validate(label)
    buffer = BytesIO()
    c: Any = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    c.setTitle(f"Return label {printable(label.rma_id)}")
    c.setAuthor("Dockhand")
    c.setCreator("Dockhand labels")
    c.setLineWidth(1.5)
    c.rect(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN)

    # Banner
    top = PAGE_HEIGHT - MARGIN
    c.rect(MARGIN, top - 40, CONTENT_WIDTH, 40, stroke=0, fill=1)
    c.setFillColorRGB(1, 1, 1)
    c.setFont(BOLD, 24)
    c.drawString(MARGIN + 6, top - 30, "RETURN")
    service = printable(f"{label.carrier} {label.service}").upper()
    size = largest_fitting_size(service, BOLD, (12, 10, 9, 8), CONTENT_WIDTH - 120)
    c.setFont(BOLD, size)
    c.drawRightString(
        PAGE_WIDTH - MARGIN - 6, top - 26, truncate(service, BOLD, size, CONTENT_WIDTH - 120)
    )
    c.setFillColorRGB(0, 0, 0)

    # From (customer)
    x = MARGIN + 4
    y = top - 52
    c.setFont(BOLD, 6)
    c.drawString(x, y, "FROM")
    c.setFont(REGULAR, 8)
    for line in _address_lines(label.customer)[:5]:
        y -= 9.5
        c.drawString(x + 28, y, truncate(line, REGULAR, 8, CONTENT_WIDTH - 36))
    y -= 8
    c.setLineWidth(1)
    c.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)

    # Return to (the dock), large
    y -= 12
    c.setFont(BOLD, 8)
    c.drawString(x, y, "RETURN TO:")
    for n, line in enumerate(_address_lines(label.return_to)):
        sz = 14.0 if n == 0 else 12.0
        for part in wrap(line, BOLD, sz, CONTENT_WIDTH - 20, 1):
            y -= sz * 1.15
            c.setFont(BOLD, sz)
            c.drawString(x + 12, y, part)
    y -= 10
    c.line(MARGIN, y, PAGE_WIDTH - MARGIN, y)

    routing = _routing(label)
    if routing:
        _draw_gs1(c, routing, 206)
    c.line(MARGIN, 190, PAGE_WIDTH - MARGIN, 190)

    c.setFont(BOLD, 7)
    c.drawString(x, 181, "TRACKING #")
    draw_centered_code128(
        c,
        label.tracking_number,
        center_x=PAGE_WIDTH / 2,
        y=112,
        max_width=CONTENT_WIDTH,
        bar_height=0.85 * inch,
        max_module=0.02 * inch,
        what="tracking_number",
    )
    c.setFont("Courier-Bold", 11)
    c.drawCentredString(PAGE_WIDTH / 2, 101, label.tracking_number)
    c.line(MARGIN, 94, PAGE_WIDTH - MARGIN, 94)

    c.setFont(BOLD, 6)
    c.drawString(x, 85, "RMA")
    if label.order_number:
        c.setFont(REGULAR, 8)
        c.drawRightString(
            PAGE_WIDTH - MARGIN - 4,
            85,
            truncate(f"Order {printable(label.order_number)}", REGULAR, 8, 150),
        )
    draw_centered_code128(
        c,
        label.rma_id,
        center_x=PAGE_WIDTH / 2,
        y=MARGIN + 18,
        max_width=CONTENT_WIDTH - 40,
        bar_height=0.6 * inch,
        max_module=0.015 * inch,
        what="rma_id",
    )
    c.setFont("Courier-Bold", 9)
    c.drawCentredString(PAGE_WIDTH / 2, MARGIN + 8, label.rma_id)
    c.showPage()
    c.save()
    return buffer.getvalue()


# ----------------------------------------------------------------------------------- ZPL


def render_return_label_zpl(label: ReturnLabel, dpi: int = 203) -> bytes:
    """The same label as one ZPL II format."""
    _validate(label)
    z = ZplLabel(round(4 * dpi), round(6 * dpi), dpi)
    d = z.dots
    m = d(MARGIN)
    right = d(PAGE_WIDTH - MARGIN)
    content = right - m
    z.box(m, m, content, d(PAGE_HEIGHT - 2 * MARGIN), d(1.5))
    z.box(m, m, content, d(40), d(40), fill=True)
    z.text(m + d(6), m + d(8), "RETURN", d(24), reverse=True)
    service = printable(f"{label.carrier} {label.service}").upper()
    z.fitted_text(
        m + d(120),
        m + d(14),
        service,
        [d(s) for s in (12, 10, 9, 8)],
        content - d(126),
        align="R",
        reverse=True,
    )
    x = m + d(4)
    y = m + d(46)
    z.text(x, y, "FROM", d(6))
    for line in _address_lines(label.customer)[:5]:
        z.text(x + d(28), y, line, d(8), width=content - d(36))
        y += d(9.5)
    y += d(4)
    z.box(m, y, content, d(1), d(1))
    y += d(6)
    z.text(x, y, "RETURN TO:", d(8))
    y += d(10)
    for n, line in enumerate(_address_lines(label.return_to)):
        size = d(14) if n == 0 else d(12)
        z.text(x + d(12), y, line, size, width=content - d(20))
        y += round(size * 1.15)
    routing = _routing(label)
    if routing:
        data = gs1_data(routing, VARIABLE_LENGTH)
        assert data.startswith(FNC1)
        z.centred_code128(d(PAGE_HEIGHT - 226), data, d(32), max_width=content, max_module=3)
        z.text(m, d(PAGE_HEIGHT - 192), human_readable(routing), d(7), width=content, align="C")
    z.box(m, d(PAGE_HEIGHT - 190), content, d(1), d(1))
    z.text(x, d(PAGE_HEIGHT - 186), "TRACKING #", d(7))
    z.centred_code128(d(PAGE_HEIGHT - 174), label.tracking_number, d(61), max_width=content)
    z.text(m, d(PAGE_HEIGHT - 110), label.tracking_number, d(11), width=content, align="C")
    z.box(m, d(PAGE_HEIGHT - 94), content, d(1), d(1))
    z.text(x, d(PAGE_HEIGHT - 90), "RMA", d(6))
    if label.order_number:
        z.text(d(150), d(PAGE_HEIGHT - 90), f"Order {label.order_number}", d(8), width=d(126))
    z.centred_code128(
        d(PAGE_HEIGHT - 78), label.rma_id, d(43), max_width=content - d(40), max_module=3
    )
    z.text(m, d(PAGE_HEIGHT - 30), label.rma_id, d(9), width=content, align="C")
    return z.render()
