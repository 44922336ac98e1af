"""The pure replenishment rules (app/domain/replenishment.py): when a pick face needs stock,
how much to bring, which reserve bin it comes from, and when a SKU is low."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.replenishment import (
    AlertKind,
    MinMax,
    ReserveBin,
    Trigger,
    alert_key,
    is_low,
    next_move,
    plan_moves,
    rule_errors,
    units_wanted,
)

TODAY = date(2026, 11, 26)
RULE = MinMax(min_units=20, max_units=100)


def bin_(stock_id: int, free: int, expires: date | None = None, location: str = "") -> ReserveBin:
    return ReserveBin(stock_id, location or f"A01-{stock_id:02d}-3", free, "", expires)


# ---------------------------------------------------------------------------- when, how much


@pytest.mark.parametrize(
    ("on_hand", "wanted"),
    [(21, 0), (20, 80), (19, 81), (0, 100), (-3, 100), (100, 0), (150, 0)],
)
def test_a_pick_asks_for_stock_at_the_min_or_below_and_fills_to_the_max(
    on_hand: int, wanted: int
) -> None:
    assert units_wanted(on_hand, RULE, Trigger.PICK) == wanted


def test_a_short_pick_asks_for_stock_whatever_the_level() -> None:
    assert units_wanted(60, RULE, Trigger.SHORT) == 40
    assert units_wanted(60, RULE, Trigger.PICK) == 0
    # A face at or over its max needs nothing even after a short.
    assert units_wanted(100, RULE, Trigger.SHORT) == 0


def test_min_zero_waits_for_an_empty_face() -> None:
    rule = MinMax(0, 10)
    assert units_wanted(1, rule, Trigger.PICK) == 0
    assert units_wanted(0, rule, Trigger.PICK) == 10


@pytest.mark.parametrize(
    ("low", "high", "fields"),
    [
        (20, 100, []),
        (0, 1, []),
        (-1, 10, ["min"]),
        (10, 10, ["max"]),
        (10, 5, ["max"]),
        (0, 0, ["max"]),
        (5, 100_001, ["max"]),
        (-2, -1, ["min", "max"]),
    ],
)
def test_a_min_max_must_make_sense(low: int, high: int, fields: list[str]) -> None:
    assert [f for f, _ in rule_errors(low, high)] == fields


# ---------------------------------------------------------------------------- from where


def test_first_expiry_first_out_before_fewest_moves() -> None:
    soon = bin_(1, 10, date(2027, 1, 1))
    later = bin_(2, 500, date(2028, 1, 1))
    undated = bin_(3, 500)
    plan = plan_moves([undated, later, soon], 80, TODAY)
    assert [(b.stock_id, q) for b, q in plan] == [(1, 10), (2, 70)]
    assert next_move([undated, later, soon], 80, TODAY) == (soon, 10)


def test_undated_stock_comes_last() -> None:
    plan = plan_moves([bin_(1, 100), bin_(2, 100, date(2030, 1, 1))], 50, TODAY)
    assert [(b.stock_id, q) for b, q in plan] == [(2, 50)]


def test_one_bin_that_covers_the_move_beats_several_and_the_smallest_such_bin_wins() -> None:
    bins = [bin_(1, 30), bin_(2, 90), bin_(3, 200), bin_(4, 40)]
    assert next_move(bins, 80, TODAY) == (bins[1], 80)  # 90 covers 80; 200 is kept whole


def test_without_a_bin_that_covers_it_the_fullest_bins_go_first() -> None:
    bins = [bin_(1, 30), bin_(2, 50), bin_(3, 20)]
    plan = plan_moves(bins, 90, TODAY)
    assert [(b.stock_id, q) for b, q in plan] == [(2, 50), (1, 30), (3, 10)]
    assert next_move(bins, 90, TODAY) == (bins[1], 50)


def test_expired_empty_and_overplanned_bins_are_never_a_source() -> None:
    bins = [
        bin_(1, 100, date(2026, 11, 25)),  # expired yesterday
        bin_(2, 0),
        bin_(3, -5),  # open tasks already plan to take more than is free
    ]
    assert plan_moves(bins, 10, TODAY) == []
    assert next_move(bins, 10, TODAY) is None
    # Expiring today is still good today.
    today = bin_(4, 10, TODAY)
    assert next_move([*bins, today], 10, TODAY) == (today, 10)


def test_what_there_is_is_planned_when_reserve_cannot_cover_it() -> None:
    plan = plan_moves([bin_(1, 7), bin_(2, 5)], 80, TODAY)
    assert sum(q for _, q in plan) == 12
    assert plan_moves([bin_(1, 7)], 0, TODAY) == []


def test_ties_go_to_the_location_code_for_a_stable_plan() -> None:
    a, b = bin_(1, 50, location="A02-01-3"), bin_(2, 50, location="A01-01-3")
    assert next_move([a, b], 50, TODAY) == (b, 50)


# ---------------------------------------------------------------------------- alerts


@pytest.mark.parametrize(
    ("available", "threshold", "low"),
    [(9, 10, True), (10, 10, False), (0, 1, True), (0, 0, False), (-1, 0, False)],
)
def test_low_means_below_the_threshold_and_zero_means_never(
    available: int, threshold: int, low: bool
) -> None:
    assert is_low(available, threshold) is low


def test_one_key_per_condition() -> None:
    assert alert_key(AlertKind.LOW_STOCK, "MUG") == "low_stock:MUG"
    assert alert_key(AlertKind.NO_RESERVE, "MUG", "A01-02-1") == "no_reserve:MUG@A01-02-1"
    assert alert_key(AlertKind.NO_RESERVE, "MUG", "A01-02-1") != alert_key(
        AlertKind.NO_RESERVE, "MUG", "A01-02-2"
    )
