"""First shift: who is new, which one-line hint each step shows, what a practice wave holds."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.first_shift import (
    Experience,
    PracticeBin,
    StationKind,
    plan_practice,
    show_hints,
)
from app.domain.hints import (
    PackFacts,
    PackStep,
    PickFacts,
    all_hints,
    pack_hint,
    pack_step,
    pick_hint,
    pick_hints,
)
from app.domain.text import Text

# ---------------------------------------------------------------------------- who is new


def test_a_picker_is_new_until_the_needed_tasks_are_done() -> None:
    assert Experience(StationKind.PICK, done=9, needed=10).is_new
    assert not Experience(StationKind.PICK, done=10, needed=10).is_new


def test_a_supervisor_mark_makes_a_new_person_experienced_at_once() -> None:
    assert not Experience(StationKind.PACK, done=0, needed=5, marked=True).is_new


def test_practice_always_shows_hints_even_to_the_experienced() -> None:
    experienced = Experience(StationKind.PICK, done=50, needed=10)
    assert show_hints(experienced, practice=True)
    assert not show_hints(experienced, practice=False)
    assert show_hints(Experience(StationKind.PICK, 3, 10), practice=False)


def test_experience_reports_progress_capped_at_what_is_needed() -> None:
    body = Experience(StationKind.PICK, done=40, needed=10).to_json()
    assert body == {"kind": "pick", "new": False, "done": 10, "needed": 10, "marked": False}


# ---------------------------------------------------------------------------- pick hints


def test_each_pick_stage_has_its_own_hint() -> None:
    assert pick_hint(PickFacts("location")) == "Scan the location label on the shelf edge"
    assert pick_hint(PickFacts("item")) == "Scan the item's barcode, then put it in the tote"
    assert pick_hint(PickFacts("tote", tote="T0001")) == "Scan the tote you put it in"


def test_the_first_task_of_an_order_says_to_take_an_empty_tote() -> None:
    hint = pick_hint(PickFacts("tote", tote=None))
    assert hint == "Take an empty tote, put the items in and scan the tote's label"


@pytest.mark.parametrize(
    ("facts", "words"),
    [
        (PickFacts("item", serial_required=True, qty_left=3, lot="L7"), "serial barcode"),
        (PickFacts("item", lot="L7", qty_left=3), "lot shown"),
        (PickFacts("item", qty_left=3), "on its own"),
    ],
)
def test_item_hint_names_what_matters_most_for_the_item(facts: PickFacts, words: str) -> None:
    hint = pick_hint(facts)
    assert hint is not None and words in hint


def test_put_back_tasks_get_put_back_hints_not_pick_hints() -> None:
    assert pick_hint(PickFacts("location", put_back=True)) == (
        "Scan the location label where the items go back"
    )
    assert pick_hint(PickFacts("item", put_back=True)) == (
        "Scan each item as you put it back on the shelf"
    )
    assert pick_hint(PickFacts("done", put_back=True)) is None


def test_an_unknown_stage_has_no_hint() -> None:
    assert pick_hint(PickFacts("juggling")) is None


def test_hints_for_every_stage_let_the_handheld_follow_offline() -> None:
    hints = pick_hints(PickFacts("location", tote="T0001"))
    assert set(hints) == {"location", "item", "tote", "done"}
    assert hints["tote"] == "Scan the tote you put it in"


def test_hints_are_translatable_sentences_with_english_ids() -> None:
    hint = pick_hint(PickFacts("location"))
    assert isinstance(hint, Text) and hint.msgid == str(hint)
    assert all(isinstance(pack_hint(step), Text) for step in PackStep)


@given(
    stage=st.sampled_from(["location", "item", "tote", "done"]),
    put_back=st.booleans(),
    qty=st.integers(1, 50),
    serial=st.booleans(),
    lot=st.one_of(st.none(), st.text(min_size=1, max_size=8)),
    tote=st.one_of(st.none(), st.just("T0001")),
)
def test_every_hint_is_one_short_line(
    stage: str, put_back: bool, qty: int, serial: bool, lot: str | None, tote: str | None
) -> None:
    hint = pick_hint(PickFacts(stage, put_back, qty, serial, lot, tote))
    if hint is not None:
        assert "\n" not in hint and 10 < len(hint) <= 90


# ---------------------------------------------------------------------------- pack hints


@pytest.mark.parametrize(
    ("facts", "step"),
    [
        (PackFacts(has_order=False), PackStep.OPEN),
        (PackFacts(True, status="picked"), PackStep.SCAN),
        (PackFacts(True, status="packing", multi_order_tote=True), PackStep.SORT),
        (
            PackFacts(
                True, status="packing", all_verified=True, loose_units=2, carton_code="BOX-S"
            ),
            PackStep.CLOSE,
        ),
        (PackFacts(True, status="packing", all_verified=True, loose_units=2), PackStep.NO_CARTON),
        (PackFacts(True, status="packed", all_verified=True), PackStep.CLOSED),
        (PackFacts(True, blocked=True, status="packed"), PackStep.CLOSED),
        (PackFacts(True, blocked=True, status="held"), PackStep.BLOCKED),
    ],
)
def test_pack_step_follows_the_order_on_the_bench(facts: PackFacts, step: PackStep) -> None:
    assert pack_step(facts) is step


def test_pack_hints_say_what_the_packer_does_next() -> None:
    assert pack_hint(PackStep.SCAN) == "Scan each item into the carton"
    assert pack_hint(PackStep.CLOSE).startswith("Close the carton and print the slip")
    assert "tote" in pack_hint(PackStep.OPEN)


def test_all_hints_lists_each_sentence_once() -> None:
    hints = all_hints()
    assert len(hints) == len(set(hints)) >= 15
    assert "Scan each item into the carton" in hints


# ---------------------------------------------------------------------------- practice plan

BINS = [
    PracticeBin(1, "PRACTICE-CAP", 20),
    PracticeBin(2, "PRACTICE-MUG", 20),
    PracticeBin(3, "PRACTICE-SOCKS", 20),
]


def test_practice_orders_grow_from_one_unit_to_two_lines() -> None:
    plan = plan_practice(BINS, 3)
    assert [[ln.qty for ln in order] for order in plan] == [[1], [2], [1, 1]]
    assert len({ln.stock_id for ln in plan[2]}) == 2  # two stops, not one bin twice


def test_practice_orders_visit_different_bins_in_turn() -> None:
    plan = plan_practice(BINS, 3)
    assert plan[0][0].stock_id != plan[1][0].stock_id


def test_practice_never_plans_more_than_the_bins_hold() -> None:
    plan = plan_practice([PracticeBin(1, "PRACTICE-CAP", 2)], 5)
    assert sum(ln.qty for order in plan for ln in order) <= 2
    assert plan_practice([PracticeBin(1, "PRACTICE-CAP", 0)], 3) == []
    assert plan_practice(BINS, 0) == []


@given(
    free=st.lists(st.integers(0, 6), min_size=1, max_size=5),
    orders=st.integers(0, 8),
)
def test_a_practice_plan_fits_every_bin(free: list[int], orders: int) -> None:
    bins = [PracticeBin(i + 1, f"P-{i}", n) for i, n in enumerate(free)]
    plan = plan_practice(bins, orders)
    assert len(plan) <= orders
    taken: dict[int, int] = {}
    for order in plan:
        assert order and len({ln.stock_id for ln in order}) == len(order)
        for ln in order:
            taken[ln.stock_id] = taken.get(ln.stock_id, 0) + ln.qty
    for b in bins:
        assert taken.get(b.stock_id, 0) <= b.free
