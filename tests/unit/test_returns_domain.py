"""Returns rules without a database: matching units to the authorization, grading, where a
unit goes, put-away bins, and the report upstream."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.returns import (
    REASONS,
    AuthorizedLine,
    Bin,
    BinCapacity,
    CloseProblem,
    Command,
    Grade,
    GradedUnit,
    OrderLine,
    PutAwayOutcome,
    UnitFlag,
    UnitMatch,
    UnitStatus,
    authorized_lines,
    check_put_away,
    close_problem,
    disposition,
    match_unit,
    may_resolve_review,
    not_received,
    parse_command,
    photo_required,
    reason_for,
    return_lines,
    return_service,
    suggest_put_away,
)

SHIRT, MUG, CAP = "TSHIRT-BLK-S", "MUG-BLK-S", "CAP-BLK-S"
RMA = [AuthorizedLine("1", SHIRT, 2, "too small"), AuthorizedLine("2", MUG, 1)]
ORDER = [OrderLine("1", SHIRT, 2), OrderLine("2", MUG, 1), OrderLine("3", "SOCKS-BLK-S", 1)]
CAPACITY = BinCapacity(pick_face_units=100, reserve_units=300)


def match(
    sku: str | None,
    before: int = 0,
    authorized: list[AuthorizedLine] | None = RMA,
    order: list[OrderLine] | None = ORDER,
) -> UnitMatch:
    code = sku or "4006381333931"
    return match_unit(sku, code, authorized=authorized, order_lines=order, accepted_before=before)


# ------------------------------------------------------------------ reasons and commands


def test_every_reason_names_one_grade_and_scans_as_r_dash_code() -> None:
    codes = [r.code for r in REASONS]
    assert len(codes) == len(set(codes))
    assert {r.grade for r in REASONS} == set(Grade)
    for reason in REASONS:
        assert reason_for(reason.scan_code) is reason
        assert reason_for(reason.code.lower()) is reason
        assert parse_command(f" {reason.scan_code.lower()} ") is reason


def test_bench_card_commands_parse_and_anything_else_does_not() -> None:
    assert parse_command("cmd-photo") is Command.PHOTO
    assert parse_command("CMD-CLOSE") is Command.CLOSE
    assert parse_command("CMD-REVIEW") is Command.REVIEW
    for text in ("R-NOPE", "5012340000010", "A01-01-1", "CMD-", ""):
        assert parse_command(text) is None


# ------------------------------------------------------------------ matching


def test_unit_within_the_authorization_takes_its_line() -> None:
    m = match(SHIRT)
    assert (m.line_id, m.flag) == ("1", None)
    assert "unit 1 of 2" in m.message
    assert match(SHIRT, before=1).flag is None


def test_units_fill_several_lines_of_one_sku_in_order() -> None:
    split = [AuthorizedLine("1", SHIRT, 1), AuthorizedLine("4", SHIRT, 2)]
    assert [match(SHIRT, n, split).line_id for n in range(3)] == ["1", "4", "4"]
    over = match(SHIRT, 3, split)
    assert (over.line_id, over.flag) == ("4", UnitFlag.OVER_AUTHORIZED)


def test_unit_beyond_the_authorized_quantity_is_flagged() -> None:
    m = match(SHIRT, before=2)
    assert (m.line_id, m.flag) == ("1", UnitFlag.OVER_AUTHORIZED)
    assert "than authorized (2)" in m.message


def test_sku_on_the_order_but_not_on_the_rma_is_beyond_the_authorization() -> None:
    m = match("SOCKS-BLK-S")
    assert (m.line_id, m.flag) == ("3", UnitFlag.OVER_AUTHORIZED)
    assert "(0)" in m.message


def test_sku_never_on_the_order_is_flagged_not_on_order() -> None:
    assert match(CAP).flag is UnitFlag.NOT_ON_ORDER
    assert match(CAP, order=None).flag is UnitFlag.NOT_ON_ORDER  # nor on the RMA


def test_code_that_is_none_of_our_products_is_an_unknown_item() -> None:
    m = match(None)
    assert (m.line_id, m.flag) == (None, UnitFlag.UNKNOWN_ITEM)
    assert "4006381333931" in m.message


def test_rma_line_without_a_line_id_borrows_the_orders() -> None:
    m = match(MUG, authorized=[AuthorizedLine(None, MUG, 1)])
    assert (m.line_id, m.flag) == ("2", None)


def test_without_an_authorization_only_the_order_can_flag() -> None:
    assert match(SHIRT, before=5, authorized=None).flag is None
    assert match(SHIRT, authorized=None).line_id == "1"
    assert match(CAP, authorized=None).flag is UnitFlag.NOT_ON_ORDER
    unknown_order = match(CAP, authorized=None, order=None)
    assert (unknown_order.flag, unknown_order.line_id) == (None, None)
    assert match(None, authorized=None).flag is UnitFlag.UNKNOWN_ITEM


# ------------------------------------------------------------------ grading and dispositions


def test_photo_is_required_for_every_unit_not_resold_as_is_and_every_flagged_one() -> None:
    assert not photo_required(Grade.RESELLABLE, None)
    assert photo_required(Grade.DAMAGED, None)
    assert photo_required(Grade.DISPOSE, None)
    for flag in UnitFlag:
        assert all(photo_required(g, flag) for g in Grade)


@pytest.mark.parametrize(
    ("grade", "review", "known", "status"),
    [
        (Grade.RESELLABLE, False, True, UnitStatus.AWAITING_PUT_AWAY),
        (Grade.DAMAGED, False, True, UnitStatus.QUARANTINED),
        (Grade.DISPOSE, False, True, UnitStatus.DISPOSED),
        (Grade.RESELLABLE, True, True, UnitStatus.HELD),
        (Grade.DAMAGED, True, True, UnitStatus.HELD),
        (Grade.DISPOSE, True, True, UnitStatus.HELD),
        (Grade.RESELLABLE, False, False, UnitStatus.SET_ASIDE),
        (Grade.DAMAGED, True, False, UnitStatus.SET_ASIDE),
        (Grade.DISPOSE, False, False, UnitStatus.DISPOSED),
    ],
)
def test_disposition_follows_the_grade_the_review_and_whether_the_item_is_ours(
    grade: Grade, review: bool, known: bool, status: UnitStatus
) -> None:
    assert disposition(grade, review=review, known_sku=known) is status


def test_a_return_closes_only_with_every_unit_graded_and_put_away() -> None:
    assert close_problem([]) is CloseProblem.NOTHING_RECEIVED
    assert close_problem([UnitStatus.RESTOCKED, UnitStatus.SCANNED]) is CloseProblem.UNGRADED
    waiting = [UnitStatus.AWAITING_PUT_AWAY, UnitStatus.DISPOSED]
    assert close_problem(waiting) is CloseProblem.NOT_PUT_AWAY
    finished = [s for s in UnitStatus if s.finished]
    assert close_problem(finished) is None
    assert set(UnitStatus) - set(finished) == {UnitStatus.SCANNED, UnitStatus.AWAITING_PUT_AWAY}


def test_only_supervisors_and_admins_resolve_a_review() -> None:
    assert may_resolve_review("supervisor") and may_resolve_review("admin")
    assert not any(may_resolve_review(r) for r in ("packer", "picker", "shipper", "returns"))


# ------------------------------------------------------------------ put-away


def face(code: str = "A01-01-1", on_hand: int = 50, holds: bool = True, others: int = 0) -> Bin:
    return Bin(code, "pick", on_hand, on_hand if holds else 0, holds, others, 3000, 3200)


def reserve(code: str, on_hand: int = 0, sku_units: int = 0, x: int = 0, y: int = 0) -> Bin:
    return Bin(code, "reserve", on_hand, sku_units, sku_units > 0, 0, x, y)


def test_put_away_suggests_the_skus_pick_face_when_it_has_room() -> None:
    bins = [reserve("A01-01-3", 10, 10), face()]
    assert suggest_put_away(bins, CAPACITY) == face()


def test_a_full_pick_face_sends_the_unit_to_reserve_holding_the_sku_first() -> None:
    bins = [face(on_hand=100), reserve("A05-01-3", 0), reserve("A02-01-3", 250, 250)]
    chosen = suggest_put_away(bins, CAPACITY)
    assert chosen is not None and chosen.code == "A02-01-3"


def test_else_the_empty_reserve_bin_nearest_the_pick_face() -> None:
    bins = [
        face(on_hand=100),
        reserve("A02-01-3", 300, 300),  # holds the SKU but is full
        reserve("A09-09-3", 0, x=27000, y=12800),
        reserve("A01-02-3", 0, x=3000, y=4400),
    ]
    chosen = suggest_put_away(bins, CAPACITY)
    assert chosen is not None and chosen.code == "A01-02-3"


def test_no_bin_with_room_means_no_suggestion() -> None:
    assert suggest_put_away([face(on_hand=100), reserve("A02-01-3", 300, 300)], CAPACITY) is None
    assert suggest_put_away([], CAPACITY) is None


def test_bin_scan_accepts_the_suggestion_or_another_bin_that_may_take_the_unit() -> None:
    ok = check_put_away(face(), "A01-01-1", "A01-01-1", SHIRT, CAPACITY)
    assert ok.outcome is PutAwayOutcome.LOCATION_OK and ok.outcome.accepted
    other = check_put_away(reserve("A04-04-3", 20), "A04-04-3", "A01-01-1", SHIRT, CAPACITY)
    assert other.outcome is PutAwayOutcome.OTHER_BIN_OK and "A01-01-1" in other.message


@pytest.mark.parametrize(
    ("scanned", "why"),
    [
        (face("A07-07-1", holds=False, others=1), "another SKU's pick face"),
        (reserve("A04-04-3", 300), "full"),
        (Bin("Q00-00-1", "quarantine", 0, 0, False, 0), "not a storage bin"),
        (Bin("P00-00-1", "pack", 0, 0, False, 0), "not a storage bin"),
    ],
)
def test_bin_scan_refuses_bins_that_may_not_take_the_unit(scanned: Bin, why: str) -> None:
    verdict = check_put_away(scanned, scanned.code, "A01-01-1", SHIRT, CAPACITY)
    assert verdict.outcome is PutAwayOutcome.WRONG_LOCATION and not verdict.outcome.accepted
    assert why in verdict.message and "Put it in A01-01-1" in verdict.message


def test_the_suggested_returns_shelf_is_accepted_when_no_bin_had_room() -> None:
    shelf = Bin("R00-00-1", "returns", 4, 0, False, 4)
    verdict = check_put_away(shelf, "R00-00-1", "R00-00-1", SHIRT, CAPACITY)
    assert verdict.outcome is PutAwayOutcome.LOCATION_OK


def test_a_code_that_is_no_location_is_said_so() -> None:
    verdict = check_put_away(None, "Z99", "A01-01-1", SHIRT, CAPACITY)
    assert verdict.outcome is PutAwayOutcome.NOT_A_LOCATION and "A01-01-1" in verdict.message


# ------------------------------------------------------------------ the report


def unit(
    sku: str | None,
    grade: Grade,
    line: str | None = "1",
    flag: UnitFlag | None = None,
    restocked: bool = False,
    reason: str = "r",
) -> GradedUnit:
    return GradedUnit(line, sku, sku or "4006381333931", grade, reason, flag, restocked, ())


def test_report_has_one_line_per_line_grade_and_flag_in_arrival_order() -> None:
    units = [
        unit(SHIRT, Grade.RESELLABLE, restocked=True, reason="Unopened"),
        unit(MUG, Grade.DAMAGED, line="2", reason="Defective"),
        unit(SHIRT, Grade.RESELLABLE, restocked=True, reason="As new"),
        unit(SHIRT, Grade.RESELLABLE, flag=UnitFlag.OVER_AUTHORIZED, restocked=True),
        unit(None, Grade.DISPOSE, line=None, flag=UnitFlag.UNKNOWN_ITEM),
    ]
    lines = return_lines(units)
    summary = [
        (ln["line_id"], ln["sku"], ln["grade"], ln["qty"], ln["restocked_qty"]) for ln in lines
    ]
    assert summary == [
        ("1", SHIRT, "resellable", 2, 2),
        ("2", MUG, "damaged", 1, 0),
        ("1", SHIRT, "resellable", 1, 1),
        (None, None, "dispose", 1, 0),
    ]
    assert lines[0]["reasons"] == ["Unopened", "As new"]
    assert "flag" not in lines[0] and lines[2]["flag"] == "over_authorized"
    assert lines[3]["code"] == "4006381333931" and lines[3]["flag"] == "unknown_item"


def test_authorized_units_that_did_not_come_back_are_listed() -> None:
    units = [
        unit(SHIRT, Grade.RESELLABLE),
        unit(SHIRT, Grade.DAMAGED, flag=UnitFlag.OVER_AUTHORIZED),
    ]
    assert not_received(RMA, units) == [
        {"line_id": "1", "sku": SHIRT, "qty": 1},
        {"line_id": "2", "sku": MUG, "qty": 1},
    ]
    assert not_received(RMA[:1], [unit(SHIRT, Grade.DISPOSE)] * 2) == []


@given(
    st.lists(
        st.tuples(
            st.sampled_from([SHIRT, MUG, None]),
            st.sampled_from(list(Grade)),
            st.sampled_from([None, *UnitFlag]),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_report_accounts_for_every_unit_and_every_restocked_unit(
    raw: list[tuple[str | None, Grade, UnitFlag | None, bool]],
) -> None:
    units = [unit(sku, grade, flag=flag, restocked=r) for sku, grade, flag, r in raw]
    lines = return_lines(units)
    assert sum(ln["qty"] for ln in lines) == len(units)
    assert sum(ln["restocked_qty"] for ln in lines) == sum(u.restocked for u in units)
    keys = [
        (ln["line_id"], ln["sku"] or ln.get("code"), ln["grade"], ln.get("flag")) for ln in lines
    ]
    assert len(keys) == len(set(keys))


def test_rma_lines_are_read_from_the_stored_document() -> None:
    stored = [
        {"line_id": "1", "sku": SHIRT, "qty": 2, "reason": "too small"},
        {"line_id": None, "sku": MUG, "qty": 1, "reason": None},
    ]
    assert authorized_lines(stored) == [
        AuthorizedLine("1", SHIRT, 2, "too small"),
        AuthorizedLine(None, MUG, 1, None),
    ]


def test_return_label_uses_the_slowest_cheapest_service() -> None:
    services = [("EXP", "express"), ("STD", "standard"), ("ECO", "economy"), ("FRT", "freight")]
    assert return_service(services) == "ECO"
    assert return_service([("EXP", "express"), ("STD", "standard")]) == "STD"
    assert return_service([("FRT", "freight")]) is None
