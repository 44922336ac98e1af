"""Pick path order. S-shape (serpentine) through the aisles: the baseline router."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stop:
    key: int
    aisle: int
    y_mm: int


def s_shape(stops: list[Stop]) -> list[Stop]:
    """Walk up odd-numbered aisles (in visiting order) and down the even ones."""
    aisles = sorted({s.aisle for s in stops})
    ordered: list[Stop] = []
    for i, aisle in enumerate(aisles):
        in_aisle = sorted((s for s in stops if s.aisle == aisle), key=lambda s: (s.y_mm, s.key))
        ordered.extend(in_aisle if i % 2 == 0 else reversed(in_aisle))
    return ordered
