"""Small lookups and bookkeeping the stock services share (receiving, replenishment, the
CSV import): which SKU a scan names, a bin's stock row, and the `inventory.changed` flag."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Barcode, Location, Sku, Stock
from app.domain.scanning import ParsedScan, ScanKind


def sku_for_scan(s: Session, parsed: ParsedScan) -> Sku | None:
    """The SKU a scan names. A GTIN inside a GS1 code comes as GTIN-14 while barcodes are
    stored as printed (EAN-13, UPC-A, EAN-8): every form of the GTIN is looked for."""
    if parsed.kind is ScanKind.ITEM:
        gtin = parsed.value
        forms = {gtin} | {gtin[14 - n :] for n in (13, 12, 8) if not gtin[: 14 - n].strip("0")}
        found = s.scalars(select(Barcode).where(Barcode.code.in_(forms)).limit(1)).first()
        if found is not None:
            return found.sku_ref
    return repo.sku_for_code(s, parsed.raw)


def stock_row(s: Session, location: Location, sku_id: int, lot: str, expires_on: Any) -> Stock:
    """The bin's row for this SKU and lot, created empty on first use (its units arrive
    through the ledger like any other)."""
    row = s.scalars(
        select(Stock).where(
            Stock.location_id == location.id, Stock.sku_id == sku_id, Stock.lot == lot
        )
    ).first()
    if row is None:
        row = Stock(
            location_id=location.id,
            sku_id=sku_id,
            lot=lot,
            expires_on=expires_on,
            on_hand=0,
            allocated=0,
        )
        s.add(row)
        s.flush()
    elif row.expires_on is None and expires_on is not None:
        row.expires_on = expires_on
    return row


def repo_flagged(s: Session, sku_id: int) -> bool:
    """Whether this transaction has already changed the SKU's available stock."""
    return sku_id in s.info.get("available_changed", set())


def keep_availability_flag(s: Session, sku_id: int, before: bool, changed: bool) -> None:
    """`move_stock` marks a SKU for `inventory.changed` whenever on hand moves. Moving units
    between two bins that may both be sold from changes nothing the OMS can sell: unmark
    it, unless something else in this transaction changed it."""
    if changed or before:
        return
    flagged: set[int] = s.info.get("available_changed", set())
    flagged.discard(sku_id)
