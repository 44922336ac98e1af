"""Where the rest of a short pick comes from (app/domain/short_picks.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.short_picks import (
    Bin,
    ShortPlan,
    ShortReason,
    ShortRefusal,
    plan_short,
    refusal,
    short_message,
)

TODAY = date(2026, 11, 26)
SHORT = 1  # the stock row the picker found short


def bin_(stock_id: int, free: int, pick_face: bool = False, **kw: object) -> Bin:
    return Bin(
        stock_id=stock_id,
        location=f"A01-0{stock_id}-1",
        free=free,
        pick_face=pick_face,
        lot=kw.get("lot"),  # type: ignore[arg-type]
        expires_on=kw.get("expires_on"),  # type: ignore[arg-type]
        under_count=bool(kw.get("under_count", False)),
    )


def taken(plan: ShortPlan) -> list[tuple[int, int]]:
    return [(b.stock_id, qty) for b, qty in plan.take]


def test_pick_faces_first_then_the_fullest_bins() -> None:
    plan = plan_short(7, SHORT, [bin_(2, 3), bin_(3, 9), bin_(4, 2, pick_face=True)], None, TODAY)
    assert taken(plan) == [(4, 2), (3, 5)]
    assert (plan.reallocated, plan.uncovered) == (7, 0)


def test_what_no_bin_covers_is_short() -> None:
    plan = plan_short(5, SHORT, [bin_(2, 3)], None, TODAY)
    assert taken(plan) == [(2, 3)] and plan.uncovered == 2


def test_the_short_bin_itself_is_never_used() -> None:
    plan = plan_short(2, SHORT, [bin_(SHORT, 50, pick_face=True)], None, TODAY)
    assert plan.take == () and plan.uncovered == 2


def test_expired_stock_and_bins_under_count_are_skipped() -> None:
    candidates = [
        bin_(2, 10, expires_on=TODAY - timedelta(days=1)),
        bin_(3, 10, under_count=True),
        bin_(4, 10, expires_on=TODAY),
    ]
    assert taken(plan_short(3, SHORT, candidates, None, TODAY)) == [(4, 3)]


def test_a_lot_controlled_line_takes_only_its_lot() -> None:
    candidates = [bin_(2, 10, pick_face=True, lot="L2"), bin_(3, 1, lot="L1")]
    plan = plan_short(3, SHORT, candidates, "L1", TODAY)
    assert taken(plan) == [(3, 1)] and plan.uncovered == 2


def test_nothing_missing_plans_nothing() -> None:
    assert plan_short(0, SHORT, [bin_(2, 5)], None, TODAY) == ShortPlan(0, ())


@pytest.mark.parametrize(
    ("qty", "picked", "done", "expected"),
    [
        (3, 1, False, None),
        (3, 0, False, None),
        (3, 3, False, ShortRefusal.NOTHING_MISSING),
        (3, 1, True, ShortRefusal.TASK_DONE),
    ],
)
def test_when_a_task_may_be_shorted(
    qty: int, picked: int, done: bool, expected: ShortRefusal | None
) -> None:
    assert refusal(qty, picked, done) is expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("empty", ShortReason.EMPTY),
        ("Damaged", ShortReason.DAMAGED),
        ("not found", ShortReason.NOT_FOUND),
        ("not-found", ShortReason.NOT_FOUND),
        ("expired", ShortReason.EXPIRED),
    ],
)
def test_reason_codes_are_read_forgivingly(text: str, reason: ShortReason) -> None:
    assert ShortReason.parse(text) is reason


def test_an_unknown_reason_lists_the_known_ones() -> None:
    with pytest.raises(ValueError, match="empty, damaged, not_found, expired"):
        ShortReason.parse("lunch")


def test_the_message_says_where_the_rest_comes_from_and_what_to_do_now() -> None:
    plan = plan_short(3, SHORT, [bin_(2, 2)], None, TODAY)
    assert short_message(ShortReason.NOT_FOUND, "A01-01-1", plan, 1) == (
        "Short at A01-01-1 (not found). Count task raised. 2 more from A01-02-1. "
        "1 not in stock: the office is told. Scan the tote for the 1 you have."
    )


@given(
    missing=st.integers(min_value=0, max_value=40),
    frees=st.lists(st.integers(min_value=0, max_value=15), max_size=6),
    faces=st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_a_plan_never_takes_more_than_missing_or_than_a_bin_holds(
    missing: int, frees: list[int], faces: list[bool]
) -> None:
    candidates = [bin_(i + 2, free, pick_face=faces[i]) for i, free in enumerate(frees)]
    plan = plan_short(missing, SHORT, candidates, None, TODAY)
    assert plan.reallocated + plan.uncovered == missing
    assert plan.uncovered >= 0
    by_id = {c.stock_id: c for c in candidates}
    assert all(0 < qty <= by_id[b.stock_id].free for b, qty in plan.take)
    assert len({b.stock_id for b, _ in plan.take}) == len(plan.take)
    assert plan.uncovered == max(0, missing - sum(frees))
