"""Location and tote codes, and the check character printed after them in their barcodes.

Codes (what people read, type and say):

- location `A03-07-2`: zone letter, aisle (2 digits), bay (2 digits), level (1 digit); a
  position within the level other than the first adds `-<position>` (`A03-07-2-3`). Special
  locations use aisle and bay 00 (`P00-00-1`, the pack bench).
- tote `T000042`: `T` and six digits.

A barcode payload is the code followed by one check character: ISO 7064 Mod 37,36 (python-
stdnum) over the code without its separators, one of 0-9 and A-Z. `A03-07-2` prints as
`A03-07-2K`; `T000001` as `T000001N`. A scanner that misreads one character, or swaps two
neighbouring ones, produces a payload whose check fails, and the scan is refused instead of
confirming the wrong bin.

Why the widths are fixed (level and position one digit, totes six digits): a check character
is appended to a code, so no code may equal another code plus one character, or a typed code
could be taken for a checked one. With fixed widths, `A03-07-2K` can only be `A03-07-2` and
its check character. A code followed by one more character is always read as a label's
payload, so a location with a two-digit level (`B12-40-11`, which the layout file cannot
produce: levels and positions are 1 to 9) reads as `B12-40-1` with a failed check. Totes of
four or five digits (`T0001`, the demo's) are still read as typed; they cannot carry a check
character, which is why tote labels print six digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from stdnum.iso7064 import mod_37_36

from app.domain.text import msg

__all__ = [
    "CHECK_ALPHABET",
    "CodeKind",
    "LocationCode",
    "Resolved",
    "barcode_payload",
    "check_character",
    "check_failed_message",
    "location_code",
    "parse_location_code",
    "resolve",
    "tote_code",
]

CHECK_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_TOTE_NUMBER = 999_999

# What Dockhand prints (and the layout produces): fixed widths, see the module docstring.
_LOCATION = r"[A-Z]\d{2}-\d{2}-[1-9](?:-[1-9])?"
_TOTE = r"T\d{6}"
_LOCATION_RE = re.compile(rf"^{_LOCATION}$")
_TOTE_RE = re.compile(rf"^{_TOTE}$")
_CHECKED = {
    "location": re.compile(rf"^({_LOCATION})([0-9A-Z])$"),
    "tote": re.compile(rf"^({_TOTE})([0-9A-Z])$"),
}
_PARTS = re.compile(r"^([A-Z])(\d{2})-(\d{2})-([1-9])(?:-([1-9]))?$")


class CodeKind(Enum):
    LOCATION = "location"
    TOTE = "tote"


@dataclass(frozen=True)
class LocationCode:
    zone: str
    aisle: int
    bay: int
    level: int
    position: int = 1

    @property
    def code(self) -> str:
        return location_code(self.zone, self.aisle, self.bay, self.level, self.position)


def location_code(zone: str, aisle: int, bay: int, level: int, position: int = 1) -> str:
    """`A03-07-2`; position 1 has no suffix, others add `-<position>`."""
    if not re.fullmatch(r"[A-Z]", zone):
        raise ValueError(f"zone {zone!r} must be one capital letter A-Z")
    for name, value, lo, hi in (
        ("aisle", aisle, 0, 99),
        ("bay", bay, 0, 99),
        ("level", level, 1, 9),
        ("position", position, 1, 9),
    ):
        if not lo <= value <= hi:
            raise ValueError(f"{name} {value} is outside {lo}..{hi}")
    code = f"{zone}{aisle:02d}-{bay:02d}-{level}"
    return code if position == 1 else f"{code}-{position}"


def parse_location_code(code: str) -> LocationCode | None:
    """The parts of a location code as Dockhand prints it, else None."""
    m = _PARTS.match(code.upper())
    if m is None:
        return None
    zone, aisle, bay, level, position = m.groups()
    return LocationCode(zone, int(aisle), int(bay), int(level), int(position or 1))


def tote_code(number: int) -> str:
    """`T000042` for tote number 42."""
    if not 1 <= number <= MAX_TOTE_NUMBER:
        raise ValueError(f"tote number {number} is outside 1..{MAX_TOTE_NUMBER}")
    return f"T{number:06d}"


def kind_of(code: str) -> CodeKind | None:
    """Which kind of printable code this is (fixed widths only), else None."""
    if _LOCATION_RE.match(code):
        return CodeKind.LOCATION
    if _TOTE_RE.match(code):
        return CodeKind.TOTE
    return None


def _compact(code: str) -> str:
    return code.replace("-", "")


def check_character(code: str) -> str:
    """ISO 7064 Mod 37,36 over the code without separators."""
    if kind_of(code) is None:
        raise ValueError(f"{code!r} is not a location or tote code Dockhand prints")
    return str(mod_37_36.calc_check_digit(_compact(code)))


def barcode_payload(code: str) -> str:
    """What the label's barcode carries: the code followed by its check character."""
    return code + check_character(code)


class Check(Enum):
    OK = "ok"
    FAILED = "failed"


@dataclass(frozen=True)
class Resolved:
    kind: CodeKind
    code: str
    check: Check


def resolve(text: str) -> Resolved | None:
    """A scanned payload `<code><check>` (upper case, no scanner suffix): the code and whether
    its check character holds; None when the text is not a code followed by one character."""
    for kind, pattern in _CHECKED.items():
        m = pattern.match(text)
        if m is None:
            continue
        code, check = m.groups()
        ok = mod_37_36.is_valid(_compact(code) + check)
        return Resolved(CodeKind(kind), code, Check.OK if ok else Check.FAILED)
    return None


def check_failed_message(code: str) -> str:
    """The sentence every station shows when a location or tote label's check fails."""
    if kind_of(code) is CodeKind.TOTE:
        return msg("Tote code check failed: rescan the label")
    return msg("Location code check failed: rescan the label")
