"""Tracking numbers from outside are checked by their carriers' check digits
(app/domain/tracking_numbers.py). Valid and invalid samples are the carriers' published
examples as collected by the tracking_number_data project."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.tracking_numbers import (
    TrackingFormat,
    identify,
    make_s10,
    make_ups,
    normalise,
    validate,
)

VALID = [
    (TrackingFormat.UPS, "1Z5R89390357567127"),
    (TrackingFormat.UPS, "1Z879E930346834440"),
    (TrackingFormat.UPS, "1Z410E7W0392751591"),
    (TrackingFormat.UPS, "1Z8V92A70367203024"),
    (TrackingFormat.UPS, "1Z999AA10123456784"),
    (TrackingFormat.FEDEX_EXPRESS, "986578788855"),
    (TrackingFormat.FEDEX_EXPRESS, "477179081230"),
    (TrackingFormat.FEDEX_EXPRESS, "799531274483"),
    (TrackingFormat.FEDEX_EXPRESS, "7 9 0 5 3 5 3 1 2 3 1 7"),
    (TrackingFormat.FEDEX_GROUND, "0414 4176 0228 964"),
    (TrackingFormat.FEDEX_GROUND, "5682 8361 0012 734"),
    (TrackingFormat.FEDEX_GROUND_96, "9611020987654312345672"),
    (TrackingFormat.USPS_IMPB, "9400 1112 0108 0805 4830 16"),
    (TrackingFormat.USPS_IMPB, "9361 2898 7870 0317 6337 95"),
    (TrackingFormat.USPS_IMPB, "9405803699300124287899"),
    (TrackingFormat.USPS_IMPB, "9505 5110 6960 5048 6006 24"),
    (TrackingFormat.USPS_IMPB, "92748931507708513018050063"),
    (TrackingFormat.USPS_IMPB, "420 22153 9101026837331000039521"),
    (TrackingFormat.USPS_IMPB, "4201028200009261290113185417468510"),
    (TrackingFormat.UPU_S10, "RB123456785GB"),
    (TrackingFormat.UPU_S10, "rb 123 456 785 us"),
    (TrackingFormat.DHL_EXPRESS, "3318810025"),
    (TrackingFormat.DHL_EXPRESS, "8487135506"),
    (TrackingFormat.DHL_EXPRESS, "73891051146"),
]

INVALID = [
    "2Z5R89390357567127",  # not 1Z
    "1Z1111111111111111",  # wrong UPS check
    "996578788855",  # FedEx 12 with a wrong digit
    "5682 8361 0012 732",
    "9600000000000000000001",
    "9200000000000000000000",
    "9261292700768711948020",
    "RB123456786US",
    "3318810010",
    "",
    "HELLO",
]


@pytest.mark.parametrize(("fmt", "number"), VALID, ids=[n for _, n in VALID])
def test_published_numbers_are_recognised_with_their_check_digit(
    fmt: TrackingFormat, number: str
) -> None:
    match = validate(number, fmt)
    assert match is not None
    assert match.number == normalise(number)
    assert identify(number)[0].format is fmt  # the most specific format comes first


@pytest.mark.parametrize("number", INVALID)
def test_numbers_with_a_wrong_check_digit_or_shape_are_refused(number: str) -> None:
    assert identify(number) == []


def test_a_ups_number_is_not_mistaken_for_another_carrier() -> None:
    assert [m.format for m in identify("1Z999AA10123456784")] == [TrackingFormat.UPS]


@given(
    shipper=st.text(alphabet="0123456789ABCDEFGHJKLMNPRSTUVWXYZ", min_size=6, max_size=6),
    service=st.text(alphabet="0123456789", min_size=2, max_size=2),
    package=st.text(alphabet="0123456789", min_size=7, max_size=7),
)
def test_made_ups_numbers_validate_and_any_single_digit_change_is_caught(
    shipper: str, service: str, package: str
) -> None:
    number = make_ups(shipper, service, package)
    assert validate(number, TrackingFormat.UPS) is not None
    for pos in range(10, 17):  # the package digits
        changed = number[:pos] + str((int(number[pos]) + 1) % 10) + number[pos + 1 :]
        assert validate(changed, TrackingFormat.UPS) is None


S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)


def _s10_remainder(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits, S10_WEIGHTS, strict=True)) % 11


@given(serial=st.integers(min_value=0, max_value=99_999_999), data=st.data())
def test_s10_check_digit_catches_single_digit_errors_except_its_one_known_blind_spot(
    serial: int, data: st.DataObject
) -> None:
    number = make_s10("RR", serial, "GB")
    assert validate(number, TrackingFormat.UPU_S10) is not None
    pos = data.draw(st.integers(min_value=2, max_value=9), label="position")
    new = data.draw(st.sampled_from([d for d in "0123456789" if d != number[pos]]), label="digit")
    typo = number[:pos] + new + number[pos + 1 :]
    if validate(typo, TrackingFormat.UPU_S10) is not None:
        # Remainders 0 and 6 both give check digit 5 (S10 maps 11 to 5): the only miss.
        assert {_s10_remainder(number[2:10]), _s10_remainder(typo[2:10])} == {0, 6}


def test_validate_with_an_expected_format_refuses_other_formats() -> None:
    assert validate("RB123456785GB", TrackingFormat.UPS) is None
