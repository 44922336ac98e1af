"""Helpers shared by integration tests that need the floor in a given state."""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.adapters.db.models import Sku, Stock, StockMovement
from app.adapters.db.uow import SessionFactory
from tests.support.warehouse import allocation_doc, signed_post, socket_client, uow_of


def floor_totals(app: Flask | SessionFactory) -> dict[str, int]:
    """Stock table against the ledger: both must tell the same story."""
    uow = app if isinstance(app, SessionFactory) else uow_of(app)
    with uow() as tx:
        s = tx.session
        on_hand, allocated, negative, over = s.execute(
            select(
                func.coalesce(func.sum(Stock.on_hand), 0),
                func.coalesce(func.sum(Stock.allocated), 0),
                func.count(Stock.id).filter(Stock.on_hand < 0),
                func.count(Stock.id).filter(Stock.allocated > Stock.on_hand),
            )
        ).one()
        led_on_hand, led_allocated = s.execute(
            select(
                func.coalesce(func.sum(StockMovement.on_hand_delta), 0),
                func.coalesce(func.sum(StockMovement.allocated_delta), 0),
            )
        ).one()
    return {
        "on_hand": int(on_hand),
        "allocated": int(allocated),
        "ledger_on_hand": int(led_on_hand),
        "ledger_allocated": int(led_allocated),
        "negative_bins": int(negative),
        "over_allocated_bins": int(over),
    }


def release(app: Flask, allocation_id: str) -> None:
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit(
        "build_wave",
        {"allocation_ids": [allocation_id], "release": True},
        namespace="/supervisor",
        callback=True,
    )
    assert ack["ok"], ack


def work_one_order_to_picking(app: Flask, allocation_id: str) -> dict[str, Any]:
    """Release the order and pick exactly one unit, leaving it in `picking`."""
    release(app, allocation_id)
    picker = socket_client(app, "/pick", "U0010")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    for code in (task["location"], task["barcode"]):
        reply = picker.emit(
            "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
        )
        assert reply["ok"], reply
    return task


def work_one_order(app: Flask, allocation_id: str = "AL-1") -> dict[str, Any]:
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit(
        "build_wave",
        {"allocation_ids": [allocation_id], "release": True},
        namespace="/supervisor",
        callback=True,
    )
    assert ack["ok"], ack
    assert ack["wave"]["status"] == "released"

    picker = socket_client(app, "/pick", "U0010")
    while True:
        ack = picker.emit("next_task", {}, namespace="/pick", callback=True)
        assert ack["ok"], ack
        task = ack["task"]
        if task is None:
            break
        for code in (
            [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or "T0001"]
        ):
            reply = picker.emit(
                "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
            )
            assert reply["ok"], reply

    packer = socket_client(app, "/pack", "U0040")
    ack = packer.emit("open", {"code": "T0001"}, namespace="/pack", callback=True)
    assert ack["ok"], ack
    order = ack["order"]
    for line in order["lines"]:
        for _ in range(line["picked"]):
            reply = packer.emit(
                "scan",
                {"allocation_id": allocation_id, "code": line["barcode"]},
                namespace="/pack",
                callback=True,
            )
            assert reply["ok"], reply
    order = reply["order"]
    assert order["all_verified"]
    carton_type = order["recommendation"]["code"]
    closed = packer.emit(
        "close_carton",
        {"allocation_id": allocation_id, "carton_type": carton_type},
        namespace="/pack",
        callback=True,
    )
    assert closed["ok"], closed
    carton = closed["carton"]

    weigher = socket_client(app, "/weigh", "U0040")
    reply = weigher.emit(
        "weight",
        {"carton": carton["code"], "weight_g": carton["expected_weight_g"] + 12},
        namespace="/weigh",
        callback=True,
    )
    assert reply["ok"], reply

    shipper = socket_client(app, "/ship", "U0060")
    rated = shipper.emit("open", {"code": carton["code"]}, namespace="/ship", callback=True)
    assert rated["ok"] and rated["carton"]["recommended"], rated
    shipped = shipper.emit("ship", {"carton": carton["code"]}, namespace="/ship", callback=True)
    assert shipped["ok"], shipped
    return shipped


def race_for_one_sku(app: Flask, workers: int) -> None:
    """Workers compete for a SKU that can cover only some of them."""
    with uow_of(app)() as tx:
        sku = tx.session.scalars(select(Sku).where(Sku.sku == "CANDLE-BLK-S")).one()
        available = sum(
            st.on_hand - st.allocated
            for st in tx.session.scalars(select(Stock).where(Stock.sku_id == sku.id))
        )
    per_order = available // 20 + 1  # so that roughly 20 orders fit and 12 cannot
    results: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def worker(i: int) -> None:
        client = app.test_client()
        doc = allocation_doc(
            f"AL-C{i}", lines=[{"line_id": "1", "sku": "CANDLE-BLK-S", "qty": per_order}]
        )
        barrier.wait()
        resp = signed_post(client, "/api/v1/allocations", doc)
        with lock:
            results.append(resp.get_json()["status"])

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    accepted = results.count("accepted")
    assert len(results) == workers
    assert set(results) <= {"accepted", "backordered"}
    assert accepted == available // per_order
    totals = floor_totals(app)
    assert totals["negative_bins"] == 0 and totals["over_allocated_bins"] == 0
    assert totals["allocated"] == accepted * per_order == totals["ledger_allocated"]
