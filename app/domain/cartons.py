"""Carton choice for the walking skeleton: the cheapest catalog carton that every unit fits
by its own dimensions and whose inner volume holds the units with room for dunnage.

A volume bound is not a placement: the 3D packer with positions replaces it (pack station
issue). Until then the fill limit keeps recommendations physically plausible.
"""

from __future__ import annotations

from dataclasses import dataclass

FILL_LIMIT = 0.75


@dataclass(frozen=True)
class CartonType:
    code: str
    name: str
    inner_mm: tuple[int, int, int]
    outer_mm: tuple[int, int, int]
    tare_g: int
    max_weight_g: int
    cost_minor: int

    @property
    def inner_volume_mm3(self) -> int:
        x, y, z = self.inner_mm
        return x * y * z


@dataclass(frozen=True)
class Unit:
    sku: str
    dims_mm: tuple[int, int, int]
    weight_g: int


def fits_alone(unit: Unit, carton: CartonType) -> bool:
    return all(a <= b for a, b in zip(sorted(unit.dims_mm), sorted(carton.inner_mm), strict=True))


def choose_carton(units: list[Unit], catalog: list[CartonType]) -> CartonType | None:
    volume = sum(u.dims_mm[0] * u.dims_mm[1] * u.dims_mm[2] for u in units)
    weight = sum(u.weight_g for u in units)
    fitting = [
        c
        for c in catalog
        if all(fits_alone(u, c) for u in units)
        and volume <= FILL_LIMIT * c.inner_volume_mm3
        and weight + c.tare_g <= c.max_weight_g
    ]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (c.cost_minor, c.inner_volume_mm3))
