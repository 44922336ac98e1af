"""config/stations.toml: which scale each weigh station uses, who may type a weight there,
tolerance rules per carton type and SKU class, item-weight learning and override reasons.

Stations are `[stations.<id>]` tables; other station kinds may add their own sub-tables
(a printer, say) and keys this module ignores. A station with a `scale` sub-table is a weigh
station. Everything is checked when the file is loaded: a bad file fails at start-up with a
message naming the key, never at the first carton.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.adapters.scales import Scale, make_scale, stability_filter_for
from app.domain.scale_protocols import StabilityFilter, dialect_for
from app.domain.text import N_
from app.domain.weighing import OverrideReason, Tolerance, TolerancePolicy, ToleranceRule
from app.domain.weight_learning import LearningRule

ALL_WEIGH_ROLES = frozenset({"packer", "shipper", "supervisor", "admin"})
OVERRIDE_ROLES = frozenset({"supervisor", "admin"})
DRIVERS = ("serial", "hid", "simulated", "browser", "manual")
_HUB_KEYS = {"poll_s"}  # read by the scale hub, not by the driver
_BROWSER_KEYS = {
    "driver",
    "name",
    "transport",
    "protocol",
    "baudrate",
    "bytesize",
    "parity",
    "stopbits",
    "unit",
    "checksum",
    "stable_count",
    "resolution_g",
    "poll_s",
}

DEFAULT_REASONS = (
    OverrideReason("master_data", N_("Item weight in the master data is wrong"), learn=True),
    OverrideReason("packaging", N_("Different packaging or dunnage than planned")),
    OverrideReason("scale", N_("Scale fault: weighed on another scale"), note_required=True),
    OverrideReason("other", N_("Other (say why)"), note_required=True),
)


class StationConfigError(ValueError):
    pass


@dataclass(frozen=True)
class WeighStation:
    id: str
    name: str
    driver: str
    scale: Mapping[str, Any]  # the driver's settings, as make_scale takes them
    manual_entry_roles: frozenset[str]
    poll_s: float = 0.2
    transport: str | None = None  # browser driver: "hid" or "serial"

    @property
    def server_reads(self) -> bool:
        """A scale the server reads itself (serial, HID, simulated)."""
        return self.driver in ("serial", "hid", "simulated")

    def make_scale(self) -> Scale:
        return make_scale(self.scale)

    def stability_filter(self) -> StabilityFilter:
        return stability_filter_for(self.scale)

    def browser_settings(self) -> dict[str, Any] | None:
        """What a Chrome kiosk needs to read this station's scale (WebHID or Web Serial)."""
        if self.driver != "browser":
            return None
        out: dict[str, Any] = {"transport": self.transport, "poll_ms": round(self.poll_s * 1000)}
        if self.transport == "serial":
            dialect = dialect_for(
                str(self.scale.get("protocol")),
                unit=str(self.scale.get("unit", "lb")),
                checksum=bool(self.scale.get("checksum", False)),
            )
            out.update(
                protocol=dialect.name,
                baudrate=int(self.scale.get("baudrate", 9600)),
                bytesize=int(self.scale.get("bytesize", 8)),
                parity={"N": "none", "E": "even", "O": "odd"}.get(
                    str(self.scale.get("parity", "N")), "none"
                ),
                stopbits=int(self.scale.get("stopbits", 1)),
                weigh_command=list(dialect.weigh_command),
                zero_command=list(dialect.zero_command),
                continuous=dialect.continuous,
            )
        return out


@dataclass(frozen=True)
class WeighConfig:
    stations: Mapping[str, WeighStation]
    default_station: str
    policy: TolerancePolicy
    learning: LearningRule = field(default_factory=LearningRule)
    reasons: tuple[OverrideReason, ...] = DEFAULT_REASONS
    override_roles: frozenset[str] = OVERRIDE_ROLES
    min_load_g: int = 20
    not_stable_after_s: float = 5.0
    zero_range_g: int = 200
    idle_stop_s: float = 30.0
    extra: Mapping[str, Any] = field(default_factory=dict)

    def station(self, station_id: str | None) -> WeighStation:
        key = station_id or self.default_station
        found = self.stations.get(key)
        if found is None:
            known = ", ".join(sorted(self.stations)) or "none"
            raise KeyError(f"{key} is not a weigh station (configured: {known})")
        return found


def _fail(where: str, message: str) -> StationConfigError:
    return StationConfigError(f"stations.toml {where}: {message}")


def _int(table: Mapping[str, Any], key: str, where: str, default: int, minimum: int = 0) -> int:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(where, f"{key} must be a whole number ≥ {minimum}, got {value!r}")
    return value


def _num(
    table: Mapping[str, Any], key: str, where: str, default: float, minimum: float = 0.0
) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise _fail(where, f"{key} must be a number ≥ {minimum:g}, got {value!r}")
    return float(value)


def _roles(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value):
        raise _fail(where, f"manual_entry_roles must be a list of roles, got {value!r}")
    unknown = set(value) - ALL_WEIGH_ROLES
    if unknown:
        raise _fail(where, f"unknown roles {sorted(unknown)}; known: {sorted(ALL_WEIGH_ROLES)}")
    return frozenset(value)


def _station(station_id: str, table: Mapping[str, Any]) -> WeighStation:
    where = f"[stations.{station_id}]"
    scale = table.get("scale")
    if not isinstance(scale, dict):
        raise _fail(where, "scale must be a table")
    driver = scale.get("driver")
    if driver not in DRIVERS:
        raise _fail(f"{where}.scale", f"driver must be one of {list(DRIVERS)}, got {driver!r}")
    poll_s = _num(scale, "poll_s", f"{where}.scale", 0.2, minimum=0.02)
    driver_cfg = {k: v for k, v in scale.items() if k not in _HUB_KEYS}
    if driver_cfg.get("settle_readings") == "never":  # TOML has no null: a scale that never settles
        driver_cfg["settle_readings"] = None
    transport: str | None = None
    try:
        if driver == "browser":
            unknown = set(scale) - _BROWSER_KEYS
            if unknown:
                raise ValueError(f"unknown browser scale setting(s) {sorted(unknown)}")
            transport = scale.get("transport")
            if transport not in ("hid", "serial"):
                raise ValueError(f"transport must be 'hid' or 'serial', got {transport!r}")
            if transport == "serial":
                dialect_for(
                    str(scale.get("protocol")),
                    unit=str(scale.get("unit", "lb")),
                    checksum=bool(scale.get("checksum", False)),
                )
            stability_filter_for(driver_cfg)
        elif driver == "manual":
            unknown = set(scale) - {"driver", "name"}
            if unknown:
                raise ValueError(f"a manual station has no scale settings: {sorted(unknown)}")
        else:
            make_scale(driver_cfg)  # validates; constructing opens no port
            stability_filter_for(driver_cfg)
    except ValueError as exc:
        raise _fail(f"{where}.scale", str(exc)) from None
    # A station without a scale can only take typed weights; with a scale, typing one is an
    # override reserved for supervisors unless the station says otherwise.
    default_roles = ALL_WEIGH_ROLES if driver == "manual" else OVERRIDE_ROLES
    roles = (
        _roles(table["manual_entry_roles"], where)
        if "manual_entry_roles" in table
        else default_roles
    )
    name = table.get("name", station_id)
    if not isinstance(name, str):
        raise _fail(where, "name must be text")
    return WeighStation(
        id=station_id,
        name=name,
        driver=str(driver),
        scale=driver_cfg,
        manual_entry_roles=roles,
        poll_s=poll_s,
        transport=transport,
    )


def _policy(weigh: Mapping[str, Any], default: Tolerance) -> TolerancePolicy:
    classes_raw = weigh.get("sku_classes", {})
    if not isinstance(classes_raw, dict):
        raise _fail("[weigh.sku_classes]", "must be a table of class = [patterns]")
    classes: dict[str, tuple[str, ...]] = {}
    for name, patterns in classes_raw.items():
        if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
            raise _fail("[weigh.sku_classes]", f"{name} must be a list of SKU patterns")
        classes[name] = tuple(patterns)
    rules: list[ToleranceRule] = []
    for i, raw in enumerate(weigh.get("tolerance_rules", [])):
        where = f"[[weigh.tolerance_rules]] #{i + 1}"
        if not isinstance(raw, dict):
            raise _fail(where, "must be a table")
        unknown = set(raw) - {"carton_type", "sku_class", "absolute_g", "percent"}
        if unknown:
            raise _fail(where, f"unknown keys {sorted(unknown)}")
        if "absolute_g" not in raw and "percent" not in raw:
            raise _fail(where, "give absolute_g and/or percent")
        sku_class = raw.get("sku_class")
        if sku_class is not None and sku_class not in classes:
            raise _fail(where, f"sku_class {sku_class!r} is not in [weigh.sku_classes]")
        carton_type = raw.get("carton_type")
        if carton_type is not None and not isinstance(carton_type, str):
            raise _fail(where, "carton_type must be text")
        rules.append(
            ToleranceRule(
                Tolerance(_int(raw, "absolute_g", where, 0), _num(raw, "percent", where, 0.0)),
                carton_type=carton_type,
                sku_class=sku_class,
            )
        )
    return TolerancePolicy(default, tuple(rules), classes)


def _learning(weigh: Mapping[str, Any]) -> LearningRule:
    raw = weigh.get("learning", {})
    where = "[weigh.learning]"
    if not isinstance(raw, dict):
        raise _fail(where, "must be a table")
    base = LearningRule()
    unknown = set(raw) - set(LearningRule.__dataclass_fields__)
    if unknown:
        raise _fail(where, f"unknown keys {sorted(unknown)}")
    return LearningRule(
        min_cartons=_int(raw, "min_cartons", where, base.min_cartons, minimum=1),
        min_deviation_g=_int(raw, "min_deviation_g", where, base.min_deviation_g),
        min_deviation_pct=_num(raw, "min_deviation_pct", where, base.min_deviation_pct),
        max_spread_g=_int(raw, "max_spread_g", where, base.max_spread_g),
        max_spread_pct=_num(raw, "max_spread_pct", where, base.max_spread_pct),
    )


def _reasons(weigh: Mapping[str, Any]) -> tuple[OverrideReason, ...]:
    raw = weigh.get("override_reasons")
    if raw is None:
        return DEFAULT_REASONS
    reasons = []
    for i, r in enumerate(raw):
        where = f"[[weigh.override_reasons]] #{i + 1}"
        if not isinstance(r, dict) or not isinstance(r.get("code"), str):
            raise _fail(where, "needs code and label")
        reasons.append(
            OverrideReason(
                r["code"],
                str(r.get("label", r["code"])),
                learn=bool(r.get("learn", False)),
                note_required=bool(r.get("note_required", False)),
            )
        )
    if not reasons:
        raise _fail("[weigh]", "override_reasons cannot be empty")
    return tuple(reasons)


def parse_station_config(data: Mapping[str, Any], default_tolerance: Tolerance) -> WeighConfig:
    weigh = data.get("weigh", {})
    if not isinstance(weigh, dict):
        raise _fail("[weigh]", "must be a table")
    stations_raw = data.get("stations", {})
    if not isinstance(stations_raw, dict):
        raise _fail("[stations]", "must be a table of [stations.<id>]")
    stations = {
        sid: _station(sid, table)
        for sid, table in stations_raw.items()
        if isinstance(table, dict) and "scale" in table
    }
    default_station = weigh.get("default_station", "WEIGH")
    if not stations:
        # No weigh station configured: one that takes typed weights, as before scales existed.
        stations = {
            default_station: WeighStation(
                default_station, "Weigh", "manual", {"driver": "manual"}, ALL_WEIGH_ROLES
            )
        }
    if default_station not in stations:
        raise _fail("[weigh]", f"default_station {default_station!r} has no [stations.*] table")
    return WeighConfig(
        stations=stations,
        default_station=default_station,
        policy=_policy(weigh, default_tolerance),
        learning=_learning(weigh),
        reasons=_reasons(weigh),
        min_load_g=_int(weigh, "min_load_g", "[weigh]", 20, minimum=1),
        not_stable_after_s=_num(weigh, "not_stable_after_s", "[weigh]", 5.0, minimum=0.5),
        zero_range_g=_int(weigh, "zero_range_g", "[weigh]", 200),
        idle_stop_s=_num(weigh, "idle_stop_s", "[weigh]", 30.0, minimum=1.0),
    )


def load_station_config(path: Path, default_tolerance: Tolerance) -> WeighConfig:
    """The weigh part of stations.toml; a missing file means one manual station."""
    if not path.exists():
        return parse_station_config({}, default_tolerance)
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise StationConfigError(f"{path}: {exc}") from None
    return parse_station_config(data, default_tolerance)
