"""What supervisors see. Every number is read from the database, never kept in a counter:
picks from the stock ledger, pack and weigh results from the scan log, shipments from the
cartons, short picks from their own table, dead letters from the outbox.

The busy tables (the ledger's picks and the scan log: hundreds of rows a second) are read
incrementally: each process remembers, per database, the rows of the rate windows and a few
running totals, and each snapshot reads only the rows added since the last one (see
`_Feed` and docs/waves.md, "How the dashboard stays cheap"). `snapshot(..., scratch=True)`
reads everything again the way it always did: the reference the incremental figures are
tested and benchmarked against."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    bindparam,
    cast,
    extract,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Carton,
    InboundReject,
    PickTask,
    ScanLog,
    StockMovement,
    Tote,
    Wave,
)
from app.adapters.db.models_pick import PickShort
from app.adapters.db.models_waves import PickBatch, PickerZone, WavePlan
from app.adapters.db.uow import SessionFactory
from app.adapters.wave_config import WaveConfig
from app.domain.allocations import AllocationStatus
from app.domain.planning import Rates
from app.domain.rates import PersonRate, RollingWindow, floor_rate, pace, people_of
from app.domain.text import N_
from app.services.clock import Clock, system_clock
from app.services.outbox import backlog
from app.services.per_owner import PerOwner
from app.services.waves import default_config, measured_rates, wave_summary

RATE_WINDOW = timedelta(hours=1)
OPEN = [
    AllocationStatus.ACCEPTED.value,
    AllocationStatus.RELEASED.value,
    AllocationStatus.PICKING.value,
    AllocationStatus.PICKED.value,
    AllocationStatus.PACKING.value,
]
RECENT = 10  # exceptions of each kind listed
SEEN_RECENTLY = timedelta(minutes=15)  # who counts as working for the measured pace


def snapshot(
    uow: SessionFactory,
    recent_waves: int = 10,
    clock: Clock = system_clock,
    config: WaveConfig | None = None,
    *,
    scratch: bool = False,
    pause: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """The supervisors' dashboard. `pause`, if given, is called between its parts: the
    server's push loop passes a cooperative yield, so that a snapshot (tens of
    milliseconds on a busy floor) never holds up the handhelds' scans for all of that."""
    rest = pause or (lambda: None)
    cfg = config or default_config()
    now = clock()
    day_start = (
        now.astimezone(cfg.calendar.tz)
        .replace(hour=0, minute=0, second=0, microsecond=0)
        .astimezone(UTC)
    )
    with uow.reader() as tx:
        s = tx.session
        if scratch:
            fig = _scratch_figures(s, now, day_start, cfg)
        else:
            fig = _live(uow).figures(s, now, day_start, cfg, pause=rest)
        rest()
        by_status = dict(s.execute(_BY_STATUS).all())
        live = s.scalars(
            select(Wave)
            .where(Wave.status.in_(["planned", "released", "paused"]))
            .order_by(Wave.id.desc())
            .limit(recent_waves * 2)
        ).all()
        finished = s.scalars(
            select(Wave)
            .where(Wave.status.in_(["done", "cancelled"]))
            .order_by(Wave.id.desc())
            .limit(max(0, recent_waves - len(live)))
        ).all()
        waiting_count = s.scalar(_WAITING_COUNT)
        waiting = s.scalars(_WAITING).all()
        data: dict[str, Any] = {
            "at": now.isoformat(),
            "allocations": {k: int(v) for k, v in by_status.items()},
            "waves": [wave_summary(s, w) for w in [*live, *finished]],
            "waiting_count": int(waiting_count or 0),
            "waiting": [
                {
                    "allocation_id": a.allocation_id,
                    "order_number": a.order_number,
                    "priority": a.priority,
                    "ship_by": a.ship_by.isoformat() if a.ship_by else None,
                    "service_level": a.service_level,
                    "units": sum(ln.qty for ln in a.lines),
                }
                for a in waiting
            ],
            "scans": {k: int(v) for k, v in fig.scans.items() if v},
            "rejected_scans": int(fig.rejected),
            "inbound_rejects": int(s.scalar(_INBOUND_REJECTS) or 0),
        }
        rest()
        data["pickers"] = _pickers(s, fig)
        rest()
        data["stations"] = _stations(s, now, fig)
        rest()
        data["exceptions"] = _exceptions(s, day_start, fig)
        rest()
        data["at_risk"] = _at_risk(s, now, cfg, fig.measured)
        rest()
        data["throughput"] = _throughput(s, now, day_start, fig)
    rest()
    data["outbox"] = backlog(uow)
    data["exceptions"]["dead_letters"] = data["outbox"]["dead"]
    return data


# ---------------------------------------------------------------------- the figures


MisScan = tuple[datetime, str, "str | None", str, str]  # at, station, actor, result, raw
WeightFailure = tuple[datetime, "str | None", str, str]  # at, actor, result, raw


@dataclass
class _Figures:
    """What the snapshot needs from the ledger's picks and the scan log."""

    picks: dict[str, PersonRate]  # last hour
    pick_units: float  # last hour, with or without a picker
    packs: dict[str, PersonRate]
    weighs: dict[str, PersonRate]
    measured: Rates  # the floor's pace over the measuring window
    scans: dict[str, int]  # whole scan log, by station
    rejected: int  # whole scan log
    mis_count: int  # since midnight
    weight_count: int
    mis_recent: list[MisScan]  # the latest few since midnight, newest first
    weight_recent: list[WeightFailure]
    picked_hours: dict[int, int]  # since midnight, by hour
    packed_hours: dict[int, int]


def _is_pick(col: Any = StockMovement.reason) -> ColumnElement[bool]:
    return col == "pick"  # type: ignore[no-any-return]


def _not_ok() -> ColumnElement[bool]:
    return ~ScanLog.result.like("%_ok")


def _mis_filter() -> ColumnElement[bool]:
    return ScanLog.station.in_(["pick", "pack"]) & _not_ok()


def _weight_filter() -> ColumnElement[bool]:
    return (ScanLog.station == "weigh") & _not_ok()


def _pack_ok() -> ColumnElement[bool]:
    return (ScanLog.station == "pack") & (ScanLog.result == "unit_ok")


def _weigh_ok() -> ColumnElement[bool]:
    return (ScanLog.station == "weigh") & (ScanLog.result == "weight_ok")


def _measured_from(
    picks: dict[str, PersonRate], packs: dict[str, PersonRate], now: datetime, cfg: WaveConfig
) -> Rates:
    """`waves.measured_rates` over people already measured (the same figures)."""
    rates = cfg.default_rates

    def working(people: dict[str, PersonRate]) -> int:
        return sum(1 for a, p in people.items() if now - p.last < SEEN_RECENTLY and a)

    pick_rate = pace(picks.values(), cfg.min_units_to_measure)
    pack_rate = pace(packs.values(), cfg.min_units_to_measure)
    if pick_rate:
        rates = replace(rates, pick_units_per_hour=pick_rate, pickers=max(1, working(picks)))
    if pack_rate:
        rates = replace(rates, pack_units_per_hour=pack_rate, packers=max(1, working(packs)))
    return rates


def _scratch_figures(s: Session, now: datetime, day_start: datetime, cfg: WaveConfig) -> _Figures:
    """Everything read again from the tables: the way the dashboard always read them."""
    since = now - RATE_WINDOW
    pick_rows = s.execute(
        select(StockMovement.actor, StockMovement.at, -StockMovement.on_hand_delta)
        .where(_is_pick(), StockMovement.at >= since)
        .order_by(StockMovement.actor, StockMovement.at)
    ).all()

    def scan_rows(which: ColumnElement[bool]) -> list[Any]:
        return list(
            s.execute(
                select(ScanLog.actor, ScanLog.at, 1)
                .where(which, ScanLog.at >= since)
                .order_by(ScanLog.actor, ScanLog.at)
            ).all()
        )

    scans = dict(
        s.execute(select(ScanLog.station, func.count(ScanLog.id)).group_by(ScanLog.station)).all()
    )
    rejected = s.scalar(select(func.count(ScanLog.id)).where(_not_ok()))
    mis = s.execute(
        select(ScanLog.at, ScanLog.station, ScanLog.actor, ScanLog.result, ScanLog.raw)
        .where(ScanLog.at >= day_start, _mis_filter())
        .order_by(ScanLog.id.desc())
        .limit(RECENT)
    ).all()
    weight = s.execute(
        select(ScanLog.at, ScanLog.actor, ScanLog.result, ScanLog.raw)
        .where(ScanLog.at >= day_start, _weight_filter())
        .order_by(ScanLog.id.desc())
        .limit(RECENT)
    ).all()
    return _Figures(
        picks=people_of(pick_rows),
        pick_units=float(sum(r[2] or 0 for r in pick_rows)),
        packs=people_of(scan_rows(_pack_ok())),
        weighs=people_of(scan_rows(_weigh_ok())),
        measured=measured_rates(s, now, cfg),
        scans={k: int(v) for k, v in scans.items()},
        rejected=int(rejected or 0),
        mis_count=int(
            s.scalar(select(func.count(ScanLog.id)).where(ScanLog.at >= day_start, _mis_filter()))
            or 0
        ),
        weight_count=int(
            s.scalar(
                select(func.count(ScanLog.id)).where(ScanLog.at >= day_start, _weight_filter())
            )
            or 0
        ),
        mis_recent=[tuple(r) for r in mis],  # type: ignore[misc]
        weight_recent=[tuple(r) for r in weight],  # type: ignore[misc]
        picked_hours=_picked_by_hour(s, day_start),
        packed_hours=_packed_by_hour(s, day_start),
    )


def _picked_by_hour(s: Session, day_start: datetime, *more: ColumnElement[bool]) -> dict[int, int]:
    return {
        int(h): int(n or 0)
        for h, n in s.execute(
            select(_hour(StockMovement.at), func.sum(-StockMovement.on_hand_delta))
            .where(_is_pick(), StockMovement.at >= day_start, *more)
            .group_by(_hour(StockMovement.at))
        ).all()
    }


def _packed_by_hour(s: Session, day_start: datetime, *more: ColumnElement[bool]) -> dict[int, int]:
    return {
        int(h): int(n or 0)
        for h, n in s.execute(
            select(_hour(ScanLog.at), func.count(ScanLog.id))
            .where(_pack_ok(), ScanLog.at >= day_start, *more)
            .group_by(_hour(ScanLog.at))
        ).all()
    }


# ---------------------------------------------------------------- reading incrementally

# A row whose id is below the highest id read but was not there yet (PostgreSQL hands out ids
# when a transaction inserts, and a transaction may commit after a later one) is looked for
# again for this long; rolled-back ids never come and are forgotten after it.
HOLE_TTL_S = 120.0
HOLES_MAX = 2000
# On a fresh start, ids this close below the highest may still be in flight.
START_OVERLAP = 2000


@dataclass
class _Feed:
    """Which rows of one table have been read: every id up to `last_id` except the holes.
    Each row is handed over once: new rows are those above `last_id` or in the holes."""

    table: Any
    last_id: int = 0
    last_at: datetime | None = None  # the row `last_id` as read: gone or changed: start over
    holes: dict[int, float] = field(default_factory=dict)  # id -> when it was first missing

    @property
    def id_col(self) -> Any:
        return self.table.id

    def start(self, s: Session) -> None:
        """Begin at the table's highest id; ids just below it not there yet are holes."""
        top = s.execute(
            select(self.id_col, self.table.at).order_by(self.id_col.desc()).limit(1)
        ).first()
        self.holes = {}
        self.last_id, self.last_at = (int(top[0]), top[1]) if top else (0, None)
        if top is not None:
            present = set(
                s.scalars(
                    select(self.id_col).where(self.id_col > self.last_id - START_OVERLAP)
                ).all()
            )
            now = time.monotonic()
            for i in range(max(1, self.last_id - START_OVERLAP + 1), self.last_id):
                if i not in present:
                    self.holes[i] = now

    def read_so_far(self) -> list[ColumnElement[bool]]:
        """Conditions for the rows this feed has handed over (for totals read in SQL)."""
        conds: list[ColumnElement[bool]] = [self.id_col <= self.last_id]
        if self.holes:
            conds.append(self.id_col.not_in(list(self.holes)))
        return conds

    def unread(self) -> ColumnElement[bool]:
        if self.holes:
            return or_(self.id_col > self.last_id, self.id_col.in_(list(self.holes)))
        return self.id_col > self.last_id  # type: ignore[no-any-return]

    def still_there(self, s: Session) -> bool:
        """False when the database was emptied or restored under us (ids went backwards)."""
        if self.last_at is None:
            return True
        at = s.scalar(select(self.table.at).where(self.id_col == self.last_id))
        return at is not None and at == self.last_at

    def took(self, rows: Sequence[Any]) -> None:
        """Rows (id first, at second) just read by `unread()`, in id order."""
        now = time.monotonic()
        for r in rows:
            i = int(r[0])
            if i > self.last_id:
                if i > self.last_id + 1:
                    for gap in range(max(self.last_id + 1, i - HOLES_MAX), i):
                        self.holes[gap] = now
                self.last_id, self.last_at = i, r[1]
            else:
                self.holes.pop(i, None)
        if self.holes:
            old = now - HOLE_TTL_S
            for i in [i for i, t in self.holes.items() if t < old]:
                del self.holes[i]
            if len(self.holes) > HOLES_MAX:
                for i in sorted(self.holes)[: len(self.holes) - HOLES_MAX]:
                    del self.holes[i]


def _start_windows(lengths: Iterable[timedelta], now: datetime) -> dict[timedelta, RollingWindow]:
    out = {}
    for length in lengths:
        w = out[length] = RollingWindow(length)
        w.start(now - length)
    return out


class _Picks:
    """The ledger's picks: who picked how much in the rate windows; units by hour today."""

    def __init__(self) -> None:
        self.feed = _Feed(StockMovement)
        self.windows: dict[timedelta, RollingWindow] = {}
        self.day_start: datetime | None = None
        self.hours: dict[int, int] = {}

    def update(
        self,
        s: Session,
        now: datetime,
        day_start: datetime,
        lengths: frozenset[timedelta],
        pause: Callable[[], None],
    ) -> None:
        if set(self.windows) != lengths or not self.feed.still_there(s):
            self._start(s, now, day_start, lengths)
            return
        m = StockMovement
        rows = s.execute(
            select(m.id, m.at, m.reason, m.actor, -m.on_hand_delta, _hour(m.at))
            .where(self.feed.unread())
            .order_by(m.id)
        ).all()
        self.feed.took(rows)
        pause()  # reading a second of a busy floor's picks, then folding them in
        picks = [(i, actor, at, n) for i, at, reason, actor, n, _h in rows if reason == "pick"]
        for w in self.windows.values():
            w.add(picks)
        if self.day_start is not None:
            for _i, at, reason, _a, n, h in rows:
                if reason == "pick" and at >= self.day_start:
                    self.hours[int(h)] = self.hours.get(int(h), 0) + int(n or 0)
        if day_start != self.day_start:
            self._start_day(s, day_start)
        for length, w in self.windows.items():
            if not w.advance(now - length):  # the clock went back: read the window again
                self._start(s, now, day_start, lengths)
                return

    def _start(
        self, s: Session, now: datetime, day_start: datetime, lengths: frozenset[timedelta]
    ) -> None:
        self.feed.start(s)
        self.windows = _start_windows(lengths, now)
        m = StockMovement
        rows = s.execute(
            select(m.id, m.actor, m.at, -m.on_hand_delta)
            .where(_is_pick(), m.at >= now - max(lengths), *self.feed.read_so_far())
            .order_by(m.id)
        ).all()
        for w in self.windows.values():
            w.add(rows)
        self._start_day(s, day_start)

    def _start_day(self, s: Session, day_start: datetime) -> None:
        self.day_start = day_start
        self.hours = _picked_by_hour(s, day_start, *self.feed.read_so_far())


def _newest(rows: list[Any], row: Any) -> None:
    """Keep the RECENT rows with the highest ids (the first element), newest first."""
    if len(rows) >= RECENT and row[0] < rows[-1][0]:
        return
    rows.append(row)
    rows.sort(key=lambda r: r[0], reverse=True)
    del rows[RECENT:]


class _Scans:
    """The scan log: counts by station and rejected (all of it), pack and weigh rates in the
    windows, and today's packed units by hour, mis-scans and weight failures."""

    def __init__(self) -> None:
        self.feed = _Feed(ScanLog)
        self.packs: dict[timedelta, RollingWindow] = {}
        self.weighs = RollingWindow(RATE_WINDOW)
        self.stations: dict[str, int] = {}
        self.rejected = 0
        self.day_start: datetime | None = None
        self.hours: dict[int, int] = {}
        self.mis_count = 0
        self.weight_count = 0
        self.mis: list[Any] = []  # (id, at, station, actor, result, raw), newest first
        self.weight: list[Any] = []

    def update(
        self,
        s: Session,
        now: datetime,
        day_start: datetime,
        lengths: frozenset[timedelta],
        pause: Callable[[], None],
    ) -> None:
        if set(self.packs) != lengths or not self.feed.still_there(s):
            self._start(s, now, day_start, lengths)
            return
        c = ScanLog
        rows = s.execute(
            select(
                c.id, c.at, c.station, c.actor, c.result, c.result.like("%_ok"), c.raw, _hour(c.at)
            )
            .where(self.feed.unread())
            .order_by(c.id)
        ).all()
        self.feed.took(rows)
        pause()
        packs, weighs = [], []
        today = self.day_start
        for i, at, station, actor, result, ok, raw, h in rows:
            self.stations[station] = self.stations.get(station, 0) + 1
            if station == "pack" and result == "unit_ok":
                packs.append((i, actor, at, 1))
                if today is not None and at >= today:
                    self.hours[int(h)] = self.hours.get(int(h), 0) + 1
            elif station == "weigh" and result == "weight_ok":
                weighs.append((i, actor, at, 1))
            if ok:
                continue
            self.rejected += 1
            if today is None or at < today:
                continue
            if station in ("pick", "pack"):
                self.mis_count += 1
                _newest(self.mis, (i, at, station, actor, result, raw))
            elif station == "weigh":
                self.weight_count += 1
                _newest(self.weight, (i, at, station, actor, result, raw))
        for w in self.packs.values():
            w.add(packs)
        self.weighs.add(weighs)
        if day_start != self.day_start:
            self._start_day(s, day_start)
        for length, w in [*self.packs.items(), (RATE_WINDOW, self.weighs)]:
            if not w.advance(now - length):
                self._start(s, now, day_start, lengths)
                return

    def _start(
        self, s: Session, now: datetime, day_start: datetime, lengths: frozenset[timedelta]
    ) -> None:
        self.feed.start(s)
        so_far = self.feed.read_so_far()
        c = ScanLog
        self.stations, self.rejected = {}, 0
        for station, n, bad in s.execute(
            select(
                c.station,
                func.count(c.id),
                func.coalesce(func.sum(cast(_not_ok(), Integer)), 0),
            )
            .where(*so_far)
            .group_by(c.station)
        ).all():
            self.stations[station] = int(n)
            self.rejected += int(bad or 0)
        self.packs = _start_windows(lengths, now)
        (self.weighs,) = _start_windows([RATE_WINDOW], now).values()

        def rows(which: ColumnElement[bool], since: datetime) -> list[Any]:
            return list(
                s.execute(
                    select(c.id, c.actor, c.at, 1)
                    .where(which, c.at >= since, *so_far)
                    .order_by(c.id)
                ).all()
            )

        packs = rows(_pack_ok(), now - max(lengths))
        for w in self.packs.values():
            w.add(packs)
        self.weighs.add(rows(_weigh_ok(), now - RATE_WINDOW))
        self._start_day(s, day_start)

    def _start_day(self, s: Session, day_start: datetime) -> None:
        so_far = self.feed.read_so_far()
        c = ScanLog
        self.day_start = day_start
        self.hours = _packed_by_hour(s, day_start, *so_far)

        def count(which: ColumnElement[bool]) -> int:
            return int(
                s.scalar(select(func.count(c.id)).where(which, c.at >= day_start, *so_far)) or 0
            )

        def latest(which: ColumnElement[bool]) -> list[Any]:
            return [
                tuple(r)
                for r in s.execute(
                    select(c.id, c.at, c.station, c.actor, c.result, c.raw)
                    .where(which, c.at >= day_start, *so_far)
                    .order_by(c.id.desc())
                    .limit(RECENT)
                ).all()
            ]

        self.mis_count, self.weight_count = count(_mis_filter()), count(_weight_filter())
        self.mis, self.weight = latest(_mis_filter()), latest(_weight_filter())


class _Live:
    """What one process remembers of one database, for the dashboard."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.picks = _Picks()
        self.scans = _Scans()

    def figures(
        self,
        s: Session,
        now: datetime,
        day_start: datetime,
        cfg: WaveConfig,
        pause: Callable[[], None],
    ) -> _Figures:
        lengths = frozenset({RATE_WINDOW, cfg.measure_window})
        with self.lock:  # snapshots from several greenlets (or threads) take turns
            self.picks.update(s, now, day_start, lengths, pause)
            pause()
            self.scans.update(s, now, day_start, lengths, pause)
            picks = self.picks.windows[RATE_WINDOW]
            measuring = self.picks.windows[cfg.measure_window].people()
            return _Figures(
                picks=picks.people(),
                pick_units=picks.total_units,
                packs=self.scans.packs[RATE_WINDOW].people(),
                weighs=self.scans.weighs.people(),
                measured=_measured_from(
                    measuring, self.scans.packs[cfg.measure_window].people(), now, cfg
                ),
                scans=dict(self.scans.stations),
                rejected=self.scans.rejected,
                mis_count=self.scans.mis_count,
                weight_count=self.scans.weight_count,
                mis_recent=[(at, st, a, r, raw) for _i, at, st, a, r, raw in self.scans.mis],
                weight_recent=[(at, a, r, raw) for _i, at, _st, a, r, raw in self.scans.weight],
                picked_hours=dict(self.picks.hours),
                packed_hours=dict(self.scans.hours),
            )


# One memory per database (its unit-of-work factory): tests and tools open several.
_live: PerOwner[SessionFactory, _Live] = PerOwner(lambda _uow: _Live())


def forget(uow: SessionFactory | None = None) -> None:
    """Drop what this process remembers: the next snapshot reads the windows again."""
    _live.forget(uow)


# ------------------------------------------------------------------------ the sections


def _pickers(s: Session, fig: _Figures) -> list[dict[str, Any]]:
    rates = fig.picks
    active = s.execute(_ACTIVE_TASKS).all()
    working: dict[str, dict[str, Any]] = {}
    for picker, wave, n in active:
        if picker is None:
            continue
        w = working.setdefault(picker, {"waves": [], "tasks_in_hand": 0})
        w["waves"].append(wave)
        w["tasks_in_hand"] += int(n)
    carts = dict(s.execute(_ACTIVE_CARTS).all())
    zones = {z.badge: z.zones.split(",") for z in s.scalars(_ZONES)}
    out = []
    for badge in sorted(set(rates) | set(working) | set(zones)):
        r = rates.get(badge)
        out.append(
            {
                "badge": badge,
                "units_last_hour": int(r.units) if r else 0,
                "units_per_hour": r.per_hour if r else 0.0,
                "last_pick_at": r.last.isoformat() if r else None,
                "waves": sorted(working.get(badge, {}).get("waves", [])),
                "tasks_in_hand": working.get(badge, {}).get("tasks_in_hand", 0),
                "carts": int(carts.get(badge, 0)),
                "zones": zones.get(badge, []),
            }
        )
    return out


def _stations(s: Session, now: datetime, fig: _Figures) -> dict[str, dict[str, Any]]:
    since = now - RATE_WINDOW
    ship_rows = s.execute(_SHIPPED_SINCE, {"since": since}).all()
    open_units = s.scalar(_OPEN_UNITS)
    open_tasks = s.scalar(_OPEN_TASKS)
    pack_queue = s.scalar(_PACK_QUEUE)
    cartons = dict(s.execute(_CARTONS_WAITING).all())
    return {
        "pick": {
            "units_per_hour": floor_rate(fig.picks.values()),
            "units_last_hour": int(fig.pick_units),
            "queue": int(open_tasks or 0),
            "queue_units": int(open_units or 0),
            "queue_label": N_("tasks open"),
        },
        "pack": {
            "units_per_hour": floor_rate(fig.packs.values()),
            "queue": int(pack_queue or 0),
            "queue_label": N_("totes waiting"),
        },
        "weigh": {
            "units_per_hour": floor_rate(fig.weighs.values()),
            "queue": int(cartons.get("packed", 0)),
            "queue_label": N_("cartons waiting"),
        },
        "ship": {
            "units_per_hour": floor_rate(people_of(ship_rows).values()),
            "queue": int(cartons.get("weighed", 0)),
            "queue_label": N_("cartons waiting"),
        },
    }


def _exceptions(s: Session, since: datetime, fig: _Figures) -> dict[str, Any]:
    shorts = s.execute(_SHORTS_SINCE, {"since": since}).all()
    short_count, short_units = s.execute(_SHORT_TOTALS_SINCE, {"since": since}).one()
    recent: list[dict[str, Any]] = []
    for at, reason, missing, short, actor in shorts:
        recent.append(
            {
                "kind": "short_pick",
                "at": at.isoformat(),
                "who": actor,
                "what": f"{reason}: {missing} missing, {short} short",
            }
        )
    for at, station, actor, result, raw in fig.mis_recent:
        recent.append(
            {
                "kind": "mis_scan",
                "at": at.isoformat(),
                "who": actor,
                "what": f"{station} {result}: {raw}",
            }
        )
    for at, actor, result, raw in fig.weight_recent:
        recent.append(
            {"kind": "weight", "at": at.isoformat(), "who": actor, "what": f"{result}: {raw}"}
        )
    recent.sort(key=lambda e: e["at"], reverse=True)
    return {
        "short_picks": int(short_count or 0),
        "short_units": int(short_units or 0),
        "mis_scans": fig.mis_count,
        "weight_failures": fig.weight_count,
        "dead_letters": 0,
        "recent": recent[:15],
    }


def _at_risk(s: Session, now: datetime, cfg: WaveConfig, rates: Rates) -> dict[str, Any]:
    """Open orders that will not make their pickup at the measured pace: all open work with
    an earlier or equal pickup goes first, then this order's, then packing and the dock
    buffer. The pickup is the wave's, else the one planning would aim at."""
    rows = s.execute(_OPEN_ORDERS_WORK).all()
    targets: dict[str, Any] = {}
    work = []
    for pk, aid, number, status, level, ship_by, prio, carrier, pickup_at, to_pick, to_pack in rows:
        if pickup_at is None:
            if level not in targets:
                targets[level] = cfg.calendar.target(level, now)
            p = targets[level]
            carrier, pickup_at = (p.carrier, p.at) if p else (None, None)
        deadline = pickup_at
        if ship_by is not None and (deadline is None or ship_by < deadline):
            deadline = ship_by
        work.append(
            (
                deadline,
                -prio,
                pk,
                aid,
                number,
                status,
                carrier,
                pickup_at,
                int(to_pick),
                int(to_pack),
            )
        )
    work.sort(key=lambda w: (w[0] is None, w[0] or now, w[1], w[2]))
    pick_ahead = pack_ahead = 0
    risky = []
    for deadline, _p, _pk, aid, number, status, carrier, pickup_at, to_pick, to_pack in work:
        pick_ahead += to_pick
        pack_ahead += to_pack
        if deadline is None:
            continue
        finish = now + rates.pick_time(pick_ahead) + rates.pack_time(pack_ahead) + rates.dock_buffer
        if finish > deadline:
            risky.append(
                {
                    "allocation_id": aid,
                    "order_number": number,
                    "status": status,
                    "carrier": carrier,
                    "pickup_at": pickup_at.isoformat() if pickup_at else None,
                    "deadline": deadline.isoformat(),
                    "projected_finish": finish.isoformat(),
                    "late_min": int((finish - deadline).total_seconds() // 60),
                }
            )
    return {
        "count": len(risky),
        "orders": risky[:30],
        "pick_units_per_hour": round(rates.pick_units_per_hour, 1),
        "pickers": rates.pickers,
    }


def _hour(col: Any) -> Any:
    # A literal, not a bound parameter: PostgreSQL must see the SELECT and GROUP BY
    # expressions as the same expression.
    epoch = cast(extract("epoch", col), Integer)
    return epoch - epoch % literal_column("3600", Integer)


def _throughput(s: Session, now: datetime, day_start: datetime, fig: _Figures) -> dict[str, Any]:
    """Per hour since midnight (local): units picked, units packed, cartons shipped."""
    picked = fig.picked_hours
    packed = fig.packed_hours
    shipped: dict[int, int] = dict(s.execute(_SHIPPED_BY_HOUR, {"since": day_start}).all())
    first = int(day_start.timestamp()) // 3600 * 3600
    last = int(now.timestamp()) // 3600 * 3600
    hours = list(range(first, last + 1, 3600))
    return {
        "hours": [datetime.fromtimestamp(h, UTC).isoformat() for h in hours],
        "picked_units": [int(picked.get(h, 0) or 0) for h in hours],
        "packed_units": [int(packed.get(h, 0) or 0) for h in hours],
        "shipped_cartons": [int(shipped.get(h, 0) or 0) for h in hours],
    }


# ------------------------------------------------------------ statements, built once
# A snapshot runs some twenty-five statements every second somebody watches; building each
# (and its cache key) cost SQLAlchemy about twice what running it did
# (docs/scan-throughput.md, "Tenth session"). Times come as bound parameters.

_SINCE: BindParameter[Any] = bindparam("since")  # takes its column's type in each comparison
_BY_STATUS = (
    select(Allocation.status, func.count(Allocation.id))
    .where(Allocation.practice.is_(False))  # first-shift practice is not work
    .group_by(Allocation.status)
)
_WAITING_COUNT = select(func.count(Allocation.id)).where(
    Allocation.status == "accepted", Allocation.wave_id.is_(None)
)
_WAITING = (
    select(Allocation)
    .where(Allocation.status == "accepted", Allocation.wave_id.is_(None))
    .order_by(Allocation.ship_by, Allocation.id)
    .limit(50)
)
_INBOUND_REJECTS = select(func.count(InboundReject.id))
_ACTIVE_TASKS = (
    select(PickTask.picker, Wave.code, func.count(PickTask.id))
    .join(Wave, Wave.id == PickTask.wave_id)
    .where(PickTask.status == "active", PickTask.picker.is_not(None))
    .group_by(PickTask.picker, Wave.code)
)
_ACTIVE_CARTS = (
    select(PickBatch.picker, func.count(PickBatch.id))
    .where(PickBatch.status == "active", PickBatch.picker.is_not(None))
    .group_by(PickBatch.picker)
)
_ZONES = select(PickerZone)
# Cartons are updated, not appended (shipped_at is set when they ship, cleared by a void):
# read by the shipped_at index, as many rows as cartons shipped in the hour.
_SHIPPED_SINCE = (
    select(Carton.carrier, Carton.shipped_at, 1)
    .where(Carton.shipped_at.is_not(None), Carton.shipped_at >= _SINCE)
    .order_by(Carton.carrier, Carton.shipped_at)
)
_OPEN_WORK = (
    PickTask.status.in_(["open", "active"]),
    Wave.status == "released",
    Wave.practice.is_(False),
)
_OPEN_UNITS = (
    select(func.coalesce(func.sum(PickTask.qty - PickTask.picked_qty), 0))
    .join(Wave, Wave.id == PickTask.wave_id)
    .where(*_OPEN_WORK)
)
_OPEN_TASKS = (
    select(func.count(PickTask.id)).join(Wave, Wave.id == PickTask.wave_id).where(*_OPEN_WORK)
)
_PACK_QUEUE = (
    select(func.count(Tote.id))
    .join(Allocation, Allocation.id == Tote.allocation_pk)
    .where(
        Allocation.status.in_([AllocationStatus.PICKED.value, AllocationStatus.PACKING.value]),
        Allocation.practice.is_(False),
    )
)
_CARTONS_WAITING = (
    select(Carton.status, func.count(Carton.id))
    .where(Carton.status.in_(["packed", "weighed"]))
    .group_by(Carton.status)
)
_SHORTS_SINCE = (
    select(
        PickShort.at,
        PickShort.reason,
        PickShort.missing_qty,
        PickShort.short_qty,
        PickShort.actor,
    )
    .where(PickShort.at >= _SINCE)
    .order_by(PickShort.id.desc())
    .limit(RECENT)
)
_SHORT_TOTALS_SINCE = select(
    func.count(PickShort.id), func.coalesce(func.sum(PickShort.short_qty), 0)
).where(PickShort.at >= _SINCE)
_SHIPPED_BY_HOUR = (
    select(_hour(Carton.shipped_at), func.count(Carton.id))
    .where(Carton.shipped_at >= _SINCE)
    .group_by(_hour(Carton.shipped_at))
)
# An open order's facts: selected, and grouped by, with its units left to pick and to pack.
_ORDER_FACTS = (
    Allocation.id,
    Allocation.allocation_id,
    Allocation.order_number,
    Allocation.status,
    Allocation.service_level,
    Allocation.ship_by,
    Allocation.priority,
    WavePlan.carrier,
    WavePlan.pickup_at,
)
_OPEN_ORDERS_WORK = (
    select(
        *_ORDER_FACTS,
        func.coalesce(
            func.sum(
                AllocationLine.qty
                - AllocationLine.picked
                - AllocationLine.short
                - AllocationLine.cancelled
            ),
            0,
        ),
        func.coalesce(
            func.sum(AllocationLine.qty - AllocationLine.packed - AllocationLine.cancelled), 0
        ),
    )
    .join(AllocationLine, AllocationLine.allocation_pk == Allocation.id)
    .outerjoin(WavePlan, WavePlan.wave_id == Allocation.wave_id)
    .where(Allocation.status.in_(OPEN), Allocation.practice.is_(False))
    .group_by(*_ORDER_FACTS)
    .limit(20000)
)
