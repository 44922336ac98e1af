"""The live scale at a station: the stable-reading rule, captures, zero and tare, and a scale
that never settles (ScaleMonitor in app/domain/weighing.py)."""

from __future__ import annotations

import pytest

from app.domain.scale_protocols import Reading, ReadingStatus, StabilityFilter
from app.domain.weighing import (
    CaptureRefusal,
    CaptureRefused,
    ScaleCommandRefused,
    ScaleMonitor,
)

OK, MOTION = ReadingStatus.OK, ReadingStatus.MOTION


def stable(g: int) -> Reading:
    return Reading(g, True, OK, b"", "g")


def moving(g: int) -> Reading:
    return Reading(g, False, MOTION, b"", "g", "in motion")


def monitor(**kw: object) -> ScaleMonitor:
    return ScaleMonitor(StabilityFilter(count=3, resolution_g=2), **kw)  # type: ignore[arg-type]


def feed(m: ScaleMonitor, readings: list[Reading], start_s: float = 0.0, step_s: float = 0.2):  # type: ignore[no-untyped-def]
    live = None
    for i, r in enumerate(readings):
        live = m.feed(r, start_s + i * step_s)
    return live


def test_a_weight_is_accepted_only_after_three_still_readings_within_resolution() -> None:
    m = monitor()
    lives = [m.feed(r, i * 0.2) for i, r in enumerate([moving(900), stable(1000), stable(1001)])]
    assert [lv.accepted_g for lv in lives] == [None, None, None]
    with pytest.raises(CaptureRefused) as refused:
        m.take("CT000001")
    assert refused.value.reason is CaptureRefusal.NOT_STABLE
    live = m.feed(stable(1002), 0.8)
    assert live.accepted_g == 1001 and live.stable and live.message == "Stable."
    assert m.take("CT000001").weight_g == 1001


def test_readings_wider_than_the_resolution_never_settle_into_a_weight() -> None:
    m = monitor()
    live = feed(m, [stable(1000), stable(1003), stable(1000), stable(1003), stable(1000)])
    assert live.accepted_g is None


def test_motion_between_still_readings_starts_the_count_again() -> None:
    m = monitor()
    live = feed(m, [stable(1000), stable(1000), moving(1000), stable(1000), stable(1000)])
    assert live.accepted_g is None
    assert m.feed(stable(1000), 2.0).accepted_g == 1000


def test_each_settled_load_gets_a_new_placement() -> None:
    m = monitor()
    first = feed(m, [stable(0)] * 3)
    second = feed(m, [moving(500)] + [stable(800)] * 3, start_s=1)
    third = feed(m, [moving(100)] + [stable(0)] * 3, start_s=2)
    assert (first.placement, second.placement, third.placement) == (1, 2, 3)


def test_an_empty_scale_cannot_be_captured() -> None:
    m = monitor(min_load_g=20)
    live = feed(m, [stable(3)] * 3)
    assert live.accepted_g == 3 and not live.loaded
    assert live.message == "Stable: the scale is empty."
    with pytest.raises(CaptureRefused) as refused:
        m.take("CT000001")
    assert refused.value.reason is CaptureRefusal.EMPTY


def test_the_last_cartons_load_is_not_recorded_for_the_next_carton() -> None:
    m = monitor()
    feed(m, [stable(1200)] * 3)
    capture = m.take("CT000001")
    m.captured("CT000001", capture.placement)
    assert m.take("CT000001").weight_g == 1200  # the same carton again: a retry
    with pytest.raises(CaptureRefused) as refused:
        m.take("CT000002")
    assert refused.value.reason is CaptureRefusal.SAME_LOAD
    assert "CT000001" in refused.value.message and "take it off" in refused.value.message
    feed(m, [moving(600)] + [stable(1500)] * 3, start_s=2)
    assert m.take("CT000002").weight_g == 1500


def test_a_scale_that_never_settles_says_so_after_the_limit() -> None:
    m = monitor(not_stable_after_s=5.0)
    lives = [m.feed(moving(1000 + (i % 2) * 40), i * 0.5) for i in range(13)]
    assert not lives[9].not_settling and "Not stable yet" in lives[9].message
    last = lives[12]
    assert last.not_settling and last.unsettled_s == pytest.approx(6.0)
    assert last.message == "Not stable for 6 s: the weight keeps changing."
    assert "nothing touches the platter" in last.advice
    with pytest.raises(CaptureRefused) as refused:
        m.take("CT000001")
    assert refused.value.reason is CaptureRefusal.NOT_STABLE
    assert "Not stable for 6 s" in refused.value.message
    assert "nothing touches the platter" in refused.value.message
    settled = feed(m, [stable(1000)] * 3, start_s=7)  # settling at last ends the episode
    assert settled.not_settling is False and settled.accepted_g == 1000


def test_faults_explain_themselves_and_block_capture() -> None:
    m = monitor()
    live = m.feed(Reading(None, False, ReadingStatus.OVERLOAD, b"S +\r\n", None, "overload"), 0)
    assert live.message == "Over capacity: take weight off the scale."
    with pytest.raises(CaptureRefused) as refused:
        m.take("CT000001")
    assert refused.value.reason is CaptureRefusal.SCALE_FAULT
    live = m.feed(Reading.error(b"", "no answer from the scale on /dev/ttyUSB0 within 1.0 s"), 1)
    assert live.message == "Scale problem: no answer from the scale on /dev/ttyUSB0 within 1.0 s."
    assert m.feed(Reading(None, True, ReadingStatus.UNDER_ZERO, b"", None), 2).message.startswith(
        "Below zero"
    )


def test_nothing_read_yet_cannot_be_captured() -> None:
    with pytest.raises(CaptureRefused) as refused:
        monitor().take("CT000001")
    assert refused.value.reason is CaptureRefusal.NO_READING


def test_tare_subtracts_the_settled_load_from_later_weights() -> None:
    m = monitor()
    feed(m, [stable(350)] * 3)
    assert m.tare() == 350
    live = feed(m, [moving(900)] + [stable(1550)] * 3, start_s=1)
    assert (live.gross_g, live.tare_g, live.weight_g, live.accepted_g) == (1550, 350, 1200, 1200)
    assert m.take("CT000001").weight_g == 1200
    m.clear_tare()
    assert m.feed(stable(1550), 3).weight_g == 1550


def test_tare_on_an_empty_scale_clears_it_and_needs_a_settled_scale() -> None:
    m = monitor()
    with pytest.raises(ScaleCommandRefused):
        m.tare()
    feed(m, [stable(350)] * 3)
    m.tare()
    feed(m, [moving(0)] + [stable(351)] * 3, start_s=1)  # the tote is lifted: net about 0
    feed(m, [moving(0)] + [stable(2)] * 3, start_s=2)  # gross 2 g: the platter is empty
    assert m.tare() == 0


def test_zero_is_refused_with_a_load_on_the_platter_or_while_moving() -> None:
    m = monitor(zero_range_g=200)
    feed(m, [stable(1200)] * 3)
    with pytest.raises(ScaleCommandRefused) as refused:
        m.check_zero()
    assert "take everything off" in str(refused.value)
    m.feed(moving(40), 1)
    with pytest.raises(ScaleCommandRefused):
        m.check_zero()
    feed(m, [stable(8)] * 3, start_s=2)
    m.check_zero()  # near zero and still: allowed
    m.zeroed()
    assert m.feed(stable(0), 3).accepted_g is None  # the count starts again after zeroing


def test_zero_is_allowed_when_the_scale_asks_for_it() -> None:
    m = monitor()
    m.feed(Reading(None, True, ReadingStatus.NEEDS_ZERO, b"", None, "zeroing error"), 0)
    m.check_zero()
