"""Tracking numbers that come from outside (a carrier's API, a scan, the OMS): which format,
and is the check digit right?

Each validator recomputes the carrier's published check digit, so a mistyped or misread
number is refused before it is stored or printed. The algorithms:

- UPS ``1Z``: 18 characters, ``1Z`` + 15 alphanumerics + check. Letters count as
  ``(ord(c) - 63) % 10`` (A=2 ... I=0, J=1 ...); every second character from the left of the
  15 is doubled; check = (10 - sum mod 10) mod 10.
- FedEx Express, 12 digits: weights 3, 1, 7 repeating over the first 11 digits from the
  left; check = sum mod 11 mod 10.
- FedEx Ground, 15 digits, and the 22-digit "96" barcode whose last 15 digits are the Ground
  number: GS1 mod 10 over the 14 digits (weight 3 on the digit next to the check).
- USPS IMpb: 22 or 26 digits starting ``91``..``95`` (and the older 20-digit forms, checked
  as they are or with their implied ``91`` in front), optionally behind the ``420`` + ZIP
  (5 or 9 digits) routing prefix that the barcode carries: GS1 mod 10 over everything after
  the routing prefix.
- UPU S10 (international post): ``LL`` + 8 digits + check + ISO country; weights
  8 6 4 2 3 5 9 7; check = 11 - sum mod 11, with 10 -> 0 and 11 -> 5.
- DHL Express waybill: 10 (or 11) digits, check = the serial mod 7.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class TrackingFormat(StrEnum):
    UPS = "ups_1z"
    FEDEX_EXPRESS = "fedex_express_12"
    FEDEX_GROUND = "fedex_ground_15"
    FEDEX_GROUND_96 = "fedex_ground_96_22"
    USPS_IMPB = "usps_impb"
    UPU_S10 = "upu_s10"
    DHL_EXPRESS = "dhl_express"


CARRIER_OF = {
    TrackingFormat.UPS: "UPS",
    TrackingFormat.FEDEX_EXPRESS: "FedEx",
    TrackingFormat.FEDEX_GROUND: "FedEx",
    TrackingFormat.FEDEX_GROUND_96: "FedEx",
    TrackingFormat.USPS_IMPB: "USPS",
    TrackingFormat.UPU_S10: "Post (UPU S10)",
    TrackingFormat.DHL_EXPRESS: "DHL Express",
}


@dataclass(frozen=True)
class TrackingMatch:
    format: TrackingFormat
    number: str  # normalised: upper case, no spaces
    carrier: str


def normalise(raw: str) -> str:
    """Upper case without the spaces and dashes people and labels put into numbers."""
    return re.sub(r"[\s\-]", "", raw).upper()


def gs1_mod10(digits: str) -> int:
    """GS1 check digit: weights 3 and 1 alternating from the rightmost digit (weight 3)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def ups_check_digit(body: str) -> int:
    """``body`` is the 15 characters between ``1Z`` and the check character."""
    total = 0
    for i, ch in enumerate(body):
        value = int(ch) if ch.isdigit() else (ord(ch) - 63) % 10
        total += value * 2 if i % 2 == 1 else value
    return (10 - total % 10) % 10


def fedex_express_check_digit(first11: str) -> int:
    weights = (3, 1, 7)
    total = sum(int(d) * weights[i % 3] for i, d in enumerate(first11))
    return total % 11 % 10


def s10_check_digit(serial8: str) -> int:
    weights = (8, 6, 4, 2, 3, 5, 9, 7)
    check = 11 - sum(int(d) * w for d, w in zip(serial8, weights, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def dhl_express_check_digit(serial: str) -> int:
    return int(serial) % 7


_UPS = re.compile(r"1Z[0-9A-Z]{16}")
_S10 = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
_DIGITS = re.compile(r"[0-9]+")


def is_ups(number: str) -> bool:
    n = normalise(number)
    return bool(_UPS.fullmatch(n)) and n[-1].isdigit() and ups_check_digit(n[2:17]) == int(n[-1])


def is_fedex_express(number: str) -> bool:
    n = normalise(number)
    return (
        len(n) == 12
        and bool(_DIGITS.fullmatch(n))
        and fedex_express_check_digit(n[:11]) == int(n[11])
    )


def is_fedex_ground(number: str) -> bool:
    n = normalise(number)
    return len(n) == 15 and bool(_DIGITS.fullmatch(n)) and gs1_mod10(n[:14]) == int(n[14])


def is_fedex_ground_96(number: str) -> bool:
    n = normalise(number)
    return (
        len(n) == 22
        and n.startswith("96")
        and bool(_DIGITS.fullmatch(n))
        and is_fedex_ground(n[-15:])
    )


def _impb_tracking_part(n: str) -> list[str]:
    """The candidate tracking parts of an IMpb barcode: the whole, or what follows a
    ``420`` + 5- or 9-digit ZIP routing prefix."""
    parts = [n]
    if n.startswith("420"):
        parts += [n[8:], n[12:]]
    return [p for p in parts if len(p) in (20, 22, 26)]


def is_usps_impb(number: str) -> bool:
    n = normalise(number)
    if not _DIGITS.fullmatch(n):
        return False
    for part in _impb_tracking_part(n):
        if len(part) == 20:
            # The older 20-digit forms: checked as they are, or behind their implied "91".
            bodies = [part, "91" + part]
        elif part[:2] in {"91", "92", "93", "94", "95"}:
            bodies = [part]
        else:
            continue
        if any(gs1_mod10(body[:-1]) == int(body[-1]) for body in bodies):
            return True
    return False


def is_upu_s10(number: str) -> bool:
    n = normalise(number)
    return bool(_S10.fullmatch(n)) and s10_check_digit(n[2:10]) == int(n[10])


def is_dhl_express(number: str) -> bool:
    n = normalise(number)
    return (
        len(n) in (10, 11)
        and bool(_DIGITS.fullmatch(n))
        and dhl_express_check_digit(n[:-1]) == int(n[-1])
    )


# Most specific first: short all-digit formats collide by chance (a 10-digit number passes
# the mod-7 DHL check one time in seven), so the strongest checks are tried before them.
VALIDATORS: tuple[tuple[TrackingFormat, Callable[[str], bool]], ...] = (
    (TrackingFormat.UPS, is_ups),
    (TrackingFormat.UPU_S10, is_upu_s10),
    (TrackingFormat.FEDEX_GROUND_96, is_fedex_ground_96),
    (TrackingFormat.USPS_IMPB, is_usps_impb),
    (TrackingFormat.FEDEX_GROUND, is_fedex_ground),
    (TrackingFormat.FEDEX_EXPRESS, is_fedex_express),
    (TrackingFormat.DHL_EXPRESS, is_dhl_express),
)


def identify(raw: str) -> list[TrackingMatch]:
    """Every known format whose pattern and check digit ``raw`` satisfies, most specific
    first. Empty when none does (a typo, a misread, or a format we do not know)."""
    n = normalise(raw)
    return [TrackingMatch(fmt, n, CARRIER_OF[fmt]) for fmt, check in VALIDATORS if check(n)]


def validate(raw: str, expected: TrackingFormat | None = None) -> TrackingMatch | None:
    """The match for ``raw`` (of the ``expected`` format when given), or None."""
    for match in identify(raw):
        if expected is None or match.format is expected:
            return match
    return None


def make_ups(shipper: str, service: str, package: str) -> str:
    """A well-formed UPS number (for tests and the table-rate carriers' fakes)."""
    body = f"{shipper}{service}{package}".upper()
    if len(body) != 15:
        raise ValueError("UPS numbers have 6 + 2 + 7 characters between 1Z and the check")
    return f"1Z{body}{ups_check_digit(body)}"


def make_s10(service: str, serial: int, country: str) -> str:
    digits = f"{serial:08d}"
    return f"{service.upper()}{digits}{s10_check_digit(digits)}{country.upper()}"
