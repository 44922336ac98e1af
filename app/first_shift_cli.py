"""`dockhand first-shift seed | people | mark | start | end` (docs/first-shift.md)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockhand first-shift", description="hints and practice waves for new people"
    )
    sub = p.add_subparsers(dest="action", required=True)
    sub.add_parser("seed", help="create the practice bins, items and stock (idempotent)")
    sub.add_parser("people", help="pickers and packers: new or experienced, practice runs")
    mark = sub.add_parser("mark", help="mark a person experienced (no hints), or --undo it")
    mark.add_argument("badge")
    mark.add_argument("--undo", action="store_true")
    mark.add_argument("--by", default="cli", help="who the audit log names")
    start = sub.add_parser("start", help="start a practice wave for a person")
    start.add_argument("badge")
    start.add_argument("--kind", choices=["pick", "pack"], default="pick")
    start.add_argument("--by", default="cli")
    end = sub.add_parser("end", help="end a person's practice wave; its stock is put back")
    end.add_argument("badge")
    end.add_argument("--by", default="cli")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    from app.adapters.db.engine import make_engine
    from app.adapters.db.uow import SessionFactory
    from app.services import first_shift, practice
    from app.services.clock import system_clock
    from app.services.errors import ServiceError
    from app.settings import load_settings

    settings = load_settings()
    uow = SessionFactory(make_engine(settings.database_url))
    rules = first_shift.FirstShiftRules(
        settings.first_shift_pick_tasks, settings.first_shift_pack_orders
    )
    out: Any
    try:
        if args.action == "seed":
            out = practice.ensure_practice_stock(uow, system_clock)
        elif args.action == "people":
            out = first_shift.people(uow, system_clock, rules)
        elif args.action == "mark":
            out = first_shift.mark(args.badge.upper(), not args.undo, args.by, uow, system_clock)
        elif args.action == "start":
            out = practice.start(
                args.badge.upper(),
                args.kind,
                args.by,
                uow,
                system_clock,
                practice.PracticeRules(orders=settings.practice_orders),
            )
        else:
            out = practice.end(args.badge.upper(), args.by, uow, system_clock)
            if out is None:
                print(f"first-shift: {args.badge} has no practice to end", file=sys.stderr)
                return 1
    except ServiceError as exc:
        print(f"first-shift: {exc.message}", file=sys.stderr)
        return 1
    finally:
        uow.engine.dispose()
    print(json.dumps(out, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
