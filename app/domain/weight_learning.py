"""Item weights learned from the scale: when single-SKU cartons of one SKU consistently weigh
other than the master data says, propose a corrected unit weight to a supervisor.

A single-SKU carton of `qty` units tells us one unit's weight: (measured - packaging) / qty,
where packaging is what the expected weight added besides the units (carton tare + dunnage).
Kept in milligrams so dividing by the quantity loses nothing worth having.

The rule, over the newest `min_cartons` observations made against the current master weight:
every one deviates from the master weight on the same side, their median deviates by at least
`min_deviation_g` and `min_deviation_pct`, and they agree with each other (max - min within
`max_spread_g` or `max_spread_pct` of the median, the larger). The proposal is their median,
rounded to the gram. A mixed bag of readings (a wrong unit now and then) is not consistent
and proposes nothing: mis-packs are the QC exception's business, not the master data's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class LearningRule:
    min_cartons: int = 5
    min_deviation_g: int = 3
    min_deviation_pct: float = 3.0
    max_spread_g: int = 3
    max_spread_pct: float = 2.0

    def __post_init__(self) -> None:
        if self.min_cartons < 1:
            raise ValueError("min_cartons must be at least 1")
        if min(self.min_deviation_g, self.max_spread_g) < 0:
            raise ValueError("gram thresholds cannot be negative")
        if min(self.min_deviation_pct, self.max_spread_pct) < 0:
            raise ValueError("percent thresholds cannot be negative")


@dataclass(frozen=True)
class WeightSample:
    carton: str
    unit_mg: int  # implied weight of one unit


class LearningOutcome(Enum):
    TOO_FEW = "too_few"
    MATCHES_MASTER = "matches_master"
    INCONSISTENT = "inconsistent"
    PROPOSE = "propose"


@dataclass(frozen=True)
class WeightProposal:
    master_g: int
    proposed_g: int
    cartons: tuple[str, ...]
    spread_mg: int

    @property
    def difference_g(self) -> int:
        return self.proposed_g - self.master_g

    @property
    def deviation_pct(self) -> float:
        return 100.0 * self.difference_g / self.master_g if self.master_g else 100.0

    def describe(self, sku: str) -> str:
        return (
            f"{sku}: master data says {self.master_g} g a unit, {len(self.cartons)} single-SKU "
            f"cartons in a row say {self.proposed_g} g ({self.deviation_pct:+.1f} %)."
        )


@dataclass(frozen=True)
class LearningVerdict:
    outcome: LearningOutcome
    proposal: WeightProposal | None = None


def implied_unit_mg(measured_g: int, packaging_g: int, qty: int) -> int:
    if qty < 1:
        raise ValueError("a carton observation needs at least one unit")
    return _round_div((measured_g - packaging_g) * 1000, qty)


def _round_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero, in integers."""
    q, r = divmod(abs(numerator), denominator)
    if 2 * r >= denominator:
        q += 1
    return q if numerator >= 0 else -q


def _median(values: Sequence[int]) -> int:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    if n % 2:
        return ordered[mid]
    return _round_div(ordered[mid - 1] + ordered[mid], 2)


def evaluate(
    master_g: int, newest_first: Sequence[WeightSample], rule: LearningRule
) -> LearningVerdict:
    """Whether the newest observations justify proposing a new unit weight."""
    window = list(newest_first[: rule.min_cartons])
    if len(window) < rule.min_cartons:
        return LearningVerdict(LearningOutcome.TOO_FEW)
    master_mg = master_g * 1000
    values = [s.unit_mg for s in window]
    median_mg = _median(values)
    threshold_mg = max(rule.min_deviation_g * 1000, round(master_mg * rule.min_deviation_pct / 100))
    if abs(median_mg - master_mg) < threshold_mg:
        return LearningVerdict(LearningOutcome.MATCHES_MASTER)
    heavier = median_mg > master_mg
    if not all((v > master_mg) == heavier and v != master_mg for v in values):
        return LearningVerdict(LearningOutcome.INCONSISTENT)
    spread_mg = max(values) - min(values)
    allowed_spread = max(rule.max_spread_g * 1000, round(median_mg * rule.max_spread_pct / 100))
    if spread_mg > allowed_spread:
        return LearningVerdict(LearningOutcome.INCONSISTENT)
    proposed_g = max(1, _round_div(median_mg, 1000))
    if proposed_g == master_g:
        return LearningVerdict(LearningOutcome.MATCHES_MASTER)
    return LearningVerdict(
        LearningOutcome.PROPOSE,
        WeightProposal(master_g, proposed_g, tuple(s.carton for s in window), spread_mg),
    )
