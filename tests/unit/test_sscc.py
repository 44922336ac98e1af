"""SSCCs, GSINs and GLNs (app/domain/sscc.py) against the GS1 mod 10 algorithm: published
examples, biip's independent implementation as an oracle for every generated key, and the
configured serial range."""

from __future__ import annotations

import biip
import pytest
from biip.checksums import gs1_standard_check_digit
from biip.sscc import Sscc
from hypothesis import given
from hypothesis import strategies as st

from app.adapters.gs1_config import Gs1ConfigError, parse_gs1
from app.domain.sscc import (
    SsccRange,
    check_digit,
    gtin14,
    is_valid_gln,
    is_valid_sscc,
    make_gsin,
    make_sscc,
    sscc_hri,
)

# Published examples, each with its check digit:
# - GS1 General Specifications (and GS1 US guides): SSCC (00) 1 0614141 123456789 7;
# - biip's documentation: SSCC 3 7613032 110910342 0 and 1 5703538 141037517 7;
# - GS1's "how to calculate a check digit manually": GTIN-13 629104150021 -> 3;
# - the UPC-A on a box of tissues in Wikipedia's UPC article: 03600024145 -> 7.
PUBLISHED = [
    ("10614141123456789", 7),
    ("37613032110910342", 0),
    ("15703538141037517", 7),
    ("629104150021", 3),
    ("03600024145", 7),
]


@pytest.mark.parametrize(("body", "digit"), PUBLISHED)
def test_check_digits_match_the_published_gs1_examples(body: str, digit: int) -> None:
    assert check_digit(body) == digit


def test_the_gs1_example_sscc_is_built_from_its_parts() -> None:
    assert make_sscc(1, "0614141", 123456789) == "106141411234567897"
    assert is_valid_sscc("106141411234567897")
    assert sscc_hri("106141411234567897", 7) == "1 0614141 123456789 7"


@given(
    extension=st.integers(0, 9),
    prefix=st.text("0123456789", min_size=6, max_size=12),
    data=st.data(),
)
def test_every_generated_sscc_is_valid_for_biip(
    extension: int, prefix: str, data: st.DataObject
) -> None:
    serial = data.draw(st.integers(0, 10 ** (16 - len(prefix)) - 1))
    sscc = make_sscc(extension, prefix, serial)
    assert len(sscc) == 18
    parsed = Sscc.parse(sscc)  # raises on a wrong check digit
    assert parsed.extension_digit == extension
    assert parsed.payload == f"{extension}{prefix}{serial:0{16 - len(prefix)}d}"
    assert biip.parse("]C100" + sscc).sscc == parsed


@given(st.text("0123456789", min_size=1, max_size=30))
def test_the_check_digit_agrees_with_biips_implementation(digits: str) -> None:
    assert check_digit(digits) == gs1_standard_check_digit(digits)


@given(st.integers(0, 999_999_999), st.integers(0, 16), st.integers(1, 9))
def test_any_single_wrong_digit_is_caught(serial: int, position: int, delta: int) -> None:
    sscc = make_sscc(3, "0614141", serial)
    wrong = sscc[:position] + str((int(sscc[position]) + delta) % 10) + sscc[position + 1 :]
    assert not is_valid_sscc(wrong)


def test_malformed_keys_are_refused() -> None:
    for bad in ("", "12a4", "١٢٣"):  # empty, a letter, Arabic-Indic digits
        with pytest.raises(ValueError):
            check_digit(bad)
    assert not is_valid_sscc("10614141123456789")  # 17 digits
    assert not is_valid_sscc("106141411234567898")
    with pytest.raises(ValueError):
        make_sscc(10, "0614141", 1)
    with pytest.raises(ValueError):
        make_sscc(1, "06141", 1)  # a prefix is at least 6 digits
    with pytest.raises(ValueError):
        make_sscc(1, "0614141", 10**9)  # does not fit 9 digits


def test_a_range_issues_only_its_own_serials() -> None:
    rng = SsccRange("0614141", 3, 100, 199)
    assert rng.serial_width == 9 and rng.max_serial == 999_999_999
    assert rng.sscc(100) == make_sscc(3, "0614141", 100)
    assert rng.counter_name == "sscc:30614141"
    with pytest.raises(ValueError, match="outside the configured range"):
        rng.sscc(200)
    with pytest.raises(ValueError, match="needs more than the 4 digits"):
        SsccRange("061414112345", 0, 1, 10_000)
    with pytest.raises(ValueError):
        SsccRange("0614141", 0, 5, 4)


def test_bill_of_lading_numbers_are_gsins() -> None:
    gsin = make_gsin("0614141", 1)
    assert gsin == "06141410000000012" and len(gsin) == 17
    assert gs1_standard_check_digit(gsin[:-1]) == int(gsin[-1])
    message = biip.parse("]C1402" + gsin).gs1_message
    assert message is not None and message.element_strings[0].value == gsin


def test_glns_and_gtins_are_checked() -> None:
    assert is_valid_gln("0614141999996")
    assert not is_valid_gln("0614141999995")
    assert gtin14("5012340000003") == "05012340000003"
    with pytest.raises(ValueError):
        gtin14("5012340000004")


def test_the_gs1_file_is_checked_when_loaded() -> None:
    good = {"company_prefix": "0614141", "extension_digit": 3, "gln": "0614141000012"}
    config = parse_gs1(good)
    assert config.sscc.serial_first == 1 and config.sscc.serial_last == 999_999_999
    assert config.pallet.type == "EUR"
    for bad, complaint in (
        ({**good, "company_prefix": 614141}, "quoted string"),
        ({**good, "gln": "0614141000013"}, "valid check digit"),
        ({**good, "extension_digit": 12}, "extension digit"),
        ({**good, "serial_last": 10**10}, "needs more than"),
        ({**good, "bol_serial_first": 5, "bol_serial_last": 4}, "bol_serial"),
    ):
        with pytest.raises(Gs1ConfigError, match=complaint):
            parse_gs1(bad)
