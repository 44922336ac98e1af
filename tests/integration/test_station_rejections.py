"""Bad input at a station gets a clear message, is logged, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import PickTask, ScanLog
from tests.support.warehouse import allocation_doc, signed_post, socket_client, uow_of
from tests.test_support import floor_totals, release


@pytest.fixture
def picking(app: Flask) -> tuple[Any, dict[str, Any]]:
    signed_post(app.test_client(), "/api/v1/allocations", allocation_doc())
    release(app, "AL-1")
    picker = socket_client(app, "/pick", "U0010")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    return picker, task


def scan(client: Any, task: dict[str, Any], code: str, **extra: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(
        "scan",
        {"task_id": task["task_id"], "code": code, **extra},
        namespace="/pick",
        callback=True,
    )
    return ack


def test_wrong_location_is_rejected_with_the_right_one_named(app: Flask, picking: Any) -> None:
    picker, task = picking
    wrong = "A09-09-1" if task["location"] != "A09-09-1" else "A09-09-2"
    before = floor_totals(app)
    reply = scan(picker, task, wrong)
    assert not reply["ok"]
    assert reply["result"] == "wrong_location"
    assert task["location"] in reply["message"]
    assert floor_totals(app) == before


def test_item_before_location_is_refused(app: Flask, picking: Any) -> None:
    picker, task = picking
    reply = scan(picker, task, task["barcode"])
    assert reply["result"] == "expected_location"
    assert reply["task"]["picked"] == 0


def test_wrong_item_and_over_pick_change_no_stock(app: Flask, picking: Any) -> None:
    picker, task = picking
    scan(picker, task, task["location"])
    before = floor_totals(app)
    reply = scan(picker, task, "5000000000000")
    assert (reply["ok"], reply["result"]) == (False, "wrong_item")
    assert floor_totals(app) == before
    for _ in range(task["qty"]):
        assert scan(picker, task, task["barcode"])["ok"]
    after_pick = floor_totals(app)
    reply = scan(picker, task, task["barcode"])
    assert reply["result"] == "over_pick"
    assert floor_totals(app) == after_pick
    assert after_pick["on_hand"] == before["on_hand"] - task["qty"]
    assert after_pick["ledger_on_hand"] == after_pick["on_hand"]


def test_tote_holding_another_order_is_refused(app: Flask, picking: Any) -> None:
    picker, task = picking
    # Another order already sits in tote T0777.
    signed_post(app.test_client(), "/api/v1/allocations", allocation_doc("AL-2"))
    release(app, "AL-2")
    other = socket_client(app, "/pick", "U0011")
    t2 = other.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    assert t2["allocation_id"] == "AL-2"
    for code in [t2["location"]] + [t2["barcode"]] * t2["qty"] + ["T0777"]:
        assert scan(other, t2, code)["ok"]
    for code in [task["location"]] + [task["barcode"]] * task["qty"]:
        assert scan(picker, task, code)["ok"]
    reply = scan(picker, task, "T0777")
    assert reply["result"] == "tote_in_use"
    assert "another order" in reply["message"]


def test_the_same_client_scan_id_is_applied_once(app: Flask, picking: Any) -> None:
    picker, task = picking
    scan(picker, task, task["location"])
    first = scan(picker, task, task["barcode"], client_scan_id="c-1")
    again = scan(picker, task, task["barcode"], client_scan_id="c-1")
    assert first["ok"] and again["ok"]
    assert again["replayed"] is True
    with uow_of(app)() as tx:
        assert tx.session.get(PickTask, task["task_id"]).picked_qty == 1


def test_every_scan_accepted_or_not_is_in_the_scan_log(app: Flask, picking: Any) -> None:
    picker, task = picking
    scan(picker, task, "A99-99-9")
    scan(picker, task, task["location"])
    with uow_of(app)() as tx:
        rows = tx.session.scalars(select(ScanLog).order_by(ScanLog.id)).all()
        assert [(r.raw, r.result, r.actor) for r in rows] == [
            ("A99-99-9", "wrong_location", "U0010"),
            (task["location"], "location_ok", "U0010"),
        ]
        assert rows[0].parsed["kind"] == "location"


def test_station_events_need_a_badge(app: Flask) -> None:
    from app import socketio

    client = socketio.test_client(app, namespace="/pick")
    ack = client.emit("next_task", {}, namespace="/pick", callback=True)
    assert ack["ok"] is False and ack["field"] == "badge"
    bad = client.emit(
        "sign_in", {"badge": "U9999", "pin": "1234"}, namespace="/pick", callback=True
    )
    assert bad["ok"] is False and "do not match" in bad["message"]
    packer_on_pick = client.emit(
        "sign_in", {"badge": "U0040", "pin": "1234"}, namespace="/pick", callback=True
    )
    assert packer_on_pick["ok"] is False


def test_malformed_payloads_get_a_field_and_a_reason(app: Flask, picking: Any) -> None:
    picker, _ = picking
    ack = picker.emit("scan", {"task_id": "7", "code": "x"}, namespace="/pick", callback=True)
    assert ack == {
        "ok": False,
        "error": "invalid",
        "message": "task_id must be a whole number",
        "field": "task_id",
    }
    ack = picker.emit("scan", "not an object", namespace="/pick", callback=True)
    assert ack["ok"] is False and ack["field"] == "payload"


def _pack_ready(app: Flask) -> tuple[Any, dict[str, Any]]:
    signed_post(app.test_client(), "/api/v1/allocations", allocation_doc())
    release(app, "AL-1")
    picker = socket_client(app, "/pick", "U0010")
    while task := picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]:
        for code in [task["location"]] + [task["barcode"]] * task["qty"] + ["T0001"]:
            assert scan(picker, task, code)["ok"]
    packer = socket_client(app, "/pack", "U0040")
    return packer, packer.emit("open", {"code": "T0001"}, namespace="/pack", callback=True)


def test_pack_rejects_wrong_item_and_over_scan(app: Flask) -> None:
    packer, opened = _pack_ready(app)
    assert opened["ok"], opened
    line = opened["order"]["lines"][1]  # the mug: one unit
    wrong = packer.emit(
        "scan", {"allocation_id": "AL-1", "code": "5000000000000"}, namespace="/pack", callback=True
    )
    assert wrong["result"] == "wrong_item"
    ok = packer.emit(
        "scan", {"allocation_id": "AL-1", "code": line["barcode"]}, namespace="/pack", callback=True
    )
    assert ok["ok"]
    over = packer.emit(
        "scan", {"allocation_id": "AL-1", "code": line["barcode"]}, namespace="/pack", callback=True
    )
    assert over["result"] == "over_scan"
    assert over["order"]["lines"][1]["verified"] == 1


def test_no_label_before_the_weight_check_and_wrong_weight_blocks(app: Flask) -> None:
    packer, opened = _pack_ready(app)
    for line in opened["order"]["lines"]:
        for _ in range(line["picked"]):
            packer.emit(
                "scan",
                {"allocation_id": "AL-1", "code": line["barcode"]},
                namespace="/pack",
                callback=True,
            )
    closed = packer.emit(
        "close_carton",
        {"allocation_id": "AL-1", "carton_type": "BOX-L"},
        namespace="/pack",
        callback=True,
    )
    assert closed["ok"], closed
    carton = closed["carton"]["code"]
    shipper = socket_client(app, "/ship", "U0060")
    early = shipper.emit("ship", {"carton": carton}, namespace="/ship", callback=True)
    assert early["ok"] is False and "weigh it first" in early["message"]
    weigher = socket_client(app, "/weigh", "U0041")
    heavy = weigher.emit(
        "weight",
        {"carton": carton, "weight_g": closed["carton"]["expected_weight_g"] + 900},
        namespace="/weigh",
        callback=True,
    )
    assert heavy["ok"] is False and heavy["result"] == "weight_out_of_tolerance"
    assert "too heavy" in heavy["message"]
    assert shipper.emit("ship", {"carton": carton}, namespace="/ship", callback=True)["ok"] is False
    zero = weigher.emit(
        "weight", {"carton": carton, "weight_g": 0}, namespace="/weigh", callback=True
    )
    assert zero["field"] == "weight_g"


def test_unknown_carton_type_is_named(app: Flask) -> None:
    packer, _ = _pack_ready(app)
    ack = packer.emit(
        "close_carton",
        {"allocation_id": "AL-1", "carton_type": "BOX-ZZ"},
        namespace="/pack",
        callback=True,
    )
    assert ack["ok"] is False and "BOX-M" in ack["message"]
