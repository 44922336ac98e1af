"""Learned item weights from single-SKU cartons (app/domain/weight_learning.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.weight_learning import (
    LearningOutcome,
    LearningRule,
    WeightSample,
    evaluate,
    implied_unit_mg,
)

RULE = LearningRule(
    min_cartons=5, min_deviation_g=3, min_deviation_pct=3.0, max_spread_g=3, max_spread_pct=2.0
)


def samples(*grams: float) -> list[WeightSample]:
    return [WeightSample(f"CT{i:06d}", round(g * 1000)) for i, g in enumerate(grams)]


def test_one_units_weight_is_what_the_carton_weighs_beyond_its_packaging() -> None:
    assert implied_unit_mg(measured_g=1_210, packaging_g=310, qty=3) == 300_000
    assert implied_unit_mg(measured_g=1_211, packaging_g=310, qty=3) == 300_333
    assert implied_unit_mg(measured_g=1_212, packaging_g=310, qty=3) == 300_667
    with pytest.raises(ValueError):
        implied_unit_mg(1_000, 100, 0)


def test_fewer_cartons_than_the_rule_asks_for_propose_nothing() -> None:
    verdict = evaluate(350, samples(380, 380, 381, 379), RULE)
    assert verdict.outcome is LearningOutcome.TOO_FEW and verdict.proposal is None


def test_cartons_matching_the_master_data_propose_nothing() -> None:
    assert evaluate(350, samples(351, 349, 352, 350, 351), RULE).outcome is (
        LearningOutcome.MATCHES_MASTER
    )


def test_consistently_heavier_cartons_propose_their_median() -> None:
    verdict = evaluate(350, samples(378, 380, 381, 379, 380), RULE)
    assert verdict.outcome is LearningOutcome.PROPOSE
    proposal = verdict.proposal
    assert proposal is not None
    assert (proposal.master_g, proposal.proposed_g, proposal.difference_g) == (350, 380, 30)
    assert proposal.deviation_pct == pytest.approx(8.571, abs=0.001)
    assert proposal.cartons == tuple(f"CT{i:06d}" for i in range(5))
    assert proposal.spread_mg == 3_000
    assert "5 single-SKU cartons in a row say 380 g (+8.6 %)" in proposal.describe("MUG-BLK-S")


def test_consistently_lighter_cartons_propose_too() -> None:
    verdict = evaluate(420, samples(395.5, 396, 396.4, 395, 396), RULE)
    assert verdict.outcome is LearningOutcome.PROPOSE and verdict.proposal is not None
    assert verdict.proposal.proposed_g == 396


def test_only_the_newest_cartons_count() -> None:
    newest_first = samples(380, 380, 380, 380, 380, 350, 350, 350)
    assert evaluate(350, newest_first, RULE).outcome is LearningOutcome.PROPOSE


def test_a_mixed_bag_of_cartons_is_inconsistent() -> None:
    # Mostly right, one carton with an extra unit: a mis-pack, not a master data error.
    assert evaluate(350, samples(351, 700, 350, 349, 352), RULE).outcome is (
        LearningOutcome.MATCHES_MASTER
    )
    # Off on both sides of the master weight.
    assert evaluate(350, samples(380, 320, 381, 379, 380), RULE).outcome is (
        LearningOutcome.INCONSISTENT
    )
    # All heavier, but spread far wider than the rule allows.
    assert evaluate(350, samples(370, 395, 380, 372, 392), RULE).outcome is (
        LearningOutcome.INCONSISTENT
    )


def test_small_deviations_need_both_the_gram_and_the_percentage_threshold() -> None:
    # 3 % of a 50 g item is 1.5 g: the 3 g floor keeps a 2 g drift from proposing.
    assert evaluate(50, samples(52, 52, 52, 52, 52), RULE).outcome is LearningOutcome.MATCHES_MASTER
    assert evaluate(50, samples(54, 54, 54, 54, 54), RULE).outcome is LearningOutcome.PROPOSE


def test_rules_refuse_nonsense_thresholds() -> None:
    with pytest.raises(ValueError):
        LearningRule(min_cartons=0)
    with pytest.raises(ValueError):
        LearningRule(max_spread_g=-1)


@given(
    master=st.integers(min_value=20, max_value=5_000),
    unit_mg=st.lists(st.integers(min_value=1_000, max_value=6_000_000), min_size=5, max_size=8),
)
def test_a_proposal_always_moves_away_from_the_master_weight_by_the_threshold(
    master: int, unit_mg: list[int]
) -> None:
    verdict = evaluate(master, [WeightSample("CT", mg) for mg in unit_mg], RULE)
    if verdict.outcome is LearningOutcome.PROPOSE:
        p = verdict.proposal
        assert p is not None
        assert abs(p.proposed_g - master) >= max(RULE.min_deviation_g, master * 0.03) - 1
        window = unit_mg[: RULE.min_cartons]
        assert min(window) // 1000 - 1 <= p.proposed_g <= max(window) // 1000 + 1
        assert all((mg > master * 1000) == (p.proposed_g > master) for mg in window)
