"""The ``[shopping]`` table of config/carriers.toml, and karrio settings for real carriers.

Karrio credentials are secrets: they come only from the environment, as JSON in
``DOCKHAND_KARRIO_<CARRIER CODE>`` (for example ``DOCKHAND_KARRIO_UPS='{"carrier_name":
"ups", "client_id": "...", "client_secret": "..."}'``). A carrier with such a variable is
served by karrio; the others stay table-rate.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.domain.rate_shopping import ShopPolicy


def load_shop_policy(path: Path) -> ShopPolicy:
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    table = data.get("shopping") or {}
    return ShopPolicy(
        min_reliability_pct=int(table.get("min_reliability_pct", 90)),
        tz=ZoneInfo(str(table.get("timezone", "UTC"))),
    )


def karrio_settings_from_env(env: Mapping[str, str]) -> dict[str, dict[str, object]]:
    prefix = "DOCKHAND_KARRIO_"
    found: dict[str, dict[str, object]] = {}
    for name, value in env.items():
        if name.startswith(prefix) and value.strip():
            settings = json.loads(value)
            if not isinstance(settings, dict) or "carrier_name" not in settings:
                raise ValueError(f"{name} must be a JSON object with carrier_name")
            found[name[len(prefix) :]] = settings
    return found
