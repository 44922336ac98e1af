"""Straight bill of lading (A4 PDF) for one consignee's freight handed to one carrier.

Laid out like the VICS bill of lading the freight industry uses: the BOL number (a GSIN,
AI 402) as GS1-128 and the carrier's PRO number as Code 128 at the top; ship from (shipper,
with GLN), ship to (consignee, with GLN), third-party freight billing; carrier, service,
trailer and seal; freight charge terms; special instructions; customer order information
(purchase order, packages, weight, on pallets, payment terms); carrier information (one row
per handling unit: pallet count and type, packages, weight, commodity with the SSCC, NMFC
class when given); totals; and the signature blocks for the shipper, the carrier and the
consignee. Deterministic (reportlab ``invariant=1``); customer text is escaped, never markup.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from labels._barcode import fitted_code128
from labels._text import printable
from labels.gs1 import gs1_mod10
from labels.model import Address
from labels.zpl import FNC1

FREIGHT_TERMS = {"prepaid": "Prepaid", "collect": "Collect", "third_party": "3rd party"}

_BASE = ParagraphStyle("bol-base", fontName="Helvetica", fontSize=8.5, leading=10.5)
_SMALL = ParagraphStyle("bol-small", parent=_BASE, fontSize=7, leading=8.5)
_HEAD = ParagraphStyle("bol-head", parent=_BASE, fontName="Helvetica-Bold", fontSize=7.5)
_TITLE = ParagraphStyle(
    "bol-title", parent=_BASE, fontName="Helvetica-Bold", fontSize=17, leading=21
)
_BOLD = ParagraphStyle("bol-bold", parent=_BASE, fontName="Helvetica-Bold")


@dataclass(frozen=True, slots=True)
class BolParty:
    address: Address
    gln: str | None = None
    account: str | None = None  # the freight account of a third party that pays
    reference: str | None = None  # SID / location number


@dataclass(frozen=True, slots=True)
class BolOrder:
    """One purchase order on the shipment (customer order information)."""

    po_number: str | None
    order_number: str
    packages: int
    weight_g: int
    on_pallets: bool
    info: str | None = None  # additional shipper information: terms, partial shipment ...


@dataclass(frozen=True, slots=True)
class BolUnit:
    """One handling unit: a pallet (with its cartons) or a loose carton."""

    kind: str  # "PLT" or "CTN"
    packages: int  # cartons on it
    weight_g: int
    description: str
    sscc: str | None = None
    dims_mm: tuple[int, int, int] | None = None
    freight_class: str | None = None
    nmfc: str | None = None
    hazardous: bool = False


@dataclass(frozen=True, slots=True)
class Bol:
    number: str  # a GSIN: 17 digits, GS1 mod 10 check digit
    ship_date: datetime.date
    shipper: BolParty
    consignee: BolParty
    carrier_name: str
    carrier_code: str
    service: str
    freight_terms: str  # prepaid, collect, third_party
    orders: tuple[BolOrder, ...]
    units: tuple[BolUnit, ...]
    third_party: BolParty | None = None
    pro_number: str | None = None
    trailer_number: str | None = None
    seal_number: str | None = None
    special_instructions: str | None = None

    @property
    def total_weight_g(self) -> int:
        return sum(u.weight_g for u in self.units)

    @property
    def total_packages(self) -> int:
        return sum(u.packages for u in self.units)


def kg(grams: int) -> str:
    return str((Decimal(grams) / 1000).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _validate(bol: Bol) -> None:
    n = bol.number
    if not (len(n) == 17 and n.isascii() and n.isdigit() and gs1_mod10(n[:-1]) == int(n[-1])):
        raise ValueError(f"BOL number {n!r} is not a GSIN (17 digits, valid check digit)")
    if bol.freight_terms not in FREIGHT_TERMS:
        raise ValueError(f"freight_terms must be one of {', '.join(FREIGHT_TERMS)}")
    if bol.freight_terms == "third_party" and bol.third_party is None:
        raise ValueError("third-party freight terms need the party that pays")
    if not bol.units:
        raise ValueError("a bill of lading needs at least one handling unit")
    for u in bol.units:
        if isinstance(u.weight_g, bool) or not isinstance(u.weight_g, int) or u.weight_g < 0:
            raise ValueError(f"weight_g must be a non-negative int, got {u.weight_g!r}")


def _p(text: str | None, style: ParagraphStyle = _BASE) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _party(title: str, party: BolParty | None) -> list[Any]:
    out: list[Any] = [Paragraph(escape(title), _HEAD)]
    if party is None:
        out.append(_p("(none)", _SMALL))
        return out
    a = party.address
    lines = [a.company or "", a.name, a.line1, a.line2 or ""]
    city = " ".join(
        p for p in (printable(a.postal_code), printable(a.city), printable(a.region)) if p
    )
    lines += [f"{city} {printable(a.country)}".strip()]
    for n, line in enumerate(x for x in lines if printable(x)):
        out.append(_p(line, _BOLD if n == 0 else _BASE))
    if party.gln:
        out.append(_p(f"GLN {party.gln}", _SMALL))
    if party.account:
        out.append(_p(f"Freight account {party.account}", _SMALL))
    if party.reference:
        out.append(_p(party.reference, _SMALL))
    return out


def _gsin_barcode(number: str, width: float) -> Any:
    data = FNC1 + "402" + number
    probe: Any = Code128(data, barWidth=1.0, quiet=0)
    module = min(0.015 * inch, width / (float(probe.width) + 20))
    barcode: Any = Code128(
        data,
        barWidth=module,
        barHeight=0.5 * inch,
        quiet=1,
        lquiet=10 * module,
        rquiet=10 * module,
        humanReadable=0,
    )
    barcode.hAlign = "RIGHT"
    return barcode


def _box(title: str, rows: list[Any]) -> list[Any]:
    return [Paragraph(escape(title), _HEAD), *rows]


def _check(flag: bool) -> str:
    return "[X]" if flag else "[  ]"


def render_bill_of_lading_pdf(bol: Bol) -> bytes:
    """The bill of lading as an A4 PDF; the tables break across pages with their headers."""
    _validate(bol)
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Bill of lading {bol.number}",
        author="Dockhand",
        creator="Dockhand labels",
        invariant=1,
    )
    width = A4[0] - 24 * mm
    half = width / 2
    story: list[Any] = []

    head = [
        Paragraph("BILL OF LADING", _TITLE),
        _p("Straight bill of lading, not negotiable", _SMALL),
        _p(f"Date {bol.ship_date.isoformat()}", _BOLD),
    ]
    number = [
        _gsin_barcode(bol.number, half - 10),
        Paragraph(f"BOL number (402) {escape(bol.number)}", _BOLD),
    ]
    top = Table([[head, number]], colWidths=(half, half))
    top.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (1, 0), (1, 0), "RIGHT")])
    )
    story += [top, Spacer(1, 3 * mm)]

    carrier_rows: list[Any] = [
        _p(f"{bol.carrier_name} ({bol.carrier_code})", _BOLD),
        _p(f"Service: {bol.service}"),
        _p(f"Trailer number: {bol.trailer_number or '-'}"),
        _p(f"Seal number(s): {bol.seal_number or '-'}"),
    ]
    if bol.pro_number:
        barcode, _ = fitted_code128(
            bol.pro_number,
            max_width=half - 12,
            bar_height=0.4 * inch,
            max_module=0.013 * inch,
            what="pro_number",
        )
        carrier_rows += [_p(f"PRO number: {bol.pro_number}", _BOLD), barcode]
    terms = "   ".join(
        f"{_check(bol.freight_terms == code)} {text}" for code, text in FREIGHT_TERMS.items()
    )
    instructions = printable(bol.special_instructions) or "None"
    parties = Table(
        [
            [_party("SHIP FROM (SHIPPER)", bol.shipper), _box("CARRIER", carrier_rows)],
            [
                _party("SHIP TO (CONSIGNEE)", bol.consignee),
                _party("THIRD PARTY FREIGHT CHARGES BILL TO", bol.third_party),
            ],
            [
                _box("SPECIAL INSTRUCTIONS", [_p(instructions)]),
                _box(
                    "FREIGHT CHARGE TERMS (freight charges are prepaid unless marked otherwise)",
                    [_p(terms, _BOLD)],
                ),
            ],
        ],
        colWidths=(half, half),
    )
    parties.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
            ]
        )
    )
    story += [parties, Spacer(1, 3 * mm)]

    # Customer order information
    rows: list[list[Any]] = [
        ["CUSTOMER ORDER NUMBER (PO)", "# PKGS", "CARTONS kg", "PALLET/SLIP", "ADDITIONAL INFO"]
    ]
    for o in bol.orders:
        rows.append(
            [
                _p(o.po_number or "-", _BOLD),
                str(o.packages),
                kg(o.weight_g),
                "Y" if o.on_pallets else "N",
                _p(" · ".join(x for x in (printable(o.order_number), printable(o.info)) if x)),
            ]
        )
    rows.append(
        [
            "GRAND TOTAL",
            str(sum(o.packages for o in bol.orders)),
            kg(sum(o.weight_g for o in bol.orders)),
            "",
            "",
        ]
    )
    orders = Table(
        rows,
        colWidths=(width * 0.28, width * 0.09, width * 0.12, width * 0.12, width * 0.39),
        repeatRows=1,
    )
    orders.setStyle(_grid_style())
    story += [Paragraph("CUSTOMER ORDER INFORMATION", _HEAD), orders, Spacer(1, 3 * mm)]

    # Carrier information: one row per handling unit
    rows = [
        [
            "HANDLING UNIT",
            "PACKAGE",
            "GROSS kg",
            "H.M.",
            "COMMODITY DESCRIPTION",
            "NMFC #",
            "CLASS",
        ]
    ]
    for u in bol.units:
        described = printable(u.description)
        if u.sscc:
            described += f" · SSCC {u.sscc}"
        if u.dims_mm:
            described += " · {} x {} x {} mm".format(*u.dims_mm)
        rows.append(
            [
                f"1 {u.kind}",
                f"{u.packages} CTN",
                kg(u.weight_g),
                "X" if u.hazardous else "",
                _p(described, _SMALL),
                printable(u.nmfc) or "",
                printable(u.freight_class) or "",
            ]
        )
    pallets = sum(1 for u in bol.units if u.kind == "PLT")
    loose = len(bol.units) - pallets
    rows.append(
        [
            f"{pallets} PLT" + (f" + {loose} CTN" if loose else ""),
            f"{bol.total_packages} CTN",
            kg(bol.total_weight_g),
            "",
            "GRAND TOTAL",
            "",
            "",
        ]
    )
    units = Table(
        rows,
        colWidths=(
            width * 0.12,
            width * 0.1,
            width * 0.1,
            width * 0.06,
            width * 0.44,
            width * 0.09,
            width * 0.09,
        ),
        repeatRows=1,
    )
    units.setStyle(_grid_style())
    story += [Paragraph("CARRIER INFORMATION", _HEAD), units, Spacer(1, 2 * mm)]
    story.append(
        _p(
            "Received, subject to the carrier's terms and tariffs in force on the date of this "
            "bill, the goods described above in apparent good order, except as noted. The "
            "carrier may not make delivery without payment of freight and all other lawful "
            "charges.",
            _SMALL,
        )
    )
    story.append(Spacer(1, 3 * mm))
    story.append(_signatures(width))
    doc.build(story)
    return buffer.getvalue()


def _grid_style() -> TableStyle:
    return TableStyle(
        [
            ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 7),
            ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8.5),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
            ("INNERGRID", (0, 0), (-1, -1), 0.4, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.9, 0.9, 0.9)),
        ]
    )


def _signatures(width: float) -> Table:
    shipper = [
        Paragraph("SHIPPER SIGNATURE / DATE", _HEAD),
        _p(
            "The materials above are properly classified, described, packaged, marked and "
            "labelled, and in proper condition for transport.",
            _SMALL,
        ),
        Spacer(1, 12 * mm),
        _p("Signature ________________  Date ________", _SMALL),
    ]
    loading = [
        Paragraph("TRAILER LOADED / FREIGHT COUNTED", _HEAD),
        _p("[  ] By shipper     [  ] By driver", _SMALL),
        Spacer(1, 2 * mm),
        _p("[  ] By shipper", _SMALL),
        _p("[  ] By driver / pallets said to contain", _SMALL),
        _p("[  ] By driver / pieces", _SMALL),
    ]
    carrier = [
        Paragraph("CARRIER SIGNATURE / PICKUP DATE", _HEAD),
        _p(
            "Carrier acknowledges receipt of the packages and the required placards; "
            "emergency response information was made available.",
            _SMALL,
        ),
        Spacer(1, 8 * mm),
        _p("Signature ________________  Date ________", _SMALL),
    ]
    consignee = [
        Paragraph("CONSIGNEE: RECEIVED IN GOOD ORDER, EXCEPT AS NOTED", _HEAD),
        _p(
            "Pallets received ______   Cartons received ______   Exceptions "
            "__________________________________________",
            _SMALL,
        ),
        Spacer(1, 8 * mm),
        _p(
            "Name ______________________   Signature ______________________   Date __________",
            _SMALL,
        ),
    ]
    third = width / 3
    table = Table(
        [[shipper, loading, carrier], [consignee, "", ""]], colWidths=(third, third, third)
    )
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 1), (2, 1)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                ("INNERGRID", (0, 0), (-1, -1), 0.5, colors.black),
            ]
        )
    )
    return table
