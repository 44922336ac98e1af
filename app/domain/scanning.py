"""What a scanned string is. Decoders are tried in turn; the first that matches wins.

Internal codes (printed by Dockhand): locations `A01-03-2` (zone+aisle, bay, level),
totes `T0001`, cartons `CT000001`, carton types `BOX-M`, badges `U0001`. Location and tote
labels carry a check character after the code (`A01-03-2V`, see app/domain/codes.py): a
payload whose check holds is that location or tote; one whose check fails is CHECK_FAILED,
which every flow refuses ("rescan the label"). The bare code, typed by hand, still works.
Everything else goes to biip: GTIN/UPC/EAN, GS1 element strings (AI 01/02 with 10, 17, 21),
SSCC, with or without symbology identifiers (`]C1`, `]d2`, `]Q3`, `]E0` ...), GS1 Digital Link
URIs (`https://id.gs1.org/01/.../10/...?17=...`) and the human-readable form a person types
from the label (`(01)...(17)...(10)...`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum

import biip
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin

from app.domain import codes


class ScanKind(Enum):
    LOCATION = "location"
    TOTE = "tote"
    CARTON = "carton"
    CARTON_TYPE = "carton_type"
    BADGE = "badge"
    ITEM = "item"  # a GTIN (possibly inside a GS1 element string)
    SSCC = "sscc"
    OTHER = "other"  # not one of ours and not GS1: maybe an alternate item barcode
    CHECK_FAILED = "check_failed"  # a location or tote label whose check character fails


@dataclass(frozen=True)
class ParsedScan:
    raw: str
    kind: ScanKind
    value: str  # normalised: location/tote code, GTIN-14, SSCC, or the raw text
    lot: str | None = None
    expires_on: date | None = None
    serial: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "value": self.value,
            "lot": self.lot,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
            "serial": self.serial,
        }


_INTERNAL: list[tuple[ScanKind, re.Pattern[str]]] = [
    (ScanKind.LOCATION, re.compile(r"^[A-Z]\d{2}-\d{2}-\d{1,2}(?:-[1-9])?$")),
    (ScanKind.TOTE, re.compile(r"^T\d{4,6}$")),
    (ScanKind.CARTON, re.compile(r"^CT\d{6,10}$")),
    (ScanKind.CARTON_TYPE, re.compile(r"^BOX-[A-Z0-9]{1,12}$")),
    (ScanKind.BADGE, re.compile(r"^U\d{4,6}$")),
]

# Keyboard wedges and some scanners send these; they are never part of the data. A trailing
# GS (FNC1) only ends the last variable-length field.
_STRIP = "\r\n\t \x1d"


_CHECKED_KINDS = {codes.CodeKind.LOCATION: ScanKind.LOCATION, codes.CodeKind.TOTE: ScanKind.TOTE}


def _internal(raw: str) -> ParsedScan | None:
    text = raw.upper()
    # A location or tote code followed by one character is a label's payload, whether or not
    # an older, wider bare form (a two-digit level) would also match: a check character
    # misread as a digit must say "check failed", not send the picker to another bin.
    checked = codes.resolve(text)
    if checked is not None:
        if checked.check is codes.Check.OK:
            return ParsedScan(raw, _CHECKED_KINDS[checked.kind], checked.code)
        return ParsedScan(raw, ScanKind.CHECK_FAILED, checked.code)
    for kind, pattern in _INTERNAL:
        if pattern.match(text):
            return ParsedScan(raw, kind, text)
    return None


def check_failed_message(scan: ParsedScan) -> str:
    """What the station says to a CHECK_FAILED scan (location or tote): rescan the label."""
    return codes.check_failed_message(scan.value)


def _element_strings(raw: str, result: biip.ParseResult) -> list[GS1ElementString] | None:
    """The GS1 element strings of a scan, wherever biip found them: a GS1-128 / DataMatrix
    message, a Digital Link URI, or (typed by a person) the bracketed human-readable form."""
    if result.gs1_message is not None:
        return list(result.gs1_message.element_strings)
    if result.gs1_digital_link_uri is not None:
        return list(result.gs1_digital_link_uri.element_strings)
    if raw.startswith("("):
        try:
            return list(GS1Message.parse_hri(raw).element_strings)
        except Exception:
            return None
    return None


@functools.lru_cache(maxsize=8192)
def _gs1(raw: str) -> ParsedScan | None:
    """A GS1 code's meaning. Kept per text: a floor scans the same few thousand item codes
    all day, and biip's parse was a twentieth of a pick scan's CPU (issue #12). The answer
    depends on the text alone (and, for a two-digit expiry year, on the century window)."""
    try:
        result = biip.parse(raw)
    except Exception:
        return None
    # biip also fills `gtin` for an element string holding AI 01, so read the element
    # strings first: they carry the lot, expiry and serial a plain GTIN does not.
    elements = _element_strings(raw, result)
    if elements is None:
        if result.gtin is not None:
            return ParsedScan(raw, ScanKind.ITEM, gtin14(result.gtin))
        if result.sscc is not None:
            return ParsedScan(raw, ScanKind.SSCC, result.sscc.value)
        return None
    fields: dict[str, str] = {}
    expires: date | None = None
    gtin: str | None = None
    for es in elements:
        fields[es.ai.ai] = es.value
        if es.ai.ai in ("01", "02") and es.gtin is not None:
            gtin = gtin14(es.gtin)
        if es.ai.ai == "17" and es.date is not None:
            expires = es.date
    if gtin is None:
        if "00" in fields:
            return ParsedScan(raw, ScanKind.SSCC, fields["00"])
        if result.gtin is not None:
            return ParsedScan(raw, ScanKind.ITEM, gtin14(result.gtin))
        return None
    return ParsedScan(raw, ScanKind.ITEM, gtin, fields.get("10"), expires, fields.get("21"))


def gtin14(gtin: Gtin) -> str:
    return gtin.value.zfill(14)


def normalise_gtin(code: str) -> str | None:
    """GTIN-14 for any valid GTIN-8/12/13/14 text, else None."""
    if not code.isdigit() or len(code) not in (8, 12, 13, 14):
        return None
    try:
        return gtin14(Gtin.parse(code))
    except Exception:
        return None


_DECODERS: list[Callable[[str], ParsedScan | None]] = [_internal, _gs1]


@functools.lru_cache(maxsize=8192)
def parse_scan(raw: str) -> ParsedScan:
    """What a scanned text is. Kept per text, as `_gs1` is (the answer is immutable and
    depends on the text alone): a floor scans the same codes all day."""
    text = raw.strip(_STRIP)
    for decode in _DECODERS:
        found = decode(text)
        if found is not None:
            return found
    return ParsedScan(text, ScanKind.OTHER, text)
