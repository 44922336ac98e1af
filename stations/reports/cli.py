"""`dockhand reports …`: keep the report rollups current from cron or by hand.

    dockhand reports refresh                 rebuild the days that changed (today, late scans)
    dockhand reports rebuild                 drop every rollup and rebuild from the first day
    dockhand reports days 2026-11-01 2026-11-30   rebuild these days (inclusive)
    dockhand reports summary 2026-11-28 --out summary.pdf   the daily summary PDF

Uses DOCKHAND_DATABASE_URL and config/ like the server.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from app.adapters.db.engine import make_engine
from app.adapters.db.uow import SessionFactory
from app.domain.metrics import days_between
from app.services import reports
from app.services.clock import system_clock
from app.settings import load_settings
from labels.daily_summary import DailySummary, render_daily_summary


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dockhand reports", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("refresh", help="rebuild the days that changed")
    sub.add_parser("rebuild", help="drop every rollup and rebuild from the first day")
    days = sub.add_parser("days", help="rebuild the days from START to END")
    days.add_argument("start", type=date.fromisoformat)
    days.add_argument("end", type=date.fromisoformat)
    summary = sub.add_parser("summary", help="write the daily summary PDF of DAY")
    summary.add_argument("day", type=date.fromisoformat)
    summary.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    settings = load_settings()
    uow = SessionFactory(make_engine(settings.database_url))
    ctx = reports.build_context(Path(settings.config_dir), settings.database_url, uow.engine)
    try:
        if args.command == "refresh":
            done = reports.refresh(uow, ctx, system_clock)
        elif args.command == "rebuild":
            done = reports.rebuild(uow, ctx, system_clock)
        elif args.command == "days":
            if args.start > args.end:
                parser.error("START is after END")
            done = reports.refresh(uow, ctx, system_clock, days=days_between(args.start, args.end))
        else:
            data = reports.daily_summary(args.day, ctx, settings.warehouse_name, system_clock())
            args.out.write_bytes(render_daily_summary(DailySummary.from_report(data)))
            print(f"wrote {args.out}")
            return 0
        print(json.dumps(done.to_json() | {"days": len(done.days)}))
        return 0
    finally:
        uow.engine.dispose()
        ctx.reader.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
