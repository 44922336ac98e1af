"""Text helpers shared by the renderers: make text printable, then make it fit.

All customer-supplied text goes through :func:`printable` before it is measured or drawn.
The renderers use the PDF base-14 fonts (Helvetica), whose encoding is WinAnsi (cp1252):
characters outside it are transliterated to their base letter where Unicode knows one
("Ł" -> "L", "ő" -> "o") and otherwise replaced by "?", so a label never shows
blank boxes and never needs a font file from disk.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence

from reportlab.pdfbase.pdfmetrics import stringWidth

ELLIPSIS = "\u2026"

# Letters with a stroke or ligatures that NFKD does not decompose to a base letter.
_EXTRA_TRANSLITERATIONS = {
    "Ł": "L",
    "ł": "l",
    "Đ": "D",
    "đ": "d",
    "Ħ": "H",
    "ħ": "h",
    "ı": "i",
    "Ŀ": "L",
    "ŀ": "l",
    "ŉ": "'n",
    "Ŧ": "T",
    "ŧ": "t",
    "ĸ": "k",
}


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _transliterate(ch: str) -> str:
    if ch in _EXTRA_TRANSLITERATIONS:
        return _EXTRA_TRANSLITERATIONS[ch]
    # Strip the combining marks and keep what cp1252 can show ("ő" -> "o", "ș" -> "s").
    base = "".join(
        c
        for c in unicodedata.normalize("NFKD", ch)
        if not unicodedata.combining(c) and _encodable(c)
    )
    return base or "?"


def printable(text: str | None) -> str:
    """Return ``text`` as a single line drawable with the base-14 fonts.

    Control and format characters and all whitespace runs (tabs, newlines) become a single
    space; characters outside cp1252 are transliterated or replaced by "?".
    """
    if not text:
        return ""
    if text.isascii() and text.isprintable():
        return " ".join(text.split())  # the common case, same result, a tenth of the time
    return _printable_slow(text)


@functools.lru_cache(maxsize=4096)
def _printable_slow(text: str) -> str:
    out: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if ch.isspace() or unicodedata.category(ch).startswith("C"):
            out.append(" ")
        elif _encodable(ch):
            out.append(ch)
        else:
            out.append(_transliterate(ch))
    return " ".join("".join(out).split())


def width(text: str, font: str, size: float) -> float:
    """Rendered width of ``text`` in points."""
    return float(stringWidth(text, font, size))


def truncate(text: str, font: str, size: float, max_width: float) -> str:
    """Cut ``text`` so it fits ``max_width``, ending it with an ellipsis when cut."""
    if width(text, font, size) <= max_width:
        return text
    lo, hi = 0, len(text)
    # Largest prefix length n such that prefix + ellipsis fits.
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if width(text[:mid].rstrip() + ELLIPSIS, font, size) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ELLIPSIS if lo else ""


def _break_word(word: str, font: str, size: float, max_width: float) -> list[str]:
    """Split a word wider than ``max_width`` into pieces that each fit."""
    pieces: list[str] = []
    rest = word
    while rest:
        n = len(rest)
        while n > 1 and width(rest[:n], font, size) > max_width:
            n -= 1
        pieces.append(rest[:n])
        rest = rest[n:]
    return pieces


def wrap(text: str, font: str, size: float, max_width: float, max_lines: int) -> list[str]:
    """Greedy word wrap into at most ``max_lines`` lines, each fitting ``max_width``.

    Words longer than a line are broken; text that still does not fit is cut with an
    ellipsis on the last line. Returns an empty list for empty text.
    """
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, font, size) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if width(word, font, size) <= max_width:
            current = word
        else:
            *full, current = _break_word(word, font, size, max_width)
            lines.extend(full)
    if current:
        lines.append(current)
    if len(lines) > max_lines:
        # Greedy wrapping guarantees the rest does not fit one line, so this cuts it.
        rest = " ".join(lines[max_lines - 1 :])
        lines = [*lines[: max_lines - 1], truncate(rest, font, size, max_width)]
    return lines


def largest_fitting_size(text: str, font: str, sizes: Sequence[float], max_width: float) -> float:
    """First size in ``sizes`` (largest first) at which ``text`` fits on one line."""
    for size in sizes:
        if width(text, font, size) <= max_width:
            return size
    return sizes[-1]
