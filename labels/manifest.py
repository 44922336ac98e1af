"""End-of-day manifest for one carrier: an A4 PDF the driver signs, and the same lines as CSV.

The PDF has the manifest number as Code 128 (the carrier's depot scans it), the carrier,
ship day and closing time, a table of every carton (tracking number, carton, order, service,
destination, weight) that breaks across pages with its header repeated, the carton count and
total weight, and lines for the driver's name, signature and the collection time.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from io import BytesIO
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch, mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from labels._barcode import fitted_code128
from labels._text import printable
from labels.model import Manifest

_BASE = ParagraphStyle("mf-base", fontName="Helvetica", fontSize=9, leading=11)
_TITLE = ParagraphStyle(
    "mf-title", parent=_BASE, fontName="Helvetica-Bold", fontSize=18, leading=22
)
_BOLD = ParagraphStyle("mf-bold", parent=_BASE, fontName="Helvetica-Bold")

CSV_HEADER = (
    "manifest_id",
    "carrier",
    "ship_day",
    "tracking_number",
    "carton_id",
    "order_number",
    "service",
    "country",
    "postal_code",
    "weight_g",
)


def _kg(grams: int) -> str:
    return str((Decimal(grams) / 1000).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP))


def render_manifest_pdf(manifest: Manifest) -> bytes:
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"Manifest {manifest.manifest_id}",
        author="Dockhand",
        creator="Dockhand labels",
        invariant=1,
    )
    width = A4[0] - 30 * mm
    barcode, _ = fitted_code128(
        manifest.manifest_id,
        max_width=width * 0.5,
        bar_height=0.55 * inch,
        max_module=0.015 * inch,
        what="manifest_id",
    )
    barcode.hAlign = "RIGHT"
    head: list[Any] = [
        Paragraph(f"MANIFEST {escape(manifest.manifest_id)}", _TITLE),
        Paragraph(
            f"<b>{escape(printable(manifest.carrier_name))}</b> ({escape(manifest.carrier)}) "
            f"&nbsp; Ship day <b>{manifest.ship_day.isoformat()}</b>",
            _BASE,
        ),
        Paragraph(
            f"Closed {manifest.closed_at.strftime('%Y-%m-%d %H:%M')} UTC by "
            f"{escape(printable(manifest.closed_by))} &nbsp; From "
            f"{escape(printable(manifest.ship_from.name))}, "
            f"{escape(printable(manifest.ship_from.postal_code))}",
            _BASE,
        ),
    ]
    top = Table([[head, barcode]], colWidths=(width * 0.5, width * 0.5))
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    rows: list[list[Any]] = [
        ["#", "Tracking number", "Carton", "Order", "Service", "To", "kg"],
    ]
    for n, line in enumerate(manifest.lines, start=1):
        rows.append(
            [
                str(n),
                line.tracking_number,
                line.carton_id,
                printable(line.order_number)[:24],
                printable(line.service)[:14],
                f"{printable(line.country)} {printable(line.postal_code)}"[:14],
                _kg(line.weight_g),
            ]
        )
    rows.append(
        ["", f"{len(manifest.lines)} cartons", "", "", "", "Total", _kg(manifest.total_weight_g)]
    )
    table = Table(
        rows,
        colWidths=(10 * mm, 48 * mm, 24 * mm, 36 * mm, 24 * mm, 24 * mm, 14 * mm),
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 9),
                ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
                ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 9),
                ("FONT", (1, 1), (1, -2), "Courier", 8.5),
                ("ALIGN", (-1, 0), (-1, -1), "RIGHT"),
                ("LINEBELOW", (0, 0), (-1, 0), 1, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 1, colors.black),
                (
                    "ROWBACKGROUNDS",
                    (0, 1),
                    (-1, -2),
                    [colors.white, colors.Color(0.94, 0.94, 0.94)],
                ),
            ]
        )
    )
    sign = Table(
        [["Driver name", "Signature", "Collected at"], ["", "", ""]],
        colWidths=(width / 3,) * 3,
        rowHeights=(12, 28),
    )
    sign.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                ("BOX", (0, 1), (-1, 1), 0.8, colors.black),
                ("INNERGRID", (0, 1), (-1, 1), 0.8, colors.black),
            ]
        )
    )
    summary = Paragraph(
        f"<b>{len(manifest.lines)}</b> cartons, total <b>{_kg(manifest.total_weight_g)} kg</b> "
        f"({manifest.total_weight_g} g)",
        _BOLD,
    )
    doc.build([top, Spacer(1, 6 * mm), table, Spacer(1, 4 * mm), summary, Spacer(1, 8 * mm), sign])
    return buffer.getvalue()


def render_manifest_csv(manifest: Manifest) -> bytes:
    """UTF-8 CSV, one row per carton, header first; weights in grams."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for line in manifest.lines:
        writer.writerow(
            [
                manifest.manifest_id,
                manifest.carrier,
                manifest.ship_day.isoformat(),
                line.tracking_number,
                line.carton_id,
                _csv_safe(line.order_number),
                line.service,
                line.country,
                _csv_safe(line.postal_code),
                line.weight_g,
            ]
        )
    return out.getvalue().encode("utf-8")


def _csv_safe(value: str) -> str:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value
