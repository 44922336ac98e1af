"""`dockhand import stock FILE`: stock from a CSV file (an initial load, or a count taken
elsewhere), one row per bin and lot: `sku, location, qty` and optionally `lot, expiry`.

Quantities are added to what the bin holds, each through the ledger (reason `import`, the
file name and row number as the reference). Every bad row is reported with its line number,
field and reason and changes nothing; the good rows are booked in one transaction, a
savepoint each. `check_only` reports without booking anything.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Location
from app.adapters.db.uow import SessionFactory
from app.domain.receiving import (
    MAX_IMPORT_UNITS,
    QUARANTINE,
    Purpose,
    check_expiry,
    check_kind,
    check_lot_expiry,
)
from app.domain.stock_allocation import ALLOCATABLE_KINDS
from app.services import replenishment, stock_rows
from app.services.clock import Clock

REASON = "import"
REQUIRED = ("sku", "location", "qty")
OPTIONAL = ("lot", "expiry")
MAX_LOT = 40


@dataclass
class StockRowError:
    row: int  # 1-based line number in the file, the header being line 1
    what: str  # SKU@LOCATION, as far as the row says
    field: str
    error: str


@dataclass
class StockImportReport:
    rows: int = 0
    applied: int = 0
    units: int = 0
    errors: list[StockRowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "applied": self.applied,
            "units": self.units,
            "row_errors": len(self.errors),
        }


class _Bad(Exception):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(reason)
        self.field = name
        self.reason = reason


def import_stock(
    path: Path,
    uow: SessionFactory,
    clock: Clock,
    actor: str = "import",
    allow_quarantine: bool = False,
    check_only: bool = False,
) -> StockImportReport:
    report = StockImportReport()
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        columns = {(c or "").strip().lower() for c in reader.fieldnames or []}
        missing = [c for c in REQUIRED if c not in columns]
        if missing:
            report.errors.append(StockRowError(1, "", "header", f"missing columns: {missing}"))
            return report
        # The reader's line number, not a count: blank lines are skipped, and a quoted field
        # may span lines; the report names the line a person finds in an editor.
        rows = [
            (
                reader.line_num,
                {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if k},
            )
            for raw in reader
        ]
    now = clock()
    touched: set[int] = set()
    with uow() as tx:
        s = tx.session
        for number, row in rows:
            if not any(row.values()):
                continue  # a line of empty cells
            report.rows += 1
            what = f"{row.get('sku', '')}@{row.get('location', '')}"
            try:
                with s.begin_nested():
                    sku_id, qty = _book(s, path, number, row, actor, allow_quarantine, now)
            except _Bad as bad:
                report.errors.append(StockRowError(number, what, bad.field, bad.reason))
                continue
            report.applied += 1
            report.units += qty
            touched.add(sku_id)
        if check_only:
            return report  # leaving the unit of work rolls everything back
        for sku_id in sorted(touched):
            replenishment.retry_waiting_faces(s, sku_id, actor, now)
        tx.commit()
    return report


def _book(
    s: Session,
    path: Path,
    number: int,
    row: dict[str, str],
    actor: str,
    allow_quarantine: bool,
    now: datetime,
) -> tuple[int, int]:
    code = row.get("sku", "")
    if not code:
        raise _Bad("sku", "is required")
    sku = repo.sku_by_code(s, code) or repo.sku_for_code(s, code)
    if sku is None:
        raise _Bad("sku", f"{code} is not a known SKU or barcode")
    where = row.get("location", "").upper()
    if not where:
        raise _Bad("location", "is required")
    location = s.scalars(select(Location).where(Location.code == where)).first()
    if location is None:
        raise _Bad("location", f"{where} is not a known location")
    wrong = check_kind(location.code, location.kind, Purpose.RECEIVE, allow_quarantine)
    if wrong is not None:
        reason: str = wrong.message
        if location.kind == QUARANTINE:
            reason = f"{where} is the quarantine: import into it only with --allow-quarantine"
        raise _Bad("location", reason)
    text = row.get("qty", "")
    if not text.isdigit():
        raise _Bad("qty", "must be a whole number of units")
    qty = int(text)
    if not 1 <= qty <= MAX_IMPORT_UNITS:
        raise _Bad("qty", f"must be between 1 and {MAX_IMPORT_UNITS}")
    lot = row.get("lot", "")
    if len(lot) > MAX_LOT:
        raise _Bad("lot", f"is longer than {MAX_LOT} characters")
    expires_on = _date(row.get("expiry", ""))
    expired = check_expiry(expires_on, now.date(), lot or None)
    if expired is not None:
        raise _Bad("expiry", expired.message)
    stock = stock_rows.stock_row(s, location, sku.id, lot, expires_on)
    clash = check_lot_expiry(lot, stock.expires_on, expires_on, location.code)
    if clash is not None:
        raise _Bad("expiry", clash.message)
    blocked = location.kind == QUARANTINE
    before = stock_rows.repo_flagged(s, sku.id)
    if not repo.move_stock(
        s,
        stock,
        on_hand_delta=qty,
        allocated_delta=qty if blocked else 0,
        reason=REASON,
        reference=f"{path.name[:60]}:{number}",
        actor=actor,
        now=now,
    ):
        raise _Bad("qty", f"could not book {qty} into {location.code}")
    stock_rows.keep_availability_flag(s, sku.id, before, changed=location.kind in ALLOCATABLE_KINDS)
    return sku.id, qty


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad("expiry", f"{text!r} is not a date (YYYY-MM-DD)") from None
