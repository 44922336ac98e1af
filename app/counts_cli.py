"""`dockhand counts …`: raise cycle counts from cron or by hand (docs/counts.md).

    dockhand counts plan [--abc] [--zone A] [--limit N] [--dry-run]
        the bins whose turn has come get a count task (run it once a day)
    dockhand counts request --location A03-07-2 | --aisle A03 | --sku MUG-BLK-S [--assign U0012]
        a count now, as a supervisor would ask for it on /count/review

Uses DOCKHAND_DATABASE_URL and config/counts.toml like the server. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.adapters.count_config import load_count_config
from app.adapters.db.engine import make_engine
from app.adapters.db.uow import SessionFactory
from app.services import counts
from app.services.clock import system_clock
from app.services.errors import ServiceError
from app.settings import load_settings


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dockhand counts", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="action", required=True)
    plan = sub.add_parser("plan", help="raise the counts the cycle schedule says are due")
    plan.add_argument("--abc", action="store_true", help="interval by the bin's fastest item")
    plan.add_argument("--zone", help="only this zone (and its interval from counts.toml)")
    plan.add_argument("--limit", type=int, help="at most this many (default: daily_limit)")
    plan.add_argument("--dry-run", action="store_true", help="say what would be raised")
    req = sub.add_parser("request", help="count a location, an aisle or a SKU everywhere")
    what = req.add_mutually_exclusive_group(required=True)
    what.add_argument("--location")
    what.add_argument("--aisle", help="zone and aisle, e.g. A03")
    what.add_argument("--sku", help="a SKU or item code: every bin that holds it")
    req.add_argument("--assign", help="give the counts to this counter's badge")
    args = p.parse_args(argv)

    settings = load_settings()
    engine = make_engine(settings.database_url)
    uow = SessionFactory(engine)
    try:
        if args.action == "plan":
            cfg = load_count_config(Path(settings.config_dir))
            report = counts.plan_counts(
                uow,
                system_clock,
                cfg,
                abc=args.abc,
                zone=args.zone,
                limit=args.limit,
                dry_run=args.dry_run,
            )
        else:
            report = counts.request_counts(
                "cli",
                uow,
                system_clock,
                location=args.location,
                aisle=args.aisle,
                sku=args.sku,
                assign_to=args.assign,
            )
    except ServiceError as exc:
        print(f"counts: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
    print(json.dumps(report))
    return 0
