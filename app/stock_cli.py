"""`dockhand stock verify`: is every bin's stock what its ledger says?"""

from __future__ import annotations

import argparse
import json

from app.adapters.db.engine import make_engine
from app.adapters.db.uow import SessionFactory
from app.services.stock_verify import verify_stock
from app.settings import load_settings


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dockhand stock", description=__doc__)
    sub = p.add_subparsers(dest="action", required=True)
    verify = sub.add_parser("verify", help="check on hand and allocated against the ledger")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    args = p.parse_args(argv)
    settings = load_settings()
    engine = make_engine(settings.database_url)
    report = verify_stock(SessionFactory(engine))
    engine.dispose()
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        print(
            f"{report.bins} bins, {report.ledger_entries} ledger entries, "
            f"{report.on_hand} on hand, {report.allocated} allocated"
        )
        for d in report.discrepancies:
            print(
                f"MISMATCH {d.location} {d.sku} {d.lot or '-'}: {d.problem} "
                f"(stock table {d.table}, expected {d.expected})"
            )
        print("stock agrees with the ledger" if report.ok else "STOCK DOES NOT AGREE")
    return 0 if report.ok else 1
