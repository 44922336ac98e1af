"""Short picks on a real database through the /pick namespace: the rest reallocated to another
bin where stock exists, a count task for the bin, `allocation.short` upstream when nothing
covers the line, and the order going on with what was picked."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    AllocationLine,
    OutboxEvent,
    PickTask,
    Reservation,
    Sku,
    Stock,
)
from app.adapters.db.models_pick import CountTask, PickShort
from app.adapters.db.models_waves import PickBatchTask
from tests.support.warehouse import (
    allocation_doc,
    signed_get,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals, release

SKU = "TSHIRT-BLK-S"


def order(app: Flask, qty: int = 3, sku: str = SKU, allocation_id: str = "AL-1") -> None:
    doc = allocation_doc(allocation_id, lines=[{"line_id": "1", "sku": sku, "qty": qty}])
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.get_json()["status"] == "accepted", resp.get_json()
    release(app, allocation_id)


def emit(client: Any, event: str, **payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/pick", callback=True)
    return ack


def scan(client: Any, task: dict[str, Any], code: str, **extra: Any) -> dict[str, Any]:
    return emit(client, "scan", task_id=task["task_id"], code=code, **extra)


def start(app: Flask, badge: str = "U0010") -> tuple[Any, dict[str, Any]]:
    picker = socket_client(app, "/pick", badge)
    task = emit(picker, "next_task")["task"]
    assert task is not None
    return picker, task


def events(app: Flask, type_: str) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        rows = tx.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
        ).all()
        return [json.loads(r.body) for r in rows]


def state(app: Flask, allocation_id: str = "AL-1") -> dict[str, Any]:
    body: dict[str, Any] = signed_get(
        app.test_client(), f"/api/v1/allocations/{allocation_id}"
    ).get_json()
    return body


def other_stock(app: Flask, task: dict[str, Any], sku: str = SKU) -> list[int]:
    with uow_of(app)() as tx:
        s = tx.session
        sku_id = s.scalars(select(Sku.id).where(Sku.sku == sku)).one()
        short_stock = s.get(PickTask, task["task_id"]).stock_id
        return list(
            s.scalars(select(Stock.id).where(Stock.sku_id == sku_id, Stock.id != short_stock))
        )


def empty_bins(app: Flask, stock_ids: list[int]) -> None:
    """Take the free stock out of these bins through the ledger (a stock adjustment)."""
    with uow_of(app)() as tx:
        s = tx.session
        for stock_id in stock_ids:
            stock = s.get(Stock, stock_id)
            repo.move_stock(
                s,
                stock,
                on_hand_delta=-(stock.on_hand - stock.allocated),
                reason="adjust",
                reference="test",
                actor="test",
                now=datetime.now(UTC),
            )
        tx.commit()


def test_short_reallocates_the_rest_to_another_bin_and_raises_a_count(app: Flask) -> None:
    order(app, qty=3)
    picker, task = start(app)
    scan(picker, task, task["location"])
    assert scan(picker, task, task["barcode"])["ok"]

    ack = emit(picker, "short", task_id=task["task_id"], reason="empty", client_scan_id="s-1")
    assert ack["ok"] and ack["result"] == "short_ok", ack
    assert ack["short"] == {
        "reason": "empty",
        "missing": 2,
        "reallocated": 2,
        "short": 0,
        "new_task_ids": ack["short"]["new_task_ids"],
    }
    assert "Count task raised" in ack["message"] and "Scan the tote for the 1" in ack["message"]
    assert ack["task"]["qty"] == 1 and ack["task"]["stage"] == "tote"
    [new_id] = ack["short"]["new_task_ids"]

    with uow_of(app)() as tx:
        s = tx.session
        old = s.get(PickTask, task["task_id"])
        new = s.get(PickTask, new_id)
        assert (new.qty, new.status, new.picker, new.wave_id) == (2, "active", "U0010", old.wave_id)
        assert new.stock_id != old.stock_id
        res = s.get(Reservation, new.reservation_id)
        assert (res.stock_id, res.qty) == (new.stock_id, 2)
        assert old.reservation_id is None
        [count] = s.scalars(select(CountTask)).all()
        assert (count.stock_id, count.reason, count.status, count.raised_by) == (
            old.stock_id,
            "empty",
            "open",
            "U0010",
        )
        [short] = s.scalars(select(PickShort)).all()
        assert (short.missing_qty, short.reallocated_qty, short.short_qty) == (2, 2, 0)
        # The replacement rides on the cart of the task it replaces.
        cart = {t: b for t, b in s.execute(select(PickBatchTask.task_id, PickBatchTask.batch_id))}
        assert cart[new_id] == cart[task["task_id"]]
    totals = floor_totals(app)
    assert totals["allocated"] == totals["ledger_allocated"] == 2
    assert totals["on_hand"] == totals["ledger_on_hand"]

    # The picked unit goes in the tote; the next task is the other bin, for the same picker.
    assert scan(picker, task, "T0001")["result"] == "tote_ok"
    nxt = emit(picker, "next_task")["task"]
    assert nxt["task_id"] == new_id and nxt["location"] != task["location"]
    scan(picker, nxt, nxt["location"])
    for _ in range(2):
        assert scan(picker, nxt, nxt["barcode"])["ok"]
    assert scan(picker, nxt, "T0001")["result"] == "tote_ok"

    body = state(app)
    assert body["status"] == "picked"
    assert (body["lines"][0]["picked"], body["lines"][0]["short"]) == (3, 0)
    assert events(app, "allocation.short") == []
    [picked] = events(app, "allocation.picked")
    assert picked["data"]["lines"][0]["qty"] == 3


def test_short_with_no_other_stock_reports_allocation_short_and_the_order_goes_on(
    app: Flask,
) -> None:
    order(app, qty=3)
    picker, task = start(app)
    empty_bins(app, other_stock(app, task))
    scan(picker, task, task["location"])
    scan(picker, task, task["barcode"])

    ack = emit(picker, "short", task_id=task["task_id"], reason="not_found")
    assert ack["ok"] and ack["short"]["short"] == 2 and ack["short"]["reallocated"] == 0
    assert "2 not in stock: the office is told" in ack["message"]
    [short] = events(app, "allocation.short")
    assert short["allocation_id"] == "AL-1"
    assert short["data"]["lines"] == [
        {
            "line_id": "1",
            "short_qty": 2,
            "reason": f"short pick at {task['location']}: not found; no other stock covers it",
        }
    ]
    assert "backordered" not in short["data"]

    assert scan(picker, task, "T0001")["result"] == "tote_ok"
    body = state(app)
    assert body["status"] == "picked"
    assert (body["lines"][0]["picked"], body["lines"][0]["short"]) == (1, 2)
    [picked] = events(app, "allocation.picked")
    assert picked["data"]["lines"][0]["qty"] == 1
    assert emit(picker, "next_task")["task"] is None
    totals = floor_totals(app)
    assert totals["allocated"] == totals["ledger_allocated"] == 0


def test_a_line_short_with_nothing_picked_at_all_backorders_the_allocation(app: Flask) -> None:
    order(app, qty=2)
    picker, task = start(app)
    empty_bins(app, other_stock(app, task))
    ack = emit(picker, "short", task_id=task["task_id"], reason="empty")  # before the location
    assert ack["ok"] and ack["task"]["stage"] == "done"
    body = state(app)
    assert body["status"] == "backordered"
    assert body["lines"][0]["short"] == 2
    [short] = events(app, "allocation.short")
    assert short["data"]["backordered"] is True
    assert events(app, "allocation.picked") == []


def test_reallocation_skips_expired_stock(app: Flask) -> None:
    order(app, qty=2)
    picker, task = start(app)
    others = other_stock(app, task)
    with uow_of(app)() as tx:
        for stock_id in others:
            tx.session.get(Stock, stock_id).expires_on = date(2020, 1, 31)
        tx.commit()
    ack = emit(picker, "short", task_id=task["task_id"], reason="damaged")
    assert ack["short"]["reallocated"] == 0 and ack["short"]["short"] == 2


def test_a_second_short_in_the_same_bin_adds_no_second_count(app: Flask) -> None:
    order(app, qty=1, allocation_id="AL-1")
    order(app, qty=1, allocation_id="AL-2")
    first, task1 = start(app, "U0010")
    second, task2 = start(app, "U0011")
    assert task1["location"] == task2["location"]
    assert emit(first, "short", task_id=task1["task_id"], reason="empty")["ok"]
    ack = emit(second, "short", task_id=task2["task_id"], reason="not_found")
    assert ack["ok"]
    with uow_of(app)() as tx:
        counts = tx.session.scalars(select(CountTask)).all()
        assert [(c.reason, c.status) for c in counts] == [("empty", "open")]
        # The bin under count is not where the second short's units are looked for.
        new = tx.session.get(PickTask, ack["short"]["new_task_ids"][0])
        assert new.stock_id != tx.session.get(PickTask, task2["task_id"]).stock_id


def test_short_is_refused_once_every_unit_is_picked(app: Flask) -> None:
    order(app, qty=1)
    picker, task = start(app)
    scan(picker, task, task["location"])
    scan(picker, task, task["barcode"])
    ack = emit(picker, "short", task_id=task["task_id"], reason="empty")
    assert not ack["ok"] and ack["result"] == "nothing_missing"
    assert "scan the tote" in ack["message"]


def test_an_unknown_reason_names_the_field_and_changes_nothing(app: Flask) -> None:
    order(app, qty=1)
    picker, task = start(app)
    ack = emit(picker, "short", task_id=task["task_id"], reason="lunch")
    assert ack["ok"] is False and ack["field"] == "reason"
    assert "empty, damaged, not_found, expired" in ack["message"]
    with uow_of(app)() as tx:
        assert tx.session.scalars(select(PickShort)).all() == []


def test_the_same_short_sent_twice_is_applied_once(app: Flask) -> None:
    order(app, qty=3)
    picker, task = start(app)
    first = emit(picker, "short", task_id=task["task_id"], reason="empty", client_scan_id="s-9")
    again = emit(picker, "short", task_id=task["task_id"], reason="empty", client_scan_id="s-9")
    assert first["ok"] and again["ok"] and again["replayed"] is True
    with uow_of(app)() as tx:
        assert len(tx.session.scalars(select(PickShort)).all()) == 1
        assert len(tx.session.scalars(select(PickTask)).all()) == 2
        line = tx.session.scalars(select(AllocationLine)).one()
        assert line.short == 0


def test_a_short_on_a_held_order_is_refused_with_the_reason(app: Flask) -> None:
    order(app, qty=2)
    picker, task = start(app)
    signed_post(app.test_client(), "/api/v1/allocations/AL-1/hold", {"reason": "fraud review"})
    ack = emit(picker, "short", task_id=task["task_id"], reason="empty")
    assert not ack["ok"] and ack["result"] == "on_hold"
    assert "fraud review" in ack["message"]


@pytest.mark.postgres
def test_short_and_reallocation_on_postgresql(postgres_app: Flask) -> None:
    app = postgres_app
    order(app, qty=3)
    picker, task = start(app)
    scan(picker, task, task["location"])
    scan(picker, task, task["barcode"])
    ack = emit(picker, "short", task_id=task["task_id"], reason="damaged")
    assert ack["ok"] and ack["short"]["reallocated"] == 2
    assert scan(picker, task, "T0001")["result"] == "tote_ok"
    nxt = emit(picker, "next_task")["task"]
    scan(picker, nxt, nxt["location"])
    assert emit(picker, "quantity", task_id=nxt["task_id"], total=1)["result"] == "scan_one_first"
    scan(picker, nxt, nxt["barcode"])
    assert emit(picker, "quantity", task_id=nxt["task_id"], total=2)["result"] == "item_ok"
    assert scan(picker, nxt, "T0001")["result"] == "tote_ok"
    assert state(app)["status"] == "picked"
    totals = floor_totals(app)
    assert totals["allocated"] == totals["ledger_allocated"] == 0
