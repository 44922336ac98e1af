"""A small test label for a station's printer (Station set-up's "Test print"): the station,
the printer, when, and a Code 128 that scans back to ``TEST-<station>``. ZPL for a network
label printer, or a 4x6 PDF for a station that prints from the browser."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from labels._barcode import draw_centered_code128
from labels._text import printable
from labels.zpl import encode_code128, hex_field


@dataclass(frozen=True)
class PrinterTestLabel:
    station: str
    printer: str  # how the printer is named on the set-up page
    printed_at: datetime
    by: str = ""

    @property
    def barcode(self) -> str:
        return f"TEST-{self.station}"

    def lines(self) -> list[str]:
        when = self.printed_at.strftime("%Y-%m-%d %H:%M UTC")
        return [
            f"Station {self.station}",
            f"Printer {self.printer}",
            f"{when}{' by ' + self.by if self.by else ''}",
        ]


def render_test_label_zpl(label: PrinterTestLabel, dpi: int = 203) -> bytes:
    """ZPL II for a label at least 2 x 1.25 inch; coordinates scale with the printer's dpi."""

    def d(dots_at_203: int) -> int:
        return round(dots_at_203 * dpi / 203)

    code = encode_code128(printable(label.barcode))
    fields = [
        "^XA",
        "^CI28",
        f"^FO{d(30)},{d(24)}^A0N,{d(40)},{d(40)}^FH^FD{hex_field('Dockhand test print')}^FS",
    ]
    for i, line in enumerate(label.lines()):
        fields.append(
            f"^FO{d(30)},{d(76 + 30 * i)}^A0N,{d(24)},{d(24)}^FH^FD{hex_field(printable(line))}^FS"
        )
    fields += [
        f"^FO{d(30)},{d(176)}^BY{max(2, d(2))}^BCN,{d(60)},N,N,N^FD{code.field_data}^FS",
        "^XZ",
    ]
    return ("\n".join(fields) + "\n").encode("ascii")


def render_test_label_pdf(label: PrinterTestLabel) -> bytes:
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=(4 * inch, 6 * inch), invariant=1)
    c.setTitle(f"Dockhand test print {label.station}")
    c.setFont("Helvetica-Bold", 20)
    c.drawString(0.3 * inch, 5.4 * inch, "Dockhand test print")
    c.setFont("Helvetica", 12)
    for i, line in enumerate(label.lines()):
        c.drawString(0.3 * inch, (5.0 - 0.3 * i) * inch, printable(line))
    draw_centered_code128(
        c,
        label.barcode,
        center_x=2 * inch,
        y=2.8 * inch,
        max_width=3.4 * inch,
        bar_height=0.9 * inch,
        max_module=0.015 * inch,
        what="test barcode",
    )
    c.setFont("Courier", 11)
    c.drawCentredString(2 * inch, 2.55 * inch, label.barcode)
    c.showPage()
    c.save()
    return buffer.getvalue()
