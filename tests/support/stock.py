"""The stock handheld's API (/stock) and the floor's stock state, for the receiving,
put-away and replenishment tests."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.adapters.db.models import Barcode, Location, OutboxEvent, Sku, Stock, StockMovement
from app.adapters.db.models_stock import ReplenishmentTask, StockAlert
from app.adapters.db.uow import SessionFactory
from tests.support.warehouse import socket_client, uow_of

NS = "/stock"


def stock_client(app: Flask, badge: str = "U0010") -> Any:
    return socket_client(app, NS, badge)


def emit(client: Any, event: str, **payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace=NS, callback=True)
    return ack


def gs1(gtin: str, lot: str | None = None, expires_on: date | None = None) -> str:
    """A GS1 element string as a person types it from the label (HRI)."""
    text = f"(01){gtin.zfill(14)}"
    if expires_on is not None:
        text += f"(17){expires_on:%y%m%d}"
    if lot is not None:
        text += f"(10){lot}"
    return text


def sku_bins(app: Flask, sku: str) -> dict[str, Any]:
    """The SKU's GTIN, the codes of its (first) pick face and reserve bin, and per bin what
    is on hand and free."""
    with uow_of(app)() as tx:
        s = tx.session
        sku_id = s.scalars(select(Sku.id).where(Sku.sku == sku)).one()
        gtin = s.scalars(select(Barcode.code).where(Barcode.sku_id == sku_id)).first()
        rows = s.execute(
            select(Location.code, Location.kind, func.sum(Stock.on_hand), func.sum(Stock.allocated))
            .join(Stock, Stock.location_id == Location.id)
            .where(Stock.sku_id == sku_id)
            .group_by(Location.code, Location.kind)
            .order_by(Location.code)
        ).all()
    out: dict[str, Any] = {"sku": sku, "sku_id": sku_id, "gtin": gtin, "on_hand": {}, "free": {}}
    for code, kind, on_hand, allocated in rows:
        out.setdefault(kind, code)
        out["on_hand"][code] = int(on_hand)
        out["free"][code] = int(on_hand) - int(allocated)
    return out


def empty_location(app: Flask, kind: str = "reserve") -> str:
    """A location of this kind that holds nothing at all."""
    with uow_of(app)() as tx:
        s = tx.session
        holding = select(Stock.location_id).where(Stock.on_hand > 0)
        code = s.scalars(
            select(Location.code)
            .where(Location.kind == kind, Location.id.not_in(holding))
            .order_by(Location.code)
            .limit(1)
        ).first()
    assert code is not None, f"no empty {kind} location"
    return code


def location_of_kind(app: Flask, kind: str, code: str) -> str:
    """The layout's location of this kind, created when the seeded layout has none."""
    with uow_of(app)() as tx:
        s = tx.session
        found = s.scalars(select(Location.code).where(Location.kind == kind).limit(1)).first()
        if found is not None:
            return found
        s.add(Location(code=code, kind=kind, zone=code[0], aisle=0, bay=0, level=1, x_mm=0, y_mm=0))
        tx.commit()
    return code


def floor_state(app: Flask | SessionFactory) -> dict[str, Any]:
    """Every stock row, the ledger, the replenishment tasks, the open alerts and the outbox:
    a refused scan must leave all of it exactly as it was."""
    uow = app if isinstance(app, SessionFactory) else uow_of(app)
    with uow() as tx:
        s = tx.session
        stock = [
            tuple(r)
            for r in s.execute(
                select(
                    Stock.id,
                    Stock.location_id,
                    Stock.sku_id,
                    Stock.lot,
                    Stock.expires_on,
                    Stock.on_hand,
                    Stock.allocated,
                ).order_by(Stock.id)
            ).all()
        ]
        ledger = tuple(
            s.execute(
                select(
                    func.count(StockMovement.id),
                    func.coalesce(func.sum(StockMovement.on_hand_delta), 0),
                    func.coalesce(func.sum(StockMovement.allocated_delta), 0),
                    func.max(StockMovement.id),
                )
            ).one()
        )
        tasks = [
            tuple(r)
            for r in s.execute(
                select(
                    ReplenishmentTask.id, ReplenishmentTask.status, ReplenishmentTask.moved_qty
                ).order_by(ReplenishmentTask.id)
            ).all()
        ]
        alerts = list(s.scalars(select(StockAlert.id).where(StockAlert.status == "open")))
        outbox = s.scalar(select(func.count(OutboxEvent.id)))
    return {"stock": stock, "ledger": ledger, "tasks": tasks, "alerts": alerts, "outbox": outbox}


def ledger_rows(app: Flask, reason: str) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(StockMovement, Location.code, Stock.lot)
            .join(Location, Location.id == StockMovement.location_id)
            .join(Stock, Stock.id == StockMovement.stock_id)
            .where(StockMovement.reason == reason)
            .order_by(StockMovement.id)
        ).all()
        return [
            {
                "location": code,
                "lot": lot,
                "on_hand_delta": m.on_hand_delta,
                "allocated_delta": m.allocated_delta,
                "reference": m.reference,
                "actor": m.actor,
                "at": m.at,
            }
            for m, code, lot in rows
        ]


def inventory_events(app: Flask, sku: str) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        bodies = tx.session.scalars(
            select(OutboxEvent.body)
            .where(OutboxEvent.type == "inventory.changed", OutboxEvent.stream_key == f"sku:{sku}")
            .order_by(OutboxEvent.id)
        ).all()
    return [json.loads(b)["data"] for b in bodies]


def stock_at(app: Flask, location: str, sku: str) -> dict[str, tuple[int, int]]:
    """{lot: (on_hand, allocated)} of the SKU in the bin."""
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(Stock.lot, Stock.on_hand, Stock.allocated)
            .join(Location, Location.id == Stock.location_id)
            .join(Sku, Sku.id == Stock.sku_id)
            .where(Location.code == location, Sku.sku == sku)
        ).all()
    return {lot: (on_hand, allocated) for lot, on_hand, allocated in rows}
