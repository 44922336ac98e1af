"""Operations reports: on-time shipping, cycle time, accuracy, productivity, packaging, returns
and exceptions, filtered by date, shift, zone, carrier and channel, each figure traceable to
the orders and scans behind it, every table exportable as CSV.

How it stays fast: `refresh` rebuilds whole operating days of facts and rollups
(app/adapters/db/models_reports.py) from the scan log, the ledger and the order tables, using
the pure computations of app/domain/metrics.py. Only days that changed are rebuilt: today,
the days of scans that arrived late (offline queues) and the days of returned units graded
since. Reports then read the small rollup tables; drill-through reads the fact tables, which
are indexed by day. Reads go through their own connection (on SQLite a deferred, read-only
transaction, so a report never holds the writers' lock).
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import threading
import time as _time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import (
    Connection,
    Engine,
    String,
    create_engine,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    type_coerce,
)

from app.adapters.config_files import load_carriers, load_cartons, load_layout
from app.adapters.db.engine import BUSY_TIMEOUT_S, busy_timeout_pragma, is_sqlite, normalise_url
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Barcode,
    Carton,
    CartonLine,
    Location,
    OutboxEvent,
    PickTask,
    ReturnAuthorization,
    ScanLog,
    Sku,
    Stock,
    StockMovement,
)
from app.adapters.db.models_pick import PickShort
from app.adapters.db.models_reports import (
    ReportCartonFact,
    ReportCycleDaily,
    ReportCycleMonthly,
    ReportDay,
    ReportErrorFact,
    ReportExceptionFact,
    ReportHoldLog,
    ReportOrderFact,
    ReportOrdersDaily,
    ReportPackagingDaily,
    ReportProductivityDaily,
    ReportReturnFact,
    ReportState,
    ReportUnitsDaily,
    ReportUnitsMonthly,
)
from app.adapters.db.models_returns import ReturnReceipt, ReturnUnit
from app.adapters.db.uow import SessionFactory
from app.domain import metrics as m
from app.domain.cartons import CartonType, Unit
from app.domain.first_shift import PRACTICE_KIND
from app.domain.rating import Carrier
from app.domain.routing import Geometry
from app.domain.scanning import normalise_gtin
from app.domain.text import msg
from app.services.clock import Clock
from app.services.errors import NotFound, ServiceError

log = logging.getLogger(__name__)

SLACK = timedelta(minutes=10)  # a transaction may commit this long after its timestamp
MAX_RANGE_DAYS = 3 * 366
DRILL_LIMIT = 200
_CHUNK = 500

# --------------------------------------------------------------------------- context


@dataclass
class ReportsContext:
    calendar: m.ShiftCalendar
    pickups: m.PickupSchedule
    cutoffs_source: str  # the file the pickups came from, or why there are none
    geometry: Geometry
    catalog: list[CartonType]
    carriers: list[Carrier]
    reader: Engine
    idle_gap_s: int = 300
    max_age_s: float = 60.0  # reports refresh today's rollups when older than this
    lock: threading.Lock = field(default_factory=threading.Lock)
    narrowed: dict[tuple[str, str], list[Carrier]] = field(default_factory=dict)
    refreshed_monotonic: float = field(default=-math.inf)

    @property
    def tz(self) -> Any:
        return self.calendar.tz


def _hhmm(value: Any) -> time:
    hours, minutes = (int(x) for x in str(value).split(":"))
    return time(hours, minutes)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _zone(name: str) -> Any:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def load_pickups(path: Path) -> tuple[m.PickupSchedule, str | None]:
    """config/cutoffs.toml: `timezone`, then `[[carriers]] code, pickups = ["HH:MM"],
    weekdays?, service_levels?`. Absent file: no schedule (ship-by alone decides)."""
    if not path.exists():
        return m.PickupSchedule(UTC, ()), None
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    tz_name = str(data.get("timezone", "UTC"))
    carriers = []
    for c in data.get("carriers", []):
        days = c.get("weekdays")
        carriers.append(
            m.CarrierPickups(
                carrier=str(c["code"]),
                times=tuple(_hhmm(t) for t in c.get("pickups", [])),
                weekdays=frozenset(_DAYS.index(str(d).lower()[:3]) for d in days)
                if days
                else frozenset(range(7)),
                service_levels=frozenset(str(x) for x in c.get("service_levels", ["*"])),
            )
        )
    return m.PickupSchedule(_zone(tz_name), tuple(carriers)), tz_name


def load_calendar(path: Path, default_tz: str | None) -> tuple[m.ShiftCalendar, int]:
    """config/reports.toml: `timezone` (else cutoffs.toml's, else UTC), `[[shifts]] name,
    start`, `idle_gap_minutes`."""
    data: dict[str, Any] = {}
    if path.exists():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    tz_name = str(data.get("timezone") or default_tz or "UTC")
    raw = data.get("shifts") or [
        {"name": "early", "start": "06:00"},
        {"name": "late", "start": "14:00"},
        {"name": "night", "start": "22:00"},
    ]
    shifts = m.ordered_shifts(m.Shift(str(s["name"]), _hhmm(s["start"])) for s in raw)
    idle = int(data.get("idle_gap_minutes", 5)) * 60
    return m.ShiftCalendar(_zone(tz_name), shifts), idle


def geometry_for(layout_path: Path) -> Geometry:
    """The walkable grid of config/warehouse.toml, as the seed places locations: every zone's
    aisles, the front, middle and back cross aisles (app/domain/layout.py)."""
    return load_layout(layout_path).geometry()


def reader_engine(url: str, writer: Engine | None = None) -> Engine:
    """Reads for reports. SQLite: its own connections with a deferred BEGIN (a snapshot in
    WAL mode that never takes the write lock). PostgreSQL: a repeatable-read snapshot."""
    if writer is not None and not is_sqlite(writer):
        return writer.execution_options(isolation_level="REPEATABLE READ")
    engine = create_engine(
        normalise_url(url), connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
    )

    if is_sqlite(engine):

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(busy_timeout_pragma())
            cur.execute("PRAGMA query_only=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

    return engine


def build_context(
    config_dir: Path, database_url: str, writer: Engine | None = None
) -> ReportsContext:
    pickups, cutoff_tz = load_pickups(config_dir / "cutoffs.toml")
    calendar, idle = load_calendar(config_dir / "reports.toml", cutoff_tz)
    if not pickups.carriers:
        pickups = m.PickupSchedule(calendar.tz, ())
    return ReportsContext(
        calendar=calendar,
        pickups=pickups,
        cutoffs_source="config/cutoffs.toml"
        if cutoff_tz is not None
        else "none (config/cutoffs.toml absent): on time means shipped by ship-by",
        geometry=geometry_for(config_dir / "warehouse.toml"),
        catalog=load_cartons(config_dir / "cartons.toml"),
        carriers=load_carriers(config_dir / "carriers.toml"),
        reader=reader_engine(database_url, writer),
        idle_gap_s=idle,
    )


# ---------------------------------------------------------------------------- helpers


def _chunks(items: Sequence[Any], n: int = _CHUNK) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def _aware(value: Any) -> datetime:
    """Timestamps read through the ORM columns are aware already; be safe for raw ones."""
    at: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _raw(column: Any) -> Any:
    """A timestamp column read as stored: SQLite's text parses far faster with
    datetime.fromisoformat (in _aware) than through the type's regular expression."""
    return type_coerce(column, String).label(column.key)


def _narrowed(ctx: ReportsContext, carrier: str, service: str) -> list[Carrier]:
    """The one carrier with only the one service: rating a carton asks nothing else."""
    key = (carrier, service)
    found = ctx.narrowed.get(key)
    if found is None:
        found = [
            replace(c, services=tuple(svc for svc in c.services if svc.code == service))
            for c in ctx.carriers
            if c.code == carrier
        ]
        ctx.narrowed[key] = found
    return found


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


@dataclass(frozen=True)
class AllocInfo:
    pk: int
    allocation_id: str
    order_number: str
    channel: str
    service_level: str
    status: str
    received_at: datetime
    ship_by: datetime | None
    country: str
    postal_code: str


def _alloc_info(
    conn: Connection, pks: Iterable[int], addresses: Iterable[int] = ()
) -> dict[int, AllocInfo]:
    """Allocations by pk; the ship-to address (JSON) is read only for `addresses`."""
    out: dict[int, AllocInfo] = {}
    wanted = sorted({p for p in pks if p is not None})
    with_address = set(addresses)
    cols = (
        Allocation.id,
        Allocation.allocation_id,
        Allocation.order_number,
        Allocation.channel,
        Allocation.service_level,
        Allocation.status,
        _raw(Allocation.received_at),
        _raw(Allocation.ship_by),
    )
    for chunk in _chunks(wanted):
        ship_to: dict[int, Any] = {}
        need = [p for p in chunk if p in with_address]
        if need:
            ship_to = {
                pk: doc
                for pk, doc in conn.execute(
                    select(Allocation.id, Allocation.ship_to).where(Allocation.id.in_(need))
                )
            }
        for r in conn.execute(select(*cols).where(Allocation.id.in_(chunk))):
            address = ship_to.get(r.id) or {}
            out[r.id] = AllocInfo(
                r.id,
                r.allocation_id,
                r.order_number,
                r.channel or "",
                r.service_level,
                r.status,
                _aware(r.received_at),
                _aware(r.ship_by) if r.ship_by else None,
                str(address.get("country") or ""),
                str(address.get("postal_code") or ""),
            )
    return out


def _order_pick_info(conn: Connection, pks: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(zone, picker) where most of each allocation's units were picked."""
    units: dict[int, dict[tuple[str, str], int]] = {}
    wanted = sorted({p for p in pks if p is not None})
    for chunk in _chunks(wanted):
        for r in conn.execute(
            select(
                PickTask.allocation_pk,
                Location.zone,
                PickTask.picker,
                func.sum(PickTask.picked_qty),
            )
            .join(Stock, Stock.id == PickTask.stock_id)
            .join(Location, Location.id == Stock.location_id)
            .where(PickTask.allocation_pk.in_(chunk))
            .group_by(PickTask.allocation_pk, Location.zone, PickTask.picker)
        ):
            units.setdefault(r[0], {})[(r[1] or "", r[2] or "")] = int(r[3] or 0)
    out: dict[int, tuple[str, str]] = {}
    for pk, by in units.items():
        zones: dict[str, int] = {}
        pickers: dict[str, int] = {}
        for (zone, picker), n in by.items():
            zones[zone] = zones.get(zone, 0) + n
            if picker:
                pickers[picker] = pickers.get(picker, 0) + n
        zone = max(sorted(zones), key=lambda z: zones[z]) if zones else ""
        picker = max(sorted(pickers), key=lambda p: pickers[p]) if pickers else ""
        out[pk] = (zone, picker)
    return out


@dataclass
class Reference:
    """Small lookup tables read once per refresh."""

    skus: dict[int, str]
    sku_units: dict[int, Unit]
    gtins: dict[str, str]  # GTIN-14 or the code as printed -> SKU
    locations: dict[int, tuple[str, int, int]]  # id -> zone, aisle, y_mm


def _reference(conn: Connection) -> Reference:
    skus: dict[int, str] = {}
    units: dict[int, Unit] = {}
    for r in conn.execute(
        select(Sku.id, Sku.sku, Sku.length_mm, Sku.width_mm, Sku.height_mm, Sku.weight_g)
    ):
        skus[r.id] = r.sku
        units[r.id] = Unit(r.sku, (r.length_mm, r.width_mm, r.height_mm), r.weight_g)
    gtins: dict[str, str] = {}
    for code, sku_id in conn.execute(select(Barcode.code, Barcode.sku_id)):
        sku = skus.get(sku_id)
        if sku is None:
            continue
        gtins[code] = sku
        g14 = normalise_gtin(code)
        if g14:
            gtins[g14] = sku
    locations = {
        r.id: (r.zone, r.aisle, r.y_mm)
        for r in conn.execute(select(Location.id, Location.zone, Location.aisle, Location.y_mm))
    }
    return Reference(skus, units, gtins, locations)


def _sku_of_code(ref: Reference, raw: str) -> str:
    code = raw.strip()
    if code in ref.gtins:
        return ref.gtins[code]
    g14 = normalise_gtin(code) if code.isdigit() else None
    if g14 and g14 in ref.gtins:
        return ref.gtins[g14]
    if code.startswith("01") and len(code) >= 16 and code[2:16] in ref.gtins:
        return ref.gtins[code[2:16]]  # a GS1 element string: its GTIN
    return ""


# ------------------------------------------------------------------------ one day's rows


@dataclass
class DayRows:
    day: date
    shifts: m.DayShifts
    orders: list[dict[str, Any]] = field(default_factory=list)
    orders_daily: list[dict[str, Any]] = field(default_factory=list)
    cycle_daily: list[dict[str, Any]] = field(default_factory=list)
    cartons: list[dict[str, Any]] = field(default_factory=list)
    packaging_daily: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    units_daily: list[dict[str, Any]] = field(default_factory=list)
    productivity: list[dict[str, Any]] = field(default_factory=list)
    returns: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    scans: int = 0


def collect_day(conn: Connection, day: date, ctx: ReportsContext, ref: Reference) -> DayRows:
    """Everything one operating day contributes to the reports, computed from the raw rows."""
    start, end = ctx.calendar.day_window(day)
    rows = DayRows(day, ctx.calendar.day_shifts(day))
    where_shipped = (Carton.shipped_at >= start, Carton.shipped_at < end)
    carton_rows = conn.execute(
        select(
            Carton.id,
            Carton.code,
            Carton.allocation_pk,
            Carton.carton_type,
            Carton.expected_weight_g,
            Carton.weight_g,
            Carton.length_mm,
            Carton.width_mm,
            Carton.height_mm,
            Carton.carrier,
            Carton.service,
            _raw(Carton.shipped_at),
        ).where(*where_shipped)
    ).all()
    shipped_pks = sorted({r.allocation_pk for r in carton_rows})
    scan_rows = conn.execute(
        select(
            ScanLog.id,
            ScanLog.station,
            ScanLog.device,
            ScanLog.actor,
            ScanLog.result,
            _raw(ScanLog.at),
            ScanLog.allocation_pk,
            ScanLog.raw,
            Location.zone,
            AllocationLine.sku,
        )
        .select_from(ScanLog)
        .outerjoin(PickTask, PickTask.id == ScanLog.task_id)
        .outerjoin(Stock, Stock.id == PickTask.stock_id)
        .outerjoin(Location, Location.id == Stock.location_id)
        .outerjoin(AllocationLine, AllocationLine.id == PickTask.line_pk)
        .where(ScanLog.at >= start, ScanLog.at < end)
        .order_by(ScanLog.at, ScanLog.id)
    ).all()
    rows.scans = len(scan_rows)
    scan_pks = {r.allocation_pk for r in scan_rows if r.allocation_pk is not None}
    info = _alloc_info(conn, set(shipped_pks) | scan_pks, addresses=shipped_pks)
    picks = _order_pick_info(conn, set(shipped_pks) | scan_pks)
    _orders(conn, rows, ctx, ref, carton_rows, info, picks)
    _packaging(conn, rows, ctx, ref, carton_rows, info, picks)
    _scans(conn, rows, ctx, ref, scan_rows, info, picks, start, end)
    _returns(conn, rows, ctx, start, end)
    _exceptions(conn, rows, ctx, ref, start, end)
    return rows


def _orders(
    conn: Connection,
    rows: DayRows,
    ctx: ReportsContext,
    ref: Reference,
    carton_rows: Sequence[Any],
    info: Mapping[int, AllocInfo],
    picks: Mapping[int, tuple[str, str]],
) -> None:
    start, end = ctx.calendar.day_window(rows.day)
    pks = sorted({r.allocation_pk for r in carton_rows})
    cartons: dict[int, list[Any]] = {}
    units: dict[int, int] = {}
    for chunk in _chunks(pks):
        for r in conn.execute(
            select(
                Carton.allocation_pk, Carton.carrier, Carton.service, _raw(Carton.shipped_at)
            ).where(Carton.allocation_pk.in_(chunk), Carton.shipped_at.is_not(None))
        ):
            cartons.setdefault(r.allocation_pk, []).append(r)
        for pk, shipped in conn.execute(
            select(AllocationLine.allocation_pk, func.sum(AllocationLine.shipped))
            .where(AllocationLine.allocation_pk.in_(chunk))
            .group_by(AllocationLine.allocation_pk)
        ):
            units[pk] = int(shipped or 0)
    facts: list[m.OrderFact] = []
    for pk in pks:
        a = info.get(pk)
        if a is None or a.status != "shipped" or pk not in cartons:
            continue
        last = max(cartons[pk], key=lambda r: (_aware(r.shipped_at), r.carrier or ""))
        shipped_at = _aware(last.shipped_at)
        if not (start <= shipped_at < end):
            continue  # its last carton went on another day
        order = m.ShippedOrder(
            allocation_pk=pk,
            allocation_id=a.allocation_id,
            order_number=a.order_number,
            received_at=a.received_at,
            ship_by=a.ship_by,
            shipped_at=shipped_at,
            carrier=last.carrier or "",
            service=last.service or "",
            channel=a.channel,
            service_level=a.service_level,
            zone=picks.get(pk, ("", ""))[0],
            units=units.get(pk, 0),
            cartons=len(cartons[pk]),
        )
        facts.append(m.order_fact(order, ctx.calendar, ctx.pickups))
    for f in facts:
        o = f.order
        rows.orders.append(
            {
                "allocation_pk": o.allocation_pk,
                "allocation_id": o.allocation_id,
                "order_number": o.order_number,
                "day": f.day,
                "shift": f.shift,
                "zone": o.zone,
                "carrier": o.carrier,
                "service": o.service,
                "channel": o.channel,
                "service_level": o.service_level,
                "received_at": o.received_at,
                "ship_by": o.ship_by,
                "deadline_at": f.deadline,
                "shipped_at": o.shipped_at,
                "verdict": f.verdict.value,
                "cycle_min": f.cycle_min,
                "cycle_bucket": f.bucket,
                "units": o.units,
                "cartons": o.cartons,
            }
        )

    def dims(f: m.OrderFact) -> tuple[str, str, str, str, str]:
        o = f.order
        return (f.shift, o.zone, o.carrier, o.channel, o.service_level)

    for key, t in m.on_time_totals(facts, dims).items():
        rows.orders_daily.append(
            {
                "day": rows.day,
                **dict(
                    zip(("shift", "zone", "carrier", "channel", "service_level"), key, strict=True)
                ),
                "orders": t.orders,
                "on_time": t.on_time,
                "late": t.late,
                "missed_pickup": t.missed_pickup,
                "no_promise": t.no_promise,
                "units": t.units,
                "cycle_min_sum": t.cycle_min_sum,
            }
        )
    for key, hist in m.cycle_histogram(facts, dims).items():
        for bucket, n in sorted(hist.items()):
            rows.cycle_daily.append(
                {
                    "day": rows.day,
                    **dict(
                        zip(
                            ("shift", "zone", "carrier", "channel", "service_level"),
                            key,
                            strict=True,
                        )
                    ),
                    "bucket_min": bucket,
                    "orders": n,
                }
            )


def _packaging(
    conn: Connection,
    rows: DayRows,
    ctx: ReportsContext,
    ref: Reference,
    carton_rows: Sequence[Any],
    info: Mapping[int, AllocInfo],
    picks: Mapping[int, tuple[str, str]],
) -> None:
    contents: dict[int, list[tuple[int | None, int]]] = {}
    ids = [r.id for r in carton_rows]
    for chunk in _chunks(ids):
        for carton_id, qty, sku_id in conn.execute(
            select(CartonLine.carton_id, CartonLine.qty, AllocationLine.sku_id)
            .join(AllocationLine, AllocationLine.id == CartonLine.line_pk)
            .where(CartonLine.carton_id.in_(chunk))
        ):
            contents.setdefault(carton_id, []).append((sku_id, qty))
    totals: dict[tuple[str, ...], dict[str, int]] = {}
    ship_units: dict[tuple[str, ...], int] = {}
    key: tuple[str, ...]
    for r in carton_rows:
        a = info.get(r.allocation_pk)
        shift = rows.shifts.of(_aware(r.shipped_at))
        zone = picks.get(r.allocation_pk, ("", ""))[0]
        units: list[Unit] = []
        for sku_id, qty in contents.get(r.id, []):
            unit = ref.sku_units.get(sku_id) if sku_id is not None else None
            if unit is not None:
                units.extend([unit] * qty)
                skey = (shift, zone, r.carrier or "", a.channel if a else "", unit.sku)
                ship_units[skey] = ship_units.get(skey, 0) + qty
        shipped = m.ShippedCarton(
            carton_pk=r.id,
            code=r.code,
            carton_type=r.carton_type,
            outer_mm=(r.length_mm, r.width_mm, r.height_mm),
            weight_g=r.weight_g or r.expected_weight_g,
            carrier=r.carrier or "",
            service=r.service or "",
            service_level=a.service_level if a else "",
            country=a.country if a else "",
            postal_code=a.postal_code if a else "",
            units=tuple(units),
        )
        out = m.packaging(shipped, ctx.catalog, _narrowed(ctx, shipped.carrier, shipped.service))
        fact = {
            "carton_pk": r.id,
            "code": r.code,
            "allocation_pk": r.allocation_pk,
            "order_number": a.order_number if a else "",
            "day": rows.day,
            "shift": shift,
            "zone": zone,
            "carrier": r.carrier or "",
            "service": r.service or "",
            "channel": a.channel if a else "",
            "carton_type": r.carton_type,
            "units": len(units),
            "weight_g": shipped.weight_g,
            "contents_mm3": out.contents_mm3,
            "inner_mm3": out.inner_mm3,
            "billable_g": out.billable_g,
            "price_minor": out.price_minor,
            "largest_type": out.largest_type,
            "largest_billable_g": out.largest_billable_g,
            "largest_price_minor": out.largest_price_minor,
            "avoided_minor": out.avoided_minor,
            "currency": out.currency,
        }
        rows.cartons.append(fact)
        key = (shift, zone, fact["carrier"], fact["channel"], r.carton_type)
        t = totals.setdefault(key, {})
        compared = out.compared
        for name, value in (
            ("cartons", 1),
            ("contents_mm3", out.contents_mm3),
            ("inner_mm3", out.inner_mm3),
            ("compared", int(compared)),
            ("billable_g", (out.billable_g or 0) if compared else 0),
            ("largest_billable_g", (out.largest_billable_g or 0) if compared else 0),
            ("price_minor", (out.price_minor or 0) if compared else 0),
            ("largest_price_minor", (out.largest_price_minor or 0) if compared else 0),
            ("avoided_minor", out.avoided_minor),
        ):
            t[name] = t.get(name, 0) + value
    for key, t in totals.items():
        rows.packaging_daily.append(
            {
                "day": rows.day,
                **dict(
                    zip(("shift", "zone", "carrier", "channel", "carton_type"), key, strict=True)
                ),
                **t,
            }
        )
    _add_units(rows, "ship", ship_units, by_person=False)


def _add_units(
    rows: DayRows,
    stage: str,
    units: Mapping[tuple[str, ...], int],
    by_person: bool,
) -> None:
    """units: (shift, zone, carrier, channel, person-or-sku) -> units. Writes total rows and
    per-key rows (kind "person" or "sku")."""
    kind = "person" if by_person else "sku"
    totals: dict[tuple[str, ...], int] = {}
    for (shift, zone, carrier, channel, key), n in units.items():
        rows.units_daily.append(
            {
                "day": rows.day,
                "shift": shift,
                "zone": zone,
                "carrier": carrier,
                "channel": channel,
                "stage": stage,
                "kind": kind,
                "key": key,
                "units": n,
            }
        )
        if not by_person:
            k = (shift, zone, carrier, channel)
            totals[k] = totals.get(k, 0) + n
    for (shift, zone, carrier, channel), n in totals.items():
        rows.units_daily.append(
            {
                "day": rows.day,
                "shift": shift,
                "zone": zone,
                "carrier": carrier,
                "channel": channel,
                "stage": stage,
                "kind": "total",
                "key": "",
                "units": n,
            }
        )


# Units counted at each station for productivity (pick units come from the ledger).
STATION_UNITS = {"pack": frozenset({"unit_ok"}), "weigh": frozenset({"weight_ok"})}


def _scans(
    conn: Connection,
    rows: DayRows,
    ctx: ReportsContext,
    ref: Reference,
    scan_rows: Sequence[Any],
    info: Mapping[int, AllocInfo],
    picks: Mapping[int, tuple[str, str]],
    start: datetime,
    end: datetime,
) -> None:
    # Pick units from the ledger: who took how many of what, from which bin.
    pick_sku: dict[tuple[str, ...], int] = {}
    pick_person: dict[tuple[str, ...], int] = {}
    for actor, sku_id, location_id, delta, at, channel in conn.execute(
        select(
            StockMovement.actor,
            StockMovement.sku_id,
            StockMovement.location_id,
            StockMovement.on_hand_delta,
            _raw(StockMovement.at),
            Allocation.channel,
        )
        .select_from(StockMovement)
        .outerjoin(Allocation, Allocation.allocation_id == StockMovement.reference)
        .where(StockMovement.reason == "pick", StockMovement.at >= start, StockMovement.at < end)
    ):
        n = -int(delta)
        shift = rows.shifts.of(_aware(at))
        zone = ref.locations.get(location_id, ("", 0, 0))[0]
        sku = ref.skus.get(sku_id, "")
        k = (shift, zone, "", channel or "")
        pick_sku[(*k, sku)] = pick_sku.get((*k, sku), 0) + n
        pk = (*k, actor or "")
        pick_person[pk] = pick_person.get(pk, 0) + n
    _add_units(rows, "pick", pick_sku, by_person=False)
    _add_units(rows, "pick", pick_person, by_person=True)

    pack_sku: dict[tuple[str, ...], int] = {}
    pack_person: dict[tuple[str, ...], int] = {}
    per_person: dict[tuple[str, str, str], list[tuple[datetime, tuple[str, str]]]] = {}
    station_units: dict[tuple[str, str, str, str, str], int] = {}
    station_scans: dict[tuple[str, str, str, str, str], int] = {}
    for r in scan_rows:
        at = _aware(r.at)
        shift = rows.shifts.of(at)
        put_back = r.result.startswith("put_back_")
        task_zone = (r.zone or "") if r.station == "pick" and not put_back else ""
        a = info.get(r.allocation_pk) if r.allocation_pk is not None else None
        order_zone, order_picker = picks.get(r.allocation_pk, ("", ""))
        channel = a.channel if a else ""
        actor = r.actor or ""
        device = "" if r.station == "pick" else (r.device or "")
        per_person.setdefault((r.station, device, actor), []).append((at, (shift, task_zone)))
        skey = (shift, task_zone, r.station, device, actor)
        station_scans[skey] = station_scans.get(skey, 0) + 1
        if r.result in STATION_UNITS.get(r.station, ()):
            station_units[skey] = station_units.get(skey, 0) + 1
        if r.station == "pack" and r.result == "unit_ok":
            sku = _sku_of_code(ref, r.raw)
            k = (shift, order_zone, "", channel)
            pack_sku[(*k, sku)] = pack_sku.get((*k, sku), 0) + 1
            pack_person[(*k, actor)] = pack_person.get((*k, actor), 0) + 1
        stage = m.error_stage(r.station, r.result)
        if stage is None:
            continue
        if stage is m.Stage.PICK:
            sku, zone, picker = r.sku or "", task_zone, actor
        elif stage is m.Stage.PACK:
            sku, zone, picker = _sku_of_code(ref, r.raw), order_zone, order_picker
        else:
            sku, zone, picker = _weighed_sku(conn, r.raw, ref), order_zone, order_picker
        rows.errors.append(
            {
                "scan_id": r.id,
                "day": rows.day,
                "shift": shift,
                "zone": zone,
                "channel": channel,
                "stage": stage.value,
                "cause": r.result,
                "actor": actor,
                "picker": picker,
                "sku": sku,
                "allocation_pk": r.allocation_pk,
                "at": at,
            }
        )
    _add_units(rows, "pack", pack_sku, by_person=False)
    _add_units(rows, "pack", pack_person, by_person=True)

    # Working time per person and station, then the picks' walking distance.
    working: dict[tuple[str, str, str, str, str], float] = {}
    for (station, device, actor), events in per_person.items():
        for (shift, zone), seconds in m.working_seconds(events, ctx.idle_gap_s).items():
            wk = (shift, zone, station, device, actor)
            working[wk] = working.get(wk, 0.0) + seconds
    for (shift, zone, _carrier, _channel, actor), n in pick_person.items():
        uk = (shift, zone, "pick", "", actor)
        station_units[uk] = station_units.get(uk, 0) + n
    travel: dict[tuple[str, str, str, str, str], m.Travel] = {}
    by_picker: dict[str, list[tuple[m.CompletedPick, tuple[str, str]]]] = {}
    for picker, wave_id, completed_at, location_id in conn.execute(
        select(PickTask.picker, PickTask.wave_id, _raw(PickTask.completed_at), Stock.location_id)
        .join(Stock, Stock.id == PickTask.stock_id)
        .join(Location, Location.id == Stock.location_id)
        .where(
            PickTask.completed_at >= start,
            PickTask.completed_at < end,
            PickTask.picker.is_not(None),
            Location.kind != PRACTICE_KIND,  # first-shift practice is not work
        )
        .order_by(PickTask.completed_at, PickTask.id)
    ):
        zone, aisle, y_mm = ref.locations.get(location_id, ("", 0, 0))
        at = _aware(completed_at)
        shift = rows.shifts.of(at)
        by_picker.setdefault(picker or "", []).append(
            (m.CompletedPick(at, wave_id, aisle, y_mm), (shift, zone))
        )
    for picker, done in by_picker.items():
        for (shift, zone), t in m.travel(done, ctx.geometry, ctx.idle_gap_s).items():
            travel[(shift, zone, "pick", "", picker)] = t
    for pk5 in sorted(set(working) | set(station_units) | set(travel)):
        t = travel.get(pk5, m.Travel())
        shift, zone, station, device, actor = pk5
        if not actor:
            continue
        rows.productivity.append(
            {
                "day": rows.day,
                "shift": shift,
                "zone": zone,
                "station": station,
                "device": device,
                "actor": actor,
                "units": station_units.get(pk5, 0),
                "scans": station_scans.get(pk5, 0),
                "working_s": round(working.get(pk5, 0.0)),
                "picks": t.picks,
                "walks": t.walks,
                "travel_mm": t.travel_mm,
            }
        )


def _weighed_sku(conn: Connection, raw: str, ref: Reference) -> str:
    """A weight failure names its carton first (`CT000001 1234g ...`): the SKU when the
    carton holds one, "(mixed)" when several."""
    code = raw.split(" ", 1)[0]
    skus = {
        sku_id
        for (sku_id,) in conn.execute(
            select(AllocationLine.sku_id)
            .join(CartonLine, CartonLine.line_pk == AllocationLine.id)
            .join(Carton, Carton.id == CartonLine.carton_id)
            .where(Carton.code == code)
        )
    }
    if len(skus) == 1:
        return ref.skus.get(next(iter(skus)) or -1, "")
    return "(mixed)" if skus else ""


def _returns(
    conn: Connection, rows: DayRows, ctx: ReportsContext, start: datetime, end: datetime
) -> None:
    found = conn.execute(
        select(
            ReturnUnit.id,
            _raw(ReturnUnit.scanned_at),
            ReturnUnit.sku,
            ReturnUnit.line_id,
            ReturnUnit.grade,
            ReturnUnit.reason_code,
            ReturnReceipt.rma_pk,
            ReturnReceipt.allocation_pk,
            ReturnReceipt.order_number,
        )
        .join(ReturnReceipt, ReturnReceipt.id == ReturnUnit.receipt_id)
        .where(ReturnUnit.scanned_at >= start, ReturnUnit.scanned_at < end)
    ).all()
    if not found:
        return
    rma_lines: dict[int, list[Any]] = {}
    rma_pks = sorted({r.rma_pk for r in found if r.rma_pk is not None})
    for chunk in _chunks(rma_pks):
        for pk, lines in conn.execute(
            select(ReturnAuthorization.id, ReturnAuthorization.lines).where(
                ReturnAuthorization.id.in_(chunk)
            )
        ):
            rma_lines[pk] = list(lines or [])
    alloc_pks = sorted({r.allocation_pk for r in found if r.allocation_pk is not None})
    info = _alloc_info(conn, alloc_pks)
    carriers: dict[int, str] = {}
    for chunk in _chunks(alloc_pks):
        for pk, carrier in conn.execute(
            select(Carton.allocation_pk, Carton.carrier).where(
                Carton.allocation_pk.in_(chunk), Carton.carrier.is_not(None)
            )
        ):
            carriers.setdefault(pk, carrier or "")
    for r in found:
        reason = ""
        for line in rma_lines.get(r.rma_pk, []):
            if not isinstance(line, dict):
                continue
            if (r.line_id and line.get("line_id") == r.line_id) or line.get("sku") == r.sku:
                reason = str(line.get("reason") or "")
                break
        unit = m.ReturnedUnit(
            unit_pk=r.id,
            received_at=_aware(r.scanned_at),
            sku=r.sku or "",
            reason=reason,
            grade=r.grade or "",
            grade_reason=r.reason_code or "",
            allocation_pk=r.allocation_pk,
            order_number=r.order_number or "",
        )
        rows.returns.append(_return_fact(unit, ctx, info, carriers))


def _return_fact(
    u: m.ReturnedUnit,
    ctx: ReportsContext,
    info: Mapping[int, AllocInfo],
    carriers: Mapping[int, str],
) -> dict[str, Any]:
    day, shift = ctx.calendar.locate(u.received_at)
    a = info.get(u.allocation_pk) if u.allocation_pk is not None else None
    return {
        "unit_pk": u.unit_pk,
        "day": day,
        "shift": shift,
        "carrier": carriers.get(u.allocation_pk, "") if u.allocation_pk is not None else "",
        "channel": a.channel if a else "",
        "sku": u.sku,
        "reason": u.reason[:200],
        "grade": u.grade,
        "grade_reason": u.grade_reason,
        "allocation_pk": u.allocation_pk,
        "order_number": u.order_number or (a.order_number if a else ""),
        "received_at": u.received_at,
    }


_EVENT_KINDS = {
    "allocation.cancelled": m.ExceptionKind.CANCEL,
    "allocation.rejected": m.ExceptionKind.REJECT,
    "allocation.short": m.ExceptionKind.BACKORDER,
    "allocation.accepted": m.ExceptionKind.HOLD,
}


def _exceptions(
    conn: Connection,
    rows: DayRows,
    ctx: ReportsContext,
    ref: Reference,
    start: datetime,
    end: datetime,
) -> None:
    found: list[dict[str, Any]] = []
    shorts = conn.execute(
        select(
            PickShort.id,
            PickShort.allocation_pk,
            PickShort.reason,
            PickShort.missing_qty,
            PickShort.actor,
            _raw(PickShort.at),
            Stock.location_id,
            Stock.sku_id,
        )
        .join(Stock, Stock.id == PickShort.stock_id)
        .join(Location, Location.id == Stock.location_id)
        .where(PickShort.at >= start, PickShort.at < end, Location.kind != PRACTICE_KIND)
    ).all()
    for r in shorts:
        found.append(
            {
                "source": "pick_short",
                "source_id": str(r.id),
                "kind": m.ExceptionKind.SHORT,
                "cause": m.exception_cause(m.ExceptionKind.SHORT, r.reason),
                "units": int(r.missing_qty),
                "sku": ref.skus.get(r.sku_id, ""),
                "zone": ref.locations.get(r.location_id, ("", 0, 0))[0],
                "actor": r.actor or "",
                "allocation_pk": r.allocation_pk,
                "at": _aware(r.at),
            }
        )
    events = conn.execute(
        select(
            OutboxEvent.event_id,
            OutboxEvent.type,
            OutboxEvent.body,
            _raw(OutboxEvent.created_at),
            Allocation.id,
        )
        .outerjoin(Allocation, Allocation.allocation_id == OutboxEvent.allocation_id)
        .where(
            OutboxEvent.type.in_(list(_EVENT_KINDS)),
            OutboxEvent.created_at >= start,
            OutboxEvent.created_at < end,
            or_(OutboxEvent.type != "allocation.accepted", OutboxEvent.body.like('%"held":true%')),
        )
    ).all()
    for ev in events:
        try:
            data = json.loads(ev.body).get("data") or {}
        except (ValueError, AttributeError):
            data = {}
        kind = _EVENT_KINDS[ev.type]
        lines = data.get("lines") or []
        if kind is m.ExceptionKind.BACKORDER and not data.get("backordered"):
            continue  # a short pick's event: counted from the pick's own record
        if kind is m.ExceptionKind.CANCEL:
            reason = data.get("reason")
            units = sum(int(ln.get("qty") or 0) for ln in lines if isinstance(ln, dict))
        elif kind is m.ExceptionKind.BACKORDER:
            reasons = {str(ln.get("reason") or "") for ln in lines if isinstance(ln, dict)}
            reason = "; ".join(sorted(r for r in reasons if r))
            units = sum(int(ln.get("short_qty") or 0) for ln in lines if isinstance(ln, dict))
        else:
            reason = "; ".join(str(x) for x in data.get("reasons") or [])
            units = 0
        found.append(
            {
                "source": "outbox",
                "source_id": ev.event_id,
                "kind": kind,
                "cause": m.exception_cause(kind, reason),
                "units": units,
                "sku": "",
                "zone": "",
                "actor": "",
                "allocation_pk": ev.id,
                "at": _aware(ev.created_at),
            }
        )
    for h in conn.execute(
        select(
            ReportHoldLog.id,
            ReportHoldLog.allocation_pk,
            ReportHoldLog.reason,
            ReportHoldLog.held_at,
        ).where(ReportHoldLog.held_at >= start, ReportHoldLog.held_at < end)
    ):
        found.append(
            {
                "source": "hold_log",
                "source_id": str(h.id),
                "kind": m.ExceptionKind.HOLD,
                "cause": m.exception_cause(m.ExceptionKind.HOLD, h.reason),
                "units": 0,
                "sku": "",
                "zone": "",
                "actor": "",
                "allocation_pk": h.allocation_pk,
                "at": _aware(h.held_at),
            }
        )
    info = _alloc_info(conn, [f["allocation_pk"] for f in found if f["allocation_pk"]])
    zones = _order_pick_info(conn, [f["allocation_pk"] for f in found if f["allocation_pk"]])
    for f in found:
        a = info.get(f["allocation_pk"]) if f["allocation_pk"] else None
        shift = rows.shifts.of(f["at"])
        rows.exceptions.append(
            {
                **f,
                "kind": f["kind"].value,
                "day": rows.day,
                "shift": shift,
                "zone": f["zone"] or zones.get(f["allocation_pk"], ("", ""))[0],
                "channel": a.channel if a else "",
                "allocation_id": a.allocation_id if a else "",
                "order_number": a.order_number if a else "",
            }
        )


# --------------------------------------------------------------------------- refresh


@dataclass(frozen=True)
class RefreshResult:
    days: list[date]
    orders: int
    scans: int
    seconds: float

    def to_json(self) -> dict[str, Any]:
        return {
            "days": [d.isoformat() for d in self.days],
            "orders": self.orders,
            "scans": self.scans,
            "seconds": round(self.seconds, 3),
        }


_FACT_TABLES: tuple[Any, ...] = (
    ReportOrderFact,
    ReportOrdersDaily,
    ReportCycleDaily,
    ReportCartonFact,
    ReportPackagingDaily,
    ReportErrorFact,
    ReportUnitsDaily,
    ReportProductivityDaily,
    ReportReturnFact,
    ReportExceptionFact,
)


def _state(conn: Connection) -> dict[str, str]:
    return {k: v for k, v in conn.execute(select(ReportState.key, ReportState.value))}


def _first_day(conn: Connection, ctx: ReportsContext) -> date | None:
    firsts = [
        conn.execute(select(func.min(Allocation.received_at))).scalar(),
        conn.execute(select(ScanLog.at).order_by(ScanLog.id).limit(1)).scalar(),
    ]
    found = [_aware(v) for v in firsts if v is not None]
    return ctx.calendar.locate(min(found))[0] if found else None


def dirty_days(conn: Connection, ctx: ReportsContext, now: datetime) -> list[date]:
    """The operating days whose reports may have changed since the last refresh."""
    state = _state(conn)
    today = ctx.calendar.locate(now)[0]
    if "refreshed_at" not in state:
        first = _first_day(conn, ctx)
        return m.days_between(min(first, today) if first else today, today)
    since = datetime.fromisoformat(state["refreshed_at"]) - SLACK
    days = set(m.days_between(min(ctx.calendar.locate(since)[0], today), today))
    mark = int(state.get("scan_mark", "0"))
    late = conn.execute(
        select(ScanLog.at).where(ScanLog.id > mark).order_by(ScanLog.at).limit(1)
    ).scalar()
    if late is not None:
        days.add(ctx.calendar.locate(_aware(late))[0])
    for (scanned_at,) in conn.execute(
        select(ReturnUnit.scanned_at)
        .where(or_(ReturnUnit.graded_at >= since, ReturnUnit.scanned_at >= since))
        .distinct()
    ):
        days.add(ctx.calendar.locate(_aware(scanned_at))[0])
    return sorted(d for d in days if d <= today)


def _log_holds(uow: SessionFactory, conn: Connection, now: datetime) -> None:
    """An OMS hold leaves no history once released: remember the holds seen now."""
    held = conn.execute(
        select(Allocation.id, Allocation.updated_at, Allocation.reasons).where(
            Allocation.status == "held"
        )
    ).all()
    if not held:
        return
    known = {
        (pk, _aware(at))
        for pk, at in conn.execute(
            select(ReportHoldLog.allocation_pk, ReportHoldLog.held_at).where(
                ReportHoldLog.allocation_pk.in_([h.id for h in held])
            )
        )
    }
    new = [
        {
            "allocation_pk": h.id,
            "held_at": _aware(h.updated_at),
            "reason": "; ".join(str(r) for r in (h.reasons or []))[:200],
            "seen_at": now,
        }
        for h in held
        if (h.id, _aware(h.updated_at)) not in known
    ]
    if new:
        with uow() as tx:
            tx.session.execute(insert(ReportHoldLog), new)
            tx.commit()


def _write_day(uow: SessionFactory, rows: DayRows, now: datetime) -> None:
    tables: dict[Any, list[dict[str, Any]]] = {
        ReportOrderFact: rows.orders,
        ReportOrdersDaily: rows.orders_daily,
        ReportCycleDaily: rows.cycle_daily,
        ReportCartonFact: rows.cartons,
        ReportPackagingDaily: rows.packaging_daily,
        ReportErrorFact: rows.errors,
        ReportUnitsDaily: rows.units_daily,
        ReportProductivityDaily: rows.productivity,
        ReportReturnFact: rows.returns,
        ReportExceptionFact: rows.exceptions,
    }
    with uow() as tx:
        s = tx.session
        # One refresh at a time writes (PostgreSQL: the row lock; SQLite: BEGIN IMMEDIATE).
        s.execute(select(ReportState).where(ReportState.key == "lock").with_for_update())
        for table, new in tables.items():
            s.execute(delete(table).where(table.day == rows.day))
            if new:
                s.execute(insert(table), new)
        s.execute(delete(ReportDay).where(ReportDay.day == rows.day))
        s.execute(
            insert(ReportDay),
            [{"day": rows.day, "built_at": now, "orders": len(rows.orders), "scans": rows.scans}],
        )
        tx.commit()


def _first_of_month(d: date) -> date:
    return d.replace(day=1)


def _next_month(d: date) -> date:
    return (d.replace(day=28) + timedelta(days=4)).replace(day=1)


# Daily rollups also kept per month: (daily table, monthly table, dimensions, measure).
_MONTHLY: tuple[tuple[Any, Any, tuple[str, ...], str], ...] = (
    (
        ReportCycleDaily,
        ReportCycleMonthly,
        ("shift", "zone", "carrier", "channel", "service_level", "bucket_min"),
        "orders",
    ),
    (
        ReportUnitsDaily,
        ReportUnitsMonthly,
        ("shift", "zone", "carrier", "channel", "stage", "kind", "key"),
        "units",
    ),
)


def _write_months(uow: SessionFactory, months: Iterable[date]) -> None:
    """Each month's rows are the sums of its days' rows (recomputed whole, in SQL)."""
    with uow() as tx:
        s = tx.session
        for month in sorted(set(months)):
            for daily, monthly, dims, measure in _MONTHLY:
                s.execute(delete(monthly).where(monthly.month == month))
                cols = [getattr(daily, d) for d in dims]
                found = s.execute(
                    select(*cols, func.sum(getattr(daily, measure)))
                    .where(daily.day >= month, daily.day < _next_month(month))
                    .group_by(*cols)
                ).all()
                if found:
                    s.execute(
                        insert(monthly),
                        [
                            {
                                "month": month,
                                **dict(zip(dims, r[:-1], strict=True)),
                                measure: int(r[-1]),
                            }
                            for r in found
                        ],
                    )
        tx.commit()


def _set_state(uow: SessionFactory, values: Mapping[str, str]) -> None:
    with uow() as tx:
        s = tx.session
        for key, value in values.items():
            row = s.get(ReportState, key)
            if row is None:
                s.add(ReportState(key=key, value=value))
            else:
                row.value = value
        tx.commit()


def refresh(
    uow: SessionFactory,
    ctx: ReportsContext,
    clock: Clock,
    days: Sequence[date] | None = None,
    progress: Callable[[date, DayRows], None] | None = None,
) -> RefreshResult:
    """Rebuild the facts and rollups of the days that changed (or of `days`)."""
    started = _time.perf_counter()
    with ctx.lock:
        now = clock()
        with ctx.reader.connect() as conn:
            mark = conn.execute(select(func.max(ScanLog.id))).scalar() or 0
            todo = sorted(set(days)) if days is not None else dirty_days(conn, ctx, now)
            _log_holds(uow, conn, now)
        orders = scans = 0
        for day in todo:
            with ctx.reader.connect() as conn:
                ref = _reference(conn)
                rows = collect_day(conn, day, ctx, ref)
            _write_day(uow, rows, clock())
            orders += len(rows.orders)
            scans += rows.scans
            if progress:
                progress(day, rows)
        _write_months(uow, {_first_of_month(d) for d in todo})
        if days is None:
            _set_state(uow, {"refreshed_at": now.isoformat(), "scan_mark": str(mark)})
        ctx.refreshed_monotonic = _time.monotonic()
    return RefreshResult(todo, orders, scans, _time.perf_counter() - started)


def ensure_fresh(
    uow: SessionFactory,
    ctx: ReportsContext,
    clock: Clock,
    background: Callable[[], Any] | None = None,
) -> None:
    """Reports show the floor as of at most `max_age_s` ago. With `background` (something
    that starts a refresh elsewhere: the server starts `dockhand reports refresh` as its own
    process, so the rebuild never stalls the stations' event loop) the caller answers from
    the rollups it has; without it the caller waits for the refresh."""
    if _time.monotonic() - ctx.refreshed_monotonic < ctx.max_age_s:
        return
    if background is None:
        refresh(uow, ctx, clock)
        return
    ctx.refreshed_monotonic = _time.monotonic()  # one background refresh per interval
    background()


def rebuild(uow: SessionFactory, ctx: ReportsContext, clock: Clock) -> RefreshResult:
    """Every day from the first allocation or scan, from scratch."""
    with uow() as tx:
        for table in (*_FACT_TABLES, ReportCycleMonthly, ReportUnitsMonthly, ReportDay):
            tx.session.execute(delete(table))
        tx.session.execute(delete(ReportState).where(ReportState.key != "lock"))
        tx.commit()
    return refresh(uow, ctx, clock)


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    shift: str | None = None
    zone: str | None = None
    carrier: str | None = None
    channel: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "shift": self.shift,
            "zone": self.zone,
            "carrier": self.carrier,
            "channel": self.channel,
        }

    @property
    def dims(self) -> dict[str, str]:
        return {
            k: v
            for k, v in (
                ("shift", self.shift),
                ("zone", self.zone),
                ("carrier", self.carrier),
                ("channel", self.channel),
            )
            if v is not None
        }


def _date(value: Any, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ServiceError(f"{name} must be a date like 2026-11-28", name) from None


def parse_filters(payload: Any, today: date) -> Filters:
    """Filters from a page or query string; missing dates mean the last 7 days."""
    if payload is None:
        payload = {}
    if not isinstance(payload, Mapping):
        raise ServiceError("filters must be an object", "filters")
    end = _date(payload["end"], "end") if payload.get("end") else today
    start = _date(payload["start"], "start") if payload.get("start") else end - timedelta(days=6)
    if start > end:
        raise ServiceError("the start date is after the end date", "start")
    if (end - start).days > MAX_RANGE_DAYS:
        raise ServiceError(f"choose at most {MAX_RANGE_DAYS} days", "start")
    values: dict[str, str | None] = {}
    for name in ("shift", "zone", "carrier", "channel"):
        raw = payload.get(name)
        if raw in (None, "", "*", "all"):
            values[name] = None
            continue
        if not isinstance(raw, str) or len(raw) > 64:
            raise ServiceError(f"{name} must be text", name)
        values[name] = raw.strip()
    return Filters(start, end, **values)


def _where(table: Any, f: Filters, dims: Iterable[str], day_col: str = "day") -> list[Any]:
    day = getattr(table, day_col)
    clauses: list[Any] = [day >= f.start, day <= f.end]
    wanted = f.dims
    for d in dims:
        if d in wanted:
            clauses.append(getattr(table, d) == wanted[d])
    return clauses


# ---------------------------------------------------------------------------- reports

Col = dict[str, str]


def _col(key: str, label: str, kind: str = "text") -> Col:
    return {"key": key, "label": label, "kind": kind}


@dataclass(frozen=True)
class ReportSpec:
    name: str
    title: str
    dims: frozenset[str]  # the filters that apply
    build: Callable[[Connection, Filters, ReportsContext], dict[str, Any]]


def _sum(c: Any) -> Any:
    return func.coalesce(func.sum(c), 0)


def _num(v: Any) -> int:
    return int(v or 0)


def _on_time(conn: Connection, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    T = ReportOrdersDaily
    where = _where(T, f, ("shift", "zone", "carrier", "channel"))
    measures = (
        _sum(T.orders),
        _sum(T.on_time),
        _sum(T.missed_pickup),
        _sum(T.late),
        _sum(T.no_promise),
    )

    def row(key: dict[str, Any], r: Sequence[Any]) -> dict[str, Any]:
        orders, on_time, missed, late, none = (_num(x) for x in r)
        return {
            **key,
            "orders": orders,
            "on_time": on_time,
            "missed_pickup": missed,
            "late": late,
            "no_promise": none,
            "on_time_pct": m.pct(on_time, orders - none),
        }

    by_day = [
        row({"day": r[0].isoformat()}, r[1:])
        for r in conn.execute(
            select(T.day, *measures).where(*where).group_by(T.day).order_by(T.day)
        )
    ]
    by_carrier = [
        row({"carrier": r[0] or "(none)"}, r[1:])
        for r in conn.execute(
            select(T.carrier, *measures).where(*where).group_by(T.carrier).order_by(T.carrier)
        )
    ]
    total = row({}, conn.execute(select(*measures).where(*where)).one())
    counts = [
        _col("orders", msg("Orders shipped"), "num"),
        _col("on_time", msg("On time"), "num"),
        _col("missed_pickup", msg("Missed pickup"), "num"),
        _col("late", msg("After ship-by"), "num"),
        _col("no_promise", msg("No ship-by"), "num"),
        _col("on_time_pct", msg("On time %"), "pct"),
    ]
    series = [
        {"key": "on_time", "label": msg("On time"), "color": "ok", "drill": {"verdict": "on_time"}},
        {
            "key": "missed_pickup",
            "label": msg("Missed pickup"),
            "color": "warn",
            "drill": {"verdict": "missed_pickup"},
        },
        {
            "key": "late",
            "label": msg("After ship-by"),
            "color": "bad",
            "drill": {"verdict": "late"},
        },
    ]
    return {
        "summary": [
            {"label": msg("On time"), "value": total["on_time_pct"], "kind": "pct"},
            {"label": msg("Orders shipped"), "value": total["orders"], "kind": "num"},
            {"label": msg("Missed pickup"), "value": total["missed_pickup"], "kind": "num"},
            {"label": msg("After ship-by"), "value": total["late"], "kind": "num"},
        ],
        "note": msg(
            "On time: shipped by ship-by and by the carrier's last "
            "pickup before it (pickups: %(cutoffs_source)s). Orders "
            "without ship-by are not counted in the %%.",
            cutoffs_source=ctx.cutoffs_source,
        ),
        "tables": [
            {
                "id": "by_day",
                "title": msg("By day"),
                "columns": [_col("day", msg("Day"), "date"), *counts],
                "rows": by_day,
                "drill": ["day"],
                "chart": {"type": "bar", "x": "day", "stacked": True, "series": series},
            },
            {
                "id": "by_carrier",
                "title": msg("By carrier"),
                "columns": [_col("carrier", msg("Carrier")), *counts],
                "rows": by_carrier,
                "drill": ["carrier"],
                "chart": {"type": "bar", "x": "carrier", "stacked": True, "series": series},
            },
        ],
    }


def _date_parts(
    f: Filters,
) -> tuple[list[date], tuple[date, date] | None, tuple[date, date] | None]:
    """Whole months inside the range (read from the monthly rollup) and the days before and
    after them (read from the daily one)."""
    first_full = f.start if f.start.day == 1 else _next_month(f.start)
    months: list[date] = []
    cursor = first_full
    while _next_month(cursor) - timedelta(days=1) <= f.end:
        months.append(cursor)
        cursor = _next_month(cursor)
    if not months:
        return [], (f.start, f.end), None
    head = (f.start, months[0] - timedelta(days=1)) if f.start < months[0] else None
    tail_start = _next_month(months[-1])
    tail = (tail_start, f.end) if tail_start <= f.end else None
    return months, head, tail


def _cycle_hist(conn: Connection, f: Filters, group: str) -> dict[str, dict[int, int]]:
    dims = ("shift", "zone", "carrier", "channel")
    months, head, tail = _date_parts(f)
    out: dict[str, dict[int, int]] = {}

    def take(q: Any) -> None:
        for key, bucket, n in conn.execute(q):
            hist = out.setdefault(key or "", {})
            hist[bucket] = hist.get(bucket, 0) + int(n)

    D, M = ReportCycleDaily, ReportCycleMonthly
    for part in (head, tail):
        if part is None:
            continue
        sub = Filters(part[0], part[1], f.shift, f.zone, f.carrier, f.channel)
        gcol = getattr(D, group)
        take(
            select(gcol, D.bucket_min, _sum(D.orders))
            .where(*_where(D, sub, dims))
            .group_by(gcol, D.bucket_min)
        )
    if months:
        gcol = getattr(M, group)
        clauses = [M.month.in_(months)] + [
            getattr(M, d) == v for d, v in f.dims.items() if d in dims
        ]
        take(
            select(gcol, M.bucket_min, _sum(M.orders)).where(*clauses).group_by(gcol, M.bucket_min)
        )
    return out


# Display bins of the distribution chart: [from, to) minutes.
CYCLE_BINS: tuple[tuple[int, int, str], ...] = (
    (0, 60, "< 1 h"),
    (60, 120, "1–2 h"),
    (120, 240, "2–4 h"),
    (240, 480, "4–8 h"),
    (480, 720, "8–12 h"),
    (720, 1440, "12–24 h"),
    (1440, 2880, "1–2 d"),
    (2880, 4320, "2–3 d"),
    (4320, 10_000_000, "3 d +"),
)


def _cycle_time(conn: Connection, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    by_level = _cycle_hist(conn, f, "service_level")
    everything: dict[int, int] = {}
    for hist in by_level.values():
        for b, n in hist.items():
            everything[b] = everything.get(b, 0) + n

    def stats(key: dict[str, Any], hist: Mapping[int, int]) -> dict[str, Any]:
        med = m.histogram_percentile(hist, 50)
        p90 = m.histogram_percentile(hist, 90)
        total = sum(hist.values())
        return {
            **key,
            "orders": total,
            "median_min": med,
            "p90_min": p90,
            "median": m.duration_text(med),
            "p90": m.duration_text(p90),
            "median_h": round(med / 60, 2) if med is not None else None,
            "p90_h": round(p90 / 60, 2) if p90 is not None else None,
        }

    levels = [stats({"service_level": k}, v) for k, v in sorted(by_level.items())]
    dist = []
    for lo, hi, label in CYCLE_BINS:
        row: dict[str, Any] = {"bin": label, "from_min": lo, "to_min": hi}
        row["orders"] = sum(n for b, n in everything.items() if lo <= b < hi)
        dist.append(row)
    total = stats({}, everything)
    return {
        "summary": [
            {"label": msg("Median"), "value": total["median"], "kind": "text"},
            {"label": msg("90th percentile"), "value": total["p90"], "kind": "text"},
            {"label": msg("Orders shipped"), "value": total["orders"], "kind": "num"},
        ],
        "note": msg(
            "From the allocation's arrival to its last carton shipping. "
            "Nearest-rank percentiles at 1-minute resolution below 2 h, "
            "5 minutes below a day, 30 minutes below a week."
        ),
        "tables": [
            {
                "id": "by_service_level",
                "title": msg("By service level"),
                "columns": [
                    _col("service_level", msg("Service level")),
                    _col("orders", msg("Orders"), "num"),
                    _col("median", msg("Median")),
                    _col("p90", msg("90th percentile")),
                    _col("median_min", msg("Median (min)"), "num"),
                    _col("p90_min", msg("p90 (min)"), "num"),
                ],
                "rows": levels,
                "drill": ["service_level"],
                "chart": {
                    "type": "bar",
                    "x": "service_level",
                    "unit": msg("hours"),
                    "series": [
                        {"key": "median_h", "label": msg("Median (h)"), "color": "info"},
                        {"key": "p90_h", "label": msg("90th percentile (h)"), "color": "warn"},
                    ],
                },
            },
            {
                "id": "distribution",
                "title": msg("Distribution"),
                "columns": [_col("bin", msg("Cycle time")), _col("orders", msg("Orders"), "num")],
                "rows": dist,
                "drill": ["from_min", "to_min"],
                "chart": {
                    "type": "bar",
                    "x": "bin",
                    "series": [{"key": "orders", "label": msg("Orders"), "color": "info"}],
                },
            },
        ],
    }


def _units(
    conn: Connection,
    f: Filters,
    stage: str,
    kind: str,
    keys: Sequence[str] | None = None,
    dims: Sequence[str] = ("shift", "zone", "channel"),
) -> dict[str, int]:
    """Units of a stage by key (kind "total": key ""), whole months from the monthly rollup."""
    if keys is not None and not keys:
        return {}
    months, head, tail = _date_parts(f)
    out: dict[str, int] = {}

    def take(table: Any, clauses: list[Any]) -> None:
        clauses = [table.kind == kind, table.stage == stage, *clauses]
        if keys is not None:
            clauses.append(table.key.in_(list(keys)))
        for k, n in conn.execute(
            select(table.key, _sum(table.units)).where(*clauses).group_by(table.key)
        ):
            out[k] = out.get(k, 0) + _num(n)

    for part in (head, tail):
        if part is not None:
            sub = Filters(part[0], part[1], f.shift, f.zone, f.carrier, f.channel)
            take(ReportUnitsDaily, _where(ReportUnitsDaily, sub, dims))
    if months:
        M = ReportUnitsMonthly
        take(
            M, [M.month.in_(months)] + [getattr(M, d) == v for d, v in f.dims.items() if d in dims]
        )
    return out


def _accuracy(conn: Connection, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    E = ReportErrorFact
    where = _where(E, f, ("shift", "zone", "channel"))
    picked = _units(conn, f, "pick", "total").get("", 0)
    packed = _units(conn, f, "pack", "total").get("", 0)
    by_stage_errors = {
        s: _num(n)
        for s, n in conn.execute(select(E.stage, func.count()).where(*where).group_by(E.stage))
    }
    stages = [
        ("pick", "Mis-scans caught at pick", picked),
        ("pack", "Mis-packs caught at pack", packed),
        ("weigh", "Caught by weight", packed),
    ]
    stage_rows = [
        {
            "stage": s,
            "what": label,
            "errors": by_stage_errors.get(s, 0),
            "units": units,
            "per_1000": m.per_thousand(by_stage_errors.get(s, 0), units),
        }
        for s, label, units in stages
    ]
    caught: dict[str, int] = {}
    escaped: dict[str, int] = {}
    for stage, actor, picker, n in conn.execute(
        select(E.stage, E.actor, E.picker, func.count())
        .where(*where)
        .group_by(E.stage, E.actor, E.picker)
    ):
        if stage == "pick":
            caught[actor] = caught.get(actor, 0) + _num(n)
        elif picker:
            escaped[picker] = escaped.get(picker, 0) + _num(n)
    by_person = _units(conn, f, "pick", "person")
    pickers = []
    for p in sorted(set(by_person) | set(caught) | set(escaped)):
        if not p:
            continue
        units = by_person.get(p, 0)
        pickers.append(
            {
                "picker": p,
                "units": units,
                "caught_at_pick": caught.get(p, 0),
                "escaped": escaped.get(p, 0),
                "pick_per_1000": m.per_thousand(caught.get(p, 0), units),
                "escaped_per_1000": m.per_thousand(escaped.get(p, 0), units),
            }
        )
    sku_errors: dict[str, dict[str, int]] = {}
    for sku, stage, n in conn.execute(
        select(E.sku, E.stage, func.count()).where(*where, E.sku != "").group_by(E.sku, E.stage)
    ):
        sku_errors.setdefault(sku, {})[stage] = _num(n)
    top = sorted(sku_errors, key=lambda s: (-sum(sku_errors[s].values()), s))[:30]
    sku_units = _units(conn, f, "pick", "sku", top)
    skus = [
        {
            "sku": s,
            "units": sku_units.get(s, 0),
            "pick": sku_errors[s].get("pick", 0),
            "pack": sku_errors[s].get("pack", 0),
            "weigh": sku_errors[s].get("weigh", 0),
            "per_1000": m.per_thousand(sum(sku_errors[s].values()), sku_units.get(s, 0)),
        }
        for s in top
    ]
    causes = [
        {"stage": s, "cause": c, "errors": _num(n)}
        for s, c, n in conn.execute(
            select(E.stage, E.cause, func.count())
            .where(*where)
            .group_by(E.stage, E.cause)
            .order_by(E.stage, func.count().desc())
        )
    ]
    return {
        "summary": [
            {
                "label": msg("Pick mis-scans per 1,000 units"),
                "value": stage_rows[0]["per_1000"],
                "kind": "dec",
            },
            {
                "label": msg("Mis-packs per 1,000 units"),
                "value": stage_rows[1]["per_1000"],
                "kind": "dec",
            },
            {
                "label": msg("Weight failures per 1,000 units"),
                "value": stage_rows[2]["per_1000"],
                "kind": "dec",
            },
            {"label": msg("Units picked"), "value": picked, "kind": "num"},
        ],
        "note": msg(
            "Mis-scans: wrong bin, item, tote or lot, over-picks and "
            "expired units scanned at pick, per 1,000 units picked (the "
            "ledger). Mis-packs and weight failures per 1,000 units "
            "packed. Errors caught at pack or by weight count against "
            "the order's picker as escaped."
        ),
        "tables": [
            {
                "id": "by_stage",
                "title": msg("By stage"),
                "columns": [
                    _col("what", msg("Caught")),
                    _col("errors", msg("Errors"), "num"),
                    _col("units", msg("Units"), "num"),
                    _col("per_1000", msg("Per 1,000 units"), "dec"),
                ],
                "rows": stage_rows,
                "drill": ["stage"],
                "chart": {
                    "type": "bar",
                    "x": "what",
                    "series": [
                        {"key": "per_1000", "label": msg("Per 1,000 units"), "color": "bad"}
                    ],
                },
            },
            {
                "id": "by_picker",
                "title": msg("By picker"),
                "columns": [
                    _col("picker", msg("Picker")),
                    _col("units", msg("Units picked"), "num"),
                    _col("caught_at_pick", msg("Caught at pick"), "num"),
                    _col("pick_per_1000", msg("Per 1,000"), "dec"),
                    _col("escaped", msg("Escaped to pack/weigh"), "num"),
                    _col("escaped_per_1000", msg("Escaped per 1,000"), "dec"),
                ],
                "rows": pickers,
                "drill": ["picker"],
                "chart": {
                    "type": "bar",
                    "x": "picker",
                    "stacked": True,
                    "series": [
                        {
                            "key": "pick_per_1000",
                            "label": msg("Caught at pick"),
                            "color": "warn",
                            "drill": {"stage": "pick"},
                        },
                        {
                            "key": "escaped_per_1000",
                            "label": msg("Escaped"),
                            "color": "bad",
                            "drill": {"stage": "escaped"},
                        },
                    ],
                },
            },
            {
                "id": "by_sku",
                "title": msg("By SKU (most errors first)"),
                "columns": [
                    _col("sku", msg("SKU")),
                    _col("units", msg("Units picked"), "num"),
                    _col("pick", msg("At pick"), "num"),
                    _col("pack", msg("At pack"), "num"),
                    _col("weigh", msg("By weight"), "num"),
                    _col("per_1000", msg("Per 1,000"), "dec"),
                ],
                "rows": skus,
                "drill": ["sku"],
            },
            {
                "id": "by_cause",
                "title": msg("By cause"),
                "columns": [
                    _col("stage", msg("Stage")),
                    _col("cause", msg("Cause")),
                    _col("errors", msg("Errors"), "num"),
                ],
                "rows": causes,
                "drill": ["stage", "cause"],
            },
        ],
    }


def _productivity(conn: Connection, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    P = ReportProductivityDaily
    where = _where(P, f, ("shift", "zone"))
    measures = (
        _sum(P.units),
        _sum(P.scans),
        _sum(P.working_s),
        _sum(P.picks),
        _sum(P.travel_mm),
        _sum(P.walks),
    )
    pickers = []
    for actor, units, _scans, secs, picks, travel_mm, walks in conn.execute(
        select(P.actor, *measures)
        .where(*where, P.station == "pick")
        .group_by(P.actor)
        .order_by(P.actor)
    ):
        pickers.append(
            {
                "picker": actor,
                "units": _num(units),
                "hours": round(_num(secs) / 3600, 2),
                "units_per_hour": m.units_per_hour(_num(units), _num(secs)),
                "picks": _num(picks),
                "walks": _num(walks),
                "travel_m": round(_num(travel_mm) / 1000, 1),
                "travel_per_pick_m": round(_num(travel_mm) / _num(picks) / 1000, 2)
                if _num(picks)
                else None,
            }
        )
    stations = []
    for station, device, units, scans, secs, people in conn.execute(
        select(
            P.station,
            P.device,
            _sum(P.units),
            _sum(P.scans),
            _sum(P.working_s),
            func.count(func.distinct(P.actor)),
        )
        .where(*where)
        .group_by(P.station, P.device)
        .order_by(P.station, P.device)
    ):
        stations.append(
            {
                "station": station,
                "device": device or ("handhelds" if station == "pick" else "(any)"),
                "device_key": device,
                "people": _num(people),
                "units": _num(units),
                "scans": _num(scans),
                "hours": round(_num(secs) / 3600, 2),
                "units_per_hour": m.units_per_hour(_num(units), _num(secs)),
            }
        )
    units, scans, secs, picks, travel_mm, walks = (
        _num(x) for x in conn.execute(select(*measures).where(*where, P.station == "pick")).one()
    )
    return {
        "summary": [
            {
                "label": msg("Pick units per hour"),
                "value": m.units_per_hour(units, secs),
                "kind": "dec",
            },
            {
                "label": msg("Travel per pick (m)"),
                "value": round(travel_mm / picks / 1000, 2) if picks else None,
                "kind": "dec",
            },
            {"label": msg("Units picked"), "value": units, "kind": "num"},
            {"label": msg("Picking hours"), "value": round(secs / 3600, 1), "kind": "dec"},
        ],
        "note": msg(
            "Working time: gaps between one person's scans at one "
            "station, leaving out gaps over %(value)s minutes. Travel: "
            "the walk from the depot through the bins in the order the "
            "picks were completed and back, along aisles and cross "
            "aisles. Carrier and channel do not apply.",
            value=ctx.idle_gap_s // 60,
        ),
        "tables": [
            {
                "id": "pickers",
                "title": msg("Pickers"),
                "columns": [
                    _col("picker", msg("Picker")),
                    _col("units", msg("Units"), "num"),
                    _col("hours", msg("Hours"), "dec"),
                    _col("units_per_hour", msg("Units / hour"), "dec"),
                    _col("picks", msg("Picks"), "num"),
                    _col("travel_m", msg("Travel (m)"), "dec"),
                    _col("travel_per_pick_m", msg("Travel / pick (m)"), "dec"),
                ],
                "rows": pickers,
                "drill": ["picker"],
                "chart": {
                    "type": "bar",
                    "x": "picker",
                    "series": [
                        {"key": "units_per_hour", "label": msg("Units / hour"), "color": "info"}
                    ],
                },
            },
            {
                "id": "stations",
                "title": msg("Stations"),
                "columns": [
                    _col("station", msg("Station")),
                    _col("device", msg("Device")),
                    _col("people", msg("People"), "num"),
                    _col("units", msg("Units"), "num"),
                    _col("hours", msg("Hours"), "dec"),
                    _col("units_per_hour", msg("Units / hour"), "dec"),
                ],
                "rows": stations,
                "drill": ["station", "device_key"],
                "chart": {
                    "type": "bar",
                    "x": "device",
                    "series": [
                        {"key": "units_per_hour", "label": msg("Units / hour"), "color": "info"}
                    ],
                },
            },
        ],
    }


def _money(minor: int | None) -> float | None:
    return round(minor / 100, 2) if minor is not None else None


def _packaging_report(conn: Connection, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    P = ReportPackagingDaily
    where = _where(P, f, ("shift", "zone", "carrier", "channel"))
    measures = (
        _sum(P.cartons),
        _sum(P.contents_mm3),
        _sum(P.inner_mm3),
        _sum(P.compared),
        _sum(P.billable_g),
        _sum(P.largest_billable_g),
        _sum(P.avoided_minor),
    )

    def row(key: dict[str, Any], r: Sequence[Any]) -> dict[str, Any]:
        cartons, contents, inner, compared, billable, largest, avoided = (_num(x) for x in r)
        return {
            **key,
            "cartons": cartons,
            "utilisation_pct": m.pct(contents, inner),
            "compared": compared,
            "billable_kg": round(billable / 1000, 1),
            "largest_billable_kg": round(largest / 1000, 1),
            "avoided": _money(avoided),
            "avoided_per_carton": _money(round(avoided / compared)) if compared else None,
        }

    by_type = [
        row({"carton_type": k}, r)
        for k, *r in conn.execute(
            select(P.carton_type, *measures)
            .where(*where)
            .group_by(P.carton_type)
            .order_by(P.carton_type)
        )
    ]
    by_carrier = [
        row({"carrier": k or "(none)"}, r)
        for k, *r in conn.execute(
            select(P.carrier, *measures).where(*where).group_by(P.carrier).order_by(P.carrier)
        )
    ]
    total = row({}, conn.execute(select(*measures).where(*where)).one())
    cols = [
        _col("cartons", msg("Cartons"), "num"),
        _col("utilisation_pct", msg("Utilisation %"), "pct"),
        _col("billable_kg", msg("Billable kg"), "dec"),
        _col("largest_billable_kg", msg("Billable kg in largest carton"), "dec"),
        _col("avoided", msg("Charge avoided"), "money"),
        _col("avoided_per_carton", msg("Avoided per carton"), "money"),
    ]
    return {
        "summary": [
            {"label": msg("Carton utilisation"), "value": total["utilisation_pct"], "kind": "pct"},
            {"label": msg("Dim-weight charge avoided"), "value": total["avoided"], "kind": "money"},
            {"label": msg("Cartons shipped"), "value": total["cartons"], "kind": "num"},
        ],
        "note": msg(
            "Utilisation: the units' volume over the carton's inner "
            "volume. Charge avoided: the same carrier and service priced "
            "(dimensional weight included) in the largest catalog carton "
            "the contents fit, minus the price in the carton used."
        ),
        "tables": [
            {
                "id": "by_carton_type",
                "title": msg("By carton type"),
                "columns": [_col("carton_type", msg("Carton")), *cols],
                "rows": by_type,
                "drill": ["carton_type"],
                "chart": {
                    "type": "bar",
                    "x": "carton_type",
                    "series": [
                        {"key": "utilisation_pct", "label": msg("Utilisation %"), "color": "info"}
                    ],
                },
            },
            {
                "id": "by_carrier",
                "title": msg("By carrier"),
                "columns": [_col("carrier", msg("Carrier")), *cols],
                "rows": by_carrier,
                "drill": ["carrier"],
                "chart": {
                    "type": "bar",
                    "x": "carrier",
                    "series": [{"key": "avoided", "label": msg("Charge avoided"), "color": "ok"}],
                },
            },
        ],
    }


GRADES = ("resellable", "damaged", "dispose", "")


def _returns_report(conn: Connection, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    R = ReportReturnFact
    where = _where(R, f, ("shift", "carrier", "channel"))
    ship_dims = ("shift", "carrier", "channel")
    by: dict[tuple[str, str, str], int] = {}
    for sku, reason, grade, n in conn.execute(
        select(R.sku, R.reason, R.grade, func.count())
        .where(*where)
        .group_by(R.sku, R.reason, R.grade)
    ):
        by[(sku, reason, grade)] = _num(n)
    returned = sum(by.values())
    shipped_total = _units(conn, f, "ship", "total", dims=ship_dims).get("", 0)

    def grades(rows: Iterable[tuple[str, int]]) -> dict[str, int]:
        out = {g or "ungraded": 0 for g in GRADES}
        for g, n in rows:
            out[g or "ungraded"] = out.get(g or "ungraded", 0) + n
        return out

    skus = sorted(
        {k[0] for k in by}, key=lambda s: (-sum(n for k, n in by.items() if k[0] == s), s)
    )[:30]
    shipped = _units(conn, f, "ship", "sku", skus, dims=ship_dims)
    sku_rows = []
    for s in skus:
        n = sum(v for k, v in by.items() if k[0] == s)
        sku_rows.append(
            {
                "sku": s or "(not ours)",
                "sku_key": s,
                "returned": n,
                "shipped": shipped.get(s, 0),
                "rate_pct": m.returns_rate_pct(n, shipped.get(s, 0)),
                **grades((k[2], v) for k, v in by.items() if k[0] == s),
            }
        )
    reasons = sorted(
        {k[1] for k in by}, key=lambda r: (-sum(n for k, n in by.items() if k[1] == r), r)
    )
    reason_rows = [
        {
            "reason": r or "(no reason given)",
            "reason_key": r,
            "returned": sum(v for k, v in by.items() if k[1] == r),
            **grades((k[2], v) for k, v in by.items() if k[1] == r),
        }
        for r in reasons
    ]
    all_grades = grades((k[2], v) for k, v in by.items())
    grade_cols = [
        _col("resellable", msg("Resellable"), "num"),
        _col("damaged", msg("Damaged"), "num"),
        _col("dispose", msg("Dispose"), "num"),
        _col("ungraded", msg("Not graded yet"), "num"),
    ]
    grade_series = [
        {
            "key": "resellable",
            "label": msg("Resellable"),
            "color": "ok",
            "drill": {"grade": "resellable"},
        },
        {"key": "damaged", "label": msg("Damaged"), "color": "warn", "drill": {"grade": "damaged"}},
        {"key": "dispose", "label": msg("Dispose"), "color": "bad", "drill": {"grade": "dispose"}},
        {"key": "ungraded", "label": msg("Not graded"), "color": "muted", "drill": {"grade": ""}},
    ]
    return {
        "summary": [
            {
                "label": msg("Returns rate"),
                "value": m.returns_rate_pct(returned, shipped_total),
                "kind": "pct",
            },
            {"label": msg("Units returned"), "value": returned, "kind": "num"},
            {"label": msg("Units shipped"), "value": shipped_total, "kind": "num"},
            {"label": msg("Resellable"), "value": all_grades.get("resellable", 0), "kind": "num"},
        ],
        "note": msg(
            "Rate: units received back per 100 units shipped in the same "
            "days. Reason: the customer's, from the return "
            "authorization; grade: the returns bench's. Zone does not "
            "apply."
        ),
        "tables": [
            {
                "id": "by_reason",
                "title": msg("By reason"),
                "columns": [
                    _col("reason", msg("Reason")),
                    _col("returned", msg("Units"), "num"),
                    *grade_cols,
                ],
                "rows": reason_rows,
                "drill": ["reason_key"],
                "chart": {"type": "bar", "x": "reason", "stacked": True, "series": grade_series},
            },
            {
                "id": "by_sku",
                "title": msg("By SKU (most returned first)"),
                "columns": [
                    _col("sku", msg("SKU")),
                    _col("returned", msg("Returned"), "num"),
                    _col("shipped", msg("Shipped"), "num"),
                    _col("rate_pct", msg("Rate %"), "pct"),
                    *grade_cols,
                ],
                "rows": sku_rows,
                "drill": ["sku_key"],
                "chart": {"type": "bar", "x": "sku", "stacked": True, "series": grade_series},
            },
        ],
    }


KIND_TITLES = {
    "short": "Short picks",
    "backorder": "Backorders at intake",
    "hold": "Holds",
    "cancel": "Cancels",
    "reject": "Rejections",
}


def _exceptions_report(conn: Connection, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    X = ReportExceptionFact
    where = _where(X, f, ("shift", "zone", "channel"))
    causes = [
        {
            "kind": kind,
            "what": KIND_TITLES.get(kind, kind),
            "cause": cause,
            "events": _num(n),
            "units": _num(units),
            "orders": _num(orders),
        }
        for kind, cause, n, units, orders in conn.execute(
            select(
                X.kind,
                X.cause,
                func.count(),
                _sum(X.units),
                func.count(func.distinct(X.allocation_pk)),
            )
            .where(*where)
            .group_by(X.kind, X.cause)
            .order_by(X.kind, func.count().desc())
        )
    ]
    kinds = []
    for kind, title in KIND_TITLES.items():
        mine = [c for c in causes if c["kind"] == kind]
        kinds.append(
            {
                "kind": kind,
                "what": title,
                "events": sum(c["events"] for c in mine),
                "units": sum(c["units"] for c in mine),
            }
        )
    return {
        "summary": [
            {"label": k["what"], "value": k["events"], "kind": "num"}
            for k in kinds
            if k["kind"] in ("short", "hold", "cancel")
        ],
        "note": msg(
            "Short picks: bins with fewer units than expected, by the "
            "picker's reason. Holds: at intake (credit) and OMS holds "
            "seen by the reports (a hold released within the refresh "
            "interval leaves no trace). Carrier does not apply."
        ),
        "tables": [
            {
                "id": "by_kind",
                "title": msg("By kind"),
                "columns": [
                    _col("what", msg("Exception")),
                    _col("events", msg("Events"), "num"),
                    _col("units", msg("Units"), "num"),
                ],
                "rows": kinds,
                "drill": ["kind"],
                "chart": {
                    "type": "bar",
                    "x": "what",
                    "series": [{"key": "events", "label": msg("Events"), "color": "warn"}],
                },
            },
            {
                "id": "by_cause",
                "title": msg("By cause"),
                "columns": [
                    _col("what", msg("Exception")),
                    _col("cause", msg("Cause")),
                    _col("events", msg("Events"), "num"),
                    _col("units", msg("Units"), "num"),
                    _col("orders", msg("Orders"), "num"),
                ],
                "rows": causes,
                "drill": ["kind", "cause"],
            },
        ],
    }


REPORTS: dict[str, ReportSpec] = {
    s.name: s
    for s in (
        ReportSpec(
            "on_time",
            "On-time shipping",
            frozenset({"shift", "zone", "carrier", "channel"}),
            _on_time,
        ),
        ReportSpec(
            "cycle_time",
            "Order cycle time",
            frozenset({"shift", "zone", "carrier", "channel"}),
            _cycle_time,
        ),
        ReportSpec("accuracy", "Accuracy", frozenset({"shift", "zone", "channel"}), _accuracy),
        ReportSpec("productivity", "Productivity", frozenset({"shift", "zone"}), _productivity),
        ReportSpec(
            "packaging",
            "Packaging",
            frozenset({"shift", "zone", "carrier", "channel"}),
            _packaging_report,
        ),
        ReportSpec(
            "returns", "Returns", frozenset({"shift", "carrier", "channel"}), _returns_report
        ),
        ReportSpec(
            "exceptions", "Exceptions", frozenset({"shift", "zone", "channel"}), _exceptions_report
        ),
    )
}


def _spec(name: str) -> ReportSpec:
    spec = REPORTS.get(name)
    if spec is None:
        raise NotFound(f"no report {name!r}: choose one of {', '.join(REPORTS)}", "report")
    return spec


def report(name: str, f: Filters, ctx: ReportsContext) -> dict[str, Any]:
    """One report over the rollups, as tables (each optionally charted) and summary tiles."""
    spec = _spec(name)
    started = _time.perf_counter()
    with ctx.reader.connect() as conn:
        body = spec.build(conn, f, ctx)
        built = conn.execute(
            select(func.max(ReportDay.built_at)).where(
                ReportDay.day >= f.start, ReportDay.day <= f.end
            )
        ).scalar()
    if built is None:
        body["note"] = (
            "Not built yet for these days: the reports are being built in the background "
            "(a year of history takes minutes). " + body.get("note", "")
        )
    return {
        "name": spec.name,
        "title": spec.title,
        "filters": f.to_json(),
        "ignored": sorted(d for d in f.dims if d not in spec.dims),
        "built_at": _iso(_aware(built)) if built else None,
        "seconds": round(_time.perf_counter() - started, 4),
        **body,
    }


# -------------------------------------------------------------------------- drill-through


def _point(point: Any, allowed: Iterable[str]) -> dict[str, Any]:
    if point is None:
        return {}
    if not isinstance(point, Mapping):
        raise ServiceError("the point must be an object", "point")
    out: dict[str, Any] = {}
    for k in allowed:
        if k in point and point[k] is not None:
            v = point[k]
            if not isinstance(v, str | int) or isinstance(v, bool):
                raise ServiceError(f"{k} must be text or a number", k)
            out[k] = v
    return out


def _window(f: Filters, ctx: ReportsContext) -> tuple[datetime, datetime]:
    return ctx.calendar.day_window(f.start)[0], ctx.calendar.day_window(f.end)[1]


ORDER_COLUMNS = [
    _col("order_number", msg("Order")),
    _col("allocation_id", msg("Allocation")),
    _col("carrier", msg("Carrier")),
    _col("service_level", msg("Service level")),
    _col("channel", msg("Channel")),
    _col("received_at", msg("Received"), "time"),
    _col("ship_by", msg("Ship by"), "time"),
    _col("deadline_at", msg("Last pickup"), "time"),
    _col("shipped_at", msg("Shipped"), "time"),
    _col("verdict", msg("Verdict")),
    _col("cycle", msg("Cycle time")),
]


def _order_rows(
    conn: Connection, clauses: list[Any], limit: int
) -> tuple[list[dict[str, Any]], int]:
    OF = ReportOrderFact
    total = _num(conn.execute(select(func.count()).select_from(OF).where(*clauses)).scalar())
    rows = [
        {
            "allocation_pk": r.allocation_pk,
            "allocation_id": r.allocation_id,
            "order_number": r.order_number,
            "carrier": r.carrier,
            "service_level": r.service_level,
            "channel": r.channel,
            "received_at": _iso(_aware(r.received_at)),
            "ship_by": _iso(_aware(r.ship_by)) if r.ship_by else None,
            "deadline_at": _iso(_aware(r.deadline_at)) if r.deadline_at else None,
            "shipped_at": _iso(_aware(r.shipped_at)),
            "verdict": r.verdict,
            "cycle": m.duration_text(r.cycle_min),
            "cycle_min": r.cycle_min,
        }
        for r in conn.execute(
            select(OF).where(*clauses).order_by(OF.shipped_at.desc(), OF.allocation_pk).limit(limit)
        )
    ]
    return rows, total


def drill(
    name: str, point: Any, f: Filters, ctx: ReportsContext, limit: int = DRILL_LIMIT
) -> dict[str, Any]:
    """The orders (and for accuracy, the scans) behind one figure of a report."""
    spec = _spec(name)
    limit = max(1, min(limit, 100_000))
    with ctx.reader.connect() as conn:
        body = _DRILLS[spec.name](conn, point, f, ctx, limit)
    return {"report": spec.name, "filters": f.to_json(), "point": point or {}, **body}


def _drill_orders(
    conn: Connection, point: Any, f: Filters, ctx: ReportsContext, limit: int
) -> dict[str, Any]:
    OF = ReportOrderFact
    p = _point(
        point, ("day", "carrier", "verdict", "service_level", "channel", "from_min", "to_min")
    )
    clauses = _where(OF, f, ("shift", "zone", "carrier", "channel"))
    if "day" in p:
        d = _date(p["day"], "day")
        clauses += [OF.day == d]
    if "carrier" in p:
        clauses.append(OF.carrier == ("" if p["carrier"] == "(none)" else str(p["carrier"])))
    for k in ("verdict", "service_level", "channel"):
        if k in p:
            clauses.append(getattr(OF, k) == str(p[k]))
    if "from_min" in p:
        clauses.append(OF.cycle_bucket >= int(p["from_min"]))
    if "to_min" in p:
        clauses.append(OF.cycle_bucket < int(p["to_min"]))
    rows, total = _order_rows(conn, clauses, limit)
    return {"title": msg("Orders"), "columns": ORDER_COLUMNS, "rows": rows, "total": total}


def _drill_accuracy(
    conn: Connection, point: Any, f: Filters, ctx: ReportsContext, limit: int
) -> dict[str, Any]:
    E = ReportErrorFact
    p = _point(point, ("stage", "picker", "actor", "sku", "cause"))
    clauses = _where(E, f, ("shift", "zone", "channel"))
    stage = p.get("stage")
    if stage == "escaped":
        clauses.append(E.stage.in_(["pack", "weigh"]))
        if "picker" in p:
            clauses.append(E.picker == str(p["picker"]))
    else:
        if stage:
            clauses.append(E.stage == str(stage))
        if "picker" in p:
            # A picker's own figure: what they scanned wrong, and what escaped them.
            who = str(p["picker"])
            clauses.append(
                or_(E.actor == who, E.picker == who)
                if not stage
                else (E.actor == who if stage == "pick" else E.picker == who)
            )
    for k in ("actor", "sku", "cause"):
        if k in p:
            clauses.append(getattr(E, k) == str(p[k]))
    total = _num(conn.execute(select(func.count()).select_from(E).where(*clauses)).scalar())
    found = conn.execute(
        select(
            E,
            ScanLog.raw,
            ScanLog.detail,
            ScanLog.station,
            ScanLog.device,
            Allocation.allocation_id,
            Allocation.order_number,
        )
        .join(ScanLog, ScanLog.id == E.scan_id)
        .outerjoin(Allocation, Allocation.id == E.allocation_pk)
        .where(*clauses)
        .order_by(E.at.desc(), E.scan_id.desc())
        .limit(limit)
    ).all()
    rows = [
        {
            "scan_id": r.scan_id,
            "at": _iso(_aware(r.at)),
            "stage": r.stage,
            "cause": r.cause,
            "actor": r.actor,
            "picker": r.picker,
            "sku": r.sku,
            "raw": r.raw,
            "detail": r.detail,
            "device": r.device,
            "allocation_pk": r.allocation_pk,
            "allocation_id": r.allocation_id,
            "order_number": r.order_number,
        }
        for r in found
    ]
    return {
        "title": msg("Scans that caught an error"),
        "columns": [
            _col("at", msg("When"), "time"),
            _col("order_number", msg("Order")),
            _col("stage", msg("Stage")),
            _col("cause", msg("Result")),
            _col("actor", msg("Scanned by")),
            _col("picker", msg("Picked by")),
            _col("sku", msg("SKU")),
            _col("raw", msg("Scanned")),
            _col("detail", msg("Message")),
        ],
        "rows": rows,
        "total": total,
    }


def _drill_productivity(
    conn: Connection, point: Any, f: Filters, ctx: ReportsContext, limit: int
) -> dict[str, Any]:
    p = _point(point, ("picker", "station", "device_key"))
    start, end = _window(f, ctx)
    clauses: list[Any] = [ScanLog.at >= start, ScanLog.at < end]
    if "picker" in p:
        clauses += [ScanLog.actor == str(p["picker"]), ScanLog.station == "pick"]
    if "station" in p:
        clauses.append(ScanLog.station == str(p["station"]))
    if p.get("device_key"):
        clauses.append(ScanLog.device == str(p["device_key"]))
    rows = []
    for r in conn.execute(
        select(
            ScanLog.id,
            ScanLog.at,
            ScanLog.station,
            ScanLog.device,
            ScanLog.actor,
            ScanLog.raw,
            ScanLog.result,
            ScanLog.allocation_pk,
            Allocation.allocation_id,
            Allocation.order_number,
        )
        .outerjoin(Allocation, Allocation.id == ScanLog.allocation_pk)
        .where(*clauses)
        .order_by(ScanLog.at.desc(), ScanLog.id.desc())
        .limit(limit * 4 if f.shift else limit)
    ):
        at = _aware(r.at)
        if f.shift and ctx.calendar.locate(at)[1] != f.shift:
            continue
        rows.append(
            {
                "scan_id": r.id,
                "at": _iso(at),
                "station": r.station,
                "device": r.device,
                "actor": r.actor,
                "raw": r.raw,
                "result": r.result,
                "allocation_pk": r.allocation_pk,
                "allocation_id": r.allocation_id,
                "order_number": r.order_number,
            }
        )
        if len(rows) >= limit:
            break
    return {
        "title": msg("Scans (latest first)"),
        "columns": [
            _col("at", msg("When"), "time"),
            _col("order_number", msg("Order")),
            _col("station", msg("Station")),
            _col("device", msg("Device")),
            _col("actor", msg("Who")),
            _col("raw", msg("Scanned")),
            _col("result", msg("Result")),
        ],
        "rows": rows,
        "total": None,
    }


def _drill_packaging(
    conn: Connection, point: Any, f: Filters, ctx: ReportsContext, limit: int
) -> dict[str, Any]:
    C = ReportCartonFact
    p = _point(point, ("carton_type", "carrier"))
    clauses = _where(C, f, ("shift", "zone", "carrier", "channel"))
    if "carton_type" in p:
        clauses.append(C.carton_type == str(p["carton_type"]))
    if "carrier" in p:
        clauses.append(C.carrier == ("" if p["carrier"] == "(none)" else str(p["carrier"])))
    total = _num(conn.execute(select(func.count()).select_from(C).where(*clauses)).scalar())
    rows = [
        {
            "carton": r.code,
            "allocation_pk": r.allocation_pk,
            "order_number": r.order_number,
            "carton_type": r.carton_type,
            "carrier": r.carrier,
            "service": r.service,
            "units": r.units,
            "weight_g": r.weight_g,
            "utilisation_pct": m.pct(r.contents_mm3, r.inner_mm3),
            "billable_g": r.billable_g,
            "largest_type": r.largest_type,
            "largest_billable_g": r.largest_billable_g,
            "avoided": _money(r.avoided_minor),
        }
        for r in conn.execute(
            select(C).where(*clauses).order_by(C.day.desc(), C.carton_pk.desc()).limit(limit)
        )
    ]
    return {
        "title": msg("Cartons"),
        "columns": [
            _col("carton", msg("Carton")),
            _col("order_number", msg("Order")),
            _col("carton_type", msg("Type")),
            _col("carrier", msg("Carrier")),
            _col("units", msg("Units"), "num"),
            _col("weight_g", msg("Weight (g)"), "num"),
            _col("utilisation_pct", msg("Utilisation %"), "pct"),
            _col("billable_g", msg("Billable (g)"), "num"),
            _col("largest_type", msg("Largest fitting")),
            _col("largest_billable_g", msg("Billable there (g)"), "num"),
            _col("avoided", msg("Avoided"), "money"),
        ],
        "rows": rows,
        "total": total,
    }


def _drill_returns(
    conn: Connection, point: Any, f: Filters, ctx: ReportsContext, limit: int
) -> dict[str, Any]:
    R = ReportReturnFact
    p = _point(point, ("sku_key", "reason_key", "grade"))
    clauses = _where(R, f, ("shift", "carrier", "channel"))
    if "sku_key" in p:
        clauses.append(R.sku == str(p["sku_key"]))
    if "reason_key" in p:
        clauses.append(R.reason == str(p["reason_key"]))
    if "grade" in p:
        clauses.append(R.grade == str(p["grade"]))
    total = _num(conn.execute(select(func.count()).select_from(R).where(*clauses)).scalar())
    rows = [
        {
            "unit": r.unit_pk,
            "received_at": _iso(_aware(r.received_at)),
            "allocation_pk": r.allocation_pk,
            "order_number": r.order_number,
            "sku": r.sku,
            "reason": r.reason,
            "grade": r.grade or "not graded",
            "grade_reason": r.grade_reason,
            "carrier": r.carrier,
            "channel": r.channel,
        }
        for r in conn.execute(
            select(R).where(*clauses).order_by(R.received_at.desc(), R.unit_pk.desc()).limit(limit)
        )
    ]
    return {
        "title": msg("Returned units"),
        "columns": [
            _col("received_at", msg("Received"), "time"),
            _col("order_number", msg("Order")),
            _col("sku", msg("SKU")),
            _col("reason", msg("Customer's reason")),
            _col("grade", msg("Grade")),
            _col("grade_reason", msg("Grader's reason")),
            _col("carrier", msg("Carrier")),
        ],
        "rows": rows,
        "total": total,
    }


def _drill_exceptions(
    conn: Connection, point: Any, f: Filters, ctx: ReportsContext, limit: int
) -> dict[str, Any]:
    X = ReportExceptionFact
    p = _point(point, ("kind", "cause"))
    clauses = _where(X, f, ("shift", "zone", "channel"))
    for k in ("kind", "cause"):
        if k in p:
            clauses.append(getattr(X, k) == str(p[k]))
    total = _num(conn.execute(select(func.count()).select_from(X).where(*clauses)).scalar())
    rows = [
        {
            "at": _iso(_aware(r.at)),
            "kind": r.kind,
            "cause": r.cause,
            "units": r.units,
            "sku": r.sku,
            "actor": r.actor,
            "allocation_pk": r.allocation_pk,
            "allocation_id": r.allocation_id,
            "order_number": r.order_number,
        }
        for r in conn.execute(
            select(X).where(*clauses).order_by(X.at.desc(), X.id.desc()).limit(limit)
        )
    ]
    return {
        "title": msg("Exceptions"),
        "columns": [
            _col("at", msg("When"), "time"),
            _col("order_number", msg("Order")),
            _col("kind", msg("Kind")),
            _col("cause", msg("Cause")),
            _col("units", msg("Units"), "num"),
            _col("sku", msg("SKU")),
            _col("actor", msg("Who")),
        ],
        "rows": rows,
        "total": total,
    }


_DRILLS: dict[str, Callable[[Connection, Any, Filters, ReportsContext, int], dict[str, Any]]] = {
    "on_time": _drill_orders,
    "cycle_time": _drill_orders,
    "accuracy": _drill_accuracy,
    "productivity": _drill_productivity,
    "packaging": _drill_packaging,
    "returns": _drill_returns,
    "exceptions": _drill_exceptions,
}


def find_order(code: str, ctx: ReportsContext) -> int:
    """An order by its allocation id or order number (what a scanner reads off a slip)."""
    with ctx.reader.connect() as conn:
        pk = conn.execute(
            select(Allocation.id)
            .where(or_(Allocation.allocation_id == code, Allocation.order_number == code))
            .order_by(Allocation.id.desc())
            .limit(1)
        ).scalar()
    if pk is None:
        raise NotFound(f"No order {code}. Scan an order number or allocation id.", "code")
    return int(pk)


def order_detail(allocation_pk: int, ctx: ReportsContext) -> dict[str, Any]:
    """One order as the floor saw it: lines, cartons and every scan, in time order."""
    with ctx.reader.connect() as conn:
        a = conn.execute(select(Allocation).where(Allocation.id == allocation_pk)).first()
        if a is None:
            raise NotFound(f"no order {allocation_pk}", "allocation_pk")
        lines = [
            {
                "line_id": r.line_id,
                "sku": r.sku,
                "qty": r.qty,
                "picked": r.picked,
                "short": r.short,
                "packed": r.packed,
                "shipped": r.shipped,
                "cancelled": r.cancelled,
            }
            for r in conn.execute(
                select(AllocationLine)
                .where(AllocationLine.allocation_pk == allocation_pk)
                .order_by(AllocationLine.id)
            )
        ]
        cartons = [
            {
                "carton": r.code,
                "carton_type": r.carton_type,
                "status": r.status,
                "expected_weight_g": r.expected_weight_g,
                "weight_g": r.weight_g,
                "carrier": r.carrier,
                "service": r.service,
                "tracking_number": r.tracking_number,
                "packed_by": r.packed_by,
                "packed_at": _iso(_aware(r.packed_at)),
                "shipped_at": _iso(_aware(r.shipped_at)) if r.shipped_at else None,
            }
            for r in conn.execute(
                select(Carton).where(Carton.allocation_pk == allocation_pk).order_by(Carton.id)
            )
        ]
        scans = [
            {
                "scan_id": r.id,
                "at": _iso(_aware(r.at)),
                "station": r.station,
                "device": r.device,
                "actor": r.actor,
                "raw": r.raw,
                "result": r.result,
                "detail": r.detail,
            }
            for r in conn.execute(
                select(ScanLog)
                .where(ScanLog.allocation_pk == allocation_pk)
                .order_by(ScanLog.at, ScanLog.id)
            )
        ]
        fact = conn.execute(
            select(ReportOrderFact).where(ReportOrderFact.allocation_pk == allocation_pk)
        ).first()
    return {
        "allocation_pk": a.id,
        "allocation_id": a.allocation_id,
        "order_number": a.order_number,
        "status": a.status,
        "channel": a.channel,
        "service_level": a.service_level,
        "received_at": _iso(_aware(a.received_at)),
        "ship_by": _iso(_aware(a.ship_by)) if a.ship_by else None,
        "verdict": fact.verdict if fact else None,
        "deadline_at": _iso(_aware(fact.deadline_at)) if fact and fact.deadline_at else None,
        "cycle": m.duration_text(fact.cycle_min) if fact else None,
        "lines": lines,
        "cartons": cartons,
        "scans": scans,
        "scan_columns": [
            _col("at", msg("When"), "time"),
            _col("station", msg("Station")),
            _col("device", msg("Device")),
            _col("actor", msg("Who")),
            _col("raw", msg("Scanned")),
            _col("result", msg("Result")),
            _col("detail", msg("Message")),
        ],
    }


# ------------------------------------------------------------------------------ options


def options(ctx: ReportsContext, today: date) -> dict[str, Any]:
    """What the filters can choose from."""
    with ctx.reader.connect() as conn:
        zones = sorted(
            z
            for (z,) in conn.execute(
                select(Location.zone).where(Location.kind == "pick").distinct()
            )
            if z
        )
        carriers = sorted(
            {c.code for c in ctx.carriers}
            | {c for (c,) in conn.execute(select(ReportOrdersDaily.carrier).distinct()) if c}
        )
        channels = sorted(
            {c for (c,) in conn.execute(select(ReportOrdersDaily.channel).distinct()) if c}
            | {c for (c,) in conn.execute(select(ReportUnitsDaily.channel).distinct()) if c}
        )
        first, last = conn.execute(select(func.min(ReportDay.day), func.max(ReportDay.day))).one()
    return {
        "shifts": [
            {"name": s.name, "start": s.start.strftime("%H:%M")} for s in ctx.calendar.shifts
        ],
        "zones": zones,
        "carriers": carriers,
        "channels": channels,
        "first_day": first.isoformat() if first else None,
        "last_day": last.isoformat() if last else None,
        "today": today.isoformat(),
        "reports": [
            {"name": s.name, "title": s.title, "filters": sorted(s.dims)} for s in REPORTS.values()
        ],
    }


def today(ctx: ReportsContext, clock: Clock) -> date:
    return ctx.calendar.locate(clock())[0]


# -------------------------------------------------------------------------------- export


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return value


def table_csv(columns: Sequence[Col], rows: Sequence[Mapping[str, Any]]) -> bytes:
    """A table as CSV (UTF-8 with a byte-order mark, so spreadsheets read it as UTF-8)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c["label"] for c in columns])
    for r in rows:
        w.writerow([_cell(r.get(c["key"])) for c in columns])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _slug(f: Filters) -> str:
    parts = [f.start.isoformat(), f.end.isoformat()] + [f"{k}-{v}" for k, v in f.dims.items()]
    return "_".join("".join(ch if ch.isalnum() or ch in "-" else "-" for ch in p) for p in parts)


def export_table(name: str, table_id: str, f: Filters, ctx: ReportsContext) -> tuple[str, bytes]:
    body = report(name, f, ctx)
    for t in body["tables"]:
        if t["id"] == table_id:
            return f"{name}-{table_id}_{_slug(f)}.csv", table_csv(t["columns"], t["rows"])
    raise NotFound(f"report {name} has no table {table_id!r}", "table")


def export_drill(name: str, point: Any, f: Filters, ctx: ReportsContext) -> tuple[str, bytes]:
    body = drill(name, point, f, ctx, limit=100_000)
    return f"{name}-orders_{_slug(f)}.csv", table_csv(body["columns"], body["rows"])


# -------------------------------------------------------------------------- daily summary


def daily_summary(day: date, ctx: ReportsContext, site: str, now: datetime) -> dict[str, Any]:
    """The figures of the one-page shift-end summary (labels/daily_summary.py renders it)."""
    f = Filters(day, day)
    on_time = report("on_time", f, ctx)
    cycle = report("cycle_time", f, ctx)
    acc = report("accuracy", f, ctx)
    prod = report("productivity", f, ctx)
    pack = report("packaging", f, ctx)
    ret = report("returns", f, ctx)
    exc = report("exceptions", f, ctx)

    def tile(r: dict[str, Any], i: int) -> tuple[str, Any, str]:
        s = r["summary"][i]
        return s["label"], s["value"], s["kind"]

    def table(r: dict[str, Any], tid: str, keys: Sequence[str]) -> dict[str, Any]:
        t = next(x for x in r["tables"] if x["id"] == tid)
        cols = [c for c in t["columns"] if c["key"] in keys]
        cols.sort(key=lambda c: list(keys).index(c["key"]))
        return {"title": t["title"], "columns": cols, "rows": t["rows"]}

    return {
        "site": site,
        "day": day,
        "generated_at": now,
        "timezone": str(ctx.calendar.tz),
        "tiles": [
            tile(on_time, 0),
            tile(on_time, 1),
            tile(cycle, 0),
            tile(cycle, 1),
            tile(acc, 0),
            tile(acc, 1),
            tile(prod, 0),
            tile(prod, 1),
            tile(pack, 0),
            tile(pack, 1),
            tile(ret, 0),
            ("Short picks", exc["summary"][0]["value"], "num"),
        ],
        "sections": [
            (
                "On time by carrier",
                table(
                    on_time,
                    "by_carrier",
                    ("carrier", "orders", "on_time", "missed_pickup", "late", "on_time_pct"),
                ),
            ),
            (
                "Cycle time by service level",
                table(cycle, "by_service_level", ("service_level", "orders", "median", "p90")),
            ),
            ("Accuracy", table(acc, "by_stage", ("what", "errors", "units", "per_1000"))),
            ("Exceptions", table(exc, "by_kind", ("what", "events", "units"))),
            (
                "Packaging",
                table(
                    pack, "by_carton_type", ("carton_type", "cartons", "utilisation_pct", "avoided")
                ),
            ),
            (
                "Pickers",
                table(
                    prod,
                    "pickers",
                    ("picker", "units", "hours", "units_per_hour", "travel_per_pick_m"),
                ),
            ),
        ],
    }


# --------------------------------------------------------------------------------- access

READER_ROLES = frozenset({"supervisor", "admin"})


def may_read_reports(badge: str, uow: SessionFactory) -> bool:
    """Downloads carry a signed badge; the person must still be an active supervisor."""
    from app.adapters.db.models import User

    with uow() as tx:
        user = tx.session.scalars(
            select(User).where(User.badge == badge, User.active.is_(True))
        ).first()
        return user is not None and user.role in READER_ROLES
