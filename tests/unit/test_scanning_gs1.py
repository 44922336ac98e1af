"""GS1 in every form a handheld meets it (app/domain/scanning.py, parsed by biip): element
strings behind any symbology identifier, GS1 Digital Link URIs from 2D codes, the bracketed
form a person types from the label, and a wedge's trailing separators."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.scanning import ScanKind, parse_scan

GTIN14 = "09501101530003"
GS = "\x1d"


@pytest.mark.parametrize(
    "raw",
    [
        f"https://id.gs1.org/01/{GTIN14}/10/LOT42/21/SN9?17=261231",
        f"https://example.com/shop/01/{GTIN14}/10/LOT42/21/SN9?17=261231",
        f"]d201{GTIN14}17261231" + f"10LOT42{GS}21SN9",
        f"]Q301{GTIN14}17261231" + f"10LOT42{GS}21SN9",
        f"(01){GTIN14}(17)261231(10)LOT42(21)SN9",
        f"01{GTIN14}17261231" + f"10LOT42{GS}21SN9{GS}",
    ],
    ids=["digital-link", "digital-link-own-domain", "datamatrix", "qr", "typed-hri", "trailing-gs"],
)
def test_every_gs1_form_of_one_unit_reads_the_same(raw: str) -> None:
    scan = parse_scan(raw)
    assert scan.kind is ScanKind.ITEM
    assert (scan.value, scan.lot, scan.expires_on, scan.serial) == (
        GTIN14,
        "LOT42",
        date(2026, 12, 31),
        "SN9",
    )


def test_digital_link_with_only_a_gtin_is_the_item() -> None:
    scan = parse_scan("https://id.gs1.org/01/9501101530003")
    assert (scan.kind, scan.value, scan.lot) == (ScanKind.ITEM, GTIN14, None)


def test_a_url_that_is_not_a_digital_link_is_not_an_item() -> None:
    scan = parse_scan("https://example.com/about")
    assert scan.kind is ScanKind.OTHER


def test_an_impossible_expiry_date_is_not_read_as_an_item() -> None:
    # Month 13: biip refuses the element string; nothing is guessed.
    assert parse_scan(f"01{GTIN14}17261331").kind is not ScanKind.ITEM


def test_a_typed_hri_with_a_bad_check_digit_is_not_an_item() -> None:
    assert parse_scan("(01)09501101530004(10)LOT42").kind is not ScanKind.ITEM


def test_gs1_databar_symbology_identifier_is_stripped() -> None:
    scan = parse_scan(f"]e001{GTIN14}10LOT42")
    assert (scan.value, scan.lot) == (GTIN14, "LOT42")


def test_expiry_alone_without_a_lot_is_captured() -> None:
    scan = parse_scan(f"01{GTIN14}17240131")
    assert (scan.expires_on, scan.lot) == (date(2024, 1, 31), None)


LOTS = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=1, max_size=20)


@given(
    lot=LOTS, serial=LOTS, day=st.dates(min_value=date(2000, 1, 1), max_value=date(2049, 12, 28))
)
def test_element_string_digital_link_and_hri_agree(lot: str, serial: str, day: date) -> None:
    yymmdd = day.strftime("%y%m%d")
    forms = [
        f"01{GTIN14}17{yymmdd}10{lot}{GS}21{serial}",
        f"https://id.gs1.org/01/{GTIN14}/10/{lot}/21/{serial}?17={yymmdd}",
        f"(01){GTIN14}(17){yymmdd}(10){lot}(21){serial}",
    ]
    parsed = {(s.kind, s.value, s.lot, s.serial, s.expires_on) for s in map(parse_scan, forms)}
    assert parsed == {(ScanKind.ITEM, GTIN14, lot, serial, day)}
