"""B2B orders through the real stations: posted with a PO, picked, packed into as many
cartons as asked, weighed; then onto pallets at the pallet screen's Socket.IO events."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import OutboxEvent, Sku, Stock
from app.adapters.db.repositories import available_for_sku
from tests.support.warehouse import allocation_doc, signed_post, socket_client, uow_of

CONSIGNEE = {
    "name": "Goods In, Bay 4",
    "company": "Hardware Stores Ltd",
    "line1": "Unit 7 Retail Park",
    "line2": None,
    "city": "Leeds",
    "region": None,
    "postal_code": "LS11 5QR",
    "country": "GB",
    "phone": "+44 113 496 0000",
    "email": None,
}
SHIP_TO_GLN = "0614141999996"  # check digit 6 (GS1 mod 10)


def b2b_doc(allocation_id: str, lines: list[dict[str, Any]], **b2b: Any) -> dict[str, Any]:
    block = {
        "po_number": f"PO-{allocation_id}",
        "allow_partial": False,
        "palletize": True,
        "credit_approved": True,
        "payment_terms": "NET30",
        "ship_to_gln": SHIP_TO_GLN,
    }
    block.update(b2b)
    return allocation_doc(
        allocation_id,
        type="b2b",
        service_level="freight",
        ship_to=dict(CONSIGNEE),
        lines=lines,
        b2b=block,
        notes="Deliver to dock 4; call 30 minutes ahead.",
    )


def post(app: Flask, doc: dict[str, Any]) -> dict[str, Any]:
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.status_code in (200, 202), resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def available(app: Flask, sku: str) -> int:
    with uow_of(app)() as tx:
        found = tx.session.scalars(select(Sku).where(Sku.sku == sku)).one()
        return available_for_sku(tx.session, found.id)


def stock_bins(app: Flask, sku: str) -> int:
    with uow_of(app)() as tx:
        found = tx.session.scalars(select(Sku).where(Sku.sku == sku)).one()
        return len(tx.session.scalars(select(Stock).where(Stock.sku_id == found.id)).all())


def pick_pack_weigh(
    app: Flask, allocation_id: str, cartons: int = 1, short_skus: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """Release, pick every task (those of ``short_skus`` are shorted at the bin: damaged),
    pack the units into ``cartons`` cartons (as evenly as the scan order allows) and weigh
    each; returns the closed cartons."""
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit(
        "build_wave",
        {"allocation_ids": [allocation_id], "release": True},
        namespace="/supervisor",
        callback=True,
    )
    assert ack["ok"], ack
    picker = socket_client(app, "/pick", "U0010")
    while True:
        ack = picker.emit("next_task", {}, namespace="/pick", callback=True)
        assert ack["ok"], ack
        task = ack["task"]
        if task is None:
            break
        if task["sku"] in short_skus:
            for event, body in (
                ("scan", {"task_id": task["task_id"], "code": task["location"]}),
                ("short", {"task_id": task["task_id"], "reason": "damaged"}),
            ):
                reply = picker.emit(event, body, namespace="/pick", callback=True)
                assert reply["ok"], reply
            continue
        for code in (
            [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or "T0001"]
        ):
            reply = picker.emit(
                "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
            )
            assert reply["ok"], reply
    packer = socket_client(app, "/pack", "U0040")
    ack = packer.emit("open", {"code": allocation_id}, namespace="/pack", callback=True)
    assert ack["ok"], ack
    units = [ln["barcode"] for ln in ack["order"]["lines"] for _ in range(ln["picked"])]
    assert len(units) >= cartons
    per = -(-len(units) // cartons)
    closed: list[dict[str, Any]] = []
    for start in range(0, len(units), per):
        reply: dict[str, Any] = {}
        for code in units[start : start + per]:
            reply = packer.emit(
                "scan",
                {"allocation_id": allocation_id, "code": code},
                namespace="/pack",
                callback=True,
            )
            assert reply["ok"], reply
        done = packer.emit(
            "close_carton",
            {
                "allocation_id": allocation_id,
                "carton_type": "BOX-L",
                "reason": "other",
                "note": "test: fixed carton",
            },
            namespace="/pack",
            callback=True,
        )
        if not done["ok"]:  # an override the station wants explained differently
            done = packer.emit(
                "close_carton",
                {
                    "allocation_id": allocation_id,
                    "carton_type": reply["order"]["recommendation"]["code"],
                },
                namespace="/pack",
                callback=True,
            )
        assert done["ok"], done
        closed.append(done["carton"])
    weigher = socket_client(app, "/weigh", "U0040")
    for carton in closed:
        reply = weigher.emit(
            "weight",
            {"carton": carton["code"], "weight_g": carton["expected_weight_g"] + 12},
            namespace="/weigh",
            callback=True,
        )
        assert reply["ok"], reply
    return closed


def events(app: Flask, type_: str, allocation_id: str | None = None) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        stmt = select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
        if allocation_id is not None:
            stmt = stmt.where(OutboxEvent.allocation_id == allocation_id)
        return [json.loads(e.body) for e in tx.session.scalars(stmt)]


def event_types(app: Flask, allocation_id: str) -> list[str]:
    with uow_of(app)() as tx:
        return list(
            tx.session.scalars(
                select(OutboxEvent.type)
                .where(OutboxEvent.allocation_id == allocation_id)
                .order_by(OutboxEvent.id)
            )
        )


def ship_client(app: Flask) -> Any:
    return socket_client(app, "/ship", "U0060")


def emit(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/ship", callback=True)
    return ack
