"""Operations metrics: the numbers a fulfilment floor is judged by, computed over plain rows.

Everything here is pure: the reports service reads rows from the scan log, the ledger and
the order tables, hands them over as the small dataclasses below, and stores what comes back
in daily rollups. The same functions answer the unit tests' scripted histories, so a figure
on the reports page can be recomputed by hand from the rows behind it.

Definitions (docs/reports.md explains them for supervisors):

- Operating day and shift: local time in the site's time zone. The day starts when the first
  shift starts (06:00 by default), so a night shift belongs to the day it started.
- On time: shipped no later than the ship-by time and no later than the last pickup of the
  carton's carrier at or before ship-by (config/cutoffs.toml). A carrier without a pickup
  schedule is judged on ship-by alone. Orders without a ship-by have no promise to keep and
  are counted apart.
- Cycle time: whole minutes from the allocation's arrival to its last carton shipping.
  Percentiles are nearest-rank, over cycle times rounded down to a bucket (1 minute below two
  hours, 5 minutes below a day, 30 minutes below a week, whole days beyond). Rounding down is
  monotone, so the percentile of the buckets is the bucket of the exact percentile: the
  rollups give exactly the figure the raw rows give, at the stated resolution.
- Accuracy: mis-scans caught at pick per 1,000 units picked; mis-packs caught at pack and
  weight failures per 1,000 units packed.
- Productivity: units per working hour. Working time is the sum of the gaps between one
  person's consecutive scans at one station, leaving out gaps longer than the idle limit.
- Travel: the walking distance (along aisles and cross aisles) of the picks as they were
  completed, from the depot through each bin and back, per walk.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import Enum
from typing import TypeVar

from app.domain.cartons import FILL_LIMIT, CartonType, Unit, fits_alone
from app.domain.rating import Carrier, quotes
from app.domain.routing import Geometry, Point

K = TypeVar("K", bound=Hashable)

# ------------------------------------------------------------------------- day and shift


@dataclass(frozen=True)
class Shift:
    name: str
    start: time  # local time of day


@dataclass(frozen=True)
class ShiftCalendar:
    """The site's shifts in local time. The first shift's start begins the operating day;
    each shift runs until the next one starts."""

    tz: tzinfo
    shifts: tuple[Shift, ...]

    def __post_init__(self) -> None:
        if not self.shifts:
            raise ValueError("at least one shift is needed")
        starts = [_minutes(s.start) for s in self.shifts]
        if len(set(starts)) != len(starts):
            raise ValueError("two shifts start at the same time")
        if len({s.name for s in self.shifts}) != len(self.shifts):
            raise ValueError("two shifts share a name")

    @property
    def day_start(self) -> time:
        return self.shifts[0].start

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.shifts)

    def locate(self, at: datetime) -> tuple[date, str]:
        """The operating day and the shift an instant belongs to."""
        local = at.astimezone(self.tz)
        start = _minutes(self.day_start)
        now = local.hour * 60 + local.minute
        day = local.date() if now >= start else local.date() - timedelta(days=1)
        since = (now - start) % (24 * 60)
        name = self.shifts[0].name
        for s in self.shifts:  # in order from the day start (ordered_shifts checks)
            if (_minutes(s.start) - start) % (24 * 60) <= since:
                name = s.name
        return day, name

    def day_shifts(self, day: date) -> DayShifts:
        """The shifts of one operating day as UTC instants, for many lookups in that day."""
        starts = []
        for s in self.shifts:
            offset = (_minutes(s.start) - _minutes(self.day_start)) % (24 * 60)
            local = datetime.combine(day, self.day_start, tzinfo=self.tz) + timedelta(
                minutes=offset
            )
            # Wall-clock arithmetic: the shift starts at its local time even across a DST jump.
            local = datetime.combine(local.date(), s.start, tzinfo=self.tz)
            starts.append(local.astimezone(UTC))
        return DayShifts(tuple(starts), self.names)

    def day_window(self, day: date) -> tuple[datetime, datetime]:
        """[start, end) of an operating day, in UTC."""
        start = datetime.combine(day, self.day_start, tzinfo=self.tz)
        end = datetime.combine(day + timedelta(days=1), self.day_start, tzinfo=self.tz)
        return start.astimezone(UTC), end.astimezone(UTC)


@dataclass(frozen=True)
class DayShifts:
    instants: tuple[datetime, ...]  # UTC start of each shift of one day, in order
    names: tuple[str, ...]

    def of(self, at: datetime) -> str:
        """The shift of an instant within this operating day."""
        return self.names[max(0, bisect_right(self.instants, at) - 1)]


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def ordered_shifts(shifts: Iterable[Shift]) -> tuple[Shift, ...]:
    """Shifts as configured must follow each other through the day from the first one."""
    found = tuple(shifts)
    if not found:
        return found
    first = _minutes(found[0].start)
    offsets = [(_minutes(s.start) - first) % (24 * 60) for s in found]
    if offsets != sorted(offsets):
        raise ValueError("list shifts in the order they follow each other, from the day start")
    return found


def days_between(start: date, end: date) -> list[date]:
    """Every day from start to end, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


# ------------------------------------------------------------------------------ on time


class Verdict(str, Enum):
    ON_TIME = "on_time"
    LATE = "late"  # shipped after ship-by
    MISSED_PICKUP = "missed_pickup"  # before ship-by, but after the carrier's last pickup
    NO_PROMISE = "no_promise"  # the order had no ship-by


@dataclass(frozen=True)
class CarrierPickups:
    """When one carrier collects at the dock (local times of day), for which levels."""

    carrier: str
    times: tuple[time, ...]
    weekdays: frozenset[int] = frozenset(range(7))  # Monday = 0
    service_levels: frozenset[str] = frozenset({"*"})

    def serves(self, level: str) -> bool:
        return "*" in self.service_levels or level in self.service_levels


@dataclass(frozen=True)
class PickupSchedule:
    """The carriers' dock pickups (config/cutoffs.toml) in the site's time zone."""

    tz: tzinfo
    carriers: tuple[CarrierPickups, ...] = ()

    def for_carrier(self, carrier: str, service_level: str) -> CarrierPickups | None:
        for c in self.carriers:
            if c.carrier == carrier and c.serves(service_level):
                return c
        for c in self.carriers:
            if c.carrier == carrier:
                return c
        return None

    def deadline(self, ship_by: datetime, carrier: str, service_level: str) -> datetime:
        """The latest moment a carton may ship and still leave by ship-by: the carrier's last
        pickup at or before ship-by, or ship-by itself when the carrier has no schedule."""
        pickups = self.for_carrier(carrier, service_level)
        if pickups is None or not pickups.times:
            return ship_by
        local = ship_by.astimezone(self.tz)
        for back in range(15):
            day = local.date() - timedelta(days=back)
            if day.weekday() not in pickups.weekdays:
                continue
            for t in sorted(pickups.times, reverse=True):
                at = datetime.combine(day, t, tzinfo=self.tz)
                if at <= ship_by:
                    return at.astimezone(UTC)
        return ship_by


def verdict(shipped_at: datetime, ship_by: datetime | None, deadline: datetime | None) -> Verdict:
    if ship_by is None:
        return Verdict.NO_PROMISE
    if shipped_at > ship_by:
        return Verdict.LATE
    if deadline is not None and shipped_at > deadline:
        return Verdict.MISSED_PICKUP
    return Verdict.ON_TIME


# --------------------------------------------------------------------------- cycle time


def cycle_minutes(received_at: datetime, shipped_at: datetime) -> int:
    return max(0, int((shipped_at - received_at).total_seconds() // 60))


def cycle_bucket(minutes: int) -> int:
    """The lower bound of the bucket a cycle time falls in (see the module docstring)."""
    if minutes < 120:
        return max(0, minutes)
    if minutes < 24 * 60:
        return minutes - minutes % 5
    if minutes < 7 * 24 * 60:
        return minutes - minutes % 30
    return minutes - minutes % (24 * 60)


def bucket_width(bucket: int) -> int:
    if bucket < 120:
        return 1
    if bucket < 24 * 60:
        return 5
    if bucket < 7 * 24 * 60:
        return 30
    return 24 * 60


def nearest_rank(sorted_values: Sequence[int], pct: float) -> int | None:
    """The nearest-rank percentile: a value that occurs in the data."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def histogram_percentile(hist: Mapping[int, int], pct: float) -> int | None:
    """nearest_rank over a histogram {value: count}."""
    total = sum(hist.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(pct / 100 * total))
    seen = 0
    for value in sorted(hist):
        seen += hist[value]
        if seen >= rank:
            return value
    return max(hist)


def duration_text(minutes: int | None) -> str:
    if minutes is None:
        return "—"
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins:02d} m"
    return f"{mins} m"


# ------------------------------------------------------------------------------ orders


@dataclass(frozen=True)
class ShippedOrder:
    """An allocation whose last carton has shipped."""

    allocation_pk: int
    allocation_id: str
    order_number: str
    received_at: datetime
    ship_by: datetime | None
    shipped_at: datetime  # the last carton's
    carrier: str
    service: str
    channel: str
    service_level: str
    zone: str  # where most of its units were picked
    units: int
    cartons: int


@dataclass(frozen=True)
class OrderFact:
    order: ShippedOrder
    day: date
    shift: str
    deadline: datetime | None
    verdict: Verdict
    cycle_min: int

    @property
    def bucket(self) -> int:
        return cycle_bucket(self.cycle_min)


def order_fact(o: ShippedOrder, calendar: ShiftCalendar, pickups: PickupSchedule) -> OrderFact:
    day, shift = calendar.locate(o.shipped_at)
    deadline = pickups.deadline(o.ship_by, o.carrier, o.service_level) if o.ship_by else None
    return OrderFact(
        order=o,
        day=day,
        shift=shift,
        deadline=deadline,
        verdict=verdict(o.shipped_at, o.ship_by, deadline),
        cycle_min=cycle_minutes(o.received_at, o.shipped_at),
    )


@dataclass
class OrderTotals:
    orders: int = 0
    on_time: int = 0
    late: int = 0
    missed_pickup: int = 0
    no_promise: int = 0
    units: int = 0
    cycle_min_sum: int = 0

    def add(self, f: OrderFact) -> None:
        self.orders += 1
        self.units += f.order.units
        self.cycle_min_sum += f.cycle_min
        if f.verdict is Verdict.ON_TIME:
            self.on_time += 1
        elif f.verdict is Verdict.LATE:
            self.late += 1
        elif f.verdict is Verdict.MISSED_PICKUP:
            self.missed_pickup += 1
        else:
            self.no_promise += 1

    @property
    def promised(self) -> int:
        return self.orders - self.no_promise

    @property
    def on_time_pct(self) -> float | None:
        return pct(self.on_time, self.promised)


def on_time_totals(
    facts: Iterable[OrderFact], key: Callable[[OrderFact], K]
) -> dict[K, OrderTotals]:
    out: dict[K, OrderTotals] = {}
    for f in facts:
        out.setdefault(key(f), OrderTotals()).add(f)
    return out


def cycle_histogram(
    facts: Iterable[OrderFact], key: Callable[[OrderFact], K]
) -> dict[K, dict[int, int]]:
    out: dict[K, dict[int, int]] = {}
    for f in facts:
        hist = out.setdefault(key(f), {})
        hist[f.bucket] = hist.get(f.bucket, 0) + 1
    return out


# ---------------------------------------------------------------------------- accuracy


class Stage(str, Enum):
    PICK = "pick"
    PACK = "pack"
    WEIGH = "weigh"
    SHIP = "ship"


# A mis-scan is the wrong thing scanned. Prompts ("scan the location first", "task done")
# are the handheld guiding the picker, not errors, and are left out.
PICK_MISSCANS = frozenset(
    {"wrong_location", "wrong_item", "over_pick", "wrong_tote", "wrong_lot", "expired"}
)
PACK_MISPACKS = frozenset({"wrong_item", "over_scan"})
WEIGHT_FAILS = frozenset({"weight_out_of_tolerance"})


def error_stage(station: str, result: str) -> Stage | None:
    """Which accuracy figure a logged scan counts against, if any."""
    if station == "pick" and result in PICK_MISSCANS:
        return Stage.PICK
    if station == "pack" and result in PACK_MISPACKS:
        return Stage.PACK
    if station == "weigh" and result in WEIGHT_FAILS:
        return Stage.WEIGH
    return None


def per_thousand(errors: int, units: int) -> float | None:
    if units <= 0:
        return None
    return round(1000 * errors / units, 2)


def pct(part: int, whole: int) -> float | None:
    if whole <= 0:
        return None
    return round(100 * part / whole, 1)


# ------------------------------------------------------------------------ productivity


def working_seconds(events: Sequence[tuple[datetime, K]], idle_gap_s: int) -> dict[K, float]:
    """Working time of one person at one station, split by key: each gap between consecutive
    events (sorted by time) counts for the later event's key, unless it is longer than the
    idle limit (a break, or another task away from the station)."""
    out: dict[K, float] = {}
    previous: datetime | None = None
    for at, key in events:
        out.setdefault(key, 0.0)
        if previous is not None:
            gap = (at - previous).total_seconds()
            if 0 < gap <= idle_gap_s:
                out[key] += gap
        previous = at
    return out


def units_per_hour(units: int, seconds: float) -> float | None:
    if seconds <= 0:
        return None
    return round(units * 3600 / seconds, 1)


@dataclass(frozen=True)
class CompletedPick:
    """A pick task as it was completed, at its bin."""

    at: datetime
    wave_id: int
    aisle: int
    y_mm: int


@dataclass
class Travel:
    travel_mm: int = 0
    picks: int = 0
    walks: int = 0

    @property
    def per_pick_mm(self) -> int | None:
        return round(self.travel_mm / self.picks) if self.picks else None


def travel(
    picks: Sequence[tuple[CompletedPick, K]], geo: Geometry, idle_gap_s: int
) -> dict[K, Travel]:
    """One picker's walks (picks sorted by completion): depot, each bin in turn, depot. A
    new walk starts with a new wave or after an idle gap. Each leg counts for the key of the
    bin it ends at; the way back to the depot for the walk's last bin."""
    out: dict[K, Travel] = {}
    here: Point | None = None
    last: tuple[CompletedPick, K] | None = None

    def close() -> None:
        if last is not None and here is not None:
            out[last[1]].travel_mm += geo.distance(here, geo.depot)

    for p, key in picks:
        t = out.setdefault(key, Travel())
        new_walk = (
            last is None
            or p.wave_id != last[0].wave_id
            or (p.at - last[0].at).total_seconds() > idle_gap_s
        )
        if new_walk:
            close()
            here = geo.depot
            t.walks += 1
        point = Point(p.aisle, p.y_mm) if p.aisle in geo.aisle_x_mm else geo.depot
        assert here is not None
        t.travel_mm += geo.distance(here, point)
        t.picks += 1
        here = point
        last = (p, key)
    close()
    return out


# --------------------------------------------------------------------------- packaging


@dataclass(frozen=True)
class ShippedCarton:
    carton_pk: int
    code: str
    carton_type: str
    outer_mm: tuple[int, int, int]
    weight_g: int  # measured, else expected
    carrier: str
    service: str
    service_level: str
    country: str
    postal_code: str
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class PackagingOutcome:
    contents_mm3: int
    inner_mm3: int  # 0 when the carton type is not in the catalog
    billable_g: int | None
    price_minor: int | None
    largest_type: str | None  # the largest catalog carton the contents fit
    largest_billable_g: int | None
    largest_price_minor: int | None
    currency: str | None

    @property
    def compared(self) -> bool:
        return self.price_minor is not None and self.largest_price_minor is not None

    @property
    def avoided_minor(self) -> int:
        if self.price_minor is None or self.largest_price_minor is None:
            return 0
        return self.largest_price_minor - self.price_minor

    @property
    def utilisation_pct(self) -> float | None:
        return pct(self.contents_mm3, self.inner_mm3)


def volume_mm3(dims: tuple[int, int, int]) -> int:
    return dims[0] * dims[1] * dims[2]


def largest_fitting(
    units: Sequence[Unit], weight_g: int, tare_g: int, catalog: Sequence[CartonType]
) -> CartonType | None:
    """The biggest catalog carton the same contents could have gone in: every unit fits by
    its own dimensions, the units fill at most the fill limit, the weight is within limits."""
    volume = sum(volume_mm3(u.dims_mm) for u in units)
    contents_g = max(0, weight_g - tare_g)
    fitting = [
        c
        for c in catalog
        if all(fits_alone(u, c) for u in units)
        and volume <= FILL_LIMIT * c.inner_volume_mm3
        and contents_g + c.tare_g <= c.max_weight_g
    ]
    if not fitting:
        return None
    return max(fitting, key=lambda c: (c.inner_volume_mm3, c.code))


def _price(
    carriers: Sequence[Carrier], c: ShippedCarton, weight_g: int, dims: tuple[int, int, int]
) -> tuple[int, int, str] | None:
    for q in quotes(list(carriers), c.country, c.service_level, weight_g, dims, c.postal_code):
        if q.service == c.service:
            return q.billable_g, q.price_minor, q.currency
    return None


def packaging(
    c: ShippedCarton, catalog: Sequence[CartonType], carriers: Sequence[Carrier]
) -> PackagingOutcome:
    """Utilisation of the carton used, and what the same contents would have cost to ship
    (same carrier and service, dimensional weight included) in the largest fitting carton."""
    by_code = {t.code: t for t in catalog}
    used = by_code.get(c.carton_type)
    contents = sum(volume_mm3(u.dims_mm) for u in c.units)
    mine = [k for k in carriers if k.code == c.carrier]
    actual = _price(mine, c, c.weight_g, c.outer_mm) if mine else None
    largest = largest_fitting(c.units, c.weight_g, used.tare_g if used else 0, catalog)
    alt = None
    if largest is not None and mine:
        alt_weight = c.weight_g - (used.tare_g if used else 0) + largest.tare_g
        alt = _price(mine, c, alt_weight, largest.outer_mm)
    return PackagingOutcome(
        contents_mm3=contents,
        inner_mm3=used.inner_volume_mm3 if used else 0,
        billable_g=actual[0] if actual else None,
        price_minor=actual[1] if actual else None,
        largest_type=largest.code if largest else None,
        largest_billable_g=alt[0] if alt else None,
        largest_price_minor=alt[1] if alt else None,
        currency=(actual or alt or (0, 0, None))[2],
    )


# ----------------------------------------------------------------------------- returns


@dataclass(frozen=True)
class ReturnedUnit:
    """What the returns report needs of one returned unit (the returns station's tables
    are read into this shape, so the report does not depend on their details)."""

    unit_pk: int
    received_at: datetime
    sku: str  # "" when the unit was not one of ours
    reason: str  # the customer's reason from the RMA line, "" when none was given
    grade: str  # resellable, damaged, dispose, or "" while ungraded
    grade_reason: str  # the grader's reason code
    allocation_pk: int | None
    order_number: str


def returns_rate_pct(returned_units: int, shipped_units: int) -> float | None:
    """Units returned per 100 shipped in the same period."""
    return pct(returned_units, shipped_units)


# -------------------------------------------------------------------------- exceptions


class ExceptionKind(str, Enum):
    SHORT = "short"  # a picker found fewer units than expected
    BACKORDER = "backorder"  # no stock at intake
    HOLD = "hold"
    CANCEL = "cancel"
    REJECT = "reject"


SHORT_CAUSES = {
    "empty": "bin empty",
    "damaged": "damaged stock",
    "not_found": "not found in bin",
    "expired": "expired stock",
}


def exception_cause(kind: ExceptionKind, reason: str | None) -> str:
    """A short, groupable cause: the reason text as given, trimmed, or a word for none."""
    text = (reason or "").strip()
    if kind is ExceptionKind.SHORT:
        return SHORT_CAUSES.get(text, text or "unspecified")
    if not text:
        return {
            ExceptionKind.BACKORDER: "no stock",
            ExceptionKind.HOLD: "held by the OMS",
            ExceptionKind.CANCEL: "cancelled by the OMS",
            ExceptionKind.REJECT: "rejected",
        }.get(kind, "unspecified")
    return text[:80]
