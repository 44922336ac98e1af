"""`dockhand labels locations|totes|badges --out FILE.pdf`: printable label sheets.

  dockhand labels locations [--zone A] [--aisle 3] [--no-arrows] --out racks.pdf
  dockhand labels totes --from 1 --to 200 --out totes.pdf
  dockhand labels badges [--role picker] --out badges.pdf

`--paper a4|letter` (default a4). Locations and badges come from the configured database
(DOCKHAND_DATABASE_URL); totes need none.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.services.errors import ServiceError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockhand labels",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("what", choices=["locations", "totes", "badges"])
    p.add_argument("--out", required=True, help="the PDF file to write")
    p.add_argument("--paper", default="a4", choices=["a4", "letter"])
    p.add_argument("--zone", help="locations: only this zone (e.g. A)")
    p.add_argument("--aisle", help="locations: only this aisle number")
    p.add_argument("--no-arrows", action="store_true", help="locations: no level arrows")
    p.add_argument("--from", dest="first", help="totes: the first tote number (1 = T000001)")
    p.add_argument("--to", dest="last", help="totes: the last tote number (default: --from)")
    p.add_argument("--role", help="badges: only this role (picker, packer, ...)")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        pdf, count = _render(args)
    except ServiceError as exc:
        print(f"labels: {exc.field}: {exc.message}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.write_bytes(pdf)
    print(f"{count} {args.what.removesuffix('s')} labels ({args.paper}) written to {out}")
    return 0


def _render(args: argparse.Namespace) -> tuple[bytes, int]:
    from app.services import labels
    from labels.sheets import render_badge_sheet, render_location_sheet, render_tote_sheet

    paper = labels.paper_of(args.paper)
    if args.what == "totes":
        totes = labels.tote_labels(
            labels.number_of(args.first, "from", 1, labels.MAX_TOTE_NUMBER),
            labels.number_of(args.last, "to", 1, labels.MAX_TOTE_NUMBER),
        )
        return render_tote_sheet(totes, paper), len(totes)
    from app.adapters.db.engine import make_engine
    from app.adapters.db.uow import SessionFactory
    from app.settings import load_settings

    engine = make_engine(load_settings().database_url)
    try:
        uow = SessionFactory(engine)
        if args.what == "locations":
            locs = labels.location_labels(
                uow,
                labels.zone_of(args.zone),
                labels.number_of(args.aisle, "aisle", 0, 99),
                arrows=not args.no_arrows,
            )
            return render_location_sheet(locs, paper), len(locs)
        role = args.role.strip().lower() if args.role else None
        badges = labels.badge_labels(uow, role)
        return render_badge_sheet(badges, paper), len(badges)
    finally:
        engine.dispose()
