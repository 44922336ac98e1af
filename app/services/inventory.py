"""Stock as the OMS sees it (oms-v1 2.6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.adapters.db.models import Location, Sku, Stock
from app.adapters.db.uow import SessionFactory

PAGE = 500


def inventory_page(
    uow: SessionFactory,
    sku: str | None = None,
    cursor: str | None = None,
    limit: int = PAGE,
    with_locations: bool = False,
) -> dict[str, Any]:
    limit = max(1, min(limit, PAGE))
    with uow() as tx:
        s = tx.session
        stmt = (
            select(
                Sku.sku,
                Sku.id,
                func.coalesce(func.sum(Stock.on_hand), 0),
                func.coalesce(func.sum(Stock.allocated), 0),
            )
            .outerjoin(Stock, Stock.sku_id == Sku.id)
            .where(Sku.practice.is_(False))  # practice items (first shift) are not for sale
            .group_by(Sku.id, Sku.sku)
            .order_by(Sku.sku)
        )
        if sku is not None:
            stmt = stmt.where(Sku.sku == sku)
        elif cursor:
            stmt = stmt.where(Sku.sku > cursor)
        rows = s.execute(stmt.limit(limit + 1)).all()
        more = len(rows) > limit
        rows = rows[:limit]
        items = []
        for code, sku_id, on_hand, allocated in rows:
            item: dict[str, Any] = {
                "sku": code,
                "on_hand": int(on_hand),
                "allocated": int(allocated),
                "available": int(on_hand) - int(allocated),
            }
            if with_locations:
                item["locations"] = [
                    {
                        "location": loc,
                        "lot": lot or None,
                        "on_hand": oh,
                        "allocated": al,
                    }
                    for loc, lot, oh, al in s.execute(
                        select(Location.code, Stock.lot, Stock.on_hand, Stock.allocated)
                        .join(Location, Location.id == Stock.location_id)
                        .where(Stock.sku_id == sku_id)
                        .order_by(Location.code)
                    ).all()
                ]
            items.append(item)
        return {"items": items, "next_cursor": rows[-1][0] if more and rows else None}
