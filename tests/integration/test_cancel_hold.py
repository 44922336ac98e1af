"""Cancels at every stage, partial cancels by line and quantity, holds and releases."""

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
from tests.test_support import floor_totals, release


def post(app: Flask, path: str, doc: Any) -> Any:
    return signed_post(app.test_client(), path, doc)


def state(app: Flask, allocation_id: str = "AL-1") -> dict[str, Any]:
    resp = signed_get(app.test_client(), f"/api/v1/allocations/{allocation_id}")
    body: dict[str, Any] = resp.get_json()
    return body


def last_event(app: Flask, type_: str) -> dict[str, Any]:
    with uow_of(app)() as tx:
        ev = tx.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.id.desc())
        ).first()
        assert ev is not None, f"no {type_} event"
        body: dict[str, Any] = json.loads(ev.body)
        return body


def pick_all(app: Flask, badge: str = "U0010", tote: str = "T0001") -> Any:
    picker = socket_client(app, "/pick", badge)
    while task := picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]:
        if task["kind"] != "pick":
            return picker, task
        for code in [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or tote]:
            ack = picker.emit(
                "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
            )
            assert ack["ok"], ack
    return picker, None


def test_cancel_before_picking_releases_every_unit(app: Flask) -> None:
    post(app, "/api/v1/allocations", allocation_doc())
    release(app, "AL-1")
    before = floor_totals(app)
    resp = post(app, "/api/v1/allocations/AL-1/cancel", {"reason": "customer request"})
    assert resp.get_json()["result"] == "cancelled"
    assert state(app)["status"] == "cancelled"
    after = floor_totals(app)
    assert after["allocated"] == before["allocated"] - 3
    assert after["ledger_allocated"] == after["allocated"]
    # Nothing is left for pickers.
    picker = socket_client(app, "/pick", "U0010")
    assert picker.emit("next_task", {}, namespace="/pick", callback=True)["task"] is None
    ev = last_event(app, "allocation.cancelled")
    assert ev["data"]["result"] == "cancelled"
    assert {ln["line_id"]: ln["qty"] for ln in ev["data"]["lines"]} == {"1": 2, "2": 1}


def test_partial_cancel_takes_exactly_those_units(app: Flask) -> None:
    post(app, "/api/v1/allocations", allocation_doc())
    resp = post(
        app,
        "/api/v1/allocations/AL-1/cancel",
        {"reason": "one less", "lines": [{"line_id": "1", "qty": 1}]},
    )
    assert resp.get_json()["result"] == "partially_cancelled"
    lines = {ln["line_id"]: ln for ln in state(app)["lines"]}
    assert (lines["1"]["cancelled"], lines["2"]["cancelled"]) == (1, 0)
    assert floor_totals(app)["allocated"] == 2
    # The rest of the order still ships: 1 shirt and 1 mug are picked.
    release(app, "AL-1")
    pick_all(app)
    picked = {ln["line_id"]: ln["picked"] for ln in state(app)["lines"]}
    assert picked == {"1": 1, "2": 1}
    assert state(app)["status"] == "picked"


def test_cancel_after_picking_creates_put_back_work(app: Flask) -> None:
    post(app, "/api/v1/allocations", allocation_doc())
    release(app, "AL-1")
    pick_all(app)
    on_hand_before = floor_totals(app)["on_hand"]
    resp = post(app, "/api/v1/allocations/AL-1/cancel", {"reason": "fraud"})
    body = resp.get_json()
    assert body["result"] == "cancelled"
    assert "3 picked unit(s) go back" in body["detail"]
    assert state(app)["status"] == "picked"  # until the units are back in their bins
    assert "going back to their bins" in state(app)["holds"][0]
    # The packer is stopped.
    packer = socket_client(app, "/pack", "U0040")
    opened = packer.emit("open", {"code": "T0001"}, namespace="/pack", callback=True)
    assert opened["ok"] is False and "cancelled" in opened["message"]
    # Put-back tasks appear on the handheld and are worked by scan.
    picker = socket_client(app, "/pick", "U0011")
    done = 0
    while task := picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]:
        assert task["kind"] == "put_back"
        for code in [task["location"]] + [task["barcode"]] * task["qty"]:
            ack = picker.emit(
                "scan",
                {"kind": "put_back", "task_id": task["task_id"], "code": code},
                namespace="/pick",
                callback=True,
            )
            assert ack["ok"], ack
        done += task["qty"]
    assert done == 3
    assert state(app)["status"] == "cancelled"
    totals = floor_totals(app)
    assert totals["on_hand"] == on_hand_before + 3 == totals["ledger_on_hand"]


def test_cancel_after_shipping_is_rejected(app: Flask) -> None:
    from tests.test_support import work_one_order

    post(app, "/api/v1/allocations", allocation_doc())
    work_one_order(app)
    resp = post(app, "/api/v1/allocations/AL-1/cancel", {"reason": "too late"})
    assert resp.get_json()["result"] == "rejected"
    assert state(app)["status"] == "shipped"


def test_cancel_of_unknown_line_names_the_field(app: Flask) -> None:
    post(app, "/api/v1/allocations", allocation_doc())
    resp = post(app, "/api/v1/allocations/AL-1/cancel", {"lines": [{"line_id": "9", "qty": 1}]})
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "lines[0].line_id"
    assert post(app, "/api/v1/allocations/NOPE/cancel", {}).status_code == 404


def test_held_allocation_is_never_waved_and_release_resumes_it(app: Flask) -> None:
    post(app, "/api/v1/allocations", allocation_doc())
    assert post(app, "/api/v1/allocations/AL-1/hold", {"reason": "fraud review"}).status_code == 200
    assert state(app)["status"] == "held"
    assert state(app)["holds"] == ["fraud review"]
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit("build_wave", {"release": True}, namespace="/supervisor", callback=True)
    assert ack["ok"] is False
    post(app, "/api/v1/allocations/AL-1/release", {})
    assert state(app)["status"] == "accepted"
    ack = sup.emit("build_wave", {"release": True}, namespace="/supervisor", callback=True)
    assert ack["ok"] and ack["wave"]["orders"] == 1


def test_hold_in_progress_stops_the_picker_with_the_reason(app: Flask) -> None:
    post(app, "/api/v1/allocations", allocation_doc())
    release(app, "AL-1")
    picker = socket_client(app, "/pick", "U0010")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    post(app, "/api/v1/allocations/AL-1/hold", {"reason": "address check"})
    ack = picker.emit(
        "scan",
        {"task_id": task["task_id"], "code": task["location"]},
        namespace="/pick",
        callback=True,
    )
    assert ack["ok"] is False and ack["result"] == "on_hold"
    assert "address check" in ack["message"]
    post(app, "/api/v1/allocations/AL-1/release", {})
    ack = picker.emit(
        "scan",
        {"task_id": task["task_id"], "code": task["location"]},
        namespace="/pick",
        callback=True,
    )
    assert ack["ok"], ack


def test_return_authorization_is_stored_once(app: Flask) -> None:
    doc = {
        "rma_id": "RMA-77",
        "allocation_id": "AL-1",
        "order_number": "SO-AL-1",
        "lines": [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1, "reason": "too small"}],
    }
    assert post(app, "/api/v1/returns", doc).status_code == 202
    again = post(app, "/api/v1/returns", doc)
    assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
    bad = post(app, "/api/v1/returns", {"rma_id": "RMA-78", "lines": []})
    assert bad.status_code == 422
