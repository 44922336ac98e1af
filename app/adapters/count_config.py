"""Reads config/counts.toml (docs/counts.md) into one frozen CountConfig. Cached per file and
modification time, so a change is picked up without a restart."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.domain.counting import ReasonCode, Tolerance

DEFAULT_REASONS = (
    ReasonCode("damaged", "Damaged: written off"),
    ReasonCode("miscount", "Miscount: an earlier count or receipt was wrong"),
    ReasonCode("theft_loss", "Theft or loss"),
    ReasonCode("found", "Found stock"),
    ReasonCode("data_entry", "Data entry error"),
)


class CountConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Schedule:
    kinds: tuple[str, ...] = ("pick",)
    every_days: int = 30
    daily_limit: int = 40
    zones: dict[str, int] = field(default_factory=dict)
    lookback_days: int = 30
    a_share: float = 0.8
    b_share: float = 0.95
    class_days: dict[str, int] = field(default_factory=lambda: {"A": 7, "B": 14, "C": 30})

    def interval(self, zone: str) -> int:
        return self.zones.get(zone, self.every_days)


@dataclass(frozen=True)
class CountConfig:
    tolerance: Tolerance = field(default_factory=Tolerance)
    max_units_per_line: int = 10000
    presence_window_s: float = 300.0
    reasons: tuple[ReasonCode, ...] = DEFAULT_REASONS
    currency: str = "GBP"
    values: tuple[tuple[str, int], ...] = ()
    schedule: Schedule = field(default_factory=Schedule)


def _positive_int(data: dict[str, Any], key: str, default: int, where: str) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CountConfigError(f"{where}: {key} must be a whole number >= 0, got {value!r}")
    return value


def parse_count_config(data: dict[str, Any], where: str = "counts.toml") -> CountConfig:
    reasons = tuple(
        ReasonCode(str(r["code"]), str(r.get("label", r["code"]))) for r in data.get("reasons", [])
    )
    if len({r.code for r in reasons}) != len(reasons):
        raise CountConfigError(f"{where}: reason codes must be unique")
    values_table = data.get("values", {})
    values = tuple((str(p), int(v)) for p, v in values_table.get("patterns", []))
    sched = data.get("schedule", {})
    abc = sched.get("abc", {})
    schedule = Schedule(
        kinds=tuple(str(k) for k in sched.get("kinds", ["pick"])),
        every_days=max(1, _positive_int(sched, "every_days", 30, where)),
        daily_limit=_positive_int(sched, "daily_limit", 40, where),
        zones={str(z): max(1, int(d)) for z, d in sched.get("zones", {}).items()},
        lookback_days=max(1, _positive_int(abc, "lookback_days", 30, where)),
        a_share=float(abc.get("a_share", 0.8)),
        b_share=float(abc.get("b_share", 0.95)),
        class_days={
            c: max(1, _positive_int(abc, f"{c.lower()}_every_days", d, where))
            for c, d in (("A", 7), ("B", 14), ("C", 30))
        },
    )
    return CountConfig(
        tolerance=Tolerance(
            _positive_int(data, "recount_tolerance_units", 0, where),
            float(data.get("recount_tolerance_pct", 0.0)),
        ),
        max_units_per_line=max(1, _positive_int(data, "max_units_per_line", 10000, where)),
        presence_window_s=float(data.get("presence_window_s", 300)),
        reasons=reasons or DEFAULT_REASONS,
        currency=str(values_table.get("currency", "GBP")),
        values=values,
        schedule=schedule,
    )


_CACHE: dict[Path, tuple[float, CountConfig]] = {}


def load_count_config(config_dir: Path) -> CountConfig:
    """config_dir/counts.toml, or the defaults when the file is missing."""
    path = config_dir / "counts.toml"
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return CountConfig()
    cached = _CACHE.get(path)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    with path.open("rb") as fh:
        config = parse_count_config(tomllib.load(fh), str(path))
    _CACHE[path] = (mtime, config)
    return config
