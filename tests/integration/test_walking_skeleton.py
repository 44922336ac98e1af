"""One allocation from the signed webhook to allocation.shipped, through every station's
Socket.IO events, on a real SQLite database."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import OutboxEvent
from tests.support.warehouse import (
    allocation_doc,
    signed_get,
    signed_post,
    socket_client,
    uow_of,
)


def events(app: Flask) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        return [json.loads(e.body) for e in tx.session.scalars(select(OutboxEvent).order_by(
            OutboxEvent.id))]


def work_one_order(app: Flask, allocation_id: str = "AL-1") -> dict[str, Any]:
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit("build_wave", {"allocation_ids": [allocation_id], "release": True},
                   namespace="/supervisor", callback=True)
    assert ack["ok"], ack
    assert ack["wave"]["status"] == "released"

    picker = socket_client(app, "/pick", "U0010")
    while True:
        ack = picker.emit("next_task", {}, namespace="/pick", callback=True)
        assert ack["ok"], ack
        task = ack["task"]
        if task is None:
            break
        for code in [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or
                                                                             "T0001"]:
            reply = picker.emit("scan", {"task_id": task["task_id"], "code": code},
                                namespace="/pick", callback=True)
            assert reply["ok"], reply

    packer = socket_client(app, "/pack", "U0040")
    ack = packer.emit("open", {"code": "T0001"}, namespace="/pack", callback=True)
    assert ack["ok"], ack
    order = ack["order"]
    for line in order["lines"]:
        for _ in range(line["picked"]):
            reply = packer.emit("scan", {"allocation_id": allocation_id,
                                         "code": line["barcode"]},
                                namespace="/pack", callback=True)
            assert reply["ok"], reply
    order = reply["order"]
    assert order["all_verified"]
    carton_type = order["recommendation"]["code"]
    closed = packer.emit("close_carton", {"allocation_id": allocation_id,
                                          "carton_type": carton_type},
                         namespace="/pack", callback=True)
    assert closed["ok"], closed
    carton = closed["carton"]

    weigher = socket_client(app, "/weigh", "U0040")
    reply = weigher.emit("weight", {"carton": carton["code"],
                                    "weight_g": carton["expected_weight_g"] + 12},
                         namespace="/weigh", callback=True)
    assert reply["ok"], reply

    shipper = socket_client(app, "/ship", "U0060")
    rated = shipper.emit("open", {"code": carton["code"]}, namespace="/ship", callback=True)
    assert rated["ok"] and rated["carton"]["recommended"], rated
    shipped = shipper.emit("ship", {"carton": carton["code"]}, namespace="/ship", callback=True)
    assert shipped["ok"], shipped
    return shipped


def test_allocation_travels_from_webhook_to_shipped_event(app: Flask) -> None:
    client = app.test_client()
    resp = signed_post(client, "/api/v1/allocations", allocation_doc())
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["status"] == "accepted"

    shipped = work_one_order(app)
    tracking = shipped["carton"]["tracking_number"]
    assert tracking.startswith(("DX", "PP"))

    state = signed_get(client, "/api/v1/allocations/AL-1").get_json()
    assert state["status"] == "shipped"
    assert [ln["shipped"] for ln in state["lines"]] == [2, 1]
    assert state["shipments"][0]["cartons"][0]["tracking_number"] == tracking

    types = [e["type"] for e in events(app)]
    assert types == ["allocation.accepted", "allocation.picked", "allocation.packed",
                     "allocation.shipped"]
    last = events(app)[-1]
    assert last["data"]["cartons"][0]["tracking_number"] == tracking
    assert last["data"]["cartons"][0]["weight_g"] > 0

    label = client.get(f"/ship/label/{shipped['carton']['carton']}.pdf")
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
