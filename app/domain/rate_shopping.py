"""Rate shopping: which carrier service should take this carton, and why.

Only services at the allocation's service level or faster are quoted at all
(:func:`app.domain.rating.quotes`). Each quote then gets its next pickup (the carrier's pickup
days and cutoff, in warehouse time, skipping a day whose manifest is already closed), an
estimated delivery date (pickup day + transit days, Monday to Friday) and the service's
reliability score. The recommendation, in this order:

1. on time (picked up no later than the allocation's ship-by) and reliable (score at least
   the policy's minimum): the cheapest, then the earliest delivery;
2. on time but none reliable enough: the most reliable, then the cheapest;
3. nothing on time: the earliest delivery, then the cheapest (a late carton still ships; the
   shipper is told).

A request may name the only carriers to quote (``ShopRequest.carriers``: the ship station's
carrier account belongs to one carrier); quotes from any other carrier are left out before
ranking, so the recommendation is the best of that carrier's services.

Every other quote stays on the list as an alternative the shipper may choose instead; the
service layer logs such an override.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from app.domain.rating import Carrier, Pickup, Quote, Service, qualifies, quotes
from app.domain.text import msg

PICKUP_HORIZON_DAYS = 14


class Basis(StrEnum):
    CHEAPEST_ON_TIME = "cheapest_on_time"
    MOST_RELIABLE_ON_TIME = "most_reliable_on_time"
    EARLIEST_WHEN_LATE = "earliest_when_late"
    NOTHING = "nothing"


@dataclass(frozen=True)
class ShopPolicy:
    min_reliability_pct: int = 90
    tz: tzinfo = UTC  # warehouse time: pickup cutoffs and manifest days are local


@dataclass(frozen=True)
class ShopRequest:
    country: str
    postal_code: str
    service_level: str
    weight_g: int
    dims_mm: tuple[int, int, int]
    now: datetime
    ship_by: datetime | None = None
    closed: frozenset[tuple[str, date]] = field(default_factory=frozenset)  # (carrier, day)
    # Only these carriers are quoted (a station that ships on one carrier account); None: all.
    carriers: frozenset[str] | None = None


@dataclass(frozen=True)
class RateOption:
    quote: Quote
    pickup_at: datetime  # the cutoff of the pickup that takes it, warehouse time
    delivery_on: date
    reliability_pct: int
    on_time: bool
    reliable: bool

    @property
    def key(self) -> tuple[str, str]:
        return (self.quote.carrier, self.quote.service)

    @property
    def tier(self) -> int:
        if self.on_time and self.reliable:
            return 0
        return 1 if self.on_time else 2

    def notes(self, policy: ShopPolicy) -> list[str]:
        found = []
        if not self.on_time:
            found.append("misses the ship-by time")
        if not self.reliable:
            found.append(
                f"reliability {self.reliability_pct} % is below {policy.min_reliability_pct} %"
            )
        return found


@dataclass(frozen=True)
class ShopResult:
    options: tuple[RateOption, ...]  # the recommendation first, then the alternatives
    basis: Basis
    warning: str | None = None

    @property
    def recommended(self) -> RateOption | None:
        return self.options[0] if self.options else None

    def option(self, carrier: str | None, service: str) -> RateOption | None:
        for o in self.options:
            if o.quote.service == service and (carrier is None or o.quote.carrier == carrier):
                return o
        return None


def _at(day: date, moment: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, moment).replace(tzinfo=tz)


def next_pickup(
    pickup: Pickup,
    cutoff: time,
    now: datetime,
    tz: tzinfo,
    closed_days: frozenset[date] = frozenset(),
) -> datetime | None:
    """The first pickup cutoff at or after ``now`` on a pickup weekday whose manifest is
    still open, or None when there is none within two weeks."""
    local = now.astimezone(tz)
    for offset in range(PICKUP_HORIZON_DAYS):
        day = local.date() + timedelta(days=offset)
        if day.weekday() not in pickup.weekdays or day in closed_days:
            continue
        at = _at(day, cutoff, tz)
        if at < local:
            continue
        return at
    return None


def manifest_day(pickup: Pickup, today: date, closed_days: frozenset[date]) -> date:
    """The day whose manifest a carton labelled ``today`` joins: the first pickup weekday
    from today on that has not been closed out. Not the cutoff: the manifest is what the
    driver takes, and it stays open until someone closes it."""
    for offset in range(PICKUP_HORIZON_DAYS):
        day = today + timedelta(days=offset)
        if day.weekday() in pickup.weekdays and day not in closed_days:
            return day
    return today + timedelta(days=PICKUP_HORIZON_DAYS)


def add_business_days(day: date, days: int) -> date:
    """``day`` plus ``days`` Mondays-to-Fridays (0 days: the same day)."""
    while days > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _service(carriers: list[Carrier], quote: Quote) -> tuple[Carrier, Service] | None:
    for carrier in carriers:
        if carrier.code == quote.carrier:
            for service in carrier.services:
                if service.code == quote.service:
                    return carrier, service
    return None


def _rank(option: RateOption) -> tuple[object, ...]:
    q = option.quote
    tail = (q.carrier, q.service)
    if option.tier == 0:
        return (0, q.price_minor, option.delivery_on, -option.reliability_pct, *tail)
    if option.tier == 1:
        return (1, -option.reliability_pct, q.price_minor, option.delivery_on, *tail)
    return (2, option.delivery_on, option.pickup_at, q.price_minor, *tail)


def shop(
    carriers: list[Carrier],
    request: ShopRequest,
    policy: ShopPolicy,
    found: list[Quote] | None = None,
) -> ShopResult:
    """Rank the quotes for ``request``. ``found`` are quotes from carriers' own rating (a
    real carrier's API); by default the table rates of ``carriers``. Either way, each quote
    needs its carrier and service in ``carriers`` for pickups, level and reliability."""
    if found is None:
        found = quotes(
            carriers,
            request.country,
            request.service_level,
            request.weight_g,
            request.dims_mm,
            postal_code=request.postal_code,
            day=request.now.astimezone(policy.tz).date(),
        )
    options: list[RateOption] = []
    for quote in found:
        if request.carriers is not None and quote.carrier not in request.carriers:
            continue
        known = _service(carriers, quote)
        if known is None:
            continue
        carrier, service = known
        if not qualifies(request.service_level, service.level):
            continue
        closed = frozenset(day for code, day in request.closed if code == carrier.code)
        pickup_at = next_pickup(
            carrier.pickup,
            service.cutoff or carrier.pickup.cutoff,
            request.now,
            policy.tz,
            closed,
        )
        if pickup_at is None:
            continue  # no collection in the next two weeks: not a real option
        reliability = (
            service.reliability_pct
            if service.reliability_pct is not None
            else carrier.reliability_pct
        )
        options.append(
            RateOption(
                quote=quote,
                pickup_at=pickup_at,
                delivery_on=add_business_days(pickup_at.date(), quote.transit_days),
                reliability_pct=reliability,
                on_time=request.ship_by is None or pickup_at <= request.ship_by,
                reliable=reliability >= policy.min_reliability_pct,
            )
        )
    options.sort(key=_rank)
    if not options:
        return ShopResult(
            (), Basis.NOTHING, msg("No carrier service covers this destination and weight.")
        )
    best = options[0]
    if best.tier == 0:
        return ShopResult(tuple(options), Basis.CHEAPEST_ON_TIME)
    if best.tier == 1:
        return ShopResult(
            tuple(options),
            Basis.MOST_RELIABLE_ON_TIME,
            msg(
                "No service that makes the ship-by time is "
                "%(min_reliability_pct)s %% reliable: the most reliable one "
                "is recommended.",
                min_reliability_pct=policy.min_reliability_pct,
            ),
        )
    ship_by = request.ship_by.astimezone(policy.tz) if request.ship_by else None
    when = ship_by.strftime("%a %d %b %H:%M") if ship_by else "the ship-by time"
    return ShopResult(
        tuple(options),
        Basis.EARLIEST_WHEN_LATE,
        msg(
            "No service is collected by %(when)s: the earliest delivery "
            "is recommended. The order will ship late.",
            when=when,
        ),
    )
