"""Expected carton weight and the tolerance rule that blocks a label when contents differ."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Tolerance:
    absolute_g: int
    percent: float

    def allowed_g(self, expected_g: int) -> int:
        return max(self.absolute_g, round(expected_g * self.percent / 100))


@dataclass(frozen=True)
class WeightVerdict:
    ok: bool
    expected_g: int
    measured_g: int
    allowed_g: int

    @property
    def difference_g(self) -> int:
        return self.measured_g - self.expected_g

    @property
    def message(self) -> str:
        if self.ok:
            return f"Weight OK: {self.measured_g} g (expected {self.expected_g} g)."
        direction = "heavy" if self.difference_g > 0 else "light"
        return (
            f"Weight check failed: {self.measured_g} g is {abs(self.difference_g)} g too "
            f"{direction} (expected {self.expected_g} g ± {self.allowed_g} g). "
            "Re-verify the contents."
        )


def expected_weight_g(unit_weights_g: list[int], tare_g: int, dunnage_g: int) -> int:
    return sum(unit_weights_g) + tare_g + dunnage_g


def check_weight(expected_g: int, measured_g: int, tolerance: Tolerance) -> WeightVerdict:
    allowed = tolerance.allowed_g(expected_g)
    return WeightVerdict(abs(measured_g - expected_g) <= allowed, expected_g, measured_g, allowed)


MAX_REASONABLE_G = 70_000


def validate_reading(measured_g: object) -> str | None:
    """Why a weight reading cannot be used, or None."""
    if isinstance(measured_g, bool) or not isinstance(measured_g, int):
        return "weight must be a whole number of grams"
    if measured_g <= 0:
        return "weight must be more than 0 g (is the carton on the scale?)"
    if measured_g > MAX_REASONABLE_G:
        return f"weight over {MAX_REASONABLE_G} g: parcel carriers will not take it"
    return None
