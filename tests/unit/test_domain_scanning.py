"""What the floor scanners send and what Dockhand makes of it (app/domain/scanning.py)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.scanning import ScanKind, normalise_gtin, parse_scan

# A real GTIN-13 (GS1's own example) and its GTIN-14 form.
GTIN13 = "9501101530003"
GTIN14 = "09501101530003"
GS = "\x1d"

# GS1-128 / DataMatrix element strings carrying GTIN (01), expiry (17), lot (10), serial (21).
# Fixed-length AIs first so no separator is needed; variable-length AIs end with GS.
PLAIN = f"01{GTIN14}17261231" + "10LOT42"
WITH_GS = f"01{GTIN14}10LOT42{GS}21SN9{GS}17261231"
GS1_FORMS = {
    "plain": (PLAIN, "LOT42", None),
    "code128-symbology-id": ("]C1" + PLAIN, "LOT42", None),
    "gs-separated": (WITH_GS, "LOT42", "SN9"),
    "datamatrix-symbology-id": ("]d2" + WITH_GS, "LOT42", "SN9"),
}


def gs1_check_digit(payload: str) -> int:
    """Independent GS1 mod-10: weights 3,1,3,... from the rightmost payload digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


# --- internal codes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("A01-03-2", ScanKind.LOCATION),
        ("B12-40-1", ScanKind.LOCATION),
        ("A01-03-2-4", ScanKind.LOCATION),  # position 4 of the level
        ("T0001", ScanKind.TOTE),
        ("T123456", ScanKind.TOTE),
        ("CT000001", ScanKind.CARTON),
        ("BOX-M", ScanKind.CARTON_TYPE),
        ("BOX-XL2", ScanKind.CARTON_TYPE),
        ("U0001", ScanKind.BADGE),
    ],
)
def test_dockhand_printed_codes_are_recognised(raw: str, kind: ScanKind) -> None:
    scan = parse_scan(raw)
    assert scan.kind is kind
    assert scan.value == raw


def test_lower_case_location_from_a_keyboard_wedge_is_the_same_location() -> None:
    scan = parse_scan("a01-03-2")
    assert scan.kind is ScanKind.LOCATION
    assert scan.value == "A01-03-2"


@pytest.mark.parametrize("suffix", ["\r", "\n", "\r\n", "\t", " "])
def test_scanner_enter_or_tab_suffix_is_not_part_of_the_code(suffix: str) -> None:
    assert parse_scan("T0001" + suffix).value == "T0001"
    item = parse_scan(GTIN13 + suffix)
    assert item.kind is ScanKind.ITEM
    assert item.value == GTIN14


@pytest.mark.parametrize("raw", ["hello", "12345", "SKU-MUG-WHT", "T12", "A1-03-2"])
def test_unrecognised_text_is_kept_verbatim_as_a_possible_alternate_barcode(raw: str) -> None:
    scan = parse_scan(raw)
    assert scan.kind is ScanKind.OTHER
    assert scan.value == raw
    assert scan.raw == raw


# --- GTIN normalisation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "gtin14"),
    [
        ("96385074", "00000096385074"),  # GTIN-8 / EAN-8
        ("036000291452", "00036000291452"),  # GTIN-12 / UPC-A
        ("0036000291452", "00036000291452"),  # the same product as an EAN-13
        ("4006381333931", "04006381333931"),  # GTIN-13 / EAN-13
        ("10614141000415", "10614141000415"),  # GTIN-14 (case)
    ],
)
def test_every_gtin_length_normalises_to_gtin_14(code: str, gtin14: str) -> None:
    assert normalise_gtin(code) == gtin14
    scan = parse_scan(code)
    assert scan.kind is ScanKind.ITEM
    assert scan.value == gtin14


def test_upc_a_scan_matches_the_ean13_barcode_on_file() -> None:
    on_file = normalise_gtin("0036000291452")
    assert on_file is not None
    assert parse_scan("036000291452").value == on_file


@pytest.mark.parametrize("code", ["96385075", "036000291453", "4006381333932", "10614141000416"])
def test_bad_check_digit_is_not_a_gtin(code: str) -> None:
    assert normalise_gtin(code) is None
    assert parse_scan(code).kind is not ScanKind.ITEM


@pytest.mark.parametrize(
    "code", ["", "1234567", "123456789", "400638133393100", "40063813339A1", " 4006381333931"]
)
def test_wrong_length_or_non_digits_is_not_a_gtin(code: str) -> None:
    assert normalise_gtin(code) is None


@given(payload=st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_upc_ean_and_gtin14_forms_of_one_product_normalise_alike(payload: str) -> None:
    upc_a = payload + str(gs1_check_digit(payload))
    forms = [upc_a, "0" + upc_a, "00" + upc_a]
    assert {normalise_gtin(f) for f in forms} == {"00" + upc_a}
    assert {parse_scan(f).value for f in forms} == {"00" + upc_a}


@given(
    payload=st.text(alphabet="0123456789", min_size=12, max_size=12),
    delta=st.integers(min_value=1, max_value=9),
)
def test_any_wrong_check_digit_is_rejected(payload: str, delta: int) -> None:
    wrong = (gs1_check_digit(payload) + delta) % 10
    assert normalise_gtin(payload + str(wrong)) is None


# --- GS1 element strings ------------------------------------------------------------------


@pytest.mark.parametrize("raw", [v[0] for v in GS1_FORMS.values()], ids=list(GS1_FORMS))
def test_gs1_element_string_is_the_item_with_its_gtin(raw: str) -> None:
    scan = parse_scan(raw)
    assert scan.kind is ScanKind.ITEM
    assert scan.value == GTIN14


@pytest.mark.parametrize(("raw", "lot", "serial"), list(GS1_FORMS.values()), ids=list(GS1_FORMS))
def test_gs1_element_string_carries_lot_expiry_and_serial(
    raw: str, lot: str, serial: str | None
) -> None:
    scan = parse_scan(raw)
    assert (scan.lot, scan.expires_on, scan.serial) == (lot, date(2026, 12, 31), serial)


def test_gs1_expiry_day_00_means_the_last_day_of_the_month() -> None:
    scan = parse_scan(f"]d201{GTIN14}17250200")
    assert scan.expires_on == date(2025, 2, 28)


def test_sscc_pallet_label_is_not_an_item() -> None:
    scan = parse_scan("00106141411234567898")
    assert scan.kind is ScanKind.SSCC
    assert scan.value == "106141411234567898"


def test_ean13_with_symbology_identifier_is_the_plain_gtin() -> None:
    scan = parse_scan("]E04006381333931")
    assert scan.kind is ScanKind.ITEM
    assert scan.value == "04006381333931"


def test_scan_json_is_what_the_station_screen_shows() -> None:
    assert parse_scan("T0001").to_json() == {
        "kind": "tote",
        "value": "T0001",
        "lot": None,
        "expires_on": None,
        "serial": None,
    }
