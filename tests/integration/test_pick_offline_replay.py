"""The server side of the handheld's offline queue: actions replayed in order with their
client ids are applied exactly once, whatever was resent; what changed meanwhile (a
reassignment, a hold, a cancel) refuses them with a reason, logs them, and shows up in
`reconcile`; lots, expiries and serials travel from the scans to `allocation.picked`."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.adapters.db.models import OutboxEvent, PickTask, ScanLog
from app.adapters.db.models_pick import PickUnit
from app.services import wave_ops
from tests.support.warehouse import (
    allocation_doc,
    signed_get,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals, release

GS = "\x1d"


def order(app: Flask, lines: list[dict[str, Any]], allocation_id: str = "AL-1") -> None:
    resp = signed_post(app.test_client(), "/api/v1/allocations", allocation_doc(lines=lines))
    assert resp.get_json()["status"] == "accepted"
    release(app, allocation_id)


def emit(client: Any, event: str, **payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/pick", callback=True)
    return ack


def first_task(app: Flask, badge: str = "U0010") -> tuple[Any, dict[str, Any]]:
    picker = socket_client(app, "/pick", badge)
    task = emit(picker, "next_task")["task"]
    assert task is not None
    return picker, task


def queue_for(task: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """What a handheld queued offline for a 3-unit task, with client ids and timestamps."""
    t = task["task_id"]
    base = {"queued": True, "scanned_at": "2026-11-26T09:00:00Z", "entry": "scan"}
    return [
        ("scan", {"task_id": t, "code": task["location"], "client_scan_id": "q-1", **base}),
        ("scan", {"task_id": t, "code": task["barcode"], "client_scan_id": "q-2", **base}),
        ("scan", {"task_id": t, "code": "5012340000201", "client_scan_id": "q-3", **base}),
        (
            "quantity",
            {"task_id": t, "total": 3, "client_scan_id": "q-4", **base, "entry": "keypad"},
        ),
        ("scan", {"task_id": t, "code": task["barcode"], "client_scan_id": "q-5", **base}),
        ("scan", {"task_id": t, "code": "T0009", "client_scan_id": "q-6", **base}),
    ]


def replay(picker: Any, actions: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [emit(picker, event, **payload) for event, payload in actions]


def logged(app: Flask) -> list[SimpleNamespace]:
    with uow_of(app)() as tx:
        rows = tx.session.scalars(select(ScanLog).order_by(ScanLog.id))
        return [
            SimpleNamespace(
                client_scan_id=r.client_scan_id, raw=r.raw, result=r.result, parsed=r.parsed
            )
            for r in rows
        ]


def test_a_replayed_queue_is_applied_in_order_exactly_once(app: Flask) -> None:
    order(app, [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 3}])
    picker, task = first_task(app)
    actions = queue_for(task)

    first = replay(picker, actions)
    assert [(a["ok"], a["result"]) for a in first] == [
        (True, "location_ok"),
        (True, "item_ok"),
        (False, "wrong_item"),
        (True, "item_ok"),
        (False, "over_pick"),
        (True, "tote_ok"),
    ]
    assert not any(a["replayed"] for a in first)
    totals = floor_totals(app)

    # The answers got lost; the handheld sends the whole queue again. Twice.
    for _ in range(2):
        again = replay(picker, actions)
        assert [(a["ok"], a["result"]) for a in again] == [(a["ok"], a["result"]) for a in first]
        assert all(a["replayed"] for a in again)
        assert all(a["task"]["task_id"] == task["task_id"] for a in again)
    assert floor_totals(app) == totals

    rows = logged(app)
    assert [r.client_scan_id for r in rows] == [f"q-{i}" for i in range(1, 7)]
    assert [r.raw for r in rows][3] == "qty:3"
    assert all(r.parsed["queued"] is True for r in rows)
    assert rows[0].parsed["scanned_at"] == "2026-11-26T09:00:00Z"
    assert rows[3].parsed["entry"] == "keypad"
    state = signed_get(app.test_client(), "/api/v1/allocations/AL-1").get_json()
    assert state["status"] == "picked" and state["lines"][0]["picked"] == 3
    with uow_of(app)() as tx:
        assert tx.session.scalar(select(func.sum(PickUnit.qty))) == 3


def test_a_resend_from_the_middle_of_the_queue_applies_only_what_is_new(app: Flask) -> None:
    order(app, [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 3}])
    picker, task = first_task(app)
    actions = queue_for(task)
    replay(picker, actions[:3])  # the connection died after the third answer was lost
    answers = replay(picker, actions[2:])
    assert answers[0]["replayed"] is True and answers[0]["result"] == "wrong_item"
    assert not any(a["replayed"] for a in answers[1:])
    assert answers[-1]["result"] == "tote_ok"
    with uow_of(app)() as tx:
        done = tx.session.get(PickTask, task["task_id"])
        assert (done.picked_qty, done.status) == (3, "done")


def test_a_task_given_to_someone_else_refuses_the_queue_and_reconcile_says_so(
    app: Flask,
) -> None:
    order(app, [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 3}])
    picker, task = first_task(app, "U0010")
    emit(picker, "scan", task_id=task["task_id"], code=task["location"], client_scan_id="r-1")
    # A supervisor hands the order to someone else (the waves area's reassign).
    moved = wave_ops.reassign(uow_of(app), allocation_id="AL-1", to_picker="U0011")
    assert moved["to_picker"] == "U0011"

    ack = emit(picker, "scan", task_id=task["task_id"], code=task["barcode"], client_scan_id="r-2")
    assert not ack["ok"] and ack["result"] == "reassigned"
    assert "now belongs to U0011" in ack["message"] and task["location"] in ack["message"]
    rec = emit(picker, "reconcile", task_ids=[task["task_id"]])
    assert rec["ok"]
    [entry] = rec["tasks"]
    assert entry["change"] == "reassigned" and "U0011" in entry["message"]

    other = socket_client(app, "/pick", "U0011")
    mine = emit(other, "next_task")["task"]
    assert mine["task_id"] == task["task_id"] and mine["location_confirmed"] is True
    assert emit(other, "scan", task_id=mine["task_id"], code=mine["barcode"])["ok"]
    assert logged(app)[1].result == "reassigned"


def test_a_hold_or_cancel_meanwhile_refuses_the_queue_and_logs_every_scan(app: Flask) -> None:
    order(app, [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2}])
    picker, task = first_task(app)
    actions = queue_for(task)[:3]
    signed_post(app.test_client(), "/api/v1/allocations/AL-1/hold", {"reason": "address check"})
    answers = replay(picker, actions)
    assert {a["result"] for a in answers} == {"on_hold"}
    assert "address check" in answers[0]["message"]
    rec = emit(picker, "reconcile", task_ids=[task["task_id"], 999_999])
    assert [t["change"] for t in rec["tasks"]] == ["on_hold", "cancelled"]
    assert rec["tasks"][1]["task"] is None

    signed_post(app.test_client(), "/api/v1/allocations/AL-1/release", {"reason": "ok"})
    signed_post(app.test_client(), "/api/v1/allocations/AL-1/cancel", {"reason": "changed mind"})
    # Nothing was picked: the cancel took the task away altogether.
    more = emit(picker, "scan", task_id=task["task_id"], code=task["location"], client_scan_id="z")
    assert more["result"] == "no_task" and "cancelled" in more["message"]
    assert [r.result for r in logged(app)] == ["on_hold"] * 3 + ["no_task"]
    assert floor_totals(app)["allocated"] == 0


def test_reconcile_wants_a_list_of_task_ids(app: Flask) -> None:
    picker = socket_client(app, "/pick", "U0010")
    bad = emit(picker, "reconcile", task_ids="7")
    assert bad["ok"] is False and bad["field"] == "task_ids"


def test_lots_expiry_and_serials_from_gs1_scans_reach_allocation_picked(app: Flask) -> None:
    order(app, [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2, "serial_required": True}])
    picker, task = first_task(app)
    gtin = task["barcode"].zfill(14)
    emit(picker, "scan", task_id=task["task_id"], code=task["location"])

    plain = emit(picker, "scan", task_id=task["task_id"], code=task["barcode"])
    assert plain["result"] == "serial_required"
    keypad = emit(picker, "quantity", task_id=task["task_id"], total=2)
    assert keypad["result"] == "serial_required"
    dm = f"]d201{gtin}17271231" + f"10LOT-A{GS}21SN-1"  # GS1 DataMatrix: expiry, lot, serial
    assert emit(picker, "scan", task_id=task["task_id"], code=dm)["result"] == "item_ok"
    dup = emit(picker, "scan", task_id=task["task_id"], code=dm)
    assert dup["result"] == "duplicate_serial" and "SN-1" in dup["message"]
    link = f"https://id.gs1.org/01/{gtin}/10/LOT-A/21/SN-2?17=271231"  # GS1 Digital Link
    assert emit(picker, "scan", task_id=task["task_id"], code=link)["result"] == "item_ok"
    assert emit(picker, "scan", task_id=task["task_id"], code="T0001")["result"] == "tote_ok"

    with uow_of(app)() as tx:
        ev = tx.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "allocation.picked")
        ).one()
        line = json.loads(ev.body)["data"]["lines"][0]
    assert line["qty"] == 2
    assert line["lots"] == [{"lot": "LOT-A", "expires_on": "2027-12-31", "qty": 2}]
    assert line["serials"] == ["SN-1", "SN-2"]


def test_keypad_quantity_takes_the_lot_of_the_unit_scanned_first(app: Flask) -> None:
    order(app, [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 3}])
    picker, task = first_task(app)
    gtin = task["barcode"].zfill(14)
    emit(picker, "scan", task_id=task["task_id"], code=task["location"])
    early = emit(picker, "quantity", task_id=task["task_id"], total=3)
    assert early["result"] == "scan_one_first"
    emit(picker, "scan", task_id=task["task_id"], code=f"01{gtin}10LOT-B")
    assert emit(picker, "quantity", task_id=task["task_id"], total=4)["result"] == "over_pick"
    assert emit(picker, "quantity", task_id=task["task_id"], total=1)["result"] == "bad_quantity"
    ok = emit(picker, "quantity", task_id=task["task_id"], total=3)
    assert ok["ok"] and ok["task"]["picked"] == 3 and ok["task"]["stage"] == "tote"
    with uow_of(app)() as tx:
        units = tx.session.scalars(select(PickUnit).order_by(PickUnit.id)).all()
        assert [(u.qty, u.lot) for u in units] == [(1, "LOT-B"), (2, "LOT-B")]
    bad = emit(picker, "quantity", task_id=task["task_id"], total="3")
    assert bad["ok"] is False and bad["field"] == "total"
