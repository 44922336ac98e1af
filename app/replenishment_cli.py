"""`dockhand replenishment ...` (min/max per pick face, tasks, low-stock levels, alerts) and
`dockhand import stock FILE` (docs/stock.md)."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path
from typing import Any

from app.adapters.db.engine import make_engine
from app.adapters.db.uow import SessionFactory
from app.services import replenishment, stock_alerts
from app.services.clock import system_clock
from app.services.errors import ServiceError
from app.services.stock_import import import_stock
from app.settings import load_settings


def _uow() -> SessionFactory:
    return SessionFactory(make_engine(load_settings().database_url))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockhand replenishment", description=__doc__)
    sub = p.add_subparsers(dest="action", required=True)
    put = sub.add_parser("set", help="set the min/max of a SKU at a pick face")
    put.add_argument("location")
    put.add_argument("sku")
    put.add_argument("--min", type=int, required=True, dest="min_units")
    put.add_argument("--max", type=int, required=True, dest="max_units")
    put.add_argument("--by", default="cli", help="who set it (kept with the rule)")
    imp = sub.add_parser("import", help="min/max from a CSV file: location, sku, min, max")
    imp.add_argument("file")
    imp.add_argument("--by", default="cli")
    show = sub.add_parser("list", help="the min/max rules and what each face holds")
    show.add_argument("--location")
    tasks = sub.add_parser("tasks", help="open replenishment tasks")
    tasks.add_argument("--all", action="store_true", help="done and cancelled ones too")
    low = sub.add_parser("low-stock", help="alert below this many available units of a SKU")
    low.add_argument("sku")
    low.add_argument("--below", type=int, required=True, help="0: never alert for this SKU")
    low.add_argument("--by", default="cli")
    alerts = sub.add_parser("alerts", help="stock alerts (open ones unless --all)")
    alerts.add_argument("--all", action="store_true")
    for cmd in (show, tasks, alerts):
        cmd.add_argument("--json", action="store_true")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    uow = _uow()
    try:
        return _run(args, uow)
    except ServiceError as exc:
        print(f"replenishment: {exc.field or 'error'}: {exc.message}", file=sys.stderr)
        return 1
    finally:
        uow.engine.dispose()


def _run(args: argparse.Namespace, uow: SessionFactory) -> int:
    if args.action == "set":
        rule = replenishment.set_rule(
            args.location, args.sku, args.min_units, args.max_units, args.by, uow, system_clock
        )
        print(json.dumps(rule))
        return 0
    if args.action == "import":
        path = Path(args.file)
        if not path.exists():
            print(f"replenishment: no such file {args.file}", file=sys.stderr)
            return 2
        report = replenishment.import_rules(path, args.by, uow, system_clock)
        for err in report.errors:
            print(f"row {err.row}: {err.field}: {err.error}")
        print(json.dumps({"applied": report.applied, "row_errors": len(report.errors)}))
        return 1 if report.errors else 0
    if args.action == "low-stock":
        level = replenishment.set_low_stock(args.sku, args.below, args.by, uow, system_clock)
        print(json.dumps(level))
        return 0
    rows: list[dict[str, Any]]
    if args.action == "list":
        rows = replenishment.list_rules(uow, args.location)
        lines = [
            f"{r['location']:<12} {r['sku']:<22} min {r['min']:>6} max {r['max']:>6} "
            f"on hand {r['on_hand']:>6}"
            for r in rows
        ]
    elif args.action == "tasks":
        rows = replenishment.list_tasks(uow, include_done=args.all)
        lines = [
            f"#{r['task_id']:<6} {r['status']:<9} {r['qty']:>5} × {r['sku']:<22} "
            f"{r['from']} → {r['to']} ({r['trigger']}"
            + (f", {r['assigned_to']})" if r["assigned_to"] else ")")
            for r in rows
        ]
    else:
        rows = stock_alerts.list_alerts(uow, include_resolved=args.all)
        lines = [
            f"#{r['id']:<6} {r['status']:<8} {r['created_at'][:19]} {r['message']}" for r in rows
        ]
    if args.json:
        print(json.dumps(rows))
    else:
        print("\n".join(lines) if lines else "(none)")
    return 0


def import_stock_command(
    file: str, report_path: str | None, actor: str, allow_quarantine: bool, check_only: bool
) -> int:
    """`dockhand import stock FILE`: prints `row N: SKU@LOCATION: field: reason` per bad row
    and a JSON summary; exit 1 when any row was refused."""
    path = Path(file)
    if not path.exists():
        print(f"import: no such file {file}", file=sys.stderr)
        return 2
    uow = _uow()
    try:
        report = import_stock(
            path,
            uow,
            system_clock,
            actor=actor,
            allow_quarantine=allow_quarantine,
            check_only=check_only,
        )
    finally:
        uow.engine.dispose()
    for err in report.errors:
        print(f"row {err.row}: {err.what or '-'}: {err.field}: {err.error}")
    if report_path:
        with open(report_path, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["row", "what", "field", "error"])
            w.writerows([e.row, e.what, e.field, e.error] for e in report.errors)
    print(json.dumps({**report.as_dict(), "checked_only": check_only}))
    return 1 if report.errors else 0
