"""Wave planning: which open orders go out together, how they are picked, and when the wave
must be released so that its carrier's pickup is made.

Orders are grouped by the carrier pickup they aim for (the earliest pickup of a carrier that
collects their service level, config/cutoffs.toml), then by priority, service level and order
profile (single unit, single line, multi line), and cut into waves under the wave caps
(orders, lines, units, weight, volume). Each wave is picked by one strategy:

- discrete: one picker, one order, one tote, one walk per order;
- batch (cluster): one cart with several totes, one order per tote, one walk per cart;
- zone: pick and pass: each zone's picker walks the zone for a cart of orders and adds
  their units to each order's tote; the tote is complete (consolidated) when the last zone
  is done.

Automatic release works backwards from the pickups with the measured rates: the floor works
waves one after another at its measured pace, so the latest start of a wave is its pickup
minus the dock buffer minus its pick and pack time, or the latest start of the next wave,
whichever comes first. A wave whose latest start has passed is at risk.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo
from enum import Enum

from app.domain.batching import Batch, Caps, OrderWork, fcfs_batches, savings_batches, seed_batches
from app.domain.paths import Stop
from app.domain.routing import Geometry, Route, route, s_shape_route


class Strategy(str, Enum):
    DISCRETE = "discrete"
    BATCH = "batch"
    ZONE = "zone"


class Profile(str, Enum):
    SINGLE_UNIT = "single_unit"
    SINGLE_LINE = "single_line"
    MULTI_LINE = "multi_line"


class Batching(str, Enum):
    SAVINGS = "savings"
    SEED = "seed"
    FCFS = "fcfs"


SERVICE_RANK = {"next_day": 0, "express": 1, "standard": 2, "economy": 3, "freight": 4}


@dataclass(frozen=True)
class CarrierPickups:
    carrier: str
    service_levels: frozenset[str]  # "*" collects every level
    times: tuple[time, ...]  # local times of day
    weekdays: frozenset[int] = frozenset(range(7))  # Monday = 0

    def serves(self, level: str) -> bool:
        return "*" in self.service_levels or level in self.service_levels


@dataclass(frozen=True)
class Pickup:
    carrier: str
    at: datetime  # aware

    @property
    def key(self) -> str:
        return f"{self.carrier}@{self.at.isoformat()}"


@dataclass(frozen=True)
class Calendar:
    tz: tzinfo
    carriers: tuple[CarrierPickups, ...]
    lead: timedelta = timedelta(minutes=0)  # a pickup closer than this cannot be made

    def pickups(self, level: str, after: datetime, days: int = 8) -> Iterable[Pickup]:
        """Every pickup for the level after `after`, earliest first."""
        local = after.astimezone(self.tz)
        found: list[Pickup] = []
        for d in range(days):
            day: date = local.date() + timedelta(days=d)
            for c in self.carriers:
                if not c.serves(level) or day.weekday() not in c.weekdays:
                    continue
                for t in c.times:
                    at = datetime.combine(day, t, tzinfo=self.tz)
                    if at > after:
                        found.append(Pickup(c.carrier, at))
        found.sort(key=lambda p: (p.at, p.carrier))
        return found

    def target(self, level: str, now: datetime) -> Pickup | None:
        """The earliest pickup that can still be made."""
        for p in self.pickups(level, now + self.lead):
            return p
        return None


@dataclass(frozen=True)
class OpenOrder:
    key: int  # allocation pk
    allocation_id: str
    priority: int
    service_level: str
    ship_by: datetime | None
    received_at: datetime
    stops: tuple[Stop, ...]  # one per reservation, at its bin
    zones: tuple[str, ...]  # zone of each stop, same order
    lines: int
    units: int
    weight_g: int = 0
    volume_cm3: int = 0

    @property
    def profile(self) -> Profile:
        if self.units <= 1:
            return Profile.SINGLE_UNIT
        if self.lines <= 1:
            return Profile.SINGLE_LINE
        return Profile.MULTI_LINE

    def work(self, zone: str | None = None) -> OrderWork:
        stops = (
            self.stops
            if zone is None
            else tuple(s for s, z in zip(self.stops, self.zones, strict=True) if z == zone)
        )
        return OrderWork(self.key, stops, self.lines, self.units, self.weight_g, self.volume_cm3)


@dataclass(frozen=True)
class Rates:
    """Measured pace of the floor (units per hour per person) and who is working."""

    pick_units_per_hour: float = 120.0
    pack_units_per_hour: float = 180.0
    pickers: int = 4
    packers: int = 2
    dock_buffer: timedelta = timedelta(minutes=30)

    def pick_time(self, units: int) -> timedelta:
        per_hour = max(1e-6, self.pick_units_per_hour * max(1, self.pickers))
        return timedelta(seconds=round(units * 3600 / per_hour))

    def pack_time(self, units: int) -> timedelta:
        per_hour = max(1e-6, self.pack_units_per_hour * max(1, self.packers))
        return timedelta(seconds=round(units * 3600 / per_hour))


@dataclass(frozen=True)
class Selection:
    """A supervisor's filter for a manual wave; empty fields match everything."""

    allocation_ids: frozenset[str] = frozenset()
    carrier: str | None = None
    pickup_at: datetime | None = None
    min_priority: int | None = None
    service_levels: frozenset[str] = frozenset()
    profiles: frozenset[Profile] = frozenset()
    zone: str | None = None

    def matches(self, o: OpenOrder, pickup: Pickup | None) -> bool:
        if self.allocation_ids and o.allocation_id not in self.allocation_ids:
            return False
        if self.carrier and (pickup is None or pickup.carrier != self.carrier):
            return False
        if self.pickup_at and (pickup is None or pickup.at != self.pickup_at):
            return False
        if self.min_priority is not None and o.priority < self.min_priority:
            return False
        if self.service_levels and o.service_level not in self.service_levels:
            return False
        if self.profiles and o.profile not in self.profiles:
            return False
        return not (self.zone and set(o.zones) != {self.zone})


@dataclass(frozen=True)
class Rules:
    strategy: Strategy | None = None  # None: by profile (see strategy_for)
    wave_caps: Caps = field(default_factory=lambda: Caps(totes=60, lines=400))
    cart_caps: Caps = field(default_factory=lambda: Caps(totes=8, lines=40))
    batching: Batching = Batching.SAVINGS
    by_profile: bool = True  # keep single-unit, single-line and multi-line orders apart
    savings_chunk: int = 120  # savings batching works on at most this many orders at once

    def strategy_for(self, orders: Sequence[OpenOrder]) -> Strategy:
        if self.strategy is not None:
            return self.strategy
        if any(len(set(o.zones)) > 1 for o in orders):
            return Strategy.ZONE
        if all(o.profile is Profile.MULTI_LINE for o in orders) and len(orders) <= 2:
            return Strategy.DISCRETE
        return Strategy.BATCH


@dataclass(frozen=True)
class PlannedBatch:
    orders: tuple[int, ...]  # allocation pks; their position is the tote slot on the cart
    zone: str | None
    route: Route
    s_shape_mm: int


@dataclass(frozen=True)
class PlannedWave:
    orders: tuple[int, ...]
    strategy: Strategy
    pickup: Pickup | None
    priority: int
    profile: Profile | None
    batches: tuple[PlannedBatch, ...]
    units: int
    lines: int
    pick_time: timedelta
    pack_time: timedelta
    latest_release: datetime | None = None
    at_risk: bool = False

    @property
    def route_mm(self) -> int:
        return sum(b.route.length_mm for b in self.batches)

    @property
    def s_shape_mm(self) -> int:
        return sum(b.s_shape_mm for b in self.batches)

    @property
    def duration(self) -> timedelta:
        return self.pick_time + self.pack_time


@dataclass(frozen=True)
class Plan:
    waves: tuple[PlannedWave, ...]
    late: tuple[int, ...] = field(default=())  # orders whose pickup is after their ship-by


def _group_key(o: OpenOrder, pickup: Pickup | None, rules: Rules) -> tuple[object, ...]:
    return (
        pickup.at if pickup else datetime.max.replace(tzinfo=o.received_at.tzinfo),
        pickup.carrier if pickup else "",
        o.profile.value if rules.by_profile else "",
    )


def _urgency(o: OpenOrder) -> tuple[object, ...]:
    return (
        -o.priority,
        SERVICE_RANK.get(o.service_level, 9),
        o.ship_by or datetime.max.replace(tzinfo=o.received_at.tzinfo),
        o.received_at,
        o.key,
    )


def _cut(orders: list[OpenOrder], caps: Caps) -> list[list[OpenOrder]]:
    """Consecutive chunks that each fit the caps (an order too big alone goes alone)."""
    out: list[list[OpenOrder]] = []
    current: list[OrderWork] = []
    chunk: list[OpenOrder] = []
    for o in orders:
        w = o.work()
        if chunk and not caps.fits([*current, w]):
            out.append(chunk)
            chunk, current = [], []
        chunk.append(o)
        current.append(w)
    if chunk:
        out.append(chunk)
    return out


def batch_orders(
    geo: Geometry, works: Sequence[OrderWork], caps: Caps, how: Batching, chunk: int = 120
) -> list[Batch]:
    if how is Batching.FCFS:
        return fcfs_batches(works, caps)
    out: list[Batch] = []
    for i in range(0, len(works), max(1, chunk)):
        part = works[i : i + chunk]
        if how is Batching.SEED:
            out.extend(seed_batches(geo, part, caps))
        else:
            out.extend(savings_batches(geo, part, caps))
    return out


def _route_batches(geo: Geometry, batches: Iterable[Batch], zone: str | None) -> list[PlannedBatch]:
    out = []
    for b in batches:
        stops = b.stops
        out.append(
            PlannedBatch(b.keys, zone, route(geo, stops), s_shape_route(geo, stops).length_mm)
        )
    return out


def build_wave(
    orders: Sequence[OpenOrder],
    strategy: Strategy,
    pickup: Pickup | None,
    geo: Geometry,
    rules: Rules,
    rates: Rates,
) -> PlannedWave:
    """Batches and routes for one wave's orders under one strategy."""
    ordered = sorted(orders, key=_urgency)
    batches: list[PlannedBatch] = []
    if strategy is Strategy.DISCRETE:
        batches = _route_batches(geo, [Batch((o.work(),)) for o in ordered], None)
    elif strategy is Strategy.BATCH:
        works = [o.work() for o in ordered]
        batches = _route_batches(
            geo,
            batch_orders(geo, works, rules.cart_caps, rules.batching, rules.savings_chunk),
            None,
        )
    else:
        zones = sorted({z for o in ordered for z in o.zones})
        for z in zones:
            works = [o.work(z) for o in ordered if z in o.zones]
            found = batch_orders(geo, works, rules.cart_caps, rules.batching, rules.savings_chunk)
            batches.extend(_route_batches(geo, found, z))
    units = sum(o.units for o in ordered)
    profiles = {o.profile for o in ordered}
    return PlannedWave(
        orders=tuple(o.key for o in ordered),
        strategy=strategy,
        pickup=pickup,
        priority=max((o.priority for o in ordered), default=0),
        profile=profiles.pop() if len(profiles) == 1 else None,
        batches=tuple(batches),
        units=units,
        lines=sum(o.lines for o in ordered),
        pick_time=rates.pick_time(units),
        pack_time=rates.pack_time(units),
    )


def plan(
    orders: Sequence[OpenOrder],
    calendar: Calendar,
    rules: Rules,
    rates: Rates,
    geo: Geometry,
    now: datetime,
    selection: Selection | None = None,
    max_waves: int | None = None,
) -> Plan:
    """Group, cut, batch and route the open orders into waves, soonest pickup first, and
    schedule their release backwards from the pickups."""
    groups: dict[tuple[object, ...], list[OpenOrder]] = {}
    pickups: dict[tuple[object, ...], Pickup | None] = {}
    late: list[int] = []
    target_cache: dict[str, Pickup | None] = {}
    for o in orders:
        if o.service_level not in target_cache:
            target_cache[o.service_level] = calendar.target(o.service_level, now)
        pickup = target_cache[o.service_level]
        if selection is not None and not selection.matches(o, pickup):
            continue
        if pickup is not None and o.ship_by is not None and pickup.at > o.ship_by:
            late.append(o.key)
        key = _group_key(o, pickup, rules)
        groups.setdefault(key, []).append(o)
        pickups[key] = pickup
    waves: list[PlannedWave] = []
    for key in sorted(groups, key=lambda k: (k[0], str(k[1]), str(k[2]))):
        members = sorted(groups[key], key=_urgency)
        for chunk in _cut(members, rules.wave_caps):
            strategy = rules.strategy_for(chunk)
            waves.append(build_wave(chunk, strategy, pickups[key], geo, rules, rates))
            if max_waves is not None and len(waves) >= max_waves:
                break
        if max_waves is not None and len(waves) >= max_waves:
            break
    return Plan(tuple(schedule(waves, rates, now)), tuple(late))


def schedule(waves: Sequence[PlannedWave], rates: Rates, now: datetime) -> list[PlannedWave]:
    """Latest release per wave, backwards from the last pickup: one wave on the floor at a
    time at the measured pace. Waves without a pickup get no deadline."""
    timed = sorted(
        (w for w in waves if w.pickup is not None),
        key=lambda w: (w.pickup.at if w.pickup else now, -w.priority),
    )
    out: dict[int, PlannedWave] = {}
    next_start: datetime | None = None
    for w in reversed(timed):
        assert w.pickup is not None
        finish = w.pickup.at - rates.dock_buffer
        if next_start is not None and next_start < finish:
            finish = next_start
        start = finish - w.duration
        out[id(w)] = replace(w, latest_release=start, at_risk=start < now)
        next_start = start
    result = [out.get(id(w), w) for w in waves]
    result.sort(
        key=lambda w: (
            w.latest_release or datetime.max.replace(tzinfo=now.tzinfo),
            -w.priority,
        )
    )
    return result


def due_for_release(
    plan_: Plan, now: datetime, horizon: timedelta = timedelta(0)
) -> list[PlannedWave]:
    """Waves whose latest release is within `horizon` of now (or already past)."""
    return [
        w for w in plan_.waves if w.latest_release is not None and w.latest_release <= now + horizon
    ]


def minutes(td: timedelta) -> int:
    return math.ceil(td.total_seconds() / 60)
