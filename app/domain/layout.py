"""The warehouse layout: zones of parallel aisles, bays along each aisle, levels and positions
in each bay; cross aisles; which levels are pick faces and which hold reserve; special
locations (pack, ship, returns, quarantine, receiving). Pure: `parse_layout` takes the
TOML document as a dict (app/adapters/config_files.py reads the file) and reports every
problem with the key it concerns.

Coordinates, in millimetres (the routing model of app/domain/routing.py):

- x: an aisle's centre line. Aisle numbers are unique in the whole warehouse (zone B carries
  on from zone A's last aisle, or starts anywhere else); aisle `n` of a zone stands at
  `origin_x_mm + (n - first_aisle + 1) * aisle_pitch_mm`. The default origin puts aisle `n`
  at `n * aisle_pitch_mm`.
- y: along the aisles. The front cross aisle is at `front_cross_aisle_mm`; bay `b` is centred
  `b * bay_pitch_mm` past it; a level's positions share the bay's width. The back cross aisle
  (if any) is one bay pitch past the last bay of the longest aisle; middle cross aisles run
  between two bays of every aisle.

Every aisle of every zone is walkable from the front to the back cross aisle: the router
sees one grid, so zones side by side share their cross aisles.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from app.domain.codes import location_code, parse_location_code
from app.domain.routing import Geometry

__all__ = [
    "CrossAisles",
    "LayoutError",
    "PlannedLocation",
    "SpecialLocation",
    "WarehouseLayout",
    "Zone",
    "parse_layout",
]

SPECIAL_KINDS_KNOWN = ("pack", "ship", "returns", "quarantine", "receiving")
STORAGE_KINDS = ("pick", "reserve")


class LayoutError(ValueError):
    """Everything wrong with a layout document: `problems` is [(key, reason)]."""

    def __init__(self, problems: list[tuple[str, str]], source: str = "warehouse layout"):
        self.problems = problems
        self.source = source
        lines = [f"{key}: {reason}" for key, reason in problems]
        super().__init__(f"{source}: " + "; ".join(lines))

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.problems]


@dataclass(frozen=True)
class Zone:
    code: str
    first_aisle: int
    aisles: int
    bays: int
    levels: int
    positions: int
    pick_levels: frozenset[int]
    aisle_pitch_mm: int
    origin_x_mm: int

    @property
    def aisle_numbers(self) -> range:
        return range(self.first_aisle, self.first_aisle + self.aisles)

    def aisle_x_mm(self, aisle: int) -> int:
        return self.origin_x_mm + (aisle - self.first_aisle + 1) * self.aisle_pitch_mm

    def kind_of_level(self, level: int) -> str:
        return "pick" if level in self.pick_levels else "reserve"


@dataclass(frozen=True)
class CrossAisles:
    front_mm: int
    back: bool = True
    middle_after_bays: tuple[int, ...] = ()


@dataclass(frozen=True)
class SpecialLocation:
    kind: str
    code: str
    x_mm: int = 0
    y_mm: int = 0


@dataclass(frozen=True)
class PlannedLocation:
    """One row of the locations table as the layout defines it."""

    code: str
    kind: str
    zone: str
    aisle: int
    bay: int
    level: int
    position: int
    x_mm: int
    y_mm: int


@dataclass(frozen=True)
class WarehouseLayout:
    zones: tuple[Zone, ...]
    bay_pitch_mm: int
    cross_aisles: CrossAisles
    specials: tuple[SpecialLocation, ...] = ()
    _by_code: dict[str, Zone] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update({z.code: z for z in self.zones})

    @property
    def special(self) -> dict[str, str]:
        """kind -> code of the special locations (`{"returns": "R00-00-1", ...}`)."""
        return {s.kind: s.code for s in self.specials}

    @property
    def front_cross_aisle_mm(self) -> int:
        return self.cross_aisles.front_mm

    @property
    def max_bays(self) -> int:
        return max(z.bays for z in self.zones)

    @property
    def back_cross_aisle_mm(self) -> int:
        return self.front_cross_aisle_mm + (self.max_bays + 1) * self.bay_pitch_mm

    def zone(self, code: str) -> Zone | None:
        return self._by_code.get(code)

    def bay_y_mm(self, bay: int, position: int = 1, positions: int = 1) -> int:
        """The bay's centre past the front cross aisle, shifted to the position's centre
        when the level is split into several positions."""
        pitch = self.bay_pitch_mm
        return (
            self.front_cross_aisle_mm
            + bay * pitch
            + ((2 * position - 1 - positions) * pitch) // (2 * positions)
        )

    def locations(self) -> Iterator[PlannedLocation]:
        """Zone by zone, aisle, bay, level, position; then the special locations."""
        for z in self.zones:
            for aisle in z.aisle_numbers:
                x = z.aisle_x_mm(aisle)
                for bay in range(1, z.bays + 1):
                    for level in range(1, z.levels + 1):
                        for pos in range(1, z.positions + 1):
                            yield PlannedLocation(
                                code=location_code(z.code, aisle, bay, level, pos),
                                kind=z.kind_of_level(level),
                                zone=z.code,
                                aisle=aisle,
                                bay=bay,
                                level=level,
                                position=pos,
                                x_mm=x,
                                y_mm=self.bay_y_mm(bay, pos, z.positions),
                            )
        for s in self.specials:
            parts = parse_location_code(s.code)
            assert parts is not None  # validated by parse_layout
            yield PlannedLocation(
                code=s.code,
                kind=s.kind,
                zone=parts.zone,
                aisle=parts.aisle,
                bay=parts.bay,
                level=parts.level,
                position=parts.position,
                x_mm=s.x_mm,
                y_mm=s.y_mm,
            )

    def geometry(
        self,
        depot_x_mm: int = 0,
        back: bool | None = None,
        middle_after_bays: tuple[int, ...] | None = None,
    ) -> Geometry:
        """The walkable grid for the router: every aisle's x, the cross aisles' y (front,
        middle ones, back). `back` and `middle_after_bays` override the layout's own (older
        waves.toml files carried them)."""
        cross = self.cross_aisles
        back = cross.back if back is None else back
        middle = cross.middle_after_bays if middle_after_bays is None else middle_after_bays
        pitch = self.bay_pitch_mm
        if middle and not back:
            raise ValueError("middle cross aisles need a back cross aisle")
        ys = [cross.front_mm, *sorted(cross.front_mm + b * pitch + pitch // 2 for b in middle)]
        if back:
            ys.append(self.back_cross_aisle_mm)
        return Geometry(
            {a: z.aisle_x_mm(a) for z in self.zones for a in z.aisle_numbers},
            tuple(ys),
            depot_x_mm,
        )


# ------------------------------------------------------------------------------ parsing

_LAYOUT_KEYS = ("aisle_pitch_mm", "bay_pitch_mm", "front_cross_aisle_mm")
_LEGACY_KEYS = ("zone", "aisles", "bays_per_aisle", "levels")
_CROSS_KEYS = ("back", "middle_after_bays")
_ZONE_KEYS = (
    "code",
    "first_aisle",
    "aisles",
    "bays",
    "levels",
    "positions",
    "pick_levels",
    "aisle_pitch_mm",
    "origin_x_mm",
)
_SPECIAL_KEYS = ("code", "x_mm", "y_mm")
_TOP_KEYS = ("layout", "cross_aisles", "zones", "special")
_KIND = re.compile(r"^[a-z][a-z_]{0,15}$")


class _Problems:
    def __init__(self) -> None:
        self.found: list[tuple[str, str]] = []

    def add(self, key: str, reason: str) -> None:
        self.found.append((key, reason))

    def unknown(self, table: Mapping[str, Any], allowed: tuple[str, ...], prefix: str) -> None:
        for key in table:
            if key not in allowed:
                near = (
                    difflib.get_close_matches(key, allowed, n=1)
                    or [a for a in allowed if a.startswith(key) or key.startswith(a)][:1]
                )
                hint = f" (did you mean {near[0]}?)" if near else ""
                self.add(f"{prefix}{key}", f"unknown key{hint}")

    def int_in(
        self,
        table: Mapping[str, Any],
        key: str,
        prefix: str,
        lo: int,
        hi: int,
        default: int | None = None,
    ) -> int:
        if key not in table:
            if default is None:
                self.add(f"{prefix}{key}", "is required")
                return lo
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(f"{prefix}{key}", f"must be a whole number from {lo} to {hi}")
            return lo
        if not lo <= value <= hi:
            self.add(f"{prefix}{key}", f"must be from {lo} to {hi}, not {value}")
            return max(lo, min(hi, value))
        return value


def _table(value: Any, key: str, problems: _Problems) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        problems.add(key, "must be a table")
        return {}
    return value


def parse_layout(data: Mapping[str, Any], source: str = "warehouse layout") -> WarehouseLayout:
    """The layout from the TOML document (already read into a dict); `LayoutError` lists
    every problem with its key (`zones[1].levels: must be from 1 to 9, not 12`)."""
    p = _Problems()
    p.unknown(data, _TOP_KEYS, "")
    lay = _table(data.get("layout"), "layout", p)
    if "layout" not in data:
        p.add("layout", "is required (aisle_pitch_mm, bay_pitch_mm, front_cross_aisle_mm)")
    legacy = "zones" not in data and any(k in lay for k in _LEGACY_KEYS)
    p.unknown(lay, _LAYOUT_KEYS + (_LEGACY_KEYS if legacy else ()), "layout.")
    aisle_pitch = p.int_in(lay, "aisle_pitch_mm", "layout.", 500, 100_000)
    bay_pitch = p.int_in(lay, "bay_pitch_mm", "layout.", 100, 100_000)
    front = p.int_in(lay, "front_cross_aisle_mm", "layout.", 0, 10_000_000)

    cross_t = _table(data.get("cross_aisles"), "cross_aisles", p)
    p.unknown(cross_t, _CROSS_KEYS, "cross_aisles.")
    back = cross_t.get("back", True)
    if not isinstance(back, bool):
        p.add("cross_aisles.back", "must be true or false")
        back = True

    zones: list[Zone] = []
    if legacy:
        zones.append(_legacy_zone(lay, aisle_pitch, p))
    else:
        raw_zones = data.get("zones")
        if not isinstance(raw_zones, list) or not raw_zones:
            p.add("zones", "is required: at least one [[zones]] table")
            raw_zones = []
        for i, raw in enumerate(raw_zones):
            zone = _zone(raw, f"zones[{i}].", aisle_pitch, p)
            if zone is not None:
                zones.append(zone)
    _check_zones(zones, p)

    max_bays = max((z.bays for z in zones), default=1)
    middle = _middle(cross_t, max_bays, p)
    specials = _specials(data.get("special"), zones, p)
    if p.found:
        raise LayoutError(p.found, source)
    return WarehouseLayout(
        zones=tuple(zones),
        bay_pitch_mm=bay_pitch,
        cross_aisles=CrossAisles(front, bool(back), middle),
        specials=tuple(specials),
    )


def _legacy_zone(lay: Mapping[str, Any], aisle_pitch: int, p: _Problems) -> Zone:
    """The first layout format: one zone, `level < levels` are pick faces."""
    code = lay.get("zone", "A")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]", code):
        p.add("layout.zone", "must be one capital letter A-Z")
        code = "A"
    levels = p.int_in(lay, "levels", "layout.", 1, 9)
    return Zone(
        code=code,
        first_aisle=1,
        aisles=p.int_in(lay, "aisles", "layout.", 1, 99),
        bays=p.int_in(lay, "bays_per_aisle", "layout.", 1, 99),
        levels=levels,
        positions=1,
        pick_levels=frozenset(range(1, levels)),
        aisle_pitch_mm=aisle_pitch,
        origin_x_mm=0,
    )


def _zone(raw: Any, at: str, aisle_pitch: int, p: _Problems) -> Zone | None:
    if not isinstance(raw, Mapping):
        p.add(at.rstrip("."), "must be a table")
        return None
    p.unknown(raw, _ZONE_KEYS, at)
    code = raw.get("code")
    if not isinstance(code, str) or not re.fullmatch(r"[A-Z]", code):
        p.add(f"{at}code", "must be one capital letter A-Z (it starts every location code)")
        code = "?"
    first = p.int_in(raw, "first_aisle", at, 1, 99, default=1)
    aisles = p.int_in(raw, "aisles", at, 1, 99)
    if first + aisles - 1 > 99:
        p.add(f"{at}aisles", f"aisles {first} to {first + aisles - 1}: aisle numbers stop at 99")
    bays = p.int_in(raw, "bays", at, 1, 99)
    levels = p.int_in(raw, "levels", at, 1, 9)
    positions = p.int_in(raw, "positions", at, 1, 9, default=1)
    pitch = p.int_in(raw, "aisle_pitch_mm", at, 500, 100_000, default=aisle_pitch)
    origin = p.int_in(
        raw, "origin_x_mm", at, -10_000_000, 10_000_000, default=(first - 1) * aisle_pitch
    )
    default_pick = list(range(1, levels)) if levels > 1 else [1]
    pick_raw = raw.get("pick_levels", default_pick)
    pick: set[int] = set()
    if not isinstance(pick_raw, list) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in pick_raw
    ):
        p.add(f"{at}pick_levels", "must be a list of level numbers, e.g. [1, 2]")
    else:
        bad = [v for v in pick_raw if not 1 <= v <= levels]
        if bad:
            p.add(f"{at}pick_levels", f"levels {bad} are not in 1..{levels}")
        if len(set(pick_raw)) != len(pick_raw):
            p.add(f"{at}pick_levels", "lists a level twice")
        pick = set(pick_raw)
    return Zone(code, first, aisles, bays, levels, positions, frozenset(pick), pitch, origin)


def _check_zones(zones: list[Zone], p: _Problems) -> None:
    seen_code: dict[str, int] = {}
    seen_aisle: dict[int, str] = {}
    seen_x: dict[int, tuple[str, int]] = {}
    for i, z in enumerate(zones):
        if z.code in seen_code and z.code != "?":
            p.add(f"zones[{i}].code", f"zone {z.code} is already zones[{seen_code[z.code]}]")
        seen_code.setdefault(z.code, i)
        for a in z.aisle_numbers:
            if a in seen_aisle:
                p.add(
                    f"zones[{i}].first_aisle",
                    f"aisle {a} is already in zone {seen_aisle[a]}: aisle numbers are unique "
                    "in the warehouse",
                )
                break
            seen_aisle[a] = z.code
            x = z.aisle_x_mm(a)
            if x in seen_x:
                other = seen_x[x]
                p.add(
                    f"zones[{i}].origin_x_mm",
                    f"aisle {a} stands at x={x} mm like aisle {other[1]} of zone {other[0]}",
                )
                break
            seen_x[x] = (z.code, a)


def _middle(cross_t: Mapping[str, Any], max_bays: int, p: _Problems) -> tuple[int, ...]:
    raw = cross_t.get("middle_after_bays", [])
    key = "cross_aisles.middle_after_bays"
    if not isinstance(raw, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in raw):
        p.add(key, "must be a list of bay numbers, e.g. [6] for a cross aisle after bay 6")
        return ()
    bad = [v for v in raw if not 1 <= v < max_bays]
    if bad:
        p.add(key, f"bays {bad} are not between the first and the last bay (1..{max_bays - 1})")
        return ()
    if len(set(raw)) != len(raw):
        p.add(key, "lists a bay twice")
        return ()
    if raw and cross_t.get("back") is False:
        p.add(key, "middle cross aisles need the back cross aisle (cross_aisles.back = true)")
        return ()
    return tuple(sorted(raw))


def _specials(raw: Any, zones: list[Zone], p: _Problems) -> list[SpecialLocation]:
    table = _table(raw, "special", p)
    out: list[SpecialLocation] = []
    zone_codes = {z.code for z in zones}
    seen: dict[str, str] = {}
    for kind, value in table.items():
        key = f"special.{kind}"
        if not _KIND.match(kind) or kind in STORAGE_KINDS:
            p.add(key, "a special location's kind is a lower-case word other than pick/reserve")
            continue
        x = y = 0
        if isinstance(value, Mapping):
            p.unknown(value, _SPECIAL_KEYS, f"{key}.")
            code = value.get("code")
            x = p.int_in(value, "x_mm", f"{key}.", -10_000_000, 10_000_000, default=0)
            y = p.int_in(value, "y_mm", f"{key}.", -10_000_000, 10_000_000, default=0)
            code_key = f"{key}.code"
        else:
            code, code_key = value, key
        if not isinstance(code, str):
            p.add(code_key, 'must be a location code such as "P00-00-1"')
            continue
        parts = parse_location_code(code)
        if parts is None or parts.code != code:
            p.add(code_key, f'"{code}" is not a location code such as "P00-00-1"')
            continue
        if parts.zone in zone_codes and parts.aisle != 0:
            p.add(code_key, f"{code} would be a rack location of zone {parts.zone}: use aisle 00")
            continue
        if code in seen:
            p.add(code_key, f"{code} is already special.{seen[code]}")
            continue
        seen[code] = kind
        out.append(SpecialLocation(kind, code, x, y))
    return out
