"""Barcode symbols of any kind zxing-cpp writes (its zint back end), drawn as vector
rectangles on a reportlab canvas: QR Code, GS1 DataMatrix, GS1-128, EAN/UPC, Code 128.

zxing-cpp gives the symbol as SVG whose single path is a list of ``Mx yhWvHh-WZ``
rectangles in module units (quiet zones included); drawing those rectangles keeps the PDF
sharp at any print resolution and byte-for-byte deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import zxingcpp

_RECT = re.compile(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-[\d.]+Z")
_SIZE = re.compile(r'<svg width="([\d.]+)" height="([\d.]+)"')
FORMATS = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "upca": zxingcpp.BarcodeFormat.UPCA,
}


@dataclass(frozen=True)
class Symbol:
    """A symbol in module units, y growing downwards as in SVG, quiet zones included."""

    width: float
    height: float
    rects: tuple[tuple[float, float, float, float], ...]


def _svg_symbol(svg: str) -> Symbol:
    size = _SIZE.search(svg)
    path = re.search(r'<path d="([^"]*)"', svg)
    if size is None or path is None:
        raise ValueError("zxing-cpp wrote an SVG without a symbol")
    rects = tuple(
        (float(x), float(y), float(w), float(h)) for x, y, w, h in _RECT.findall(path.group(1))
    )
    return Symbol(float(size.group(1)), float(size.group(2)), rects)


def make_symbol(kind: str, content: str, *, gs1: bool = False, ec_level: str = "M") -> Symbol:
    """``kind`` is one of :data:`FORMATS`. GS1 content is written with bracketed AIs
    (``[01]09501101530003[10]LOT7``) and ``gs1=True``: FNC1 first, GS separators where the
    standard needs them. A DataMatrix is always square (rectangular DMRE sizes are not read
    by every scanner on a floor)."""
    fmt = FORMATS[kind]
    options: dict[str, Any] = {"gs1": True} if gs1 else {}
    if kind == "qr":
        options["ec_level"] = ec_level
    if kind == "datamatrix":
        for version in range(1, 25):  # the square sizes, smallest first
            try:
                barcode = zxingcpp.create_barcode(content, fmt, version=str(version), **options)
            except Exception:  # "input too long for version N": try the next size up
                continue
            return _svg_symbol(zxingcpp.write_barcode_to_svg(barcode))
        raise ValueError(f"{content!r} does not fit a square DataMatrix")
    barcode = zxingcpp.create_barcode(content, fmt, **options)
    return _svg_symbol(zxingcpp.write_barcode_to_svg(barcode))


def draw_symbol(
    canvas: Any,
    symbol: Symbol,
    x: float,
    top: float,
    module: float,
    bar_height: float | None = None,
) -> tuple[float, float]:
    """Draw ``symbol`` with its top-left corner at (x, top); linear symbols may be stretched
    to ``bar_height`` points. Returns the (width, height) drawn, in points."""
    scale_y = module if bar_height is None else bar_height / symbol.height
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.setStrokeColorRGB(0, 0, 0)
    for rx, ry, rw, rh in symbol.rects:
        canvas.rect(
            x + rx * module,
            top - (ry + rh) * scale_y,
            rw * module,
            rh * scale_y,
            stroke=0,
            fill=1,
        )
    canvas.restoreState()
    return symbol.width * module, symbol.height * scale_y
