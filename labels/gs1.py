"""GS1 element strings printed on our labels (GS1-128): ship-to postal code (421), SSCC (00).

Only building: reading is biip's job (the tests parse every GS1 barcode back with it).
"""

from __future__ import annotations

import re

# ISO 3166-1 numeric codes for the countries we ship to (AI 421 needs the numeric code).
ISO_NUMERIC = {
    "AT": "040", "AU": "036", "BE": "056", "BG": "100", "CA": "124", "CH": "756", "CY": "196",
    "CZ": "203", "DE": "276", "DK": "208", "EE": "233", "ES": "724", "FI": "246", "FR": "250",
    "GB": "826", "GR": "300", "HR": "191", "HU": "348", "IE": "372", "IS": "352", "IT": "380",
    "JP": "392", "LT": "440", "LU": "442", "LV": "428", "MT": "470", "NL": "528", "NO": "578",
    "NZ": "554", "PL": "616", "PT": "620", "RO": "642", "SE": "752", "SI": "705", "SK": "703",
    "US": "840",
}  # fmt: skip

# AIs whose value has a variable length: another element after one needs an FNC1 separator.
VARIABLE_LENGTH = frozenset({"10", "21", "400", "420", "421"})

_NOT_POSTAL = re.compile(r"[^0-9A-Z]")


def ship_to_postal(country: str, postal_code: str) -> tuple[str, str] | None:
    """AI 421: ISO numeric country + up to 9 letters/digits of the postal code (spaces and
    punctuation dropped). None when the country has no numeric code here or no postal code."""
    numeric = ISO_NUMERIC.get(country.strip().upper())
    postal = _NOT_POSTAL.sub("", postal_code.upper())[:9]
    if numeric is None or not postal:
        return None
    return ("421", numeric + postal)


def gs1_mod10(digits: str) -> int:
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def sscc(extension: int, company_prefix: str, serial: int) -> str:
    """An 18-digit SSCC: extension digit, GS1 company prefix, serial reference, check digit."""
    width = 16 - len(company_prefix)
    if not company_prefix.isdigit() or not 0 <= extension <= 9 or width < 1:
        raise ValueError("an SSCC needs a 0-9 extension and a 6-12 digit company prefix")
    if serial >= 10**width:
        raise ValueError(f"serial {serial} does not fit the {width}-digit serial reference")
    body = f"{extension}{company_prefix}{serial:0{width}d}"
    return body + str(gs1_mod10(body))


def human_readable(elements: list[tuple[str, str]]) -> str:
    """``(421) 826SW1Y4JH`` style text printed under a GS1-128 barcode."""
    return " ".join(f"({ai}) {value}" for ai, value in elements)
