"""The scale check that blocks a label when a carton's contents are off (weighing.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.weighing import (
    MAX_REASONABLE_G,
    Tolerance,
    check_weight,
    expected_weight_g,
    validate_reading,
)

TOLERANCE = Tolerance(absolute_g=20, percent=2.0)


def test_light_carton_gets_the_absolute_tolerance() -> None:
    assert TOLERANCE.allowed_g(500) == 20  # 2% would be only 10 g


def test_heavy_carton_gets_the_percentage_tolerance() -> None:
    assert TOLERANCE.allowed_g(5_000) == 100  # 2% beats the 20 g floor


def test_expected_weight_adds_units_tare_and_dunnage() -> None:
    assert expected_weight_g([300, 300, 240], tare_g=180, dunnage_g=20) == 1_040


def test_reading_within_tolerance_passes() -> None:
    verdict = check_weight(1_000, 1_015, TOLERANCE)
    assert verdict.ok
    assert verdict.message == "Weight OK: 1015 g (expected 1000 g)."


@pytest.mark.parametrize("measured", [980, 1_020])
def test_reading_exactly_at_the_tolerance_passes(measured: int) -> None:
    assert check_weight(1_000, measured, TOLERANCE).ok


def test_heavier_than_tolerance_blocks_the_label() -> None:
    verdict = check_weight(1_000, 1_021, TOLERANCE)
    assert not verdict.ok
    assert verdict.difference_g == 21
    assert verdict.allowed_g == 20
    assert "21 g too heavy" in verdict.message
    assert "expected 1000 g ± 20 g" in verdict.message
    assert "Re-verify the contents." in verdict.message


def test_lighter_than_tolerance_blocks_the_label() -> None:
    verdict = check_weight(5_000, 4_899, TOLERANCE)
    assert not verdict.ok
    assert "101 g too light" in verdict.message


@pytest.mark.parametrize("good", [1, 840, MAX_REASONABLE_G])
def test_whole_positive_gram_readings_are_usable(good: int) -> None:
    assert validate_reading(good) is None


@pytest.mark.parametrize(
    ("reading", "complaint"),
    [
        (0, "more than 0 g"),
        (-5, "more than 0 g"),
        (True, "whole number"),
        (False, "whole number"),
        (840.0, "whole number"),
        (840.5, "whole number"),
        (float("nan"), "whole number"),
        ("840", "whole number"),
        (None, "whole number"),
        (MAX_REASONABLE_G + 1, "over 70000 g"),
        (10**12, "over 70000 g"),
    ],
)
def test_unusable_scale_readings_are_explained(reading: object, complaint: str) -> None:
    problem = validate_reading(reading)
    assert problem is not None
    assert complaint in problem


@given(
    expected=st.integers(min_value=1, max_value=70_000),
    measured=st.integers(min_value=1, max_value=70_000),
    absolute=st.integers(min_value=0, max_value=500),
    percent=st.floats(min_value=0, max_value=20, allow_nan=False),
)
def test_tolerance_is_the_larger_of_absolute_and_percent(
    expected: int, measured: int, absolute: int, percent: float
) -> None:
    tol = Tolerance(absolute, percent)
    allowed = tol.allowed_g(expected)
    assert allowed >= absolute
    assert abs(allowed - expected * percent / 100) <= 0.5 or allowed == absolute
    verdict = check_weight(expected, measured, tol)
    assert verdict.ok == (abs(measured - expected) <= allowed)
