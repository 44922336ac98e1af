"""Reads the TOML catalogs in config/ into domain objects."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.cartons import CartonType
from app.domain.rating import Carrier, Service, WeightBand


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
            )
        )
    return carriers


@dataclass(frozen=True)
class Layout:
    zone: str
    aisles: int
    bays_per_aisle: int
    levels: int
    aisle_pitch_mm: int
    bay_pitch_mm: int
    front_cross_aisle_mm: int
    special: dict[str, str]


def load_layout(path: Path) -> Layout:
    data = _load(path)
    lay = data["layout"]
    return Layout(
        zone=lay["zone"],
        aisles=int(lay["aisles"]),
        bays_per_aisle=int(lay["bays_per_aisle"]),
        levels=int(lay["levels"]),
        aisle_pitch_mm=int(lay["aisle_pitch_mm"]),
        bay_pitch_mm=int(lay["bay_pitch_mm"]),
        front_cross_aisle_mm=int(lay["front_cross_aisle_mm"]),
        special=dict(data.get("special", {})),
    )
