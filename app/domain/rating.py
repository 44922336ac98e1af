"""Table-rate carriers: billable (dimensional) weight, zone prices, cheapest qualifying service."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time
from decimal import ROUND_HALF_UP, Decimal

SPEED = {"economy": 0, "standard": 1, "express": 2, "next_day": 3, "freight": -1}


@dataclass(frozen=True)
class WeightBand:
    max_g: int
    prices_minor: tuple[int, ...]  # one price per zone, zone 1 first


@dataclass(frozen=True)
class Surcharge:
    """An extra charge on top of the band price: a flat amount and/or basis points of the
    band price, applied when every condition given holds (an empty condition always holds)."""

    code: str
    name: str
    flat_minor: int = 0
    percent_bp: int = 0  # basis points of the band price: 850 = 8.50 %
    countries: frozenset[str] = frozenset()
    postal_prefixes: tuple[str, ...] = ()
    min_longest_mm: int = 0
    min_billable_g: int = 0

    def applies(
        self, country: str, postal_code: str, billable_g: int, dims_mm: tuple[int, int, int]
    ) -> bool:
        if self.countries and country not in self.countries:
            return False
        postal = normalise_postal_code(postal_code)
        if self.postal_prefixes and not any(postal.startswith(p) for p in self.postal_prefixes):
            return False
        if self.min_longest_mm and max(dims_mm) < self.min_longest_mm:
            return False
        return not (self.min_billable_g and billable_g < self.min_billable_g)

    def amount_minor(self, band_price_minor: int) -> int:
        share = (Decimal(band_price_minor) * self.percent_bp / 10_000).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return self.flat_minor + int(share)


@dataclass(frozen=True)
class PostalZone:
    """Postal codes of one country starting with one of ``prefixes`` are in ``zone``
    (islands, highlands, remote areas): the longest matching prefix wins."""

    country: str
    prefixes: tuple[str, ...]
    zone: int


@dataclass(frozen=True)
class Pickup:
    """When the carrier collects: weekdays (0 = Monday) and the cutoff, warehouse time."""

    cutoff: time = time(17, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})


def normalise_postal_code(postal_code: str) -> str:
    return "".join(postal_code.split()).upper()


@dataclass(frozen=True)
class DimDivisor:
    """A dimensional divisor in force from `from_day` on (carriers change them)."""

    from_day: date
    divisor: int


@dataclass(frozen=True)
class Service:
    carrier: str
    code: str
    name: str
    level: str
    transit_days: int
    dim_divisor: int  # cm³ per kg; billable grams = l*w*h (mm³) / divisor
    bands: tuple[WeightBand, ...]
    currency: str = "GBP"
    # Dated divisors, oldest first; before the first date (or without any) dim_divisor applies.
    dim_divisors: tuple[DimDivisor, ...] = ()
    # Rate shopping: share of parcels delivered on time (None: the carrier's), a cutoff
    # earlier than the carrier's pickup (None: the pickup's), extra surcharges.
    reliability_pct: int | None = None
    cutoff: time | None = None
    surcharges: tuple[Surcharge, ...] = ()


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_prefix: str
    zones: dict[str, int]  # country -> zone number
    services: tuple[Service, ...]
    postal_zones: tuple[PostalZone, ...] = ()
    surcharges: tuple[Surcharge, ...] = ()
    reliability_pct: int = 100
    pickup: Pickup = Pickup()


@dataclass(frozen=True)
class Quote:
    carrier: str
    service: str
    service_name: str
    price_minor: int
    currency: str
    billable_g: int
    transit_days: int
    base_minor: int = 0  # the band price; price_minor adds the surcharges
    surcharges: tuple[tuple[str, int], ...] = ()  # (surcharge code, amount in minor units)
    zone: int = 0


def billable_weight_g(weight_g: int, dims_mm: tuple[int, int, int], divisor: int) -> int:
    x, y, z = dims_mm
    return max(weight_g, math.ceil(x * y * z / divisor))


def divisor_on(service: Service, day: date) -> int:
    """The service's dimensional divisor in force on `day`."""
    divisor = service.dim_divisor
    for dated in service.dim_divisors:
        if dated.from_day <= day:
            divisor = dated.divisor
    return divisor


def dim_divisors_from_config(entries: Iterable[Mapping[str, object]]) -> tuple[DimDivisor, ...]:
    """`[{from = "2026-01-01", divisor = 5000}, ...]` (TOML dates or ISO text) as DimDivisors,
    sorted by date. ValueError naming the bad entry."""
    found: list[DimDivisor] = []
    for i, entry in enumerate(entries):
        raw_day, raw_divisor = entry.get("from"), entry.get("divisor")
        if isinstance(raw_day, str):
            try:
                day = date.fromisoformat(raw_day)
            except ValueError:
                raise ValueError(f"dim_divisors[{i}].from is not a date: {raw_day!r}") from None
        elif isinstance(raw_day, date):
            day = raw_day
        else:
            raise ValueError(f"dim_divisors[{i}] needs from = YYYY-MM-DD")
        if isinstance(raw_divisor, bool) or not isinstance(raw_divisor, int) or raw_divisor <= 0:
            raise ValueError(f"dim_divisors[{i}].divisor must be a positive whole number")
        unknown = set(entry) - {"from", "divisor"}
        if unknown:
            raise ValueError(f"dim_divisors[{i}] has unknown keys {sorted(unknown)}")
        found.append(DimDivisor(day, raw_divisor))
    found.sort(key=lambda d: d.from_day)
    days = [d.from_day for d in found]
    if len(set(days)) != len(days):
        raise ValueError("dim_divisors has two entries for the same date")
    return tuple(found)


def qualifies(service_level: str, offered_level: str) -> bool:
    if service_level == "freight" or offered_level == "freight":
        return service_level == offered_level
    return SPEED[offered_level] >= SPEED[service_level]


def zone_for(carrier: Carrier, country: str, postal_code: str = "") -> int | None:
    """The carrier's zone for a destination: the longest postal prefix listed for the
    country, else the country, else "*", else None (the carrier does not go there)."""
    postal = normalise_postal_code(postal_code)
    best: tuple[int, int] | None = None  # (prefix length, zone)
    for pz in carrier.postal_zones:
        if pz.country != country:
            continue
        for prefix in pz.prefixes:
            if postal.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), pz.zone)
    if best is not None:
        return best[1]
    return carrier.zones.get(country) or carrier.zones.get("*")


def quotes(
    carriers: list[Carrier],
    country: str,
    service_level: str,
    weight_g: int,
    dims_mm: tuple[int, int, int],
    postal_code: str = "",
    day: date | None = None,
) -> list[Quote]:
    """Every service that can carry this carton at this level, cheapest first (surcharges
    included). With ``day``, each service's dimensional divisor in force that day."""
    found: list[Quote] = []
    for carrier in carriers:
        zone = zone_for(carrier, country, postal_code)
        if zone is None:
            continue
        for svc in carrier.services:
            if not qualifies(service_level, svc.level):
                continue
            divisor = divisor_on(svc, day) if day is not None else svc.dim_divisor
            billable = billable_weight_g(weight_g, dims_mm, divisor)
            band = next((b for b in svc.bands if billable <= b.max_g), None)
            if band is None or zone > len(band.prices_minor):
                continue
            base = band.prices_minor[zone - 1]
            extras = tuple(
                (sc.code, sc.amount_minor(base))
                for sc in (*carrier.surcharges, *svc.surcharges)
                if sc.applies(country, postal_code, billable, dims_mm)
            )
            found.append(
                Quote(
                    carrier.code,
                    svc.code,
                    svc.name,
                    base + sum(amount for _, amount in extras),
                    svc.currency,
                    billable,
                    svc.transit_days,
                    base_minor=base,
                    surcharges=extras,
                    zone=zone,
                )
            )
    return sorted(found, key=lambda q: (q.price_minor, q.transit_days, q.carrier, q.service))


def luhn_check_digit(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def tracking_number(prefix: str, serial: int) -> str:
    body = f"{serial:010d}"
    return f"{prefix}{body}{luhn_check_digit(body)}"
