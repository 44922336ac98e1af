"""What the config files say about stations, for station set-up: the raw ``[stations.<id>]``
tables of config/stations.toml (names, who may type a weight) and the carrier accounts of
config/carriers.toml.

A carrier account is an ``accounts`` entry of a ``[[carriers]]`` table::

    accounts = [{ code = "DXP-LON", name = "DockExpress London DC", number = "DX0012345" }]

A carrier without ``accounts`` has one implicit account, its own code and name, so every
configured carrier can be chosen for a station.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SetupConfigError(ValueError):
    pass


@dataclass(frozen=True)
class CarrierAccount:
    code: str
    carrier: str  # the carrier's code in carriers.toml
    name: str
    number: str = ""  # the account number with the carrier, when there is one

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "carrier": self.carrier,
            "name": self.name,
            "number": self.number,
        }


def _load(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        try:
            data: dict[str, Any] = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise SetupConfigError(f"{path}: {exc}") from None
    return data


def load_station_tables(path: Path) -> dict[str, dict[str, Any]]:
    """``[stations.<id>]`` tables as written (a missing file means none)."""
    stations = _load(path).get("stations") or {}
    return {sid: dict(t) for sid, t in stations.items() if isinstance(t, dict)}


def load_carrier_accounts(path: Path) -> tuple[CarrierAccount, ...]:
    accounts: list[CarrierAccount] = []
    seen: set[str] = set()
    for carrier in _load(path).get("carriers") or []:
        code, name = str(carrier.get("code", "")), str(carrier.get("name", ""))
        raw = carrier.get("accounts")
        if raw is None:
            raw = [{"code": code, "name": name}]
        if not isinstance(raw, list):
            raise SetupConfigError(f"{path}: carriers {code}: accounts must be a list of tables")
        for i, entry in enumerate(raw):
            if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
                raise SetupConfigError(f"{path}: carriers {code}: accounts #{i + 1} needs a code")
            account = CarrierAccount(
                code=entry["code"],
                carrier=code,
                name=str(entry.get("name") or entry["code"]),
                number=str(entry.get("number") or ""),
            )
            if account.code in seen:
                raise SetupConfigError(f"{path}: carrier account {account.code} appears twice")
            seen.add(account.code)
            accounts.append(account)
    return tuple(accounts)
