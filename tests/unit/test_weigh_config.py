"""config/stations.toml for weigh stations (app/adapters/station_config.py), and dimensional
divisors with effective dates (app/domain/rating.py, config/carriers.toml)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from app.adapters.config_files import load_carriers
from app.adapters.scales import SerialScale, SimulatedScale
from app.adapters.station_config import (
    ALL_WEIGH_ROLES,
    OVERRIDE_ROLES,
    StationConfigError,
    load_station_config,
    parse_station_config,
)
from app.domain.rating import (
    DimDivisor,
    Service,
    WeightBand,
    billable_weight_g,
    dim_divisors_from_config,
    divisor_on,
)
from app.domain.weighing import Tolerance

CONFIG = Path(__file__).resolve().parents[2] / "config"
DEFAULT = Tolerance(50, 5.0)


def parse(text: str) -> Any:
    return parse_station_config(tomllib.loads(text), DEFAULT)


def test_the_shipped_stations_file_loads_with_its_demo_stations() -> None:
    cfg = load_station_config(CONFIG / "stations.toml", DEFAULT)
    assert cfg.default_station == "WEIGH-1"
    assert set(cfg.stations) >= {"WEIGH-1", "WEIGH-2"}
    w1, w2 = cfg.stations["WEIGH-1"], cfg.stations["WEIGH-2"]
    assert isinstance(w1.make_scale(), SimulatedScale)
    assert w1.manual_entry_roles == ALL_WEIGH_ROLES  # demo: everyone may type
    assert w2.manual_entry_roles == OVERRIDE_ROLES  # as a real station: supervisors only
    assert cfg.policy.default == DEFAULT
    assert cfg.policy.for_carton("BOX-XS", ["SOCKS-BLK-S"]) == Tolerance(30, 3.0)
    assert cfg.policy.for_carton("BOX-M", ["LAMP-BLK-S"]) == Tolerance(80, 6.0)
    assert [r.code for r in cfg.reasons] == ["master_data", "packaging", "scale", "other"]
    assert cfg.learning.min_cartons == 5


def test_no_stations_file_means_one_station_that_takes_typed_weights(tmp_path: Path) -> None:
    cfg = load_station_config(tmp_path / "missing.toml", DEFAULT)
    (station,) = cfg.stations.values()
    assert station.driver == "manual" and station.manual_entry_roles == ALL_WEIGH_ROLES
    assert cfg.station(None) is station


def test_a_serial_station_is_built_from_its_scale_table() -> None:
    cfg = parse(
        """
        [weigh]
        default_station = "W3"
        [stations.W3.scale]
        driver = "serial"
        port = "/dev/ttyUSB0"
        protocol = "mt-sics"
        baudrate = 19200
        stable_count = 4
        resolution_g = 5
        poll_s = 0.1
        [stations.W3.printer]   # another engineer's sub-table: ignored here
        host = "10.0.0.9"
        """
    )
    w3 = cfg.station("W3")
    scale = w3.make_scale()
    assert isinstance(scale, SerialScale) and scale.baudrate == 19200
    assert (w3.stability_filter().count, w3.stability_filter().resolution_g) == (4, 5)
    assert w3.poll_s == 0.1 and w3.server_reads
    assert w3.manual_entry_roles == OVERRIDE_ROLES


def test_tables_without_a_scale_are_other_kinds_of_station() -> None:
    cfg = parse(
        """
        [weigh]
        default_station = "W1"
        [stations.W1.scale]
        driver = "manual"
        [stations.PACK-1]
        printer = "zebra"
        """
    )
    assert list(cfg.stations) == ["W1"]


def test_a_browser_station_tells_the_kiosk_how_to_poll_its_serial_scale() -> None:
    cfg = parse(
        """
        [weigh]
        default_station = "K1"
        [stations.K1.scale]
        driver = "browser"
        transport = "serial"
        protocol = "nci"
        baudrate = 9600
        parity = "E"
        bytesize = 7
        """
    )
    settings = cfg.station("K1").browser_settings()
    assert settings is not None
    assert settings["weigh_command"] == list(b"W\r") and settings["zero_command"] == list(b"Z\r")
    assert (settings["parity"], settings["bytesize"], settings["continuous"]) == ("even", 7, False)
    assert not cfg.station("K1").server_reads


def test_a_simulated_scale_can_be_configured_never_to_settle() -> None:
    cfg = parse(
        """
        [weigh]
        default_station = "S"
        [stations.S.scale]
        driver = "simulated"
        settle_readings = "never"
        """
    )
    scale = cfg.station("S").make_scale()
    assert isinstance(scale, SimulatedScale) and scale.settle_readings is None


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ('[stations.A.scale]\ndriver = "wifi"', "driver must be one of"),
        ('[stations.A.scale]\ndriver = "serial"\nprotocol = "nci"', "needs 'port'"),
        ('[stations.A.scale]\ndriver = "serial"\nport = "/dev/x"\nprotocol = "xyz"', "xyz"),
        ('[stations.A.scale]\ndriver = "simulated"\nspeed = 3', "unknown simulated scale"),
        ('[stations.A.scale]\ndriver = "browser"\ntransport = "usb"', "transport must be"),
        ('[stations.A.scale]\ndriver = "manual"\nport = "/dev/x"', "no scale settings"),
        ('[stations.A.scale]\ndriver = "simulated"\npoll_s = 0', "poll_s must be"),
        (
            '[stations.A]\nmanual_entry_roles = ["picker"]\n[stations.A.scale]\ndriver = "manual"',
            "unknown roles ['picker']",
        ),
        ('[weigh]\ndefault_station = "Z"\n[stations.A.scale]\ndriver = "manual"', "'Z' has no"),
        ("[[weigh.tolerance_rules]]\ncarton_type = 'BOX-S'", "give absolute_g and/or percent"),
        ("[[weigh.tolerance_rules]]\nsku_class = 'glass'\nabsolute_g = 9", "'glass' is not in"),
        ("[[weigh.tolerance_rules]]\nabsolute_g = -1", "absolute_g must be"),
        ("[weigh.learning]\nmin_cartons = 0", "min_cartons must be"),
        ("[weigh.learning]\nwindow = 3", "unknown keys ['window']"),
    ],
)
def test_a_bad_stations_file_is_refused_naming_the_key(text: str, complaint: str) -> None:
    with pytest.raises(StationConfigError) as refused:
        parse(text)
    assert complaint in str(refused.value)
    assert str(refused.value).startswith("stations.toml ")


def test_an_unknown_station_is_named_with_the_known_ones() -> None:
    cfg = load_station_config(CONFIG / "stations.toml", DEFAULT)
    with pytest.raises(KeyError) as missing:
        cfg.station("NOPE")
    assert "WEIGH-1" in str(missing.value)


# --- dimensional divisors with effective dates ---------------------------------------------

BANDS = (WeightBand(30_000, (100,)),)


def service(*dated: DimDivisor) -> Service:
    return Service("DX", "STD", "Standard", "standard", 2, 5_000, BANDS, dim_divisors=dated)


def test_without_dated_divisors_the_services_divisor_applies() -> None:
    assert divisor_on(service(), date(2030, 1, 1)) == 5_000


def test_the_latest_divisor_in_force_on_the_day_applies() -> None:
    svc = service(DimDivisor(date(2026, 1, 1), 5_000), DimDivisor(date(2027, 1, 1), 4_000))
    assert divisor_on(svc, date(2025, 12, 31)) == 5_000  # before the first date: dim_divisor
    assert divisor_on(svc, date(2026, 6, 1)) == 5_000
    assert divisor_on(svc, date(2026, 12, 31)) == 5_000
    assert divisor_on(svc, date(2027, 1, 1)) == 4_000  # in force from its first day
    box = (400, 300, 200)
    assert billable_weight_g(1_000, box, divisor_on(svc, date(2026, 12, 31))) == 4_800
    assert billable_weight_g(1_000, box, divisor_on(svc, date(2027, 1, 2))) == 6_000


def test_dated_divisors_are_read_from_dates_or_text_and_sorted() -> None:
    parsed = dim_divisors_from_config(
        [{"from": "2027-01-01", "divisor": 4000}, {"from": date(2026, 1, 1), "divisor": 5000}]
    )
    assert parsed == (
        DimDivisor(date(2026, 1, 1), 5000),
        DimDivisor(date(2027, 1, 1), 4000),
    )


@pytest.mark.parametrize(
    ("entries", "complaint"),
    [
        ([{"divisor": 5000}], "needs from"),
        ([{"from": "2026-13-01", "divisor": 5000}], "not a date"),
        ([{"from": "2026-01-01", "divisor": 0}], "positive whole number"),
        ([{"from": "2026-01-01", "divisor": 5000.5}], "positive whole number"),
        ([{"from": "2026-01-01", "divisor": 5000, "to": "2027-01-01"}], "unknown keys"),
        (
            [{"from": "2026-01-01", "divisor": 5000}, {"from": "2026-01-01", "divisor": 4000}],
            "same date",
        ),
    ],
)
def test_bad_dated_divisors_are_refused(entries: list[dict[str, Any]], complaint: str) -> None:
    with pytest.raises(ValueError) as refused:
        dim_divisors_from_config(entries)
    assert complaint in str(refused.value)


def test_carriers_file_carries_dated_divisors_through_to_the_service() -> None:
    services = {s.code: s for c in load_carriers(CONFIG / "carriers.toml") for s in c.services}
    std = services["DXP-STD"]
    assert std.dim_divisors == (DimDivisor(date(2026, 1, 1), 5_000),)
    assert divisor_on(std, date(2026, 11, 27)) == 5_000
    assert services["DXP-ECO"].dim_divisors == ()
