"""`dockhand stock verify`: the stock table checked against the ledger, bin by bin.

Three questions, each answered by one aggregate query so it stays quick on a long ledger:
  1. Does every bin's on hand and allocated equal the sum of its ledger entries?
  2. Is every unit allocated in a pickable bin promised to an order line (a reservation)?
     (Returns and quarantine bins block their stock by allocating it to themselves.)
  3. Does the ledger name any bin that no longer exists?
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select

from app.adapters.db.models import Location, Reservation, Sku, Stock, StockMovement
from app.adapters.db.uow import SessionFactory
from app.domain.stock_allocation import ALLOCATABLE_KINDS


@dataclass(frozen=True)
class Discrepancy:
    location: str
    sku: str
    lot: str
    problem: str
    table: int
    expected: int


@dataclass
class VerifyReport:
    bins: int = 0
    ledger_entries: int = 0
    on_hand: int = 0
    allocated: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.discrepancies

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def verify_stock(uow: SessionFactory) -> VerifyReport:
    report = VerifyReport()
    with uow() as tx:
        s = tx.session
        ledger = (
            select(
                StockMovement.stock_id.label("stock_id"),
                func.sum(StockMovement.on_hand_delta).label("on_hand"),
                func.sum(StockMovement.allocated_delta).label("allocated"),
                func.count().label("entries"),
            )
            .group_by(StockMovement.stock_id)
            .subquery()
        )
        reserved = (
            select(Reservation.stock_id.label("stock_id"), func.sum(Reservation.qty).label("qty"))
            .group_by(Reservation.stock_id)
            .subquery()
        )
        rows = s.execute(
            select(
                Location.code,
                Location.kind,
                Sku.sku,
                Stock.lot,
                Stock.on_hand,
                Stock.allocated,
                func.coalesce(ledger.c.on_hand, 0),
                func.coalesce(ledger.c.allocated, 0),
                func.coalesce(ledger.c.entries, 0),
                func.coalesce(reserved.c.qty, 0),
            )
            .join(Location, Location.id == Stock.location_id)
            .join(Sku, Sku.id == Stock.sku_id)
            .outerjoin(ledger, ledger.c.stock_id == Stock.id)
            .outerjoin(reserved, reserved.c.stock_id == Stock.id)
            .order_by(Location.code, Sku.sku, Stock.lot)
        ).all()
        for code, kind, sku, lot, on_hand, allocated, l_on, l_al, entries, res in rows:
            report.bins += 1
            report.ledger_entries += int(entries)
            report.on_hand += on_hand
            report.allocated += allocated
            found = report.discrepancies.append
            if on_hand != int(l_on):
                found(
                    Discrepancy(code, sku, lot, "on hand differs from ledger", on_hand, int(l_on))
                )
            if allocated != int(l_al):
                found(
                    Discrepancy(
                        code, sku, lot, "allocated differs from ledger", allocated, int(l_al)
                    )
                )
            if kind in ALLOCATABLE_KINDS and allocated != int(res):
                found(
                    Discrepancy(
                        code, sku, lot, "allocated differs from reservations", allocated, int(res)
                    )
                )
        orphans = s.execute(
            select(StockMovement.stock_id, func.count())
            .outerjoin(Stock, Stock.id == StockMovement.stock_id)
            .where(Stock.id.is_(None))
            .group_by(StockMovement.stock_id)
        ).all()
        for stock_id, n in orphans:
            report.ledger_entries += int(n)
            report.discrepancies.append(
                Discrepancy(f"stock #{stock_id}", "?", "", "ledger entries for a missing bin", 0, n)
            )
    return report
