"""Tolerance rules per carton type and SKU class, re-verify by scan, override reasons
(app/domain/weighing.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.weighing import (
    OverrideReason,
    OverrideRefused,
    Tolerance,
    TolerancePolicy,
    ToleranceRule,
    VerifyResult,
    blind_to_unit_g,
    check_override,
    check_weight,
    reverify_step,
)

DEFAULT = Tolerance(50, 5.0)
XS = ToleranceRule(Tolerance(30, 3.0), carton_type="BOX-XS")
GLASS = ToleranceRule(Tolerance(80, 8.0), sku_class="glass")
GLASS_IN_XS = ToleranceRule(Tolerance(40, 4.0), carton_type="BOX-XS", sku_class="glass")
CLASSES = {"glass": ("MUG-*", "GLASS-??"), "apparel": ("TSHIRT-*",)}


def policy(*rules: ToleranceRule) -> TolerancePolicy:
    return TolerancePolicy(DEFAULT, rules, CLASSES)


def test_a_carton_no_rule_matches_gets_the_default_tolerance() -> None:
    assert policy(XS, GLASS).for_carton("BOX-M", ["TSHIRT-BLK-S"]) == DEFAULT


def test_carton_type_rule_applies_to_that_carton_type_only() -> None:
    p = policy(XS)
    assert p.for_carton("BOX-XS", ["TSHIRT-BLK-S"]) == Tolerance(30, 3.0)
    assert p.for_carton("BOX-S", ["TSHIRT-BLK-S"]) == DEFAULT


def test_sku_class_rule_applies_when_any_unit_of_the_class_is_in_the_carton() -> None:
    p = policy(GLASS)
    assert p.for_carton("BOX-M", ["TSHIRT-BLK-S", "MUG-WHT-L"]) == Tolerance(80, 8.0)
    assert p.for_carton("BOX-M", ["TSHIRT-BLK-S"]) == DEFAULT


def test_sku_class_patterns_are_shell_style_and_case_sensitive() -> None:
    p = policy(GLASS)
    assert p.classes_of("GLASS-01") == {"glass"}
    assert p.classes_of("GLASS-001") == frozenset()  # ?? is exactly two characters
    assert p.classes_of("mug-wht-l") == frozenset()


def test_first_matching_rule_wins_so_order_is_priority() -> None:
    skus = ["MUG-BLK-S"]
    assert policy(GLASS_IN_XS, XS, GLASS).for_carton("BOX-XS", skus) == Tolerance(40, 4.0)
    assert policy(XS, GLASS_IN_XS, GLASS).for_carton("BOX-XS", skus) == Tolerance(30, 3.0)
    assert policy(GLASS_IN_XS, XS, GLASS).for_carton("BOX-M", skus) == Tolerance(80, 8.0)


def test_rule_with_both_conditions_needs_both() -> None:
    p = policy(GLASS_IN_XS)
    assert p.for_carton("BOX-XS", ["TSHIRT-BLK-S"]) == DEFAULT
    assert p.for_carton("BOX-M", ["MUG-BLK-S"]) == DEFAULT


def test_rule_describes_itself_for_the_weigh_page() -> None:
    assert GLASS_IN_XS.describe() == "carton BOX-XS and SKU class glass: ±40 g or 4 %"


def test_the_chosen_rule_decides_pass_or_block() -> None:
    tolerance = policy(XS).for_carton("BOX-XS", ["SOCKS-BLK-S"])
    assert check_weight(400, 431, tolerance).ok is False  # 31 g > 30 g
    assert check_weight(400, 431, DEFAULT).ok is True  # the default would let it through


@given(
    carton_type=st.sampled_from(["BOX-XS", "BOX-S", "BOX-M"]),
    skus=st.lists(st.sampled_from(["MUG-BLK-S", "TSHIRT-RED-M", "LAMP-WHT-L"]), max_size=4),
)
def test_the_policy_returns_the_first_matching_rule_or_the_default(
    carton_type: str, skus: list[str]
) -> None:
    rules = (GLASS_IN_XS, XS, GLASS)
    p = policy(*rules)
    classes = set().union(*(p.classes_of(s) for s in skus)) if skus else set()
    expected = next(
        (
            r.tolerance
            for r in rules
            if (r.carton_type in (None, carton_type)) and (r.sku_class in (None, *classes))
        ),
        DEFAULT,
    )
    assert p.for_carton(carton_type, skus) == expected


def test_tolerance_wider_than_a_unit_is_reported_as_blind_to_it() -> None:
    assert blind_to_unit_g(60, [180, 40, 150]) == 40
    assert blind_to_unit_g(30, [180, 40, 150]) is None
    assert blind_to_unit_g(60, []) is None


# --- re-verify by scan -------------------------------------------------------------------

PACKED = {"MUG-BLK-S": 2, "CAP-RED-M": 1}


def test_each_expected_unit_counts_until_all_are_verified() -> None:
    step = reverify_step(PACKED, {}, "MUG-BLK-S", "5012340000021")
    assert step.result is VerifyResult.UNIT_OK and step.scanned == {"MUG-BLK-S": 1}
    assert "1 of 3" in step.message
    step = reverify_step(PACKED, step.scanned, "CAP-RED-M", "x")
    step = reverify_step(PACKED, step.scanned, "MUG-BLK-S", "x")
    assert step.result is VerifyResult.COMPLETE and not step.problem
    assert step.scanned == {"MUG-BLK-S": 2, "CAP-RED-M": 1}


def test_a_unit_beyond_the_packed_quantity_is_an_extra_unit() -> None:
    step = reverify_step(PACKED, {"CAP-RED-M": 1}, "CAP-RED-M", "x")
    assert step.result is VerifyResult.EXTRA_UNIT and step.problem
    assert step.scanned == {"CAP-RED-M": 1}  # not counted


def test_a_unit_of_another_sku_is_a_wrong_item() -> None:
    step = reverify_step(PACKED, {}, "LAMP-BLK-S", "x")
    assert step.result is VerifyResult.WRONG_ITEM and step.problem
    assert "does not belong" in step.message


def test_an_unknown_code_is_reported_not_counted() -> None:
    step = reverify_step(PACKED, {"MUG-BLK-S": 1}, None, "NOPE")
    assert step.result is VerifyResult.UNKNOWN_CODE
    assert step.scanned == {"MUG-BLK-S": 1}


# --- override reasons ----------------------------------------------------------------------

REASONS = (
    OverrideReason("master_data", "Item weight wrong", learn=True),
    OverrideReason("other", "Other", note_required=True),
)


def test_override_needs_a_known_reason() -> None:
    with pytest.raises(OverrideRefused) as refused:
        check_override(REASONS, "", "")
    assert refused.value.field == "reason"
    with pytest.raises(OverrideRefused):
        check_override(REASONS, "because", "")


def test_override_reason_that_needs_a_note_refuses_a_blank_one() -> None:
    with pytest.raises(OverrideRefused) as refused:
        check_override(REASONS, "other", "  ok ")
    assert refused.value.field == "note"
    assert check_override(REASONS, "other", "lid was swapped by the customer").code == "other"


def test_override_reason_without_note_requirement_passes_without_one() -> None:
    assert check_override(REASONS, "master_data", "").learn is True
