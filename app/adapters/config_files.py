"""Reads the TOML catalogs in config/ into domain objects."""

from __future__ import annotations

import tomllib
from datetime import time
from pathlib import Path
from typing import Any

from app.domain.cartons import CartonType
from app.domain.layout import LayoutError, WarehouseLayout, parse_layout
from app.domain.rating import (
    Carrier,
    Pickup,
    PostalZone,
    Service,
    Surcharge,
    WeightBand,
    dim_divisors_from_config,
    normalise_postal_code,
)


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _dims(value: Any) -> tuple[int, int, int]:
    x, y, z = (int(v) for v in value)
    return (x, y, z)


def load_cartons(path: Path) -> list[CartonType]:
    return [
        CartonType(
            code=c["code"],
            name=c["name"],
            inner_mm=_dims(c["inner_mm"]),
            outer_mm=_dims(c["outer_mm"]),
            tare_g=int(c["tare_g"]),
            max_weight_g=int(c["max_weight_g"]),
            cost_minor=int(c["cost_minor"]),
        )
        for c in _load(path)["cartons"]
    ]


def load_carriers(path: Path) -> list[Carrier]:
    carriers = []
    for c in _load(path)["carriers"]:
        services = tuple(
            Service(
                carrier=c["code"],
                code=s["code"],
                name=s["name"],
                level=s["level"],
                transit_days=int(s["transit_days"]),
                dim_divisor=int(s["dim_divisor"]),
                bands=tuple(
                    WeightBand(int(b["max_g"]), tuple(int(p) for p in b["prices_minor"]))
                    for b in s["bands"]
                ),
                currency=s.get("currency", "GBP"),
                dim_divisors=dim_divisors_from_config(s.get("dim_divisors", [])),
                reliability_pct=(int(s["reliability_pct"]) if "reliability_pct" in s else None),
                cutoff=_clock_time(s["cutoff"]) if "cutoff" in s else None,
                surcharges=tuple(_surcharge(x) for x in s.get("surcharges", [])),
            )
            for s in c["services"]
        )
        carriers.append(
            Carrier(
                code=c["code"],
                name=c["name"],
                tracking_prefix=c["tracking_prefix"],
                zones={k: int(v) for k, v in c["zones"].items()},
                services=services,
                postal_zones=tuple(
                    PostalZone(
                        pz["country"],
                        tuple(normalise_postal_code(p) for p in pz["prefixes"]),
                        int(pz["zone"]),
                    )
                    for pz in c.get("postal_zones", [])
                ),
                surcharges=tuple(_surcharge(x) for x in c.get("surcharges", [])),
                reliability_pct=int(c.get("reliability_pct", 100)),
                pickup=_pickup(c.get("pickup")),
            )
        )
    return carriers


_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _clock_time(value: Any) -> time:
    hours, minutes = (int(x) for x in str(value).split(":"))
    return time(hours, minutes)


def _pickup(value: Any) -> Pickup:
    if not value:
        return Pickup()
    days = value.get("days", list(_WEEKDAYS[:5]))
    return Pickup(
        cutoff=_clock_time(value.get("cutoff", "17:00")),
        weekdays=frozenset(_WEEKDAYS.index(str(d).lower()[:3]) for d in days),
    )


def _surcharge(value: dict[str, Any]) -> Surcharge:
    return Surcharge(
        code=value["code"],
        name=value["name"],
        flat_minor=int(value.get("flat_minor", 0)),
        # Percentages are written as in the carrier's tariff (8.5) and kept as basis points.
        percent_bp=round(float(value.get("percent", 0)) * 100),
        countries=frozenset(value.get("countries", [])),
        postal_prefixes=tuple(normalise_postal_code(p) for p in value.get("postal_prefixes", [])),
        min_longest_mm=int(value.get("min_longest_mm", 0)),
        min_billable_g=int(value.get("min_billable_g", 0)),
    )


# The layout's parser and model are pure (app/domain/layout.py); this module reads the file.
Layout = WarehouseLayout


def load_layout(path: Path) -> WarehouseLayout:
    """config/warehouse.toml; `LayoutError` names every bad key (`zones[0].levels: ...`)."""
    try:
        data = _load(path)
    except tomllib.TOMLDecodeError as exc:
        raise LayoutError([("(file)", f"not valid TOML: {exc}")], str(path)) from exc
    return parse_layout(data, str(path))
