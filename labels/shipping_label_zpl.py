"""4x6 inch shipping label as ZPL II, for thermal printers at 203 or 300 dpi.

The same content as the PDF label (:mod:`labels.shipping_label`), laid out top-down, plus a
routing strip: the destination country and postal code in large type and as a GS1-128
"ship to postal code" (AI 421) barcode for the carrier's sorters. Coordinates below are in
points from the top-left corner and converted to dots for the printer's resolution::

      8 +--------------------------------+-----------+
        | FROM                           | SHIP DATE |
     74 +--------------------------------+-----------+
        | SHIP TO  name, company, street, city, country|
    158 +--------------------------------------------+
        | GB SW1Y         ||| (421) 826SW1Y4JH |||   |
    196 +============================================+
        | CARRIER                    SERVICE (white) |
    236 +============================================+
        | TRACKING #  ||| Code 128, 1 inch |||       |
    342 +--------------------------------------------+
        | ORDER  REF  / CARTON ||| Code 128 |||       |
    424 +--------------------------------------------+
"""

from __future__ import annotations

from labels._text import printable
from labels.gs1 import VARIABLE_LENGTH, human_readable, ship_to_postal
from labels.model import Address, ShippingLabel
from labels.shipping_label import format_weight
from labels.zpl import ZplLabel, gs1_data

PAGE_W_PT, PAGE_H_PT = 288.0, 432.0
MARGIN_PT = 8.0


def _city_line(address: Address) -> str:
    parts = [printable(address.city), printable(address.region), printable(address.postal_code)]
    return " ".join(p for p in parts if p)


def routing_text(address: Address) -> str:
    """``GB SW1Y``: country and the first part of the postal code, for people at a sorter."""
    postal = printable(address.postal_code).upper()
    first = postal.split(" ")[0] if " " in postal else postal[:5]
    return f"{printable(address.country).upper()[:3]} {first}".strip()


def _validate(label: ShippingLabel) -> None:
    for what in ("tracking_number", "carton_id"):
        value = getattr(label, what)
        if not value:
            raise ValueError(f"{what} must not be empty")
    if isinstance(label.weight_g, bool) or not isinstance(label.weight_g, int):
        raise ValueError(f"weight_g must be an int, got {label.weight_g!r}")
    if label.weight_g < 0:
        raise ValueError(f"weight_g must not be negative, got {label.weight_g}")


def render_shipping_label_zpl(label: ShippingLabel, dpi: int = 203) -> bytes:
    """One ``^XA ... ^XZ`` label format for ``label``. Deterministic; customer text cannot
    inject commands (see :mod:`labels.zpl`). Raises ``ValueError`` like the PDF renderer."""
    _validate(label)
    z = ZplLabel(round(4 * dpi), round(6 * dpi), dpi)
    d = z.dots
    m = d(MARGIN_PT)
    right = d(PAGE_W_PT - MARGIN_PT)
    content = right - m
    z.box(m, m, content, d(PAGE_H_PT - 2 * MARGIN_PT), d(1.5))

    # FROM and the date / weight column
    side = d(196)
    z.text(m + d(2), d(11), "FROM", d(6))
    y = d(19)
    for text in (label.ship_from.name, label.ship_from.company, label.ship_from.line1):
        if printable(text):
            z.text(m + d(2), y, text or "", d(8), width=side - m - d(8))
            y += d(9.5)
    z.text(m + d(2), y, _city_line(label.ship_from), d(8), width=side - m - d(8))
    z.box(side - d(2), m, d(1), d(74) - m, d(1))
    col_w = right - side - d(4)
    top = d(11)
    if label.shipped_on is not None:
        z.text(side + d(2), top, "SHIP DATE", d(6))
        z.text(side + d(2), top + d(8), label.shipped_on.isoformat(), d(10), width=col_w)
        top += d(24)
    kg, grams = format_weight(label.weight_g).split(" kg ")
    z.text(side + d(2), top, "WEIGHT", d(6))
    z.text(side + d(2), top + d(8), f"{kg} KG", d(15), width=col_w)
    z.text(side + d(2), top + d(25), grams, d(8), width=col_w)
    z.box(m, d(74), content, d(1), d(1))

    # SHIP TO
    x = m + d(14)
    width = right - x - d(4)
    z.text(m + d(2), d(78), "SHIP TO:", d(8))
    y = z.paragraph(x, d(90), label.ship_to.name, d(14), width, 2)
    for text in (label.ship_to.company, label.ship_to.line1, label.ship_to.line2):
        if printable(text):
            y = z.paragraph(x, y, text or "", d(11), width, 1)
    z.text(x, y, _city_line(label.ship_to), d(13), width=width)
    y += d(15)
    z.text(x, y, printable(label.ship_to.country).upper(), d(13), width=width)
    if printable(label.ship_to.phone):
        z.text(right - d(120), d(78), f"Tel. {label.ship_to.phone}", d(7), width=d(116))
    z.box(m, d(158), content, d(1), d(1))

    # Routing strip: big sort text and the GS1-128 (421) ship-to postal code
    sizes = [d(s) for s in (22, 18, 15, 12)]
    z.fitted_text(m + d(4), d(166), routing_text(label.ship_to), sizes, d(112))
    element = ship_to_postal(label.ship_to.country, label.ship_to.postal_code)
    if element is not None:
        barcode_x = m + d(118)
        z.code128(
            barcode_x,
            d(162),
            gs1_data([element], VARIABLE_LENGTH),
            d(22),
            max_width=right - barcode_x,
            max_module=3,
        )
        z.text(barcode_x, d(186), human_readable([element]), d(7), width=right - barcode_x)

    # Banner: carrier and service in white on black
    z.box(m, d(196), content, d(40), d(40), fill=True)
    carrier_sizes = [d(s) for s in (22, 20, 18, 16, 14, 12)]
    carrier = printable(label.carrier).upper()
    z.fitted_text(m + d(6), d(206), carrier, carrier_sizes, d(150), reverse=True)
    z.text(
        m + d(160),
        d(210),
        printable(label.service).upper(),
        d(13),
        width=right - m - d(166),
        align="R",
        reverse=True,
    )

    # Tracking number
    z.text(m + d(2), d(239), "TRACKING #", d(7))
    z.centred_code128(d(250), label.tracking_number, d(72), max_width=content)
    z.text(m, d(326), label.tracking_number, d(12), width=content, align="C")
    z.box(m, d(342), content, d(1), d(1))

    # Footer: order, reference, carton barcode
    z.text(m + d(2), d(346), "ORDER", d(6))
    z.text(m + d(26), d(345), label.order_number, d(9), width=d(110))
    if printable(label.reference):
        z.text(d(148), d(346), "REF", d(6))
        z.text(d(164), d(345), label.reference or "", d(9), width=right - d(166))
    z.text(m + d(2), d(358), "CARTON", d(6))
    z.centred_code128(d(362), label.carton_id, d(36), max_width=content - d(60), max_module=3)
    z.text(m, d(402), label.carton_id, d(9), width=content, align="C")
    return z.render()
