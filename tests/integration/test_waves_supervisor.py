"""Waves on a real SQLite file through the supervisor's Socket.IO events: build with a
strategy, release with routed walks, pause, resume, cancel, reassign, re-prioritize, add an
urgent order, re-sequence, automatic release on the cutoffs, and the dashboard's numbers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import Allocation, PickTask
from app.adapters.db.models_pick import PickShort
from app.adapters.db.models_waves import PickBatch, PickBatchTask
from app.services import dashboard, wave_ops, waves
from app.services.clock import system_clock
from tests.support.warehouse import allocation_doc, signed_post, socket_client, uow_of

SKUS = ["TSHIRT-BLK-S", "MUG-BLK-S", "CAP-BLK-S", "SOCKS-BLK-S", "LAMP-BLK-S", "CANDLE-BLK-S"]


def post_orders(app: Flask, n: int, prefix: str = "AL", **over: Any) -> list[str]:
    client = app.test_client()
    ids = []
    for i in range(n):
        lines = [
            {"line_id": str(k + 1), "sku": SKUS[(i + k * 2) % len(SKUS)], "qty": 1 + (i + k) % 2}
            for k in range(1 + i % 3)
        ]
        doc = allocation_doc(f"{prefix}-{i}", lines=lines, **over)
        resp = signed_post(client, "/api/v1/allocations", doc)
        assert resp.get_json()["status"] == "accepted", resp.get_json()
        ids.append(doc["allocation_id"])
    return ids


def sup(app: Flask) -> Any:
    return socket_client(app, "/supervisor", "U0001")


def call(client: Any, event: str, payload: dict[str, Any], ns: str = "/supervisor") -> Any:
    return client.emit(event, payload, namespace=ns, callback=True)


def test_a_batch_wave_puts_several_orders_on_one_cart_with_a_routed_walk(app: Flask) -> None:
    ids = post_orders(app, 10)
    s = sup(app)
    ack = call(s, "build_wave", {"allocation_ids": ids, "strategy": "batch", "release": True})
    assert ack["ok"], ack
    wave = ack["wave"]
    assert wave["strategy"] == "batch" and wave["status"] == "released"
    assert wave["batches"] == 2  # 8 totes per cart
    assert 0 < wave["route_m"] <= wave["s_shape_m"]
    with uow_of(app)() as tx:
        batches = tx.session.scalars(
            select(PickBatch).where(PickBatch.wave_id == wave["wave_id"])
        ).all()
        for b in batches:
            seqs = tx.session.scalars(
                select(PickTask.sequence)
                .join(PickBatchTask, PickBatchTask.task_id == PickTask.id)
                .where(PickBatchTask.batch_id == b.id)
            ).all()
            assert len(seqs) == len(set(seqs))


def test_a_paused_wave_hands_out_no_new_tasks_until_resumed(app: Flask) -> None:
    post_orders(app, 3)
    s = sup(app)
    wave = call(s, "build_wave", {"release": True, "strategy": "discrete"})["wave"]
    assert call(s, "pause_wave", {"wave_id": wave["wave_id"]})["wave"]["status"] == "paused"
    picker = socket_client(app, "/pick", "U0010")
    assert call(picker, "next_task", {}, "/pick")["task"] is None
    assert call(s, "resume_wave", {"wave_id": wave["wave_id"]})["wave"]["status"] == "released"
    assert call(picker, "next_task", {}, "/pick")["task"] is not None


def test_cancelling_a_wave_returns_unstarted_orders_and_keeps_started_ones(app: Flask) -> None:
    ids = post_orders(app, 3)
    s = sup(app)
    wave = call(s, "build_wave", {"allocation_ids": ids, "release": True, "strategy": "discrete"})[
        "wave"
    ]
    picker = socket_client(app, "/pick", "U0010")
    task = call(picker, "next_task", {}, "/pick")["task"]
    assert call(picker, "scan", {"task_id": task["task_id"], "code": task["location"]}, "/pick")[
        "ok"
    ]
    ack = call(s, "cancel_wave", {"wave_id": wave["wave_id"]})
    assert ack["ok"], ack
    assert (ack["wave"]["returned"], ack["wave"]["kept"]) == (2, 1)
    with uow_of(app)() as tx:
        statuses = {
            a.allocation_id: (a.status, a.wave_id) for a in tx.session.scalars(select(Allocation))
        }
    assert sorted(st for st, w in statuses.values() if w is None) == ["accepted", "accepted"]
    # The two orders can go into new waves (the planner may split them by carrier cutoff).
    rewaved = 0
    while (again := call(s, "build_wave", {"release": True}))["ok"]:
        rewaved += again["wave"]["orders"]
    assert rewaved == 2


def test_reassigning_hands_a_pickers_unfinished_order_to_another(app: Flask) -> None:
    ids = post_orders(app, 1)
    s = sup(app)
    call(s, "build_wave", {"allocation_ids": ids, "release": True})
    a = socket_client(app, "/pick", "U0010")
    task = call(a, "next_task", {}, "/pick")["task"]
    ack = call(s, "reassign", {"from_picker": "U0010", "to_picker": "U0011"})
    assert ack["ok"] and ack["tasks"] >= 1, ack
    b = socket_client(app, "/pick", "U0011")
    assert call(b, "next_task", {}, "/pick")["task"]["task_id"] == task["task_id"]
    assert call(a, "next_task", {}, "/pick")["task"] is None


def test_an_urgent_order_joins_a_released_wave_at_the_head_of_the_queue(app: Flask) -> None:
    post_orders(app, 2)
    s = sup(app)
    wave = call(s, "build_wave", {"release": True, "strategy": "batch"})["wave"]
    (urgent,) = post_orders(app, 1, prefix="URG", priority=9)
    ack = call(s, "add_urgent", {"wave_id": wave["wave_id"], "allocation_ids": [urgent]})
    assert ack["ok"], ack
    assert ack["wave"]["orders"] == wave["orders"] + 1 and ack["wave"]["priority"] == 9
    with uow_of(app)() as tx:
        first = tx.session.scalars(
            select(PickTask).where(PickTask.wave_id == wave["wave_id"]).order_by(PickTask.sequence)
        ).first()
        assert first is not None
        assert tx.session.get(Allocation, first.allocation_pk).allocation_id == urgent  # type: ignore[union-attr]
    assert call(s, "resequence", {"wave_id": wave["wave_id"]})["ok"]
    assert (
        call(s, "reprioritize", {"wave_id": wave["wave_id"], "priority": 3})["wave"]["priority"]
        == 3
    )


def test_automatic_release_sends_out_the_wave_due_for_the_next_pickup(app: Flask) -> None:
    post_orders(app, 4)
    uow = uow_of(app)
    early = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 08:00 London: 11:00 is far off
    assert waves.auto_release(uow, lambda: early) == []
    due = datetime(2026, 11, 26, 10, 25, tzinfo=UTC)  # 35 min before the 11:00 pickup
    released = waves.auto_release(uow, lambda: due)
    assert released and all(w["status"] == "released" for w in released)
    assert released[0]["carrier"] == "DXP" and released[0]["planned_by"] == "auto"


def test_dashboard_numbers_come_from_the_database(app: Flask) -> None:
    ids = post_orders(app, 2)
    s = sup(app)
    call(s, "build_wave", {"allocation_ids": ids, "release": True})
    picker = socket_client(app, "/pick", "U0010")
    task = call(picker, "next_task", {}, "/pick")["task"]
    call(picker, "scan", {"task_id": task["task_id"], "code": "A99-99-9"}, "/pick")  # mis-scan
    for code in (task["location"], task["barcode"]):
        assert call(picker, "scan", {"task_id": task["task_id"], "code": code}, "/pick")["ok"]
    # A short pick in the last hour counts; one from yesterday does not.
    now = system_clock()
    with uow_of(app)() as tx:
        t = tx.session.get(PickTask, task["task_id"])
        assert t is not None
        for at, actor, short_qty in ((now, "U0011", 2), (now - timedelta(days=1), "U0012", 5)):
            tx.session.add(
                PickShort(
                    pick_task_id=t.id,
                    allocation_pk=t.allocation_pk,
                    line_pk=t.line_pk,
                    stock_id=t.stock_id,
                    reason="damaged",
                    missing_qty=short_qty,
                    reallocated_qty=0,
                    short_qty=short_qty,
                    actor=actor,
                    at=at,
                )
            )
        tx.commit()
    snap = dashboard.snapshot(uow_of(app), clock=system_clock)
    assert snap["stations"]["pick"]["units_last_hour"] == 1
    assert snap["pickers"][0]["badge"] == "U0010" and snap["pickers"][0]["units_last_hour"] == 1
    assert snap["exceptions"]["mis_scans"] == 1
    assert snap["exceptions"]["short_picks"] == 1
    assert snap["exceptions"]["short_units"] == 2
    assert [e["who"] for e in snap["exceptions"]["recent"] if e["kind"] == "short_pick"] == [
        "U0011"
    ]
    (wave,) = snap["waves"]
    assert wave["orders"] == 2 and wave["units_picked"] == 1
    assert wave["pickers"] == ["U0010"]
    assert sum(snap["throughput"]["picked_units"]) == 1
    assert snap["stations"]["pick"]["queue"] >= 1
    # The same through the supervisor's event.
    assert call(s, "snapshot", {})["dashboard"]["stations"]["pick"]["units_last_hour"] == 1


def test_claiming_carts_gives_each_picker_whole_carts_in_route_order(app: Flask) -> None:
    ids = post_orders(app, 12)
    s = sup(app)
    assert call(s, "build_wave", {"allocation_ids": ids, "strategy": "batch", "release": True})[
        "ok"
    ]
    uow = uow_of(app)
    first = wave_ops.claim("U0010", uow, system_clock)
    second = wave_ops.claim("U0011", uow, system_clock)
    assert first and second and first != second
    with uow() as tx:
        cart_of = dict(
            tx.session.execute(select(PickBatchTask.task_id, PickBatchTask.batch_id)).all()
        )
    assert cart_of[first] != cart_of[second]
    assert wave_ops.claim("U0012", uow, system_clock) is None  # 12 orders: two carts
