"""Reads config/cutoffs.toml and config/waves.toml (with the layout of config/warehouse.toml)
into the planning domain's objects. Cached per file and modification time."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.adapters.config_files import Layout, load_layout
from app.domain.batching import Caps
from app.domain.planning import Batching, Calendar, CarrierPickups, Rates, Rules, Strategy
from app.domain.routing import Geometry

DAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class WaveConfig:
    calendar: Calendar
    rules: Rules
    default_rates: Rates
    geometry: Geometry
    layout: Layout
    auto_release: bool
    auto_interval_s: float
    auto_horizon: timedelta
    measure_window: timedelta
    min_units_to_measure: int


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _caps(d: dict[str, Any]) -> Caps:
    return Caps(
        totes=int(d.get("totes", 0)),
        lines=int(d.get("lines", 0)),
        units=int(d.get("units", 0)),
        weight_g=int(d.get("weight_g", 0)),
        volume_cm3=int(d.get("volume_cm3", 0)),
    )


def load_calendar(path: Path) -> Calendar:
    data = _load(path)
    carriers = []
    for c in data.get("carriers", []):
        times = tuple(
            time(int(t.split(":")[0]), int(t.split(":")[1])) for t in c.get("pickups", [])
        )
        days = c.get("weekdays")
        carriers.append(
            CarrierPickups(
                carrier=str(c["code"]),
                service_levels=frozenset(str(x) for x in c.get("service_levels", ["*"])),
                times=times,
                weekdays=frozenset(DAYS[d[:3].lower()] for d in days)
                if days
                else frozenset(range(7)),
            )
        )
    return Calendar(
        tz=ZoneInfo(str(data.get("timezone", "UTC"))),
        carriers=tuple(carriers),
        lead=timedelta(minutes=int(data.get("lead_minutes", 0))),
    )


def geometry_from(layout: Layout, routing: dict[str, Any]) -> Geometry:
    """The layout's walkable grid (config/warehouse.toml: aisles of every zone, front, middle
    and back cross aisles) with the depot of waves.toml `[routing]`. Older waves.toml files
    named the cross aisles there (`back_cross_aisle`, `middle_cross_aisles_after_bays`);
    when present they still win."""
    middle = routing.get("middle_cross_aisles_after_bays")
    back = routing.get("back_cross_aisle")
    return layout.geometry(
        depot_x_mm=int(routing.get("depot_x_mm", 0)),
        back=None if back is None else bool(back),
        middle_after_bays=None if middle is None else tuple(int(b) for b in middle),
    )


_CACHE: dict[tuple[str, float, float, float], WaveConfig] = {}


def load_wave_config(config_dir: Path) -> WaveConfig:
    cut, waves, layout_path = (
        config_dir / "cutoffs.toml",
        config_dir / "waves.toml",
        config_dir / "warehouse.toml",
    )
    key = (
        str(config_dir),
        cut.stat().st_mtime if cut.exists() else 0.0,
        waves.stat().st_mtime if waves.exists() else 0.0,
        layout_path.stat().st_mtime,
    )
    if key in _CACHE:
        return _CACHE[key]
    data = _load(waves) if waves.exists() else {}
    planning = data.get("planning", {})
    rates = data.get("rates", {})
    auto = data.get("auto_release", {})
    strategy = str(planning.get("strategy", "auto"))
    layout = load_layout(layout_path)
    calendar = load_calendar(cut) if cut.exists() else Calendar(ZoneInfo("UTC"), ())
    rules_kwargs: dict[str, Any] = {
        "strategy": None if strategy == "auto" else Strategy(strategy),
        "batching": Batching(str(planning.get("batching", "savings"))),
        "by_profile": bool(planning.get("by_profile", True)),
    }
    if "wave_caps" in data:
        rules_kwargs["wave_caps"] = _caps(data["wave_caps"])
    if "cart_caps" in data:
        rules_kwargs["cart_caps"] = _caps(data["cart_caps"])
    config = WaveConfig(
        calendar=calendar,
        rules=Rules(**rules_kwargs),
        default_rates=Rates(
            pick_units_per_hour=float(rates.get("pick_units_per_hour", 120)),
            pack_units_per_hour=float(rates.get("pack_units_per_hour", 180)),
            pickers=int(rates.get("pickers", 4)),
            packers=int(rates.get("packers", 2)),
            dock_buffer=timedelta(minutes=int(rates.get("dock_buffer_minutes", 30))),
        ),
        geometry=geometry_from(layout, data.get("routing", {})),
        layout=layout,
        auto_release=bool(auto.get("enabled", False)),
        auto_interval_s=float(auto.get("interval_s", 30)),
        auto_horizon=timedelta(minutes=int(auto.get("horizon_minutes", 10))),
        measure_window=timedelta(minutes=int(rates.get("measure_window_minutes", 120))),
        min_units_to_measure=int(rates.get("min_units_to_measure", 30)),
    )
    _CACHE.clear()
    _CACHE[key] = config
    return config
