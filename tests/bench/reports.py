"""Reports benchmark: a year of a busy site generated straight into the database, the
rollups built by the real refresh, then every report timed over a year, a month and a day,
with and without filters; drill-through, CSV and the daily PDF too.

    python tests/bench/reports.py [--scans 20000000] [--days 365] [--postgres [URL]]

The history: orders of one to three lines arrive through the day; each line is picked
(location, item per unit, tote, with about 1 % wrong-item and 0.5 % wrong-location scans),
packed unit by unit (0.3 % mis-packs), weighed (0.5 % weight failures) and shipped by DXP or
PPL; 3 % come back as returns, 0.3 % of lines are short-picked, 0.3 % of orders are
cancelled. Rows go in with executemany (SQLite, synchronous off during the load) or COPY
(PostgreSQL). The outbox holds only the exception events the reports read (cancels): the
reports reach the outbox through an index on (type, created_at), so its other rows would
not change their cost.

Figures: load rate, rollup build time (per day), each report's median of three runs, the
incremental refresh of one busy day, and a baseline: the year's on-time count computed
straight from the order tables in the same run. The last line is one JSON object with `rows`
and `slowest_report_s`.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import psycopg
from sqlalchemy import func, select, text

from app.adapters.config_files import load_cartons
from app.adapters.db.engine import make_engine
from app.adapters.db.models import Barcode, Sku, Stock
from app.adapters.db.models_reports import ReportOrderFact
from app.adapters.db.uow import SessionFactory
from app.domain.cartons import Unit, choose_carton
from app.domain.events import event_body
from app.services import reports
from labels.daily_summary import DailySummary, render_daily_summary
from tests.support.warehouse import POSTGRES_URL, prepare_database

CONFIG = Path(__file__).resolve().parents[2] / "config"
PICKERS = [f"U{10 + i:04d}" for i in range(20)]
PACKERS = [f"U{40 + i:04d}" for i in range(6)]
CHANNELS = ["shopify", "amazon", "ebay", "b2b"]
LEVELS = [("standard", 0.6), ("express", 0.2), ("next_day", 0.12), ("economy", 0.08)]
SHIP_TO = json.dumps(
    {
        "name": "A Customer",
        "line1": "1 High St",
        "city": "Leeds",
        "postal_code": "LS1 4AP",
        "country": "GB",
    }
)
REASONS = ["too small", "too big", "changed mind", "arrived damaged", "not as described"]
GRADES = [
    ("resellable", "ASNEW"),
    ("resellable", "UNOPENED"),
    ("damaged", "TRANSIT"),
    ("dispose", "HYGIENE"),
]

TABLES: dict[str, tuple[str, ...]] = {
    "waves": ("id", "code", "status", "created_at", "released_at", "completed_at"),
    "allocations": (
        "id",
        "allocation_id",
        "version",
        "order_number",
        "channel",
        "type",
        "priority",
        "placed_at",
        "ship_by",
        "service_level",
        "ship_to",
        "status",
        "reasons",
        "wave_id",
        "cancel_reason",
        "received_at",
        "updated_at",
    ),
    "allocation_lines": (
        "id",
        "allocation_pk",
        "line_id",
        "sku",
        "sku_id",
        "qty",
        "serial_required",
        "picked",
        "short",
        "packed",
        "shipped",
        "cancelled",
    ),
    "pick_tasks": (
        "id",
        "wave_id",
        "allocation_pk",
        "line_pk",
        "stock_id",
        "sequence",
        "qty",
        "picked_qty",
        "location_confirmed",
        "status",
        "picker",
        "tote_code",
        "completed_at",
    ),
    "stock_movements": (
        "id",
        "stock_id",
        "sku_id",
        "location_id",
        "on_hand_delta",
        "allocated_delta",
        "reason",
        "reference",
        "actor",
        "at",
    ),
    "cartons": (
        "id",
        "code",
        "allocation_pk",
        "carton_type",
        "status",
        "expected_weight_g",
        "weight_g",
        "length_mm",
        "width_mm",
        "height_mm",
        "carrier",
        "service",
        "tracking_number",
        "rate_minor",
        "packed_by",
        "packed_at",
        "weighed_at",
        "shipped_at",
    ),
    "carton_lines": ("id", "carton_id", "line_pk", "qty"),
    "shipments": ("id", "allocation_pk", "carrier", "service", "shipped_at"),
    "scan_log": (
        "id",
        "station",
        "device",
        "actor",
        "raw",
        "result",
        "allocation_pk",
        "task_id",
        "at",
    ),
    "pick_shorts": (
        "id",
        "pick_task_id",
        "allocation_pk",
        "line_pk",
        "stock_id",
        "reason",
        "missing_qty",
        "reallocated_qty",
        "short_qty",
        "actor",
        "at",
    ),
    "outbox": (
        "id",
        "event_id",
        "type",
        "allocation_id",
        "stream_key",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
    ),
    "return_authorizations": (
        "id",
        "rma_id",
        "allocation_id",
        "order_number",
        "status",
        "lines",
        "received_at",
    ),
    "return_receipts": (
        "id",
        "code",
        "rma_pk",
        "rma_id",
        "allocation_pk",
        "order_number",
        "scanned_code",
        "matched_by",
        "status",
        "opened_by",
        "opened_at",
    ),
    "return_units": (
        "id",
        "receipt_id",
        "seq",
        "raw_code",
        "sku_id",
        "sku",
        "line_id",
        "grade",
        "reason_code",
        "status",
        "scanned_by",
        "scanned_at",
        "graded_by",
        "graded_at",
    ),
}
BOOLEAN = {"serial_required", "location_confirmed"}


# ---------------------------------------------------------------------------- writers


class Writer:
    rows = 0

    def insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class SqliteWriter(Writer):
    def __init__(self, path: Path) -> None:
        import sqlite3

        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA synchronous=OFF")
        self.conn.execute("PRAGMA foreign_keys=OFF")
        self.conn.execute("PRAGMA cache_size=-400000")
        # Secondary indexes are built once after the load (sorted, far faster than row by row).
        names = ", ".join(f"'{t}'" for t in TABLES)
        self.indexes = self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({names})"
        ).fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.conn.execute("BEGIN")

    @staticmethod
    def _value(v: Any) -> Any:
        if isinstance(v, datetime):
            return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, bool):
            return int(v)
        return v

    def insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        cols = TABLES[table]
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.conn.executemany(sql, [tuple(self._value(v) for v in r) for r in rows])
        self.rows += len(rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN")

    def close(self) -> None:
        self.conn.execute("COMMIT")
        for _name, sql in self.indexes:
            self.conn.execute(sql)
        self.conn.execute("ANALYZE")
        self.conn.close()


class PostgresWriter(Writer):
    def __init__(self, url: str) -> None:
        self.conn = psycopg.connect(url)
        # Rows are consistent by construction: skip the foreign-key triggers during the load.
        self.conn.execute("SET session_replication_role = replica")
        # Secondary indexes are built once after the load.
        self.indexes = self.conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = 'public' AND i.tablename = ANY(%s) AND NOT EXISTS ("
            " SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (list(TABLES),),
        ).fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f'DROP INDEX "{name}"')
        self.conn.commit()

    def insert(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        cols = TABLES[table]
        with (
            self.conn.cursor() as cur,
            cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy,
        ):
            for r in rows:
                copy.write_row(r)
        self.rows += len(rows)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("SET maintenance_work_mem = '512MB'")
        for _name, sql in self.indexes:
            self.conn.execute(sql)
        for table in TABLES:
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        self.conn.execute("ANALYZE")
        self.conn.close()


# -------------------------------------------------------------------------- the history


@dataclass
class Catalog:
    skus: list[tuple[int, str, Unit, str]]  # id, code, unit, barcode
    stocks: dict[int, tuple[int, int]]  # sku id -> pick-face stock id, location id


@dataclass
class Ids:
    counters: dict[str, int] = field(default_factory=dict)

    def next(self, table: str) -> int:
        self.counters[table] = self.counters.get(table, 0) + 1
        return self.counters[table]


def catalog(uow: SessionFactory) -> Catalog:
    with uow() as tx:
        s = tx.session
        skus = []
        for sku in s.scalars(select(Sku).order_by(Sku.id)):
            code = s.scalars(select(Barcode.code).where(Barcode.sku_id == sku.id)).first() or ""
            skus.append(
                (
                    sku.id,
                    sku.sku,
                    Unit(sku.sku, (sku.length_mm, sku.width_mm, sku.height_mm), sku.weight_g),
                    code,
                )
            )
        stocks: dict[int, tuple[int, int]] = {}
        for st in s.scalars(select(Stock).order_by(Stock.id)):
            if st.location.kind == "pick" and st.sku_id not in stocks:
                stocks[st.sku_id] = (st.id, st.location_id)
    return Catalog(skus, stocks)


def scans_per_order() -> float:
    """Expected scans of one order under the model below (for sizing the history)."""
    lines = 1 * 0.6 + 2 * 0.3 + 3 * 0.1
    qty = 1 * 0.8 + 2 * 0.15 + 3 * 0.05
    units = lines * qty
    pick = lines * (2 + qty + 0.015)
    return pick + units * 1.003 + 1.005


def first_ids(uow: SessionFactory) -> Ids:
    """Ids go on from what the seed left (the ledger has its receipts)."""
    with uow() as tx:
        return Ids(
            {
                t: int(tx.session.execute(text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar())
                for t in TABLES
            }
        )


def generate(
    w: Writer, cat: Catalog, ids: Ids, first: date, days: int, per_day: int, seed: int = 7
) -> Iterator[tuple[date, int]]:
    rng = random.Random(seed)
    cartons = load_cartons(CONFIG / "cartons.toml")
    level_names = [lv for lv, _ in LEVELS]
    level_weights = [p for _, p in LEVELS]
    scans_total = 0
    for d in range(days):
        day = first + timedelta(days=d)
        base = datetime(day.year, day.month, day.day, tzinfo=UTC)
        buf: dict[str, list[tuple[Any, ...]]] = {t: [] for t in TABLES}
        waves = []
        for hour in range(24):
            wid = ids.next("waves")
            at = base + timedelta(hours=hour)
            buf["waves"].append((wid, f"W{wid:07d}", "done", at, at, at + timedelta(hours=1)))
            waves.append(wid)
        picker_clock = {p: base + timedelta(hours=5) for p in PICKERS}
        receipts = sorted(
            base + timedelta(seconds=rng.randrange(0, 20 * 3600)) for _ in range(per_day)
        )
        for n, received in enumerate(receipts):
            pk = ids.next("allocations")
            level = rng.choices(level_names, level_weights)[0]
            channel = rng.choice(CHANNELS)
            if level == "express":
                carrier, service = "PPL", "PPL-EXP"
            elif level == "next_day":
                carrier, service = "DXP", "DXP-NXT"
            elif level == "economy":
                carrier, service = "DXP", "DXP-ECO"
            else:
                carrier, service = rng.choice([("DXP", "DXP-STD"), ("PPL", "PPL-48")])
            ship_by = received + timedelta(hours=rng.choice([6, 10, 24, 30]))
            wave = waves[received.hour]
            picker = PICKERS[n % len(PICKERS)]
            cancelled = rng.random() < 0.003
            start = max(picker_clock[picker], received + timedelta(minutes=10))
            t = start
            lines = rng.choices([1, 2, 3], [0.6, 0.3, 0.1])[0]
            order_lines = []
            for ln in range(lines):
                sku_id, sku_code, unit, barcode = cat.skus[rng.randrange(len(cat.skus))]
                qty = rng.choices([1, 2, 3], [0.8, 0.15, 0.05])[0]
                lpk = ids.next("allocation_lines")
                stock_id, location_id = cat.stocks[sku_id]
                order_lines.append((lpk, sku_id, sku_code, unit, barcode, qty))
                buf["allocation_lines"].append(
                    (
                        lpk,
                        pk,
                        str(ln + 1),
                        sku_code,
                        sku_id,
                        qty,
                        False,
                        0 if cancelled else qty,
                        0,
                        0 if cancelled else qty,
                        0 if cancelled else qty,
                        qty if cancelled else 0,
                    )
                )
                buf["stock_movements"].append(
                    (
                        ids.next("stock_movements"),
                        stock_id,
                        sku_id,
                        location_id,
                        0,
                        qty,
                        "reserve",
                        f"B{pk:09d}",
                        None,
                        received,
                    )
                )
                if cancelled:
                    continue
                tid = ids.next("pick_tasks")
                scans = [("location_ok", f"A00-{ln:02d}-1")]
                if rng.random() < 0.005:
                    scans.insert(0, ("wrong_location", "A01-01-1"))
                for _ in range(qty):
                    if rng.random() < 0.01:
                        scans.append(("wrong_item", "5000000000000"))
                    scans.append(("item_ok", barcode))
                scans.append(("tote_ok", f"T{n % 9000:04d}"))
                for result, raw in scans:
                    t += timedelta(seconds=rng.randint(6, 14))
                    buf["scan_log"].append(
                        (
                            ids.next("scan_log"),
                            "pick",
                            f"HH-{picker[-2:]}",
                            picker,
                            raw,
                            result,
                            pk,
                            tid,
                            t,
                        )
                    )
                buf["pick_tasks"].append(
                    (
                        tid,
                        wave,
                        pk,
                        lpk,
                        stock_id,
                        ln + 1,
                        qty,
                        qty,
                        True,
                        "done",
                        picker,
                        f"T{n % 9000:04d}",
                        t,
                    )
                )
                buf["stock_movements"].append(
                    (
                        ids.next("stock_movements"),
                        stock_id,
                        sku_id,
                        location_id,
                        -qty,
                        -qty,
                        "pick",
                        f"B{pk:09d}",
                        picker,
                        t,
                    )
                )
                if rng.random() < 0.003:
                    buf["pick_shorts"].append(
                        (
                            ids.next("pick_shorts"),
                            tid,
                            pk,
                            lpk,
                            stock_id,
                            rng.choice(["empty", "damaged", "not_found"]),
                            1,
                            1,
                            0,
                            picker,
                            t,
                        )
                    )
            picker_clock[picker] = t
            status = "cancelled" if cancelled else "shipped"
            if cancelled:
                at = received + timedelta(minutes=30)
                eid = str(uuid.UUID(int=rng.getrandbits(128)))
                body = event_body(
                    eid,
                    "allocation.cancelled",
                    at,
                    f"B{pk:09d}",
                    f"SO{pk:09d}",
                    {
                        "result": "cancelled",
                        "reason": "customer request",
                        "lines": [{"line_id": "1", "qty": order_lines[0][5], "refused_qty": 0}],
                    },
                )
                buf["outbox"].append(
                    (
                        ids.next("outbox"),
                        eid,
                        "allocation.cancelled",
                        f"B{pk:09d}",
                        f"allocation:B{pk:09d}",
                        body,
                        "sent",
                        1,
                        at,
                        at,
                    )
                )
                shipped_at = at
            else:
                # Pack unit by unit, weigh, ship.
                packer = PACKERS[n % len(PACKERS)]
                p = t + timedelta(minutes=rng.randint(15, 90))
                units = []
                for _lpk, _sku_id, _code, unit, barcode, qty in order_lines:
                    for _ in range(qty):
                        if rng.random() < 0.003:
                            p += timedelta(seconds=5)
                            buf["scan_log"].append(
                                (
                                    ids.next("scan_log"),
                                    "pack",
                                    f"PB{n % 6}",
                                    packer,
                                    cat.skus[0][3],
                                    "wrong_item",
                                    pk,
                                    None,
                                    p,
                                )
                            )
                        p += timedelta(seconds=rng.randint(4, 9))
                        buf["scan_log"].append(
                            (
                                ids.next("scan_log"),
                                "pack",
                                f"PB{n % 6}",
                                packer,
                                barcode,
                                "unit_ok",
                                pk,
                                None,
                                p,
                            )
                        )
                        units.append(unit)
                box = choose_carton(units, cartons) or cartons[-1]
                weight = sum(u.weight_g for u in units) + box.tare_g
                weighed = p + timedelta(minutes=3)
                cid = ids.next("cartons")
                code = f"CT{cid:08d}"
                if rng.random() < 0.005:
                    buf["scan_log"].append(
                        (
                            ids.next("scan_log"),
                            "weigh",
                            "SC1",
                            packer,
                            f"{code} {weight + 400}g",
                            "weight_out_of_tolerance",
                            pk,
                            None,
                            weighed - timedelta(seconds=30),
                        )
                    )
                buf["scan_log"].append(
                    (
                        ids.next("scan_log"),
                        "weigh",
                        "SC1",
                        packer,
                        f"{code} {weight + 5}g",
                        "weight_ok",
                        pk,
                        None,
                        weighed,
                    )
                )
                shipped_at = weighed + timedelta(minutes=rng.randint(2, 20))
                buf["cartons"].append(
                    (
                        cid,
                        code,
                        pk,
                        box.code,
                        "shipped",
                        weight,
                        weight + 5,
                        *box.outer_mm,
                        carrier,
                        service,
                        f"{carrier}{cid:010d}",
                        600,
                        packer,
                        p,
                        weighed,
                        shipped_at,
                    )
                )
                for lpk, _sku_id, _code, _unit, _barcode, qty in order_lines:
                    buf["carton_lines"].append((ids.next("carton_lines"), cid, lpk, qty))
                buf["shipments"].append((ids.next("shipments"), pk, carrier, service, shipped_at))
                if rng.random() < 0.03:
                    _return(buf, ids, rng, pk, order_lines, shipped_at)
            buf["allocations"].append(
                (
                    pk,
                    f"B{pk:09d}",
                    1,
                    f"SO{pk:09d}",
                    channel,
                    "b2c",
                    5,
                    received - timedelta(minutes=2),
                    ship_by,
                    level,
                    SHIP_TO,
                    status,
                    "[]",
                    wave,
                    "customer request" if cancelled else None,
                    received,
                    shipped_at,
                )
            )
        for table, rows in buf.items():
            if rows:
                w.insert(table, rows)
        w.commit()
        scans_total += len(buf["scan_log"])
        yield day, scans_total


def _return(
    buf: dict[str, list[tuple[Any, ...]]],
    ids: Ids,
    rng: random.Random,
    pk: int,
    order_lines: list[Any],
    shipped_at: datetime,
) -> None:
    _lpk, sku_id, code, _unit, barcode, _qty = order_lines[0]
    rid = ids.next("return_authorizations")
    reason = rng.choice(REASONS)
    arrives = shipped_at + timedelta(days=rng.randint(3, 12), hours=rng.randint(0, 8))
    buf["return_authorizations"].append(
        (
            rid,
            f"RMA{rid:08d}",
            f"B{pk:09d}",
            f"SO{pk:09d}",
            "received",
            json.dumps([{"line_id": "1", "sku": code, "qty": 1, "reason": reason}]),
            arrives,
        )
    )
    rcp = ids.next("return_receipts")
    buf["return_receipts"].append(
        (
            rcp,
            f"RR{rcp:08d}",
            rid,
            f"RMA{rid:08d}",
            pk,
            f"SO{pk:09d}",
            f"RMA{rid:08d}",
            "rma",
            "closed",
            "U0045",
            arrives,
        )
    )
    grade, reason_code = rng.choice(GRADES)
    buf["return_units"].append(
        (
            ids.next("return_units"),
            rcp,
            1,
            barcode,
            sku_id,
            code,
            "1",
            grade,
            reason_code,
            "restocked" if grade == "resellable" else "quarantined",
            "U0045",
            arrives,
            "U0045",
            arrives + timedelta(minutes=2),
        )
    )


# ------------------------------------------------------------------------------ timing


def timed(fn: Callable[[], Any], runs: int = 3) -> tuple[float, Any]:
    times = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def baseline_on_time(uow: SessionFactory, start: datetime, end: datetime) -> tuple[float, int]:
    """The year's on-time count straight from the order tables (ship-by only, no pickups,
    no filters): what every report would cost without rollups."""
    sql = text(
        "SELECT count(*) FROM allocations a JOIN "
        "(SELECT allocation_pk, max(shipped_at) AS last FROM cartons "
        " WHERE shipped_at IS NOT NULL GROUP BY allocation_pk) c ON c.allocation_pk = a.id "
        "WHERE a.status = 'shipped' AND c.last >= :start AND c.last < :end "
        "AND c.last <= a.ship_by"
    )
    with uow() as tx:
        t0 = time.perf_counter()
        n = tx.session.execute(sql, {"start": start, "end": end}).scalar()
        return time.perf_counter() - t0, int(n or 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scans", type=int, default=20_000_000, help="scans in the history")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument(
        "--postgres",
        nargs="?",
        const=POSTGRES_URL,
        default=None,
        help="a fresh database on this PostgreSQL server instead of SQLite",
    )
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the generated SQLite database")
    args = ap.parse_args(argv)

    per_day = max(1, round(args.scans / args.days / scans_per_order()))
    own_workdir = args.workdir is None
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="dockhand-bench-reports-"))
    workdir.mkdir(parents=True, exist_ok=True)
    pg_admin, pg_name = None, None
    if args.postgres:
        pg_name = f"dockhand_bench_{uuid.uuid4().hex[:8]}"
        pg_admin = args.postgres
        with psycopg.connect(pg_admin, autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{pg_name}"')
        url = pg_admin.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite:///{workdir / 'reports.db'}"
    try:
        return run(args, url, per_day, workdir)
    finally:
        if own_workdir and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)  # a full-size year is gigabytes
        if pg_admin and pg_name:
            with psycopg.connect(pg_admin, autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def run(args: argparse.Namespace, url: str, per_day: int, workdir: Path) -> int:
    db = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"database: {db} ({url})")
    print(f"history: {args.days} days x {per_day} orders/day, about {args.scans:,} scans")
    prepare_database(url, skus=200)
    uow = SessionFactory(make_engine(url))
    cat = catalog(uow)
    ids = first_ids(uow)
    first = date(2025, 1, 1)
    writer: Writer = (
        PostgresWriter(url) if db == "postgresql" else SqliteWriter(Path(url.split("///", 1)[1]))
    )
    t0 = time.perf_counter()
    scans = 0
    for day, scans in generate(writer, cat, ids, first, args.days, per_day):
        if (day - first).days % 30 == 29:
            el = time.perf_counter() - t0
            print(
                f"  loaded to {day}: {writer.rows:,} rows, {scans:,} scans, {el:.0f} s "
                f"({writer.rows / el:,.0f} rows/s)",
                flush=True,
            )
    writer.close()
    load_s = time.perf_counter() - t0
    rows = writer.rows
    print(f"loaded {rows:,} rows ({scans:,} scans) in {load_s:.1f} s: {rows / load_s:,.0f} rows/s")

    last = first + timedelta(days=args.days - 1)
    ctx = reports.build_context(CONFIG, url, uow.engine)
    clock_at = datetime(last.year, last.month, last.day, 23, tzinfo=UTC)
    day_times: list[float] = []

    def progress(day: date, built: reports.DayRows) -> None:
        day_times.append(time.perf_counter())
        if len(day_times) % 30 == 0:
            print(f"  rollups to {day}: {len(day_times)} days", flush=True)

    t0 = time.perf_counter()
    built = reports.refresh(uow, ctx, lambda: clock_at, progress=progress)
    build_s = time.perf_counter() - t0
    gaps = [b - a for a, b in zip([t0, *day_times[:-1]], day_times, strict=True)]
    print(
        f"rollups: {len(built.days)} days in {build_s:.1f} s "
        f"(median {statistics.median(gaps):.2f} s per day, slowest {max(gaps):.2f} s)"
    )
    with uow() as tx:
        roll = {
            t: tx.session.execute(text(f"SELECT count(*) FROM {t}")).scalar()
            for t in (
                "report_order_facts",
                "report_cycle_daily",
                "report_units_daily",
                "report_productivity_daily",
                "report_error_facts",
            )
        }
    print("rollup rows: " + ", ".join(f"{k} {v:,}" for k, v in roll.items()))

    # The incremental refresh of one busy day (what a report pays at most once a minute).
    t0 = time.perf_counter()
    reports.refresh(uow, ctx, lambda: clock_at, days=[last])
    one_day_s = time.perf_counter() - t0
    print(f"refresh of one busy day: {one_day_s:.2f} s")

    ranges = {
        "year": reports.Filters(first, last),
        "month": reports.Filters(last - timedelta(days=29), last),
        "day": reports.Filters(last, last),
    }
    filters = {
        "none": {},
        "carrier": {"carrier": "DXP"},
        "channel": {"channel": "amazon"},
        "shift": {"shift": "late"},
    }
    results: dict[str, float] = {}
    for rname, base in ranges.items():
        for fname, extra in filters.items():
            f = reports.Filters(base.start, base.end, **extra)
            for name in reports.REPORTS:
                s, _ = timed(lambda name=name, f=f: reports.report(name, f, ctx))
                results[f"{name}/{rname}/{fname}"] = s
        worst = max((v, k) for k, v in results.items() if f"/{rname}/" in k)
        print(f"reports over a {rname}: slowest {worst[0] * 1000:.0f} ms ({worst[1]})")
    year = ranges["year"]
    for name in reports.REPORTS:
        print(
            f"  {name:13s} year, no filter: {results[f'{name}/year/none'] * 1000:7.1f} ms; "
            f"carrier: {results[f'{name}/year/carrier'] * 1000:7.1f} ms"
        )
    extras: dict[str, float] = {}
    extras["drill_late_dxp_year"], drill = timed(
        lambda: reports.drill(
            "on_time",
            {"carrier": "DXP", "verdict": "late"},
            reports.Filters(year.start, year.end, carrier="DXP"),
            ctx,
        )
    )
    extras["drill_picker_errors_year"], _ = timed(
        lambda: reports.drill("accuracy", {"picker": "U0010", "stage": "pick"}, year, ctx)
    )
    extras["drill_productivity_day"], _ = timed(
        lambda: reports.drill("productivity", {"picker": "U0010"}, ranges["day"], ctx)
    )
    pk = drill["rows"][0]["allocation_pk"] if drill["rows"] else 1
    extras["order_detail"], _ = timed(lambda: reports.order_detail(pk, ctx))
    extras["csv_by_carrier_year"], _ = timed(
        lambda: reports.export_table("on_time", "by_carrier", year, ctx)
    )
    extras["daily_summary_pdf"], _ = timed(
        lambda: render_daily_summary(
            DailySummary.from_report(reports.daily_summary(last, ctx, "Bench DC", clock_at))
        )
    )
    for k, v in extras.items():
        print(f"  {k}: {v * 1000:.1f} ms")
    slowest = max(results.values())
    baseline_s = None
    if not args.no_baseline:
        start, end = ctx.calendar.day_window(first)[0], ctx.calendar.day_window(last)[1]
        baseline_s, n = baseline_on_time(uow, start, end)
        rollup_s = results["on_time/year/none"]
        print(
            f"baseline: the year's on-time count from the order tables: {baseline_s:.2f} s "
            f"({n:,} orders) vs {rollup_s * 1000:.1f} ms from the rollups "
            f"({baseline_s / rollup_s:.0f}x)"
        )
    with uow() as tx:
        orders = tx.session.execute(select(func.count()).select_from(ReportOrderFact)).scalar()
    uow.engine.dispose()
    ctx.reader.dispose()
    print(
        json.dumps(
            {
                "db": db,
                "rows": rows,
                "scans": scans,
                "orders_shipped": orders,
                "days": args.days,
                "load_s": round(load_s, 1),
                "load_rows_per_s": round(rows / load_s),
                "rollup_build_s": round(build_s, 1),
                "refresh_one_day_s": round(one_day_s, 3),
                "slowest_report_s": round(slowest, 4),
                "slowest_report": max(results, key=lambda k: results[k]),
                "year_reports_s": {
                    k.split("/")[0]: round(v, 4)
                    for k, v in results.items()
                    if k.endswith("/year/none")
                },
                "extras_s": {k: round(v, 4) for k, v in extras.items()},
                "baseline_on_time_raw_s": round(baseline_s, 3) if baseline_s is not None else None,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
