"""Code 128 sizing and drawing on a reportlab canvas."""

from __future__ import annotations

from typing import Any

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.units import inch

QUIET_ZONE_MODULES = 10
"""Minimum Code 128 quiet zone on each side, in module widths (ISO/IEC 15417)."""

MIN_MODULE_PT = 0.0075 * inch
"""Narrowest bar we will print (7.5 mil). Below this, the symbol does not scan reliably."""


def check_code128_value(value: str, what: str) -> None:
    """Raise ``ValueError`` unless ``value`` is non-empty printable ASCII.

    reportlab's Code128 silently drops characters it cannot encode, which would print a
    barcode that scans to something other than the text under it; refuse instead.
    """
    if not value:
        raise ValueError(f"{what} must not be empty")
    bad = sorted({ch for ch in value if not " " <= ch <= "~"})
    if bad:
        raise ValueError(f"{what} {value!r} has characters Code 128 cannot carry: {bad!r}")


def code128_modules(value: str) -> int:
    """Width of the Code 128 symbol for ``value`` in modules, quiet zones excluded."""
    probe: Any = Code128(value, barWidth=1.0, quiet=0)
    return round(float(probe.width))


def fitted_code128(
    value: str,
    *,
    max_width: float,
    bar_height: float,
    max_module: float,
    what: str,
) -> tuple[Any, float]:
    """Build a Code 128 for ``value`` as wide as possible within ``max_width`` points.

    The module (narrowest bar) is at most ``max_module`` points, and the returned
    symbol includes 10-module quiet zones on both sides. Returns ``(barcode, width)``.
    Raises ``ValueError`` when the value is too long to print with bars of at least
    7.5 mil in the space available.
    """
    check_code128_value(value, what)
    modules = code128_modules(value) + 2 * QUIET_ZONE_MODULES
    module = min(max_module, max_width / modules)
    if module < MIN_MODULE_PT:
        raise ValueError(
            f"{what} {value!r} is too long for a scannable Code 128 "
            f"{max_width / inch:.2f} inch wide"
        )
    quiet = QUIET_ZONE_MODULES * module
    barcode: Any = Code128(
        value,
        barWidth=module,
        barHeight=bar_height,
        quiet=1,
        lquiet=quiet,
        rquiet=quiet,
        humanReadable=0,
    )
    return barcode, float(barcode.width)


def draw_centered_code128(
    canvas: Any,
    value: str,
    *,
    center_x: float,
    y: float,
    max_width: float,
    bar_height: float,
    max_module: float,
    what: str,
) -> float:
    """Draw a fitted Code 128 centred on ``center_x`` with its bars' bottom at ``y``.

    Returns the width of the symbol including quiet zones.
    """
    barcode, symbol_width = fitted_code128(
        value, max_width=max_width, bar_height=bar_height, max_module=max_module, what=what
    )
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    barcode.drawOn(canvas, center_x - symbol_width / 2, y)
    canvas.restoreState()
    return symbol_width
