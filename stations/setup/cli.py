"""`dockhand setup …`: station set-up from the command line.

    dockhand setup datawedge --out FILE.pdf [--url URL]   the Zebra DataWedge set-up sheet
    dockhand setup datawedge --json FILE                  the profile as SET_CONFIG JSON

URL is the address the handhelds use to reach Dockhand (default: http://HOST:PORT from the
settings); it goes into the sheet's first QR code.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from app.domain.datawedge import set_config
from app.settings import load_settings
from labels.datawedge_sheet import DataWedgeSheet, render_datawedge_sheet


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dockhand setup", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    dw = sub.add_parser("datawedge", help="the Zebra DataWedge set-up sheet (PDF) or profile")
    dw.add_argument("--out", type=Path, help="write the set-up sheet PDF here")
    dw.add_argument("--json", type=Path, help="write the SET_CONFIG profile JSON here")
    dw.add_argument("--url", help="the address handhelds use to reach Dockhand")
    args = parser.parse_args(argv)
    if not args.out and not args.json:
        parser.error("give --out FILE.pdf and/or --json FILE.json")
    url = args.url
    if not url:
        settings = load_settings()
        url = f"http://{settings.host}:{settings.port}"
    if not url.startswith(("http://", "https://")):
        parser.error("--url must start with http:// or https://")
    if args.out:
        args.out.write_bytes(render_datawedge_sheet(DataWedgeSheet(base_url=url.rstrip("/"))))
        print(f"wrote {args.out} (Dockhand at {url})")
    if args.json:
        args.json.write_text(json.dumps(set_config(), indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0
