"""Helpers shared by integration tests that need the floor in a given state."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from app.adapters.db.models import Stock, StockMovement
from tests.support.warehouse import socket_client, uow_of


def floor_totals(app: Flask) -> dict[str, int]:
    """Stock table against the ledger: both must tell the same story."""
    with uow_of(app)() as tx:
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
    ack = sup.emit("build_wave", {"allocation_ids": [allocation_id], "release": True},
                   namespace="/supervisor", callback=True)
    assert ack["ok"], ack


def work_one_order_to_picking(app: Flask, allocation_id: str) -> dict[str, Any]:
    """Release the order and pick exactly one unit, leaving it in `picking`."""
    release(app, allocation_id)
    picker = socket_client(app, "/pick", "U0010")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    for code in (task["location"], task["barcode"]):
        reply = picker.emit("scan", {"task_id": task["task_id"], "code": code},
                            namespace="/pick", callback=True)
        assert reply["ok"], reply
    return task
