"""One frozen, typed Settings: config/app.toml, then DOCKHAND_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


class SettingsError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/dockhand.db"
    host: str = "127.0.0.1"
    port: int = 5000
    oms_url: str = ""
    oms_secret: str = field(default="", repr=False)
    oms_pull_interval: float = 0.0
    outbox_max_attempts: int = 12
    outbox_backoff_base_s: float = 1.0
    outbox_backoff_max_s: float = 300.0
    outbox_poll_s: float = 0.5
    secret_key: str = field(default="", repr=False)
    message_queue: str = ""
    message_queue_channel: str = "dockhand"
    api_rate_limit: str = "60000 per minute"
    station_session_hours: float = 12.0  # a shift: then the PIN is asked again
    bench_endpoints: bool = False  # the scan-load benchmark's bare handler (/bench)
    log_format: str = "text"  # "json": one JSON object per line, for log shippers
    # Socket.IO server mode: "gevent" for `dockhand serve`; "threading" for tests' in-process
    # servers. Empty lets Flask-SocketIO pick.
    async_mode: str = ""
    weight_tolerance_g: int = 50
    weight_tolerance_pct: float = 5.0
    dunnage_g: int = 20
    # Returns station: photo folder (empty: `photos/` beside the SQLite file, else var/photos)
    # and the units a bin may hold when a returned unit is put away.
    returns_photo_dir: str = ""
    returns_pick_face_max_units: int = 200
    returns_reserve_max_units: int = 500
    # Pack station: photo folder for pack photos (empty: `photos/pack` beside the SQLite file,
    # else var/photos/pack).
    pack_photo_dir: str = ""
    # Stock handheld and replenishment (docs/stock.md): the most units one scan may book, the
    # available units below which a SKU raises a low-stock alert (0: never; per-SKU levels
    # override it), and how often the server looks for alerts to push to supervisors.
    stock_max_units_per_scan: int = 10_000
    stock_low_available_units: int = 10
    stock_alert_poll_s: float = 2.0
    # First shift (docs/first-shift.md): hints until this many pick tasks / packed orders,
    # and the orders in one practice wave.
    first_shift_pick_tasks: int = 10
    first_shift_pack_orders: int = 5
    practice_orders: int = 3
    warehouse_name: str = "Dockhand"
    warehouse_line1: str = ""
    warehouse_city: str = ""
    warehouse_postal_code: str = ""
    warehouse_country: str = "GB"
    config_dir: str = str(CONFIG_DIR)
    # The background loops (outbox sender, dashboard push, automatic waves, stock alerts, OMS
    # poller) that `dockhand serve` and the gunicorn workers start; off, none (tests, tools).
    run_background: bool = True

    def with_overrides(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def config_file(self, name: str) -> Path:
        return Path(self.config_dir) / name


_SECRETS = {"oms_secret", "secret_key"}


def _coerce(name: str, raw: Any, target: Any) -> Any:
    try:
        if target is bool or isinstance(target, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if target is int or isinstance(target, int):
            return int(raw)
        if target is float or isinstance(target, float):
            return float(raw)
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(
            f"setting {name}: cannot read {raw!r} as {type(target).__name__}"
        ) from exc


def load_settings(
    env: Mapping[str, str] | None = None, config_dir: Path | None = None, **overrides: Any
) -> Settings:
    env = os.environ if env is None else env
    cfg_dir = Path(env.get("DOCKHAND_CONFIG_DIR", config_dir or CONFIG_DIR))
    defaults = Settings()
    values: dict[str, Any] = {"config_dir": str(cfg_dir)}
    app_toml = cfg_dir / "app.toml"
    if app_toml.exists():
        with app_toml.open("rb") as fh:
            for key, raw in tomllib.load(fh).items():
                if key in _SECRETS:
                    raise SettingsError(f"{key} must come from the environment, not {app_toml}")
                if not hasattr(defaults, key):
                    raise SettingsError(f"unknown setting {key!r} in {app_toml}")
                values[key] = _coerce(key, raw, getattr(defaults, key))
    for f in dataclasses.fields(Settings):
        env_name = "DOCKHAND_" + f.name.upper()
        if env_name in env:
            values[f.name] = _coerce(f.name, env[env_name], getattr(defaults, f.name))
    values.update(overrides)
    settings = Settings(**values)
    if not settings.secret_key:
        # A per-process key keeps a dev run working; production sets DOCKHAND_SECRET_KEY.
        settings = settings.with_overrides(secret_key=secrets.token_hex(32))
    return settings
