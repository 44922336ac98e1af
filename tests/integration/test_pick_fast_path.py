"""The pick scan's fast path (prepared statements for location and item scans, and the
refusals a task's own state gives) answers what the ORM path answers and leaves the rows it
leaves: tasks, order lines, reservations, stock, the ledger, units, the scan log, orders,
replenishment tasks and events, on SQLite and PostgreSQL. The ORM run is the same floor with
every task context forgotten before each scan (as after a restart), which sends every scan
down the ORM path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from app.services import pick_context, pick_fast, replenishment
from app.services.clock import system_clock
from tests.support.stock import sku_bins
from tests.support.twins import twin_postgres_apps, twin_sqlite_apps
from tests.support.warehouse import (
    allocation_doc,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals, release

TABLES = (
    "pick_tasks",
    "allocation_lines",
    "reservations",
    "stock",
    "stock_movements",
    "pick_units",
    "scan_log",
    "allocations",
    "replenishment_tasks",
    "outbox",
)
# Wall-clock stamps differ between the two runs; everything else must match.
STAMPS = {"at", "updated_at", "received_at", "created_at", "next_attempt_at", "completed_at"}


def _emit(client: Any, event: str, **payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/pick", callback=True)
    return ack


def _post(app: Flask, path: str, doc: Any) -> None:
    resp = signed_post(app.test_client(), path, doc)
    assert resp.status_code < 300, resp.get_json()


def _story(app: Flask, forget_each_scan: bool) -> list[dict[str, Any]]:
    """Two orders, a face brought to its min, every kind of refusal a task's own state
    gives, a keypad entry, a resend, a hold mid-pick: the answers, in order."""
    bins = sku_bins(app, "MUG-BLK-S")
    face = bins["pick"]
    replenishment.set_rule(
        face, "MUG-BLK-S", bins["on_hand"][face] - 4, bins["on_hand"][face] + 20, "test",
        uow_of(app), system_clock,
    )  # fmt: skip
    lines = [
        {"line_id": "1", "sku": "MUG-BLK-S", "qty": 5},
        {"line_id": "2", "sku": "TSHIRT-BLK-S", "qty": 3},
    ]
    _post(app, "/api/v1/allocations", allocation_doc("AL-F1", lines=lines))
    _post(app, "/api/v1/allocations", allocation_doc("AL-F2"))
    release(app, "AL-F1")
    release(app, "AL-F2")
    picker = socket_client(app, "/pick", "U0010")
    answers: list[dict[str, Any]] = []
    n = 0

    def scan(task: dict[str, Any], code: str, cid: str | None = None, **more: Any) -> None:
        nonlocal n
        n += 1
        if forget_each_scan:
            pick_context.forget()
        cid = cid or f"c{n}"
        ack = _emit(picker, "scan", task_id=task["task_id"], code=code, client_scan_id=cid, **more)
        answers.append({"event": "tote" if code.startswith("T0") else "scan", **ack})

    for i in range(3):  # the two lines of AL-F1, then AL-F2's first
        task = _emit(picker, "next_task")["task"]
        answers.append(task)
        scan(task, task["barcode"])  # item before location
        scan(task, bins["reserve"])  # wrong location
        scan(task, task["location"], device="HH-7", entry="scan")
        scan(task, task["location"])  # again: already confirmed
        scan(task, "NOT-AN-ITEM")  # wrong item
        scan(task, task["barcode"], cid=f"resent-{i}")
        scan(task, task["barcode"], cid=f"resent-{i}")  # a resend: replayed, nothing changes
        if task["qty"] > 2:
            answers.append(
                _emit(picker, "quantity", task_id=task["task_id"], total=task["qty"] - 1)
            )
        for _ in range(task["qty"]):
            scan(task, task["barcode"])  # the last of these is an over-pick
        scan(task, f"T050{i}")  # the tote (AL-F1's second: wrong tote), then AL-F1's own
        scan(task, "T0500")
    task = _emit(picker, "next_task")["task"]
    scan(task, task["location"])
    _post(app, "/api/v1/allocations/AL-F2/hold", {"reason": "address check"})
    scan(task, task["barcode"])  # stopped, with the reason
    return answers


def _dump(app: Flask) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    with uow_of(app)() as tx:
        for table in TABLES:
            rows = tx.session.execute(text(f"SELECT * FROM {table} ORDER BY id")).mappings()
            out[table] = [{k: v for k, v in r.items() if k not in STAMPS} for r in rows]
    for ev in out["outbox"]:  # event ids are random, bodies carry wall-clock stamps
        body = json.loads(ev.pop("body"))
        ev["data"] = body["data"]
        ev.pop("event_id")
    return out


def _compare(fast_app: Flask, orm_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    answered: list[str] = []
    try_scan = pick_fast.try_scan

    def watched(*args: Any) -> Any:
        reply = try_scan(*args)
        if reply is not None:
            answered.append(reply.result)
        return reply

    monkeypatch.setattr(pick_fast, "try_scan", watched)
    fast_answers = _story(fast_app, forget_each_scan=False)
    fast_taken = list(answered)
    answered.clear()
    orm_answers = _story(orm_app, forget_each_scan=True)
    assert answered == []  # with no context at hand, nothing took the fast path
    # The fast path answered the common scans and every refusal of a task's own state.
    scanned = [a for a in fast_answers if a.get("event") == "scan" and not a["replayed"]]
    common = [a["result"] for a in scanned if a["result"] != "on_hold"]
    assert sorted(fast_taken) == sorted(common)
    assert fast_taken.count("item_ok") >= 4
    assert {"location_ok", "wrong_location", "wrong_item", "expected_location", "over_pick"} <= set(
        fast_taken
    )
    assert fast_answers == orm_answers
    assert {a.get("result") for a in fast_answers} >= {"on_hold", "tote_ok", "item_ok"}
    assert any(a.get("replayed") for a in fast_answers)
    fast, orm = _dump(fast_app), _dump(orm_app)
    for table in TABLES:
        assert fast[table] == orm[table], table
    assert fast["replenishment_tasks"], "the face was brought to its min: a task was raised"
    totals = floor_totals(fast_app)
    assert totals == floor_totals(orm_app)


@pytest.fixture
def two_sqlite_apps(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    with twin_sqlite_apps(sqlite_url, tmp_path) as apps:
        yield apps
    pick_context.forget()


def test_the_fast_path_answers_and_writes_what_the_orm_path_does(
    two_sqlite_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    _compare(*two_sqlite_apps, monkeypatch)


@pytest.mark.postgres
def test_the_fast_path_answers_and_writes_what_the_orm_path_does_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    try:
        with twin_postgres_apps() as apps:
            _compare(*apps, monkeypatch)
    finally:
        pick_context.forget()
