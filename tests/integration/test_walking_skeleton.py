"""One allocation from the signed webhook to allocation.shipped, through every station's
Socket.IO events, on a real SQLite database."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import OutboxEvent
from tests.support.warehouse import allocation_doc, signed_get, signed_post, uow_of
from tests.test_support import race_for_one_sku, work_one_order


def events(app: Flask) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        return [
            json.loads(e.body)
            for e in tx.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
        ]


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

    types = [e["type"] for e in events(app) if e["type"].startswith("allocation.")]
    assert types == [
        "allocation.accepted",
        "allocation.picked",
        "allocation.packed",
        "allocation.shipped",
    ]
    last = [e for e in events(app) if e["type"] == "allocation.shipped"][-1]
    assert last["data"]["cartons"][0]["tracking_number"] == tracking
    assert last["data"]["cartons"][0]["weight_g"] > 0

    label = client.get(f"/ship/label/{shipped['carton']['carton']}.pdf")
    assert label.status_code == 200 and label.data.startswith(b"%PDF")


def test_32_concurrent_allocations_never_oversell_on_sqlite(app: Flask) -> None:
    race_for_one_sku(app, workers=32)
