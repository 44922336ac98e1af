"""Supervisor dashboard snapshot: reading everything again (the way it always read: every pick
ledger row and pack/weigh scan of the last hour, and more) versus the incremental read (only
rows added since the last snapshot).

Seeds N pick ledger rows and N/2 scan log rows in the last two hours from 200 pickers, then
times snapshots: `scratch` reads everything again each time; `incremental` is timed after a
first snapshot, with a few new rows (one second of a busy floor: 400 picks, 200 scans) added
before each. Prints the medians; the last line is a JSON object.

    .venv/bin/python -m tests.bench.dashboard_snapshot [--rows 200000] [--runs 7] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from app.adapters.db.engine import make_engine
from app.adapters.db.models import ScanLog, Stock, StockMovement
from app.adapters.db.uow import SessionFactory
from app.services import dashboard
from app.services.waves import default_config
from tests.support.warehouse import fresh_postgres_db, prepare_database

PICKERS = [f"U{n:04d}" for n in range(100, 300)]


@contextmanager
def database(postgres: bool) -> Iterator[str]:
    if postgres:
        with fresh_postgres_db() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as d:
        yield f"sqlite:///{Path(d) / 'bench.db'}"


def seed(uow: SessionFactory, now: datetime, picks: int, scans: int, rng: random.Random) -> None:
    with uow() as tx:
        stock = tx.session.scalars(select(Stock).limit(1)).one()
        span_us = int(timedelta(hours=2).total_seconds() * 1e6)
        moves = [
            {
                "stock_id": stock.id,
                "sku_id": stock.sku_id,
                "location_id": stock.location_id,
                "on_hand_delta": -1,
                "allocated_delta": 0,
                "reason": "pick",
                "actor": rng.choice(PICKERS),
                "at": now - timedelta(microseconds=rng.randrange(span_us)),
            }
            for _ in range(picks)
        ]
        logs = [
            {
                "station": st,
                "actor": rng.choice(PICKERS),
                "raw": "0400000000001",
                "result": res,
                "at": now - timedelta(microseconds=rng.randrange(span_us)),
            }
            for st, res in (
                rng.choice([("pack", "unit_ok"), ("weigh", "weight_ok"), ("pick", "item_ok")])
                for _ in range(scans)
            )
        ]
        for i in range(0, len(moves), 20000):
            tx.session.execute(insert(StockMovement), moves[i : i + 20000])
        for i in range(0, len(logs), 20000):
            tx.session.execute(insert(ScanLog), logs[i : i + 20000])
        tx.session.commit()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    rng = random.Random(1)
    cfg = default_config()
    with database(args.postgres) as url:
        prepare_database(url, skus=5)
        uow = SessionFactory(make_engine(url))
        now = datetime.now(UTC)
        seed(uow, now, args.rows, args.rows // 2, rng)

        def timed(scratch: bool) -> tuple[float, float]:
            wall, cpu = time.perf_counter(), time.process_time()
            dashboard.snapshot(uow, clock=lambda: now, config=cfg, scratch=scratch)
            return time.perf_counter() - wall, time.process_time() - cpu

        scratch = [timed(True) for _ in range(args.runs)]
        first = timed(False)  # reads the windows once
        incremental = []
        for _ in range(args.runs):
            now += timedelta(seconds=1)
            seed(uow, now, 400, 200, rng)
            incremental.append(timed(False))
        assert dashboard.snapshot(uow, clock=lambda: now, config=cfg) == dashboard.snapshot(
            uow, clock=lambda: now, config=cfg, scratch=True
        )
        uow.engine.dispose()
    result = {
        "database": "postgresql" if args.postgres else "sqlite",
        "pick_rows": args.rows,
        "scan_rows": args.rows // 2,
        "runs": args.runs,
        "scratch_median_ms": round(statistics.median(w for w, _ in scratch) * 1000, 1),
        "scratch_cpu_median_ms": round(statistics.median(c for _, c in scratch) * 1000, 1),
        "incremental_first_ms": round(first[0] * 1000, 1),
        "incremental_median_ms": round(statistics.median(w for w, _ in incremental) * 1000, 1),
        "incremental_cpu_median_ms": round(statistics.median(c for _, c in incremental) * 1000, 1),
    }
    print(
        f"{result['database']}: {args.rows} picks, {args.rows // 2} scans: snapshot "
        f"{result['scratch_median_ms']} ms from scratch, {result['incremental_median_ms']} ms "
        f"incremental (first {result['incremental_first_ms']} ms)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
