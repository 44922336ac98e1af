"""The set-up page's field rules (app/domain/station_setup.py), without a database."""

from __future__ import annotations

import pytest

from app.domain.station_setup import (
    SetupInvalid,
    check_host,
    parse_printer,
    parse_scale,
    parse_station_id,
)


@pytest.mark.parametrize(
    ("host", "kept"),
    [
        ("10.0.40.21", "10.0.40.21"),
        ("zebra-ship-1.warehouse.local", "zebra-ship-1.warehouse.local"),
        ("ZT411", "ZT411"),
        ("fe80::1", "fe80::1"),
        ("[2001:db8::9]", "2001:db8::9"),
    ],
)
def test_printer_addresses_are_ip_addresses_or_host_names(host: str, kept: str) -> None:
    assert check_host(host) == kept


@pytest.mark.parametrize(
    "host",
    ["10.0.40.256", "-zebra", "zebra_1", "a b", "tcp://10.0.0.1", "10.0.0.1:9100", "x" * 254],
)
def test_anything_else_is_not_a_printer_address(host: str) -> None:
    with pytest.raises(SetupInvalid) as caught:
        check_host(host)
    assert caught.value.field == "printer.host"


def test_a_zpl_printer_gets_its_defaults_and_a_pdf_printer_needs_no_address() -> None:
    assert parse_printer({"kind": "ZPL", "host": "10.0.40.21"}) == {
        "kind": "zpl",
        "host": "10.0.40.21",
        "port": 9100,
        "dpi": 203,
    }
    assert parse_printer({"kind": "pdf", "name": "Desk"}) == {"kind": "pdf", "name": "Desk"}
    assert parse_printer({"kind": "zpl", "host": "p1", "port": "9101"})["port"] == 9101


def test_a_serial_scale_is_written_as_stations_toml_would_write_it() -> None:
    assert parse_scale(
        {"driver": "serial", "port": "/dev/ttyUSB0", "protocol": "MT-SICS", "unit": "kg"}
    ) == {
        "driver": "serial",
        "port": "/dev/ttyUSB0",
        "protocol": "mt-sics",
        "baudrate": 9600,
        "unit": "kg",
    }
    assert parse_scale({"driver": "manual"}) == {"driver": "manual"}
    with pytest.raises(SetupInvalid, match="poll_s must be between"):
        parse_scale({"driver": "simulated", "poll_s": 0})


def test_station_ids_are_short_codes() -> None:
    assert parse_station_id(" WEIGH-3 ") == "WEIGH-3"
    for bad in ("", "-x", "a" * 41, "ship 1", None, 7):
        with pytest.raises(SetupInvalid):
            parse_station_id(bad)
