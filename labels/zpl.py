"""A small ZPL II builder of our own: text, boxes, Code 128 and GS1-128, nothing else.

(The PyPI ``zpl`` package is AGPL; this covers the few commands our labels need.)

Safety: a ZPL printer treats ``^`` and ``~`` anywhere in the stream as the start of a
command, so a customer name such as ``^XZ~JA`` could end our label or clear the printer's
queue. Every text field is therefore sent with ``^FH`` (field hex) and every byte that is
not plain safe ASCII -- ``^``, ``~``, the hex escape character ``_`` itself, ``\\``, control
characters and any non-ASCII byte of the UTF-8 text -- is written as ``_hh``. Barcode data
is restricted to printable ASCII and uses the ``^BC`` invocation codes for the characters
ZPL reserves (``>`` as ``>0``, ``^`` as ``><``, ``~`` as ``>=``), so no raw ``^`` or ``~``
from data ever reaches the printer.

Code 128 field data is written in ``^BC`` mode N with explicit start codes and subset
switches (``>;`` start C, ``>:`` start B, ``>5`` to C, ``>6`` to B, ``>8`` FNC1), chosen by
the usual rule: digit runs of four or more (two at the end of the data) go in subset C.
The same encoding gives the symbol's width in modules, so a barcode that would not fit at a
scannable module width is refused instead of printed clipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from labels._text import ELLIPSIS, largest_fitting_size, printable, truncate, wrap

FNC1 = "\xf1"  # the same marker reportlab's Code128 uses for FNC1
GS = "\x1d"

MIN_MODULE_DOTS = 2  # 1 dot is 4.9 mil at 203 dpi: too thin to scan reliably
QUIET_ZONE_MODULES = 10
METRIC_FONT = "Helvetica-Bold"  # wider than ZPL font 0, so text measured with it fits

_SAFE = {chr(c) for c in range(0x20, 0x7F)} - {"^", "~", "_", "\\"}


def hex_field(text: str) -> str:
    """``text`` as ``^FH`` field data: safe ASCII as is, every other UTF-8 byte as ``_hh``."""
    out: list[str] = []
    for ch in text:
        if ch in _SAFE:
            out.append(ch)
        else:
            out.extend(f"_{b:02X}" for b in ch.encode("utf-8"))
    return "".join(out)


def _digit_runs(data: Sequence[str]) -> list[int]:
    """For each position, how many digits start there (0 for a non-digit)."""
    runs = [0] * (len(data) + 1)
    for i in range(len(data) - 1, -1, -1):
        ch = data[i]
        runs[i] = runs[i + 1] + 1 if "0" <= ch <= "9" else 0
    return runs


@dataclass(frozen=True)
class Code128Field:
    field_data: str  # what goes after ^FD
    symbols: int  # symbol characters including start and check, excluding stop

    @property
    def modules(self) -> int:
        return self.symbols * 11 + 13  # each symbol 11 modules, the stop pattern 13


def _b_char(ch: str) -> str:
    if ch == ">":
        return ">0"
    if ch == "^":
        return "><"
    if ch == "~":
        return ">="
    return ch


def encode_code128(data: str) -> Code128Field:
    """ZPL ``^BC`` (mode N) field data for ``data``; ``FNC1`` ("\\xf1") marks FNC1.

    Raises ``ValueError`` for characters Code 128 subset B cannot carry.
    """
    if not data:
        raise ValueError("barcode data must not be empty")
    bad = sorted({ch for ch in data if ch != FNC1 and not " " <= ch <= "~"})
    if bad:
        raise ValueError(f"barcode data {data!r} has characters Code 128 cannot carry: {bad!r}")
    chars = list(data)
    runs = _digit_runs(chars)
    out: list[str] = []
    symbols = 1  # start
    i = 0
    lead = 1 if chars[0] == FNC1 else 0
    first_run = runs[lead]
    subset = "C" if first_run >= 4 or (first_run >= 2 and lead + first_run == len(chars)) else "B"
    out.append(">;" if subset == "C" else ">:")
    while i < len(chars):
        ch = chars[i]
        if ch == FNC1:
            out.append(">8")
            symbols += 1
            i += 1
            continue
        run = runs[i]
        if subset == "C":
            if run >= 2:
                out.append(ch + chars[i + 1])
                symbols += 1
                i += 2
                continue
            out.append(">6")
            symbols += 1
            subset = "B"
            continue
        # subset B: switch to C for a long digit run (keeping an odd first digit in B)
        at_end = i + run == len(chars)
        if run >= 4 or (run >= 2 and at_end and run % 2 == 0):
            if run % 2 == 1:
                out.append(ch)
                symbols += 1
                i += 1
            out.append(">5")
            symbols += 1
            subset = "C"
            continue
        out.append(_b_char(ch))
        symbols += 1
        i += 1
    return Code128Field("".join(out), symbols + 1)  # + check symbol


def gs1_data(elements: Sequence[tuple[str, str]], variable: frozenset[str]) -> str:
    """GS1-128 content: leading FNC1, then AI + value; an FNC1 separator after every
    variable-length element that is not the last."""
    parts = [FNC1]
    for n, (ai, value) in enumerate(elements):
        parts.append(ai + value)
        if ai in variable and n < len(elements) - 1:
            parts.append(FNC1)
    return "".join(parts)


class ZplLabel:
    """One label format, built in dots from the top-left corner."""

    def __init__(self, width_dots: int, height_dots: int, dpi: int = 203) -> None:
        self.width = width_dots
        self.height = height_dots
        self.dpi = dpi
        # ^CI28: field data is UTF-8; ^PW/^LL: the label's size; ^LH0,0: no home offset.
        self._parts: list[str] = ["^XA", "^CI28", f"^PW{width_dots}", f"^LL{height_dots}", "^LH0,0"]

    def dots(self, points: float) -> int:
        """Points (1/72 inch) to printer dots."""
        return round(points * self.dpi / 72)

    def box(self, x: int, y: int, w: int, h: int, thickness: int, fill: bool = False) -> None:
        t = min(w, h) if fill else thickness
        self._parts.append(f"^FO{x},{y}^GB{w},{h},{t},B,0^FS")

    def text(
        self,
        x: int,
        y: int,
        text: str,
        size: int,
        *,
        width: int | None = None,
        align: str = "L",
        reverse: bool = False,
    ) -> None:
        """One line of text, made printable and cut with an ellipsis to ``width`` dots."""
        line = printable(text)
        if width is not None:
            # Printer fonts may lack the ellipsis character: three dots always print.
            line = truncate(line, METRIC_FONT, size, width).replace(ELLIPSIS, "...")
        if not line:
            return
        block = f"^FB{width},1,0,{align},0" if width is not None else ""
        rev = "^FR" if reverse else ""
        self._parts.append(f"^FO{x},{y}^A0N,{size},{size}{block}{rev}^FH^FD{hex_field(line)}^FS")

    def fitted_text(
        self,
        x: int,
        y: int,
        text: str,
        sizes: Sequence[int],
        width: int,
        *,
        align: str = "L",
        reverse: bool = False,
    ) -> int:
        """The largest of ``sizes`` at which ``text`` fits ``width`` (cut at the smallest);
        returns the size used."""
        size = int(largest_fitting_size(printable(text), METRIC_FONT, sizes, width))
        self.text(x, y, text, size, width=width, align=align, reverse=reverse)
        return size

    def paragraph(
        self, x: int, y: int, text: str, size: int, width: int, max_lines: int, leading: float = 1.1
    ) -> int:
        """Wrapped text; returns the y below the last line."""
        lines = wrap(printable(text), METRIC_FONT, size, width, max_lines)
        for line in lines:
            self.text(x, y, line, size, width=width)
            y += round(size * leading)
        return y

    def code128(
        self, x: int, y: int, data: str, height: int, *, max_width: int, max_module: int = 4
    ) -> int:
        """A Code 128 (or GS1-128 when ``data`` starts with FNC1) no wider than ``max_width``
        dots including quiet zones; ``x`` is the left edge of the left quiet zone. Returns the
        symbol width in dots. Raises ``ValueError`` when even 2-dot modules do not fit."""
        field = encode_code128(data)
        total = field.modules + 2 * QUIET_ZONE_MODULES
        module = min(max_module, max_width // total)
        if module < MIN_MODULE_DOTS:
            raise ValueError(
                f"barcode {data!r} needs {total * MIN_MODULE_DOTS} dots; only {max_width} free"
            )
        left = x + QUIET_ZONE_MODULES * module
        self._parts.append(f"^FO{left},{y}^BY{module},3,{height}^BCN,{height},N,N,N,N")
        self._parts.append(f"^FD{field.field_data}^FS")
        return total * module

    def centred_code128(
        self, y: int, data: str, height: int, *, max_width: int, max_module: int = 4
    ) -> int:
        field = encode_code128(data)
        total = field.modules + 2 * QUIET_ZONE_MODULES
        module = max(MIN_MODULE_DOTS, min(max_module, max_width // total))
        x = (self.width - total * module) // 2
        return self.code128(x, y, data, height, max_width=max_width, max_module=module)

    def render(self) -> bytes:
        return ("".join(self._parts) + "^XZ").encode("utf-8")
