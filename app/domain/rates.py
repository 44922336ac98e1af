"""Per-person pace over a window of events (picks, pack scans, weighings): units, and active
time = one minute for the first event plus every gap shorter than a break between one person's
consecutive events (by time). Pure: rows in, figures out.

Two ways to the same figures:

- `people_of(rows)` / `person_rates(rows, now)`: from scratch, over (person, at, units) rows
  sorted by person and time.
- `RollingWindow`: incrementally. New rows go in as they are read (in any order of time), the
  window start moves with the clock, and each person's units and active time are kept up to
  date in O(new + expired rows): an added row adds its units and replaces the gap between its
  neighbours by the two gaps it makes; an expired row takes its units and the gap to its
  person's next event away. The minute for the first event stays while the person has an event
  in the window.

Active time is kept in whole microseconds (timedelta arithmetic is exact), so adding and
expiring rows in any order gives exactly the figure a from-scratch pass gives; floating point
only enters when a rate is divided out.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

BREAK = timedelta(minutes=5)
_US = timedelta(microseconds=1)
FIRST_EVENT_US = 60_000_000  # a minute for a person's first event: one scan is not infinite
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(at: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (at - _EPOCH) // _US


def from_us(us: int, tz: tzinfo | None = UTC) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(tz)


@dataclass(frozen=True)
class PersonRate:
    units: float
    active_us: int
    last: datetime

    @property
    def active_s(self) -> float:
        return self.active_us / 1e6

    @property
    def per_hour(self) -> float:
        return round(self.units * 3600 / max(60.0, self.active_s), 1)

    def as_dict(self) -> dict[str, float]:
        return {"units": self.units, "active_s": self.active_s, "per_hour": self.per_hour}


def people_of(rows: Iterable[Any], brk: timedelta = BREAK) -> dict[str, PersonRate]:
    """{person: PersonRate} from (person, at, units) rows sorted by person and time. Rows
    without a person are left out."""
    brk_us = brk // _US
    units: dict[str, float] = {}
    active: dict[str, int] = {}
    last: dict[str, datetime] = {}
    for actor, at, n in rows:
        if actor is None:
            continue
        prev = last.get(actor)
        if prev is None:
            units[actor] = float(n or 0)
            active[actor] = FIRST_EVENT_US
        else:
            units[actor] += float(n or 0)
            gap = (at - prev) // _US
            if gap < brk_us:
                active[actor] += gap
        last[actor] = at
    return {a: PersonRate(units[a], active[a], last[a]) for a in units}


def person_rates(rows: Any, now: datetime) -> dict[str, dict[str, float]]:
    """{person: {units, active_s, per_hour}} from (person, at, units) rows sorted by person and
    time. Active time adds the gaps between consecutive events shorter than a break, and a
    minute for the first event, so one scan is not an infinite rate."""
    return {a: r.as_dict() for a, r in people_of(rows).items()}


def floor_rate(people: Iterable[PersonRate]) -> float:
    """Units per active hour of everyone together (a station's pace), one decimal."""
    total = 0.0
    active_us = 0
    for p in people:
        total += p.units
        active_us += p.active_us
    return round(total * 3600 / (active_us / 1e6), 1) if active_us else 0.0


def pace(people: Iterable[PersonRate], min_units: int) -> float | None:
    """Units per active hour over the people who did at least one unit; None when fewer than
    `min_units` units were measured (too little to go by)."""
    total = 0.0
    active_us = 0
    measured = 0
    for p in people:
        if p.units >= 1:
            total += p.units
            active_us += p.active_us
            measured += 1
    if total < min_units or not measured:
        return None
    hours = active_us / 1e6 / 3600
    return total / max(hours, 1e-6)


class _Track:
    """One person's events in time order: ats[head:] are in the window, ats[:head] are kept
    a little longer so the window start may step back (two snapshots racing for the clock)."""

    __slots__ = ("ats", "gaps_us", "head", "units", "units_in")

    def __init__(self) -> None:
        self.ats = array("q")
        self.units = array("d")
        self.head = 0
        self.units_in = 0.0
        self.gaps_us = 0


class RollingWindow:
    """Per-person units and active time over the events with `at >= since`, kept up to date
    as rows are added and the window start moves. Rows are (id, person, at, units); the id is
    not used here: the reader hands over each row once (see app/services/dashboard.py).

    `advance(since)` moves the window start, forwards (expiring rows) or back by up to `keep`
    (taking kept rows back in); further back returns False: the caller starts over."""

    def __init__(
        self, length: timedelta, brk: timedelta = BREAK, keep: timedelta = timedelta(minutes=5)
    ) -> None:
        self.length = length
        self._brk = brk // _US
        self._keep = keep // _US
        self._tracks: dict[str | None, _Track] = {}
        self.since_us: int | None = None
        self._floor_us: int | None = None  # every added row at or after this is still held
        self.total_units = 0.0  # all rows in the window, with or without a person
        self.tz: tzinfo | None = UTC  # how the database hands out times (for `last`)

    def __len__(self) -> int:
        return sum(len(t.ats) - t.head for t in self._tracks.values())

    def _gap(self, a: int, b: int) -> int:
        d = b - a
        return d if d < self._brk else 0

    def start(self, since: datetime) -> None:
        """An empty window starting at `since`."""
        self._tracks.clear()
        self.total_units = 0.0
        self.since_us = self._floor_us = to_us(since)

    def add(self, rows: Iterable[tuple[Any, str | None, datetime, Any]]) -> None:
        if self.since_us is None or self._floor_us is None:
            raise RuntimeError("start the window before adding rows")
        since, floor = self.since_us, self._floor_us
        for _id, person, at, n in rows:
            us = to_us(at)
            if us < floor:
                continue
            self.tz = at.tzinfo
            units = float(n or 0)
            t = self._tracks.get(person)
            if t is None:
                t = self._tracks[person] = _Track()
            ats = t.ats
            pos = bisect_right(ats, us)
            if us < since:  # already out of the window: held for a step back only
                ats.insert(pos, us)
                t.units.insert(pos, units)
                t.head += 1
                continue
            end = len(ats)
            if pos == end:
                ats.append(us)
                t.units.append(units)
            else:
                ats.insert(pos, us)
                t.units.insert(pos, units)
            if pos > t.head:
                prev = ats[pos - 1]
                if pos < end:
                    t.gaps_us -= self._gap(prev, ats[pos + 1])
                t.gaps_us += self._gap(prev, us)
            if pos < end:
                t.gaps_us += self._gap(us, ats[pos + 1])
            t.units_in += units
            self.total_units += units

    def advance(self, since: datetime) -> bool:
        """Move the window start to `since`. False when it moved back further than the rows
        still held: the caller rebuilds the window."""
        if self.since_us is None or self._floor_us is None:
            raise RuntimeError("start the window before advancing it")
        new = to_us(since)
        if new < self._floor_us:
            return False
        if new == self.since_us:
            return True
        for t in self._tracks.values():
            ats, units = t.ats, t.units
            n = len(ats)
            while t.head < n and ats[t.head] < new:  # expire
                h = t.head
                if h + 1 < n:
                    t.gaps_us -= self._gap(ats[h], ats[h + 1])
                t.units_in -= units[h]
                self.total_units -= units[h]
                t.head = h + 1
            while t.head > 0 and ats[t.head - 1] >= new:  # step back
                h = t.head - 1
                if h + 1 < n:
                    t.gaps_us += self._gap(ats[h], ats[h + 1])
                t.units_in += units[h]
                self.total_units += units[h]
                t.head = h
        self.since_us = new
        if new - self._keep - self._floor_us > self._keep:
            self._compact(new - self._keep)
        return True

    def _compact(self, cut: int) -> None:
        for person in list(self._tracks):
            t = self._tracks[person]
            k = bisect_right(t.ats, cut - 1)  # rows before the cut
            if k:
                del t.ats[:k]
                del t.units[:k]
                t.head -= k
            if not t.ats:
                del self._tracks[person]
        self._floor_us = cut
        if not self._tracks:
            self.total_units = 0.0  # no float dust left over from many adds and expiries

    def people(self) -> dict[str, PersonRate]:
        """{person: PersonRate} for everyone with an event in the window."""
        out: dict[str, PersonRate] = {}
        for person, t in self._tracks.items():
            if person is None or t.head >= len(t.ats):
                continue
            out[person] = PersonRate(
                t.units_in, FIRST_EVENT_US + t.gaps_us, from_us(t.ats[-1], self.tz)
            )
        return out


def last_of(people: Mapping[str, PersonRate]) -> dict[str, datetime]:
    return {a: p.last for a, p in people.items()}
