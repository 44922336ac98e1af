"""evolve() builds the same record dataclasses.replace would, faster, for the scan path's
frozen records; anything it cannot copy by its dict goes through replace."""

from __future__ import annotations

import dataclasses
import functools
from datetime import date

import pytest

from app.domain.picking import PickState, ScanContext, step
from app.domain.records import _by_dict, evolve
from app.domain.scanning import parse_scan
from app.services.pick_context import TaskContext, TaskRow


def state() -> PickState:
    return PickState("A01-01-1", "MUG", frozenset({"05012345678900"}), 3, 1, True, None)


def test_the_same_record_as_replace_and_the_original_untouched() -> None:
    s = state()
    new = evolve(s, picked=2, serials=frozenset({"X1"}))
    assert new == dataclasses.replace(s, picked=2, serials=frozenset({"X1"}))
    assert (new.picked, new.stage, s.picked) == (2, s.stage, 1)
    assert type(new) is PickState and new is not s
    with pytest.raises(dataclasses.FrozenInstanceError):
        new.picked = 3  # type: ignore[misc]


def test_an_unknown_field_is_refused_as_replace_refuses_it() -> None:
    with pytest.raises(TypeError, match="nope"):
        evolve(state(), nope=1)


def test_the_scan_path_records_are_copied_by_their_dict() -> None:
    assert _by_dict(PickState) and _by_dict(TaskRow)


def test_a_class_with_a_cached_property_goes_through_replace() -> None:
    # TaskContext caches its screen: a copied dict would carry the old one.
    assert not _by_dict(TaskContext)

    @dataclasses.dataclass(frozen=True)
    class Cached:
        n: int

        @functools.cached_property
        def double(self) -> int:
            return self.n * 2

    one = Cached(1)
    assert one.double == 2
    assert evolve(one, n=5).double == 10


def test_a_class_with_post_init_goes_through_replace() -> None:
    @dataclasses.dataclass(frozen=True)
    class Checked:
        n: int

        def __post_init__(self) -> None:
            if self.n < 0:
                raise ValueError("negative")

    assert not _by_dict(Checked)
    with pytest.raises(ValueError):
        evolve(Checked(1), n=-1)


def test_a_pick_scan_steps_the_state_forward() -> None:
    s = state()
    done = step(s, parse_scan("05012345678900"), ScanContext(date.today()))
    assert (done.state.picked, s.picked) == (2, 1)
