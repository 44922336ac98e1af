"""Allocation intake rules from the OMS contract, sections 2.1 and 2.5 (allocations.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.allocations import (
    REPLACEABLE,
    AllocationStatus,
    LineDemand,
    VersionDecision,
    decide_version,
    judge_intake,
)

# --- versions -----------------------------------------------------------------------------


def test_first_sight_of_an_allocation_is_new() -> None:
    assert decide_version(None, 1, any_line_started=False) is VersionDecision.NEW


@pytest.mark.parametrize("started", [False, True])
def test_same_version_again_is_a_duplicate(started: bool) -> None:
    assert decide_version(3, 3, started) is VersionDecision.DUPLICATE


@pytest.mark.parametrize("started", [False, True])
def test_lower_version_is_stale(started: bool) -> None:
    assert decide_version(3, 2, started) is VersionDecision.STALE


def test_higher_version_replaces_before_picking_starts() -> None:
    assert decide_version(1, 2, any_line_started=False) is VersionDecision.REPLACE


def test_higher_version_is_refused_once_picking_started() -> None:
    assert decide_version(1, 2, any_line_started=True) is VersionDecision.STARTED


@given(
    existing=st.integers(min_value=1, max_value=10**6),
    incoming=st.integers(min_value=1, max_value=10**6),
    started=st.booleans(),
)
def test_version_not_arrival_order_decides(existing: int, incoming: int, started: bool) -> None:
    decision = decide_version(existing, incoming, started)
    if incoming < existing:
        assert decision is VersionDecision.STALE
    elif incoming == existing:
        assert decision is VersionDecision.DUPLICATE
    else:
        assert decision in (VersionDecision.REPLACE, VersionDecision.STARTED)


def test_statuses_are_exactly_the_contract_s() -> None:
    assert {s.value for s in AllocationStatus} == {
        "accepted",
        "held",
        "rejected",
        "backordered",
        "released",
        "picking",
        "picked",
        "packing",
        "packed",
        "shipped",
        "cancelled",
    }


@pytest.mark.parametrize(
    "status",
    [
        AllocationStatus.PICKING,
        AllocationStatus.PICKED,
        AllocationStatus.PACKING,
        AllocationStatus.PACKED,
        AllocationStatus.SHIPPED,
        AllocationStatus.CANCELLED,
    ],
)
def test_allocation_in_or_past_picking_is_not_replaceable(status: AllocationStatus) -> None:
    assert status not in REPLACEABLE


def test_allocation_waiting_in_a_wave_is_still_replaceable() -> None:
    assert AllocationStatus.RELEASED in REPLACEABLE


# --- intake verdicts ----------------------------------------------------------------------


def line(line_id: str, sku: str, qty: int, available: int, known: bool = True) -> LineDemand:
    return LineDemand(line_id, sku, qty, known, available)


def test_covered_lines_are_accepted() -> None:
    verdict = judge_intake([line("1", "MUG-WHT", 2, 2), line("2", "TSHIRT", 1, 40)], False)
    assert verdict.status is AllocationStatus.ACCEPTED
    assert verdict.reasons == ()


def test_unknown_sku_rejects_but_shortage_backorders() -> None:
    unknown = judge_intake([line("1", "NOPE", 1, 0, known=False)], False)
    assert unknown.status is AllocationStatus.REJECTED
    assert unknown.reasons == ("line 1: unknown SKU NOPE",)

    short = judge_intake([line("1", "MUG-WHT", 5, 3)], False)
    assert short.status is AllocationStatus.BACKORDERED
    assert short.reasons == ("line 1: MUG-WHT needs 5, 3 available",)


def test_unknown_sku_outranks_a_shortage() -> None:
    verdict = judge_intake(
        [line("1", "MUG-WHT", 5, 3), line("2", "NOPE", 1, 0, known=False)], False
    )
    assert verdict.status is AllocationStatus.REJECTED
    assert verdict.reasons == ("line 2: unknown SKU NOPE",)


def test_every_short_line_is_reported() -> None:
    verdict = judge_intake(
        [line("1", "A", 2, 1), line("2", "B", 1, 1), line("3", "C", 4, 0)], False
    )
    assert verdict.reasons == ("line 1: A needs 2, 1 available", "line 3: C needs 4, 0 available")


def test_b2b_without_credit_approval_is_accepted_but_held() -> None:
    verdict = judge_intake([line("1", "MUG-WHT", 2, 10)], credit_hold=True)
    assert verdict.status is AllocationStatus.HELD
    assert verdict.reasons == ("b2b credit not approved",)


def test_intake_never_drops_an_allocation() -> None:
    """Whatever is wrong with it, the verdict is a stored status, never an exception."""
    for lines in ([], [line("1", "X", 1, 0, known=False)], [line("1", "X", 9, 0)]):
        for hold in (False, True):
            assert isinstance(judge_intake(lines, hold).status, AllocationStatus)
