"""The cycle-count rules (app/domain/counting.py): variance at commit time, recount verdicts,
tolerance, who may recount, approval shortfall, reason codes, values and the schedule."""

from __future__ import annotations

from datetime import date

import pytest

from app.domain.counting import (
    ItemKey,
    LineResult,
    PlanBin,
    QtyProblem,
    ReasonCode,
    Tolerance,
    Verdict,
    abc_classes,
    best_class,
    compare,
    due,
    judge,
    judge_first,
    judge_recount,
    may_take,
    parse_reason_code,
    quantity_problem,
    resolve_lot,
    shortfall,
    unit_value_minor,
    variances,
)

MUG = ItemKey("MUG-BLK-S")
MUG_L1 = ItemKey("MUG-BLK-S", "L1")
CAP = ItemKey("CAP-BLK-S")
ODD = ItemKey("05012345999996", unknown=True)


def test_a_line_in_scope_not_counted_was_counted_as_zero() -> None:
    lines = compare({MUG: 10, CAP: 4}, {MUG: 10})
    assert [(ln.key, ln.system, ln.counted, ln.variance) for ln in lines] == [
        (CAP, 4, 0, -4),
        (MUG, 10, 10, 0),
    ]


def test_found_stock_is_a_positive_variance_against_zero() -> None:
    lines = compare({MUG: 10}, {MUG: 10, ODD: 3, MUG_L1: 2})
    assert variances(lines) == {ODD: 3, MUG_L1: 2}


def test_a_first_count_that_matches_closes_and_one_that_differs_is_recounted() -> None:
    assert judge_first(compare({MUG: 10}, {MUG: 10})) is Verdict.MATCH
    assert judge_first(compare({MUG: 10}, {MUG: 9})) is Verdict.RECOUNT
    assert judge(None, compare({MUG: 0}, {}), Tolerance()) is Verdict.MATCH


def test_picks_between_raising_and_counting_do_not_make_a_variance() -> None:
    # Raised when the system said 10; 3 were picked since (on-hand 7, and 7 in the bin).
    expected_when_raised = 10
    lines = compare({MUG: expected_when_raised - 3}, {MUG: 7})
    assert judge_first(lines) is Verdict.MATCH


def test_a_recount_that_matches_the_system_closes_without_adjustment() -> None:
    first = {MUG: -2}
    assert judge_recount(first, compare({MUG: 10}, {MUG: 10}), Tolerance()) is (
        Verdict.SYSTEM_RIGHT
    )


def test_a_recount_that_agrees_with_the_first_count_goes_to_a_supervisor() -> None:
    first = {MUG: -2}
    verdict = judge_recount(first, compare({MUG: 10}, {MUG: 8}), Tolerance())
    assert verdict is Verdict.CONFIRMED and verdict.needs_review and not verdict.closes


def test_agreement_is_by_variance_so_picks_between_the_counts_keep_it() -> None:
    # First count: system 10, counted 8 (-2). Then 5 picked: system 5, the recount sees 3.
    assert judge_recount({MUG: -2}, compare({MUG: 5}, {MUG: 3}), Tolerance()) is (Verdict.CONFIRMED)


def test_a_recount_that_agrees_with_nothing_goes_to_a_supervisor_beyond_tolerance() -> None:
    first = {MUG: -2}
    assert judge_recount(first, compare({MUG: 10}, {MUG: 9}), Tolerance()) is Verdict.DISPUTED


def test_within_tolerance_an_unconfirmed_recount_difference_is_noise() -> None:
    first = {MUG: -2}
    lines = compare({MUG: 10}, {MUG: 9})
    assert judge_recount(first, lines, Tolerance(units=1)) is Verdict.WITHIN_TOLERANCE
    assert judge_recount(first, lines, Tolerance(percent=10.0)) is Verdict.WITHIN_TOLERANCE
    assert judge_recount(first, lines, Tolerance(percent=9.0)) is Verdict.DISPUTED
    # Every line must be within it.
    wide = compare({MUG: 10, CAP: 1}, {MUG: 9, CAP: 5})
    assert judge_recount(first, wide, Tolerance(units=1)) is Verdict.DISPUTED


def test_a_recount_that_confirms_only_part_of_the_first_is_not_confirmed() -> None:
    first = {MUG: -2, CAP: 1}
    assert judge_recount(first, compare({MUG: 10, CAP: 0}, {MUG: 8}), Tolerance()) is (
        Verdict.DISPUTED
    )


def test_unknown_items_count_like_any_other_line() -> None:
    first = {ODD: 3}
    assert judge_recount(first, compare({}, {ODD: 3}), Tolerance()) is Verdict.CONFIRMED
    assert judge_recount(first, compare({ODD: 0}, {}), Tolerance()) is Verdict.SYSTEM_RIGHT


@pytest.mark.parametrize(
    ("qty", "problem"),
    [(-1, QtyProblem.NEGATIVE), (0, None), (10000, None), (10001, QtyProblem.ABSURD)],
)
def test_negative_and_absurd_quantities_are_refused(qty: int, problem: QtyProblem | None) -> None:
    assert quantity_problem(qty, 10000) is problem


def test_a_plain_scan_is_the_bins_only_lot_and_several_lots_need_the_label() -> None:
    assert resolve_lot("L9", ["L1", "L2"]) == "L9"
    assert resolve_lot(None, []) == ""
    assert resolve_lot(None, [""]) == ""
    assert resolve_lot(None, ["L1", ""]) == "L1"
    assert resolve_lot(None, ["L1", "L2"]) is None


def test_a_recount_goes_to_someone_else_unless_nobody_else_is_signed_in() -> None:
    assert may_take(None, "U0010", True)
    assert may_take("U0011", "U0010", True)
    assert not may_take("U0010", "U0010", True)
    assert may_take("U0010", "U0010", False)


def test_an_adjustment_never_takes_on_hand_below_allocated() -> None:
    assert shortfall(10, 8, -2) == 0
    assert shortfall(10, 8, -3) == 1
    assert shortfall(10, 0, -10) == 0
    assert shortfall(0, 0, 5) == 0


def test_reason_codes_are_parsed_loosely_and_unknown_ones_refused() -> None:
    codes = [ReasonCode("theft_loss", "Theft or loss"), ReasonCode("data_entry", "Data entry")]
    assert parse_reason_code("theft/loss", codes).code == "theft_loss"
    assert parse_reason_code("Data-Entry", codes).code == "data_entry"
    with pytest.raises(ValueError, match="one of theft_loss, data_entry"):
        parse_reason_code("lost it", codes)


def test_unit_values_come_from_the_first_matching_pattern() -> None:
    values = [("MUG-BLK-*", 999), ("MUG-*", 899)]
    assert unit_value_minor("MUG-BLK-S", values) == 999
    assert unit_value_minor("MUG-RED-S", values) == 899
    assert unit_value_minor("CAP-RED-S", values) is None


def test_abc_classes_by_share_of_units_picked() -> None:
    classes = abc_classes({"A1": 70, "A2": 15, "B1": 10, "C1": 5, "Z": 0})
    # A2 starts at 70 % of the units (inside the first 80 %): A; B1 starts at 85 %: B.
    assert classes == {"A1": "A", "A2": "A", "B1": "B", "C1": "C", "Z": "C"}
    assert abc_classes({"X": 0}) == {"X": "C"}
    assert best_class(["C", "B"]) == "B" and best_class([]) == "C"


def test_the_schedule_counts_never_counted_bins_first_then_the_most_overdue() -> None:
    today = date(2026, 12, 1)
    bins = [
        PlanBin("A01-01-1", 30, date(2026, 11, 25)),  # not due
        PlanBin("A01-02-1", 30, date(2026, 10, 1)),  # 61 days: 31 overdue
        PlanBin("A01-03-1", 7, date(2026, 11, 20)),  # 11 days: 4 overdue
        PlanBin("A01-04-1", 30, None),
        PlanBin("A01-05-1", 30, None, open_task=True),  # already being counted
    ]
    assert [b.location for b in due(bins, today, 10)] == ["A01-04-1", "A01-02-1", "A01-03-1"]
    assert [b.location for b in due(bins, today, 2)] == ["A01-04-1", "A01-02-1"]
    assert due(bins, today, 0) == []


def test_line_results_know_their_variance() -> None:
    assert LineResult(MUG, 10, 7).variance == -3
    assert MUG_L1.label() == "MUG-BLK-S lot L1" and ODD.label().startswith("unknown item")
