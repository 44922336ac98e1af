"""GS1 logistic label (4x6 inch) for a pallet or a carton of a B2B shipment, as PDF and ZPL II.

Three sections, top to bottom, as the GS1 Logistic Label Guideline lays them out:

- **supplier**: who ships it (our name, address and GLN), the ship date and our order number;
- **customer**: the consignee's name and address, the purchase order, what the unit holds,
  gross weight and height; a GS1-128 with (02) GTIN of the contained trade items and (37)
  their count (single-SKU units only) and (400) the customer's purchase order;
- **carrier**: carrier, service, bill of lading and PRO numbers; a GS1-128 with (410) the
  ship-to GLN and (420) the ship-to postal code; at the bottom, always, the SSCC as (00).

Element strings follow the GS1 General Specifications: an FNC1 separator after a
variable-length element (37, 400, 420) that other elements follow, none after a fixed-length
one or the last; at most 48 data characters per symbol (a group that would be longer is split
into one symbol per element). A value that its AI cannot carry (a purchase order with a space,
say) is printed as text only, never encoded wrongly.

Coordinates are points from the top-left corner (the ZPL renderer converts them to dots)::

      8 +------------------------------+-------------+
        | FROM name / address / GLN    | SHIP DATE   |
     62 +------------------------------+-------------+
        | TO  NAME, address            | PO, CONTENT |
        |     ||| (02)(37)(400) |||                 |
    206 +============================================+
        | CARRIER  service  BOL  PRO                 |
        |     ||| (410)(420) |||                     |
    290 +============================================+
        | SSCC  (00) 3 0614141 000000001 8           |
        |  |||| (00) SSCC, 31 mm high ||||           |
    424 +--------------------------------------------+
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch, mm
from reportlab.pdfgen.canvas import Canvas

from labels._text import largest_fitting_size, printable, truncate, wrap
from labels.gs1 import VARIABLE_LENGTH, gs1_mod10, human_readable
from labels.model import Address
from labels.zpl import ZplLabel, encode_code128, gs1_data

PAGE_WIDTH = 4 * inch
PAGE_HEIGHT = 6 * inch
MARGIN = 8.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BOLD = "Helvetica-Bold"
REGULAR = "Helvetica"

# AI 37 (count) is variable length too; labels.gs1 lists the others we print.
VARIABLE = VARIABLE_LENGTH | frozenset({"37"})
MAX_DATA_CHARS = 48  # GS1-128: at most 48 characters per symbol, separators included
# GS1 logistic labels: X-dimension 0.495 mm to 0.940 mm for the SSCC symbol.
SSCC_MODULE_PT = 0.51 * mm
OTHER_MAX_MODULE_PT = 0.02 * inch
MIN_MODULE_PT = 0.0075 * inch  # 7.5 mil: below this, do not print a barcode

# GS1 AI encodable character set 82 (AI 400, 420): no space, no '#', '$', '@', '[' ...
_CSET82 = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]+$")

# Section boundaries and symbol positions, points from the top of the page.
_SUPPLIER_END = 62.0
_CUSTOMER_END = 206.0
_CARRIER_END = 290.0
_CUSTOMER_BARS = (158.0, 190.0)  # top, bottom of the bars
_CARRIER_BARS = (244.0, 274.0)
_SSCC_BARS = (318.0, 406.0)  # 88 pt = 31 mm high


@dataclass(frozen=True, slots=True)
class LogisticLabel:
    """Everything a GS1 logistic label prints for one logistic unit."""

    sscc: str
    unit: str  # "PALLET" or "CARTON"
    ship_from: Address
    ship_to: Address
    ship_from_gln: str | None = None
    ship_to_gln: str | None = None  # AI 410
    po_number: str | None = None  # AI 400
    order_number: str | None = None
    content_gtin: str | None = None  # AI 02: single-SKU units only
    content_count: int | None = None  # AI 37, with AI 02
    content_text: str | None = None  # what people read: "24 x MUG-BLK-S" / "mixed"
    gross_weight_g: int | None = None
    height_mm: int | None = None
    carrier: str | None = None
    service: str | None = None
    bol_number: str | None = None
    pro_number: str | None = None
    ship_date: datetime.date | None = None
    sequence: tuple[int, int] | None = None  # (n, of): carton 2 of 5
    company_prefix_length: int | None = None  # groups the SSCC's digits for people


# ------------------------------------------------------------------------------ elements


def _key_ok(value: str, length: int) -> bool:
    return (
        len(value) == length
        and value.isascii()
        and value.isdigit()
        and gs1_mod10(value[:-1]) == int(value[-1])
    )


def _validate(label: LogisticLabel) -> None:
    if not _key_ok(label.sscc, 18):
        raise ValueError(f"sscc {label.sscc!r} is not 18 digits with a valid check digit")
    if label.ship_to_gln is not None and not _key_ok(label.ship_to_gln, 13):
        raise ValueError(f"ship_to_gln {label.ship_to_gln!r} is not a valid GLN")
    if (label.content_gtin is None) != (label.content_count is None):
        raise ValueError("content_gtin (AI 02) and content_count (AI 37) go together")
    if label.content_gtin is not None and not _key_ok(label.content_gtin, 14):
        raise ValueError(f"content_gtin {label.content_gtin!r} is not a valid GTIN-14")
    if label.content_count is not None and not 0 < label.content_count < 10**8:
        raise ValueError(f"content_count {label.content_count} does not fit AI 37 (1-8 digits)")
    for what in ("gross_weight_g", "height_mm"):
        value = getattr(label, what)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{what} must be an int, got {value!r}")
        if value is not None and value < 0:
            raise ValueError(f"{what} must not be negative, got {value}")


def ship_to_postal_420(postal_code: str) -> str | None:
    """AI 420: the postal code as one authority writes it, spaces dropped, upper case; None
    when it has characters AI 420 cannot carry or is longer than 20."""
    value = "".join(postal_code.split()).upper()
    if not value or len(value) > 20 or not _CSET82.match(value):
        return None
    return value


def purchase_order_400(po_number: str | None) -> str | None:
    """AI 400 (customer's purchase order): up to 30 characters of set 82, else None."""
    value = (po_number or "").strip()
    if not value or len(value) > 30 or not _CSET82.match(value):
        return None
    return value


def _data_chars(elements: list[tuple[str, str]]) -> int:
    """Characters a GS1-128 symbol carries for ``elements`` (separators, not the start FNC1)."""
    data = gs1_data(elements, VARIABLE)
    return len(data) - 1


def _split(group: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    if not group:
        return []
    if _data_chars(group) <= MAX_DATA_CHARS:
        return [group]
    # Keep 02 with 37 (a count means nothing without its GTIN), the rest one per symbol.
    head = [e for e in group if e[0] in ("02", "37")]
    rest = [[e] for e in group if e[0] not in ("02", "37")]
    return ([head] if head else []) + rest


def customer_elements(label: LogisticLabel) -> list[tuple[str, str]]:
    elements: list[tuple[str, str]] = []
    if label.content_gtin is not None and label.content_count is not None:
        elements += [("02", label.content_gtin), ("37", str(label.content_count))]
    po = purchase_order_400(label.po_number)
    if po is not None:
        elements.append(("400", po))
    return elements


def carrier_elements(label: LogisticLabel) -> list[tuple[str, str]]:
    elements: list[tuple[str, str]] = []
    if label.ship_to_gln:
        elements.append(("410", label.ship_to_gln))
    postal = ship_to_postal_420(label.ship_to.postal_code)
    if postal is not None:
        elements.append(("420", postal))  # variable length: last, so no separator needed
    return elements


def symbols(label: LogisticLabel) -> dict[str, list[list[tuple[str, str]]]]:
    """The element strings of each section's GS1-128 symbols (a section may have none)."""
    _validate(label)
    return {
        "customer": _split(customer_elements(label)),
        "carrier": _split(carrier_elements(label)),
        "sscc": [[("00", label.sscc)]],
    }


def sscc_text(label: LogisticLabel) -> str:
    s = label.sscc
    n = label.company_prefix_length
    if n is None or not 6 <= n <= 12:
        return f"(00) {s[0]} {s[1:17]} {s[17]}"
    return f"(00) {s[0]} {s[1 : 1 + n]} {s[1 + n : 17]} {s[17]}"


def format_kg(grams: int) -> str:
    kg = (Decimal(grams) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{kg} kg"


def _city_line(address: Address) -> str:
    parts = [printable(address.postal_code), printable(address.city), printable(address.region)]
    return " ".join(p for p in parts if p)


def _address_lines(address: Address) -> list[tuple[str, bool]]:
    """(text, big) per printed line of an address."""
    lines = [
        (printable(address.name), True),
        (printable(address.company), False),
        (printable(address.line1), False),
        (printable(address.line2), False),
        (_city_line(address), True),
        (printable(address.country).upper(), True),
    ]
    return [(t, big) for t, big in lines if t]


def _facts(label: LogisticLabel) -> list[tuple[str, str]]:
    """The customer section's right-hand column: label, value."""
    facts: list[tuple[str, str]] = []
    if printable(label.po_number):
        facts.append(("PURCHASE ORDER", printable(label.po_number)))
    if printable(label.content_text):
        facts.append(("CONTENT", printable(label.content_text)))
    measures = []
    if label.gross_weight_g is not None:
        measures.append(format_kg(label.gross_weight_g))
    if label.height_mm is not None:
        measures.append(f"H {label.height_mm} mm")
    if measures:
        facts.append(("GROSS WEIGHT / HEIGHT", " · ".join(measures)))
    return facts


def _unit_text(label: LogisticLabel) -> str:
    unit = printable(label.unit).upper() or "LOGISTIC UNIT"
    if label.sequence is not None:
        n, of = label.sequence
        return f"{unit} {n} OF {of}"
    return unit


def _carrier_lines(label: LogisticLabel) -> tuple[str, str, str]:
    carrier = printable(label.carrier).upper()
    service = printable(label.service).upper()
    refs = []
    if printable(label.bol_number):
        refs.append(f"BOL {printable(label.bol_number)}")
    if printable(label.pro_number):
        refs.append(f"PRO {printable(label.pro_number)}")
    return carrier, service, "   ".join(refs)


# ----------------------------------------------------------------------------------- PDF


def _pdf_symbol(
    canvas: Any,
    elements: list[tuple[str, str]],
    top: float,
    bottom: float,
    max_module: float,
    hri: bool = True,
) -> None:
    data = gs1_data(elements, VARIABLE)
    probe: Any = Code128(data, barWidth=1.0, quiet=0)
    modules = float(probe.width) + 20  # 10-module quiet zones
    module = min(max_module, CONTENT_WIDTH / modules)
    if module < MIN_MODULE_PT:
        raise ValueError(f"GS1-128 {human_readable(elements)} is too long for the label")
    barcode: Any = Code128(
        data,
        barWidth=module,
        barHeight=bottom - top,
        quiet=1,
        lquiet=10 * module,
        rquiet=10 * module,
        humanReadable=0,
    )
    barcode.drawOn(canvas, PAGE_WIDTH / 2 - float(barcode.width) / 2, PAGE_HEIGHT - bottom)
    if hri:
        text = human_readable(elements)
        size = largest_fitting_size(text, REGULAR, (8, 7, 6), CONTENT_WIDTH)
        canvas.setFont(REGULAR, size)
        canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - bottom - size - 1, text)


def _pdf_stack(
    canvas: Any, groups: list[list[tuple[str, str]]], top: float, bottom: float, max_module: float
) -> None:
    """One or more symbols sharing the space between ``top`` and ``bottom`` (HRI below each)."""
    if not groups:
        return
    slot = (bottom - top + 10) / len(groups)
    for n, group in enumerate(groups):
        y0 = top + n * slot
        _pdf_symbol(canvas, group, y0, y0 + slot - 10, max_module)


def _pdf_text(canvas: Any, x: float, t: float, text: str, font: str, size: float) -> None:
    canvas.setFont(font, size)
    canvas.drawString(x, PAGE_HEIGHT - t, text)


def render_logistic_label_pdf(label: LogisticLabel) -> bytes:
    """One 4x6 inch page. Deterministic (reportlab ``invariant=1``). ``ValueError`` for an
    invalid SSCC, GLN or GTIN, a count without its GTIN, or negative measures."""
    groups = symbols(label)
    buffer = BytesIO()
    c: Any = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    c.setTitle(f"Logistic label {label.sscc}")
    c.setAuthor("Dockhand")
    c.setCreator("Dockhand labels")
    c.setSubject(_unit_text(label))
    c.setLineWidth(1.5)
    c.rect(MARGIN, MARGIN, CONTENT_WIDTH, PAGE_HEIGHT - 2 * MARGIN)
    c.setLineWidth(1)
    for t in (_SUPPLIER_END, _CUSTOMER_END, _CARRIER_END):
        c.line(MARGIN, PAGE_HEIGHT - t, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - t)
    x = MARGIN + 4
    side = 190.0
    left_w = side - x - 6
    right_w = PAGE_WIDTH - MARGIN - 4 - side

    # Supplier
    _pdf_text(c, x, 15, "FROM", BOLD, 6)
    t = 24.0
    supplier = [printable(label.ship_from.name), printable(label.ship_from.line1)]
    supplier.append(_city_line(label.ship_from) + " " + printable(label.ship_from.country))
    if label.ship_from_gln:
        supplier.append(f"GLN {label.ship_from_gln}")
    for n, line in enumerate(s for s in supplier if s.strip()):
        font = BOLD if n == 0 else REGULAR
        _pdf_text(c, x, t, truncate(line, font, 8, left_w), font, 8)
        t += 9.5
    c.line(side - 3, PAGE_HEIGHT - MARGIN, side - 3, PAGE_HEIGHT - _SUPPLIER_END)
    t = 15.0
    if label.ship_date is not None:
        _pdf_text(c, side, t, "SHIP DATE", BOLD, 6)
        _pdf_text(c, side, t + 10, label.ship_date.isoformat(), BOLD, 9)
        t += 21
    if printable(label.order_number):
        _pdf_text(c, side, t, "ORDER", BOLD, 6)
        order = printable(label.order_number)
        _pdf_text(c, side, t + 10, truncate(order, BOLD, 9, right_w), BOLD, 9)

    # Customer
    _pdf_text(c, x, _SUPPLIER_END + 9, "TO", BOLD, 7)
    t = _SUPPLIER_END + 11
    for text, big in _address_lines(label.ship_to):
        size = 12.0 if big else 9.5
        font = BOLD if big else REGULAR
        for part in wrap(text, font, size, left_w - 10, 1):
            t += size * 1.12
            _pdf_text(c, x + 10, t, part, font, size)
        if t > _CUSTOMER_BARS[0] - 14:
            break
    c.line(side - 3, PAGE_HEIGHT - _SUPPLIER_END, side - 3, PAGE_HEIGHT - (_CUSTOMER_BARS[0] - 6))
    t = _SUPPLIER_END + 9
    for title, value in _facts(label):
        _pdf_text(c, side, t, title, BOLD, 6)
        size = 12.0 if title == "PURCHASE ORDER" else 8.0
        font = BOLD if title != "CONTENT" else REGULAR
        for part in wrap(value, font, size, right_w, 3 if title == "CONTENT" else 1):
            t += size * 1.15
            _pdf_text(c, side, t, part, font, size)
        t += 9
    _pdf_stack(c, groups["customer"], *_CUSTOMER_BARS, OTHER_MAX_MODULE_PT)

    # Carrier
    carrier, service, refs = _carrier_lines(label)
    _pdf_text(c, x, _CUSTOMER_END + 8, "CARRIER", BOLD, 6)
    if carrier:
        size = largest_fitting_size(carrier, BOLD, (13, 12, 11, 10, 9), CONTENT_WIDTH * 0.55)
        _pdf_text(
            c,
            x,
            _CUSTOMER_END + 21,
            truncate(carrier, BOLD, size, CONTENT_WIDTH * 0.55),
            BOLD,
            size,
        )
    if service:
        c.setFont(BOLD, 10)
        c.drawRightString(
            PAGE_WIDTH - MARGIN - 4,
            PAGE_HEIGHT - (_CUSTOMER_END + 21),
            truncate(service, BOLD, 10, CONTENT_WIDTH * 0.4),
        )
    if refs:
        _pdf_text(
            c, x, _CUSTOMER_END + 32, truncate(refs, REGULAR, 7.5, CONTENT_WIDTH - 8), REGULAR, 7.5
        )
    _pdf_stack(c, groups["carrier"], *_CARRIER_BARS, OTHER_MAX_MODULE_PT)

    # SSCC
    _pdf_text(c, x, _CARRIER_END + 9, "SSCC", BOLD, 7)
    c.setFont(BOLD, 9)
    c.drawRightString(PAGE_WIDTH - MARGIN - 4, PAGE_HEIGHT - (_CARRIER_END + 9), _unit_text(label))
    c.setFont(BOLD, 14)
    c.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - (_CARRIER_END + 24), sscc_text(label))
    _pdf_symbol(c, groups["sscc"][0], *_SSCC_BARS, SSCC_MODULE_PT, hri=False)

    c.showPage()
    c.save()
    return buffer.getvalue()


# ----------------------------------------------------------------------------------- ZPL


def _zpl_module(z: ZplLabel, points: float) -> int:
    return max(2, round(points * z.dpi / 72))


def _zpl_stack(
    z: ZplLabel,
    groups: list[list[tuple[str, str]]],
    top: float,
    bottom: float,
    max_module: int,
    content: int,
    left: int,
) -> None:
    if not groups:
        return
    d = z.dots
    slot = (bottom - top + 10) / len(groups)
    for n, group in enumerate(groups):
        y0 = top + n * slot
        data = gs1_data(group, VARIABLE)
        z.centred_code128(d(y0), data, d(slot - 10), max_width=content, max_module=max_module)
        z.text(left, d(y0 + slot - 9), human_readable(group), d(7), width=content, align="C")


def render_logistic_label_zpl(label: LogisticLabel, dpi: int = 203) -> bytes:
    """The same label as one ZPL II format at 203 or 300 dpi; customer text cannot inject
    commands (see :mod:`labels.zpl`). Raises ``ValueError`` like the PDF renderer, and when
    a symbol would need bars thinner than 2 dots."""
    groups = symbols(label)
    z = ZplLabel(round(4 * dpi), round(6 * dpi), dpi)
    d = z.dots
    m = d(MARGIN)
    right = d(PAGE_WIDTH - MARGIN)
    content = right - m
    z.box(m, m, content, d(PAGE_HEIGHT - 2 * MARGIN), d(1.5))
    for t in (_SUPPLIER_END, _CUSTOMER_END, _CARRIER_END):
        z.box(m, d(t), content, d(1), d(1))
    x = m + d(4)
    side = d(190)
    left_w = side - x - d(6)
    right_w = right - d(4) - side

    # Supplier
    z.text(x, d(10), "FROM", d(6))
    t = 18.0
    supplier = [printable(label.ship_from.name), printable(label.ship_from.line1)]
    supplier.append(_city_line(label.ship_from) + " " + printable(label.ship_from.country))
    if label.ship_from_gln:
        supplier.append(f"GLN {label.ship_from_gln}")
    for line in (s for s in supplier if s.strip()):
        z.text(x, d(t), line, d(8), width=left_w)
        t += 9.5
    z.box(side - d(3), m, d(1), d(_SUPPLIER_END) - m, d(1))
    t = 10.0
    if label.ship_date is not None:
        z.text(side, d(t), "SHIP DATE", d(6))
        z.text(side, d(t + 8), label.ship_date.isoformat(), d(9), width=right_w)
        t += 21
    if printable(label.order_number):
        z.text(side, d(t), "ORDER", d(6))
        z.text(side, d(t + 8), label.order_number or "", d(9), width=right_w)

    # Customer
    z.text(x, d(_SUPPLIER_END + 3), "TO", d(7))
    t = _SUPPLIER_END + 4
    for text, big in _address_lines(label.ship_to):
        size = 12.0 if big else 9.5
        z.text(x + d(10), d(t), text, d(size), width=left_w - d(10))
        t += size * 1.12
        if t > _CUSTOMER_BARS[0] - 14:
            break
    z.box(side - d(3), d(_SUPPLIER_END), d(1), d(_CUSTOMER_BARS[0] - 6 - _SUPPLIER_END), d(1))
    t = _SUPPLIER_END + 3
    for title, value in _facts(label):
        z.text(side, d(t), title, d(6))
        t += 7
        size = 12.0 if title == "PURCHASE ORDER" else 8.0
        lines = 3 if title == "CONTENT" else 1
        t_end = z.paragraph(side, d(t), value, d(size), right_w, lines)
        t = t_end * 72 / dpi + 3
    _zpl_stack(
        z, groups["customer"], *_CUSTOMER_BARS, _zpl_module(z, OTHER_MAX_MODULE_PT), content, m
    )

    # Carrier
    carrier, service, refs = _carrier_lines(label)
    z.text(x, d(_CUSTOMER_END + 3), "CARRIER", d(6))
    if carrier:
        sizes = [d(s) for s in (13, 12, 11, 10, 9)]
        z.fitted_text(x, d(_CUSTOMER_END + 10), carrier, sizes, round(content * 0.55))
    if service:
        z.text(
            right - d(4) - round(content * 0.4),
            d(_CUSTOMER_END + 11),
            service,
            d(10),
            width=round(content * 0.4),
            align="R",
        )
    if refs:
        z.text(x, d(_CUSTOMER_END + 25), refs, d(7.5), width=content - d(8))
    _zpl_stack(
        z, groups["carrier"], *_CARRIER_BARS, _zpl_module(z, OTHER_MAX_MODULE_PT), content, m
    )

    # SSCC
    z.text(x, d(_CARRIER_END + 3), "SSCC", d(7))
    unit = _unit_text(label)
    z.text(right - d(4) - d(150), d(_CARRIER_END + 3), unit, d(9), width=d(150), align="R")
    z.text(m, d(_CARRIER_END + 12), sscc_text(label), d(14), width=content, align="C")
    sscc_data = gs1_data(groups["sscc"][0], VARIABLE)
    module = _zpl_module(z, SSCC_MODULE_PT)
    total = encode_code128(sscc_data).modules + 20
    module = min(module, content // total)
    z.centred_code128(
        d(_SSCC_BARS[0]),
        sscc_data,
        d(_SSCC_BARS[1] - _SSCC_BARS[0]),
        max_width=content,
        max_module=module,
    )
    return z.render()
