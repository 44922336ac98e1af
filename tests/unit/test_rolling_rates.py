"""The dashboard's rolling window gives exactly the figures a from-scratch pass over the rows
in the window gives: units, active time (gaps shorter than a break, a minute for the first
event) and the hourly rates, whatever order the rows arrive in and however the window moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.rates import BREAK, RollingWindow, floor_rate, people_of, person_rates

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LENGTH = timedelta(minutes=20)
# Gaps around the break (just under, at, just over) as well as short and long ones.
GAPS_US = st.one_of(
    st.integers(0, 3_000_000),
    st.integers(0, 900_000_000),
    st.sampled_from([BREAK // timedelta(microseconds=1) + d for d in (-1, 0, 1)]),
)
PEOPLE = st.sampled_from(["U0010", "U0011", "U0012", None])


def scratch(rows: list[tuple[int, str | None, datetime, int]], since: datetime) -> dict:
    inside = sorted(
        ((p, at, n) for _i, p, at, n in rows if at >= since),
        key=lambda r: (r[0] or "", r[1]),
    )
    return person_rates(inside, since)


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[list[tuple[int, str | None, datetime, int]]], list]:
    """Batches of rows (ids ascending, times mostly ascending with some late arrivals) and the
    window start after each batch (mostly forwards, sometimes a few seconds back)."""
    batches, starts = [], []
    clock = T0
    next_id = 1
    for _ in range(draw(st.integers(1, 8))):
        batch = []
        for _ in range(draw(st.integers(0, 25))):
            clock += timedelta(microseconds=draw(GAPS_US))
            late = draw(st.sampled_from([0, 0, 0, 0, 1, 2])) * timedelta(minutes=3)
            batch.append((next_id, draw(PEOPLE), clock - late, draw(st.integers(0, 4))))
            next_id += 1
        batches.append(batch)
        step = draw(st.sampled_from([0, 1, 1, 1, -1]))
        now = clock + timedelta(seconds=draw(st.integers(0, 600)) * step)
        starts.append(now - LENGTH)
    return batches, starts


@settings(max_examples=300, deadline=None)
@given(streams())
def test_the_rolling_window_equals_a_pass_over_the_rows_in_it(data: tuple) -> None:
    batches, starts = data
    window = RollingWindow(LENGTH)
    window.start(starts[0] - timedelta(seconds=1))
    seen: list = []
    for batch, since in zip(batches, starts, strict=True):
        window.add(batch)
        seen.extend(batch)
        if not window.advance(since):  # back further than it keeps: start over
            window.start(since)
            window.add(seen)
        expected = scratch(seen, since)
        got = {p: r.as_dict() for p, r in window.people().items()}
        assert got == expected
        inside = [r for r in seen if r[2] >= since]
        assert window.total_units == sum(r[3] for r in inside)
        assert len(window) == len(inside)
        assert floor_rate(window.people().values()) == floor_rate(
            people_of(
                sorted(((p, at, n) for _i, p, at, n in inside), key=lambda r: (r[0] or "", r[1]))
            ).values()
        )
        for person, rate in window.people().items():
            assert rate.last == max(at for _i, p, at, _n in inside if p == person)


def test_a_person_keeps_the_first_minute_until_their_last_event_leaves_the_window() -> None:
    window = RollingWindow(timedelta(minutes=10))
    window.start(T0)
    at = [T0 + timedelta(seconds=s) for s in (0, 30, 400, 430)]  # 400 - 30 > break
    window.add([(i, "U0010", t, 1) for i, t in enumerate(at, 1)])
    window.advance(T0)
    r = window.people()["U0010"]
    assert (r.units, r.active_s) == (4.0, 60 + 30 + 30)
    window.advance(T0 + timedelta(seconds=10))  # the first pick leaves: its 30 s go too
    assert window.people()["U0010"].active_s == 60 + 30
    window.advance(T0 + timedelta(seconds=420))
    assert window.people()["U0010"].active_s == 60
    window.advance(T0 + timedelta(seconds=431))
    assert window.people() == {}
    assert window.advance(T0 + timedelta(seconds=200))  # a step back brings them back
    assert window.people()["U0010"].active_s == 60 + 30
