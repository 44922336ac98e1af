"""Concurrent pickers never get the same task, on SQLite (one writer) and PostgreSQL (SKIP
LOCKED): through the pick station's `next_task` over Socket.IO, and through cart claims
(`wave_ops.claim`, the assignment by zone and proximity)."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models_waves import PickBatch
from app.services import wave_ops
from app.services.clock import system_clock
from tests.support.warehouse import (
    allocation_doc,
    signed_post,
    socket_client,
    uow_of,
)

PICKERS = 6
SKUS = ["TSHIRT-BLK-S", "MUG-BLK-S", "CAP-BLK-S", "SOCKS-BLK-S", "LAMP-BLK-S", "CANDLE-BLK-S"]


@pytest.fixture(params=["app", "postgres_app"])
def floor(request: pytest.FixtureRequest) -> Flask:
    """The seeded warehouse on SQLite, then on PostgreSQL (tests/conftest.py)."""
    app: Flask = request.getfixturevalue(request.param)
    return app


def release_orders(app: Flask, n: int, strategy: str) -> None:
    client = app.test_client()
    ids = []
    for i in range(n):
        lines = [
            {"line_id": str(k + 1), "sku": SKUS[(i + k) % len(SKUS)], "qty": 1} for k in range(2)
        ]
        doc = allocation_doc(f"AL-{i}", lines=lines)
        assert signed_post(client, "/api/v1/allocations", doc).get_json()["status"] == "accepted"
        ids.append(doc["allocation_id"])
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit(
        "build_wave",
        {"allocation_ids": ids, "release": True, "strategy": strategy, "max_orders": n},
        namespace="/supervisor",
        callback=True,
    )
    assert ack["ok"], ack


def run_pickers(app: Flask, splits: list[str]) -> list[tuple[str, int, int]]:
    """Every picker asks for work and completes it until none is left: (badge, task, order)."""
    handed: list[tuple[str, int, int]] = []
    lock = threading.Lock()
    errors: list[str] = []
    barrier = threading.Barrier(PICKERS)

    def picker(i: int) -> None:
        badge = f"U{10 + i:04d}"
        client = socket_client(app, "/pick", badge)
        barrier.wait()
        try:
            while True:
                ack = client.emit("next_task", {}, namespace="/pick", callback=True)
                if not ack["ok"]:
                    errors.append(str(ack))
                    return
                task = ack["task"]
                if task is None:
                    return
                with lock:
                    handed.append((badge, task["task_id"], hash(task["allocation_id"])))
                codes = [task["location"], *[task["barcode"]] * (task["qty"] - task["picked"])]
                codes.append(task["tote"] or f"T{i:02d}{len(handed):04d}")
                for code in codes:
                    reply = client.emit(
                        "scan",
                        {"task_id": task["task_id"], "code": code},
                        namespace="/pick",
                        callback=True,
                    )
                    if reply.get("result") == "wrong_tote":
                        # Another picker already put units of this order in a tote: the
                        # order was split. Note it and finish into that tote.
                        with lock:
                            splits.append(task["allocation_id"])
                        reply = client.emit(
                            "scan",
                            {"task_id": task["task_id"], "code": reply["task"]["tote"]},
                            namespace="/pick",
                            callback=True,
                        )
                    if not reply["ok"]:
                        errors.append(f"{badge} {code}: {reply}")
                        return
        except Exception as exc:  # a thread's failure must fail the test
            errors.append(repr(exc))

    threads = [threading.Thread(target=picker, args=(i,)) for i in range(PICKERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:3]
    return handed


@pytest.mark.parametrize("strategy", ["discrete", "batch"])
def test_concurrent_pickers_never_get_the_same_task(floor: Flask, strategy: str) -> None:
    release_orders(floor, 24, strategy)
    splits: list[str] = []
    handed = run_pickers(floor, splits)
    owners: dict[int, set[str]] = {}
    for badge, task_id, _order in handed:
        owners.setdefault(task_id, set()).add(badge)
    assert owners and all(len(who) == 1 for who in owners.values())
    assert len(owners) == 48  # every task of the 24 two-line orders was handed out and done


def test_concurrent_pickers_never_split_an_order(floor: Flask) -> None:
    """Discrete picking: an order's units meet in one tote, so one picker per order. On
    PostgreSQL the pick station's next_task locks single tasks with SKIP LOCKED, and a second
    picker can take another task of an order whose first task is locked but not yet
    committed; claiming whole carts (wave_ops.claim_next_task) closes that gap."""
    release_orders(floor, 24, "discrete")
    splits: list[str] = []
    handed = run_pickers(floor, splits)
    by_order: dict[int, set[str]] = {}
    for badge, _task, order in handed:
        by_order.setdefault(order, set()).add(badge)
    split = [o for o, who in by_order.items() if len(who) > 1]
    assert not split and not splits, f"{len(split)} order(s) split between pickers"


def test_concurrent_cart_claims_never_share_a_cart_or_a_task(floor: Flask) -> None:
    release_orders(floor, 40, "batch")  # 5 or 6 carts (8 totes, 25 kg each)
    uow = uow_of(floor)
    claimed: list[tuple[str, int | None]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def picker(i: int) -> None:
        badge = f"U{10 + i:04d}"
        barrier.wait()
        tid = wave_ops.claim(badge, uow, system_clock)
        with lock:
            claimed.append((badge, tid))

    threads = [threading.Thread(target=picker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    got = [tid for _b, tid in claimed if tid is not None]
    with uow() as tx:
        pickers = [b.picker for b in tx.session.scalars(select(PickBatch))]
    assert len(got) == min(8, len(pickers)) and len(set(got)) == len(got)
    assert sorted(p for p in pickers if p) == sorted(b for b, tid in claimed if tid is not None)
