"""The Zebra handheld set-up sheet (A4 PDF): open Dockhand, create the DataWedge profile,
the same profile as a SET_CONFIG bundle in a QR code, and a scanner test with one barcode
of every symbology the profile enables.

What each code is, honestly: the first QR code is the Dockhand address (scanned into
Chrome's address bar it opens the station); the SET_CONFIG QR code carries the JSON bundle
an EMM or provisioning app sends to DataWedge's intent API (DataWedge does not configure
itself from a scan: scanning it into a page only types the JSON); the test barcodes prove a
handheld's profile works end to end on the set-up page's scanner test.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.domain.datawedge import PROFILE_NAME, PROFILE_STEPS, TEST_CODES, ScanSample, set_config
from labels._text import printable, wrap
from labels.symbols import draw_symbol, make_symbol

PAGE_W, PAGE_H = float(A4[0]), float(A4[1])
MARGIN: float = 18 * mm
TEXT_W: float = PAGE_W - 2 * MARGIN
FONT, BOLD, MONO = "Helvetica", "Helvetica-Bold", "Courier"


@dataclass(frozen=True)
class DataWedgeSheet:
    base_url: str  # the Dockhand server as the handhelds reach it, e.g. https://dockhand.local
    station_path: str = "/pick"
    printed_on: date | None = None

    @property
    def station_url(self) -> str:
        return self.base_url.rstrip("/") + self.station_path

    @property
    def scanner_test_url(self) -> str:
        return self.base_url.rstrip("/") + "/setup#scanner-test"

    def set_config_json(self) -> str:
        return json.dumps(set_config(), separators=(",", ":"))


def _paragraph(c: Any, text: str, x: float, y: float, size: float, width: float) -> float:
    """Wrapped text from baseline y down; returns the y below the last line."""
    c.setFont(FONT, size)
    for line in wrap(printable(text), FONT, size, width, max_lines=40):
        c.drawString(x, y, line)
        y -= size * 1.3
    return y


def _heading(c: Any, text: str, y: float, size: float = 15) -> float:
    c.setFont(BOLD, size)
    c.drawString(MARGIN, y, printable(text))
    return y - size * 1.6


def _header(c: Any, sheet: DataWedgeSheet, page: int, pages: int) -> float:
    c.setFont(BOLD, 20)
    c.drawString(MARGIN, PAGE_H - MARGIN - 4, "Zebra handheld set-up for Dockhand")
    c.setFont(FONT, 10)
    when = f" · printed {sheet.printed_on.isoformat()}" if sheet.printed_on else ""
    c.drawString(
        MARGIN,
        PAGE_H - MARGIN - 22,
        printable(f'Server {sheet.base_url} · DataWedge profile "{PROFILE_NAME}"{when}'),
    )
    c.drawRightString(PAGE_W - MARGIN, PAGE_H - MARGIN - 22, f"page {page} of {pages}")
    c.setLineWidth(1)
    c.line(MARGIN, PAGE_H - MARGIN - 30, PAGE_W - MARGIN, PAGE_H - MARGIN - 30)
    return PAGE_H - MARGIN - 56


def _page_open_and_profile(c: Any, sheet: DataWedgeSheet) -> None:
    y = _header(c, sheet, 1, 3)
    y = _heading(c, "1. Open Dockhand in Chrome on the handheld", y)
    qr = make_symbol("qr", sheet.station_url, ec_level="M")
    module = 38 * mm / qr.width
    _, h = draw_symbol(c, qr, MARGIN, y + 4, module)
    text_x = MARGIN + 44 * mm
    after = _paragraph(
        c,
        "Tap Chrome's address bar, scan this code with the trigger and press Go (or type the "
        "address below). Add the page to the home screen so it opens full screen.",
        text_x,
        y - 6,
        11,
        TEXT_W - 44 * mm,
    )
    c.setFont(MONO, 10)
    c.drawString(text_x, after - 4, printable(sheet.station_url))
    y = min(y - h, after - 20) - 10

    y = _heading(c, f'2. Create the DataWedge profile "{PROFILE_NAME}" (DataWedge app)', y)
    y = _paragraph(
        c,
        "Open the DataWedge app on the handheld and set, in this order (or push the same "
        "profile from your device management with the code on page 2):",
        MARGIN,
        y,
        11,
        TEXT_W,
    )
    y -= 4
    left_w = 62 * mm
    for where, what in PROFILE_STEPS:
        c.setFont(BOLD, 9.5)
        left = wrap(printable(where), BOLD, 9.5, left_w - 6, max_lines=4)
        right = wrap(printable(what), FONT, 9.5, TEXT_W - left_w, max_lines=6)
        top = y
        for line in left:
            c.drawString(MARGIN, y, line)
            y -= 12
        y2 = top
        c.setFont(FONT, 9.5)
        for line in right:
            c.drawString(MARGIN + left_w, y2, line)
            y2 -= 12
        y = min(y, y2) - 5
        c.setLineWidth(0.3)
        c.line(MARGIN, y + 9, PAGE_W - MARGIN, y + 9)
    y -= 8
    _paragraph(
        c,
        "Dockhand reads the scanner as a keyboard: the code, then ENTER, with nothing focused. "
        "No prefix or suffix is needed. A GS1 code's group separator must arrive as Ctrl+] "
        "(control characters sent as key events). Check it with the scanner test on page 3.",
        MARGIN,
        y,
        10,
        TEXT_W,
    )


def _page_set_config(c: Any, sheet: DataWedgeSheet) -> None:
    y = _header(c, sheet, 2, 3)
    y = _heading(c, "3. The same profile for device management (DataWedge SET_CONFIG)", y)
    y = _paragraph(
        c,
        "This code holds the profile as the JSON form of a DataWedge SET_CONFIG bundle: send it "
        "as the extra com.symbol.datawedge.api.SET_CONFIG of the intent "
        "com.symbol.datawedge.api.ACTION (nested bundles; PLUGIN_CONFIG is a bundle array). "
        "An EMM, StageNow or a provisioning app does that; DataWedge itself does not read "
        "settings from a scanned code, so scanning this into a page only types the JSON. "
        "The same text is printed below and downloadable from the set-up page.",
        MARGIN,
        y,
        10.5,
        TEXT_W,
    )
    qr = make_symbol("qr", sheet.set_config_json(), ec_level="L")
    size = 100 * mm
    module = size / qr.width
    _, h = draw_symbol(c, qr, (PAGE_W - size) / 2, y - 6, module)
    y = y - 6 - h - 14
    c.setFont(MONO, 7)
    text = sheet.set_config_json()
    per_line = int(TEXT_W // c.stringWidth("M", MONO, 7))
    for start in range(0, len(text), per_line):
        c.drawString(MARGIN, y, text[start : start + per_line])
        y -= 8.5


def _test_code_symbol(code: ScanSample) -> tuple[str, str, bool]:
    if code.key == "gs1_128":
        return "code128", code.human.replace("(", "[").replace(")", "]"), True
    if code.key == "gs1_datamatrix":
        return "datamatrix", code.human.replace("(", "[").replace(")", "]"), True
    kind = {"code128": "code128", "ean13": "ean13", "upca": "upca", "qr": "qr"}[code.key]
    return kind, code.human, False


def _page_scanner_test(c: Any, sheet: DataWedgeSheet) -> None:
    y = _header(c, sheet, 3, 3)
    y = _heading(c, "4. Scanner test", y)
    qr = make_symbol("qr", sheet.scanner_test_url, ec_level="M")
    module = 26 * mm / qr.width
    draw_symbol(c, qr, PAGE_W - MARGIN - 26 * mm, y + 10, module)
    y = _paragraph(
        c,
        "Sign in to Station set-up as an administrator on the handheld (the code on the right "
        "opens it) and open Scanner test. Scan each code below: its row turns green when "
        "Dockhand received exactly the expected text, red with what arrived otherwise.",
        MARGIN,
        y,
        10.5,
        TEXT_W - 32 * mm,
    )
    y -= 16
    col_w = TEXT_W / 2
    for i, code in enumerate(TEST_CODES):
        col, row = i % 2, i // 2
        x = MARGIN + col * col_w
        top = y - row * 62 * mm
        c.setFont(BOLD, 12)
        c.drawString(x, top, code.symbology)
        kind, content, gs1 = _test_code_symbol(code)
        symbol = make_symbol(kind, content, gs1=gs1)
        if kind in ("qr", "datamatrix"):
            _, h = draw_symbol(c, symbol, x, top - 8, 30 * mm / symbol.width)
        else:
            module = min(0.33 * mm, (col_w - 8 * mm) / symbol.width)
            _, h = draw_symbol(c, symbol, x, top - 8, module, bar_height=22 * mm)
        c.setFont(MONO, 9)
        c.drawString(x, top - 8 - h - 12, printable(code.human))


def render_datawedge_sheet(sheet: DataWedgeSheet) -> bytes:
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, invariant=1)
    c.setTitle("Dockhand: Zebra DataWedge set-up")
    c.setAuthor("Dockhand")
    _page_open_and_profile(c, sheet)
    c.showPage()
    _page_set_config(c, sheet)
    c.showPage()
    _page_scanner_test(c, sheet)
    c.showPage()
    c.save()
    return buffer.getvalue()
