"""Table-rate carriers: billable (dimensional) weight, zone prices, cheapest qualifying service."""

from __future__ import annotations

import math
from dataclasses import dataclass

SPEED = {"economy": 0, "standard": 1, "express": 2, "next_day": 3, "freight": -1}


@dataclass(frozen=True)
class WeightBand:
    max_g: int
    prices_minor: tuple[int, ...]  # one price per zone, zone 1 first


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


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_prefix: str
    zones: dict[str, int]  # country -> zone number
    services: tuple[Service, ...]


@dataclass(frozen=True)
class Quote:
    carrier: str
    service: str
    service_name: str
    price_minor: int
    currency: str
    billable_g: int
    transit_days: int


def billable_weight_g(weight_g: int, dims_mm: tuple[int, int, int], divisor: int) -> int:
    x, y, z = dims_mm
    return max(weight_g, math.ceil(x * y * z / divisor))


def qualifies(service_level: str, offered_level: str) -> bool:
    if service_level == "freight" or offered_level == "freight":
        return service_level == offered_level
    return SPEED[offered_level] >= SPEED[service_level]


def quotes(
    carriers: list[Carrier],
    country: str,
    service_level: str,
    weight_g: int,
    dims_mm: tuple[int, int, int],
) -> list[Quote]:
    """Every service that can carry this carton at this level, cheapest first."""
    found: list[Quote] = []
    for carrier in carriers:
        zone = carrier.zones.get(country) or carrier.zones.get("*")
        if zone is None:
            continue
        for svc in carrier.services:
            if not qualifies(service_level, svc.level):
                continue
            billable = billable_weight_g(weight_g, dims_mm, svc.dim_divisor)
            band = next((b for b in svc.bands if billable <= b.max_g), None)
            if band is None or zone > len(band.prices_minor):
                continue
            found.append(
                Quote(
                    carrier.code,
                    svc.code,
                    svc.name,
                    band.prices_minor[zone - 1],
                    svc.currency,
                    billable,
                    svc.transit_days,
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
