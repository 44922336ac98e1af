"""An allocation reserves the lot that expires first, never an expired lot, never blocked
stock, and says why when only such stock is left."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import Flask
from sqlalchemy import select

from app.adapters.db import repositories as repo
from app.adapters.db.models import Location, Reservation, Sku, Stock
from tests.support.warehouse import allocation_doc, signed_post, uow_of

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


def _lots(app: Flask, sku_code: str, lots: list[tuple[str, str, date | None, int]]) -> None:
    """Replace the SKU's stock with these (location kind, lot, expiry, qty) bins, through
    the ledger."""
    uow = uow_of(app)
    with uow() as tx:
        s = tx.session
        sku = s.scalars(select(Sku).where(Sku.sku == sku_code)).one()
        for st in s.scalars(select(Stock).where(Stock.sku_id == sku.id)).all():
            repo.move_stock(
                s, st, on_hand_delta=-st.on_hand, reason="adjust", reference="t", actor="t", now=NOW
            )
        used: set[int] = {st.location_id for st in s.scalars(select(Stock))}
        for kind, lot, expires, qty in lots:
            loc = s.scalars(
                select(Location)
                .where(Location.kind == kind, Location.id.not_in(used))
                .order_by(Location.id)
                .limit(1)
            ).one()
            used.add(loc.id)
            st = Stock(location_id=loc.id, sku_id=sku.id, lot=lot, expires_on=expires)
            st.on_hand, st.allocated = 0, 0
            s.add(st)
            s.flush()
            repo.move_stock(
                s, st, on_hand_delta=qty, reason="receipt", reference="t", actor="t", now=NOW
            )
        tx.commit()


def _reserved_lots(app: Flask) -> dict[str, int]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(Stock.lot, Reservation.qty).join(Stock, Stock.id == Reservation.stock_id)
        ).all()
    out: dict[str, int] = {}
    for lot, qty in rows:
        out[lot] = out.get(lot, 0) + qty
    return out


def test_the_lot_expiring_first_is_promised_first_and_expired_lots_never(app: Flask) -> None:
    _lots(
        app,
        "CANDLE-BLK-S",
        [
            ("pick", "L-LATE", date(2028, 1, 1), 10),
            ("reserve", "L-SOON", date(2027, 2, 1), 4),
            ("pick", "L-GONE", date(2020, 1, 1), 50),  # expired years ago
        ],
    )
    doc = allocation_doc("AL-F1", lines=[{"line_id": "1", "sku": "CANDLE-BLK-S", "qty": 6}])
    reply = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert reply.get_json()["status"] == "accepted", reply.get_json()
    assert _reserved_lots(app) == {"L-SOON": 4, "L-LATE": 2}

    # What is left to promise is 8 units of L-LATE: the expired 50 do not count.
    doc = allocation_doc("AL-F2", lines=[{"line_id": "1", "sku": "CANDLE-BLK-S", "qty": 9}])
    body = signed_post(app.test_client(), "/api/v1/allocations", doc).get_json()
    assert body["status"] == "backordered", body
    assert _reserved_lots(app) == {"L-SOON": 4, "L-LATE": 2}
