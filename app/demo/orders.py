"""Random but realistic allocation bodies (oms-v1 section 2.1) for the demo OMS.

Pure: no I/O, no clock. The caller passes the random generator, the sequence number,
the SKUs to choose from and the current time, so the same inputs give the same order.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

T = TypeVar("T")

CHANNELS = ("shopify", "woocommerce", "amazon", "ebay", "web")

# ((service level, possible hours until ship_by), weight)
_SERVICE_LEVELS: tuple[tuple[tuple[str, tuple[int, ...]], int], ...] = (
    (("standard", (4, 5, 6, 8)), 70),
    (("express", (2, 3)), 14),
    (("economy", (8, 12, 24)), 10),
    (("next_day", (2, 3, 4)), 6),
)

_LINE_COUNT_WEIGHTS = ((1, 70), (2, 22), (3, 8))
_QTY_WEIGHTS = ((1, 80), (2, 15), (3, 5))

_GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
_NL_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"


@dataclass(frozen=True)
class _City:
    name: str
    region: str | None
    postal: str  # country-specific seed, see _postal_code
    dial: str  # area code without the trunk prefix


@dataclass(frozen=True)
class _Country:
    code: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    streets: tuple[str, ...]
    cities: tuple[_City, ...]
    line2: tuple[str, ...]


_COUNTRIES: tuple[tuple[_Country, int], ...] = (
    (
        _Country(
            code="GB",
            first_names=("Ada", "Oliver", "Amelia", "Harry", "Isla", "George", "Freya", "Jack"),
            last_names=("Lovelace", "Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans"),
            streets=("High Street", "Station Road", "Church Lane", "Victoria Road", "Mill Lane"),
            cities=(
                _City("London", None, "SW1A", "20"),
                _City("London", None, "EC1A", "20"),
                _City("Manchester", None, "M1", "161"),
                _City("Birmingham", None, "B33", "121"),
                _City("Leeds", None, "LS1", "113"),
                _City("Edinburgh", None, "EH1", "131"),
                _City("Bristol", None, "BS1", "117"),
            ),
            line2=("Flat 2", "Flat 14", "Unit 3"),
        ),
        40,
    ),
    (
        _Country(
            code="DE",
            first_names=("Lena", "Jonas", "Marie", "Lukas", "Sophie", "Felix", "Jürgen"),
            last_names=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker"),
            streets=("Hauptstraße", "Bahnhofstraße", "Gartenweg", "Schillerstraße", "Lindenallee"),
            cities=(
                _City("Berlin", None, "10", "30"),
                _City("Hamburg", None, "20", "40"),
                _City("München", None, "80", "89"),
                _City("Köln", None, "50", "221"),
                _City("Frankfurt am Main", None, "60", "69"),
            ),
            line2=("2. OG", "Hinterhaus", "c/o Büro"),
        ),
        20,
    ),
    (
        _Country(
            code="NL",
            first_names=("Daan", "Emma", "Sem", "Julia", "Lucas", "Tess", "Sanne"),
            last_names=("de Jong", "Jansen", "de Vries", "van Dijk", "Bakker", "Visser"),
            streets=("Keizersgracht", "Dorpsstraat", "Kerkstraat", "Molenweg", "Stationsplein"),
            cities=(
                _City("Amsterdam", None, "1011-1109", "20"),
                _City("Rotterdam", None, "3011-3089", "10"),
                _City("Utrecht", None, "3511-3585", "30"),
                _City("Den Haag", None, "2511-2597", "70"),
                _City("Eindhoven", None, "5611-5658", "40"),
            ),
            line2=("2 hoog", "3 hoog", "achterhuis"),
        ),
        15,
    ),
    (
        _Country(
            code="US",
            first_names=("James", "Olivia", "Liam", "Emma", "Noah", "Ava", "Mia"),
            last_names=("Johnson", "Williams", "Garcia", "Miller", "Davis", "Martinez"),
            streets=("Main Street", "Oak Avenue", "Maple Drive", "Pine Street", "Cedar Lane"),
            cities=(
                _City("New York", "NY", "100", "212"),
                _City("Seattle", "WA", "981", "206"),
                _City("Austin", "TX", "787", "512"),
                _City("Chicago", "IL", "606", "312"),
                _City("Denver", "CO", "802", "303"),
            ),
            line2=("Apt 4B", "Suite 200", "Unit 12"),
        ),
        25,
    ),
)

_COMPANIES = ("Acme Ltd", "Northwind Traders", "Globex GmbH", "Initech BV")
_NOTES = ("Leave with neighbour", "Gift - no invoice in the box", "Call before delivery")


def _weighted(rng: random.Random, options: tuple[tuple[T, int], ...]) -> T:
    values = [value for value, _ in options]
    weights = [weight for _, weight in options]
    return rng.choices(values, weights=weights, k=1)[0]


def _postal_code(rng: random.Random, country: str, seed: str) -> str:
    if country == "GB":
        inward = f"{rng.randint(1, 9)}{rng.choice(_GB_INWARD_LETTERS)}"
        return f"{seed} {inward}{rng.choice(_GB_INWARD_LETTERS)}"
    if country == "DE":
        return f"{seed}{rng.randint(0, 999):03d}"
    if country == "NL":
        low, high = (int(part) for part in seed.split("-"))
        letters = "SS"
        while letters in ("SA", "SD", "SS"):
            letters = rng.choice(_NL_LETTERS) + rng.choice(_NL_LETTERS)
        return f"{rng.randint(low, high)} {letters}"
    if country == "US":
        return f"{seed}{rng.randint(0, 99):02d}"
    raise ValueError(f"no postal code format for {country}")


def _phone(rng: random.Random, country: str, dial: str) -> str:
    # UK and US numbers come from the ranges reserved for drama/fiction.
    if country == "GB":
        local = "7946 0" if dial == "20" else "496 0"
        return f"+44 {dial} {local}{rng.randint(0, 999):03d}"
    if country == "DE":
        return f"+49 {dial} {rng.randint(1000000, 9999999)}"
    if country == "NL":
        return f"+31 {dial} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    if country == "US":
        return f"+1 {dial} 555 01{rng.randint(0, 99):02d}"
    raise ValueError(f"no phone format for {country}")


def _ascii(text: str) -> str:
    normalized = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in normalized if ch.isascii() and (ch.isalnum() or ch == "."))


def _ship_to(rng: random.Random) -> dict[str, Any]:
    country = _weighted(rng, _COUNTRIES)
    first = rng.choice(country.first_names)
    last = rng.choice(country.last_names)
    city = rng.choice(country.cities)
    street = rng.choice(country.streets)
    number = rng.randint(1, 240)
    line1 = f"{number} {street}" if country.code in ("GB", "US") else f"{street} {number}"
    company = rng.choice(_COMPANIES) if rng.random() < 0.1 else None
    line2 = rng.choice(country.line2) if rng.random() < 0.25 else None
    return {
        "name": f"{first} {last}",
        "company": company,
        "line1": line1,
        "line2": line2,
        "city": city.name,
        "region": city.region,
        "postal_code": _postal_code(rng, country.code, city.postal),
        "country": country.code,
        "phone": _phone(rng, country.code, city.dial),
        "email": _ascii(f"{first}.{last}".lower()) + "@example.com",
    }


def make_allocation(rng: random.Random, seq: int, skus: list[str], now: datetime) -> dict[str, Any]:
    """One contract-valid b2c allocation body (oms-v1 section 2.1).

    `now` must be timezone-aware; times are emitted in UTC with an explicit offset.
    Lines use distinct SKUs from `skus` (1-3 lines, mostly 1; qty 1-3, mostly 1).
    """
    if not skus:
        raise ValueError("make_allocation needs at least one SKU")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("make_allocation needs a timezone-aware datetime")
    placed_at = now.astimezone(UTC).replace(microsecond=0)

    service_level, hours = _weighted(rng, _SERVICE_LEVELS)
    ship_by = placed_at + timedelta(hours=rng.choice(hours))
    line_count = min(_weighted(rng, _LINE_COUNT_WEIGHTS), len(skus))
    chosen = rng.sample(skus, line_count)
    lines = [
        {"line_id": str(index), "sku": sku, "qty": _weighted(rng, _QTY_WEIGHTS)}
        for index, sku in enumerate(chosen, start=1)
    ]
    return {
        "allocation_id": f"AL-{seq:06d}",
        "version": 1,
        "order_number": f"SO-{seq:06d}",
        "channel": rng.choice(CHANNELS),
        "type": "b2c",
        "priority": rng.randint(1, 9),
        "placed_at": placed_at.isoformat(),
        "ship_by": ship_by.isoformat(),
        "service_level": service_level,
        "ship_to": _ship_to(rng),
        "lines": lines,
        "b2b": None,
        "notes": rng.choice(_NOTES) if rng.random() < 0.05 else None,
    }
