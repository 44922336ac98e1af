"""config/gs1.toml: our GS1 company prefix, SSCC serial range, GLN, BOL (GSIN) range and
the pallet we build on. Checked when loaded: a bad file fails with the key it is about."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.domain.sscc import SsccRange, is_valid_gln


class Gs1ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class PalletSpec:
    type: str = "EUR"
    length_mm: int = 1200
    width_mm: int = 800
    tare_g: int = 25000
    max_height_mm: int = 2200
    max_weight_g: int = 1_500_000


@dataclass(frozen=True)
class Gs1Config:
    sscc: SsccRange
    gln: str | None
    bol_serial_first: int
    bol_serial_last: int
    pallet: PalletSpec

    @property
    def company_prefix(self) -> str:
        return self.sscc.company_prefix

    @property
    def gsin_counter(self) -> str:
        return f"gsin:{self.company_prefix}"


def _int(data: dict[str, Any], key: str, default: int | None = None) -> int:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise Gs1ConfigError(f"gs1.toml: {key} must be a whole number, got {value!r}")
    return value


def parse_gs1(data: dict[str, Any]) -> Gs1Config:
    prefix = data.get("company_prefix")
    if not isinstance(prefix, str):
        raise Gs1ConfigError("gs1.toml: company_prefix must be a quoted string of digits")
    try:
        sscc = SsccRange(
            company_prefix=prefix,
            extension_digit=_int(data, "extension_digit", 0),
            serial_first=_int(data, "serial_first", 1),
            serial_last=_int(data, "serial_last", 10 ** (16 - len(prefix)) - 1),
        )
    except ValueError as exc:
        raise Gs1ConfigError(f"gs1.toml: {exc}") from exc
    gln = data.get("gln") or None
    if gln is not None and (not isinstance(gln, str) or not is_valid_gln(gln)):
        raise Gs1ConfigError(f"gs1.toml: gln {gln!r} is not 13 digits with a valid check digit")
    first = _int(data, "bol_serial_first", 1)
    last = _int(data, "bol_serial_last", sscc.max_serial)
    if not 0 <= first <= last <= sscc.max_serial:
        raise Gs1ConfigError(
            f"gs1.toml: bol_serial_first/last must be 0 <= first <= last <= {sscc.max_serial}"
        )
    raw = data.get("pallet", {})
    if not isinstance(raw, dict):
        raise Gs1ConfigError("gs1.toml: [pallet] must be a table")
    defaults = PalletSpec()
    pallet = PalletSpec(
        type=str(raw.get("type", defaults.type))[:16],
        length_mm=_int(raw, "length_mm", defaults.length_mm),
        width_mm=_int(raw, "width_mm", defaults.width_mm),
        tare_g=_int(raw, "tare_g", defaults.tare_g),
        max_height_mm=_int(raw, "max_height_mm", defaults.max_height_mm),
        max_weight_g=_int(raw, "max_weight_g", defaults.max_weight_g),
    )
    return Gs1Config(sscc, gln, first, last, pallet)


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int) -> Gs1Config:
    with open(path, "rb") as fh:
        return parse_gs1(tomllib.load(fh))


def load_gs1(path: Path) -> Gs1Config:
    """The parsed file, cached until it changes on disk."""
    return _cached(str(path), path.stat().st_mtime_ns)


def load_gs1_if_present(path: Path) -> Gs1Config | None:
    """None without a gs1.toml: B2B cartons then get no SSCC and pallets cannot close."""
    return load_gs1(path) if path.exists() else None
