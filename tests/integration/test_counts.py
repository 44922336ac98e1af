"""Cycle counts over Socket.IO on a real database (SQLite, and the same on PostgreSQL): blind
payloads, variance → recount by another counter → supervisor approval → a `count` ledger row
with its reason code and an audit entry; bad input refused with nothing changed; adjustments
refused while orders hold the stock; found stock, empty bins, the schedule and the CLI."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import socketio
from app.adapters.count_config import load_count_config
from app.adapters.db import repositories as repo
from app.adapters.db.models import Location, OutboxEvent, Sku, Stock, StockMovement
from app.adapters.db.models_counts import CountAdjustment, CountLine
from app.adapters.db.models_pick import CountTask
from app.adapters.db.models_security import AuditEntry
from app.counts_cli import main as counts_cli
from app.services import counts
from app.services.clock import system_clock
from app.services.seeding import ean13
from tests.support.warehouse import (
    CONFIG,
    allocation_doc,
    fresh_postgres_db,
    make_app,
    prepare_database,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals, release

COUNT = "/count"
REVIEW = "/count_review"
SUPERVISOR = "U0001"
FIRST, SECOND = "U0010", "U0011"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def floor(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Flask]:
    """The app on a seeded SQLite file, or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        app = make_app(sqlite_url)
        yield app
        app.extensions["dockhand"].uow.engine.dispose()
        return
    with fresh_postgres_db() as url:
        prepare_database(url)
        app = make_app(url)
        yield app
        app.extensions["dockhand"].uow.engine.dispose()


class Station:
    """A Socket.IO client on one namespace that keeps every ack and push it received."""

    def __init__(self, app: Flask, namespace: str, badge: str) -> None:
        self.namespace = namespace
        self.client = socket_client(app, namespace, badge)
        self.heard: list[Any] = []

    def __call__(self, event: str, **payload: Any) -> dict[str, Any]:
        ack: dict[str, Any] = self.client.emit(
            event, payload, namespace=self.namespace, callback=True
        )
        self.heard.append(ack)
        return ack

    def pushes(self) -> list[Any]:
        got = self.client.get_received(self.namespace)
        self.heard.extend(got)
        return list(got)


def a_pick_face(app: Flask, index: int = 0) -> dict[str, Any]:
    """A pick face holding stock: its code, SKU, barcode and figures."""
    with uow_of(app)() as tx:
        s = tx.session
        rows = s.execute(
            select(Stock, Location.code)
            .join(Location, Location.id == Stock.location_id)
            .where(Location.kind == "pick", Stock.on_hand > 0, Stock.allocated == 0)
            .order_by(Location.code)
        ).all()
        stock, code = rows[index]
        return {
            "location": code,
            "stock_id": stock.id,
            "sku": stock.sku.sku,
            "barcode": stock.sku.barcodes[0].code,
            "on_hand": stock.on_hand,
        }


def an_empty_pick_face(app: Flask) -> str:
    with uow_of(app)() as tx:
        s = tx.session
        held = select(Stock.location_id).where(Stock.on_hand > 0)
        code: str = s.scalars(
            select(Location.code)
            .where(Location.kind == "pick", Location.id.not_in(held))
            .order_by(Location.code.desc())
        ).first()
        return code


def stock_row(app: Flask, stock_id: int) -> tuple[int, int]:
    with uow_of(app)() as tx:
        st = tx.session.get(Stock, stock_id)
        return st.on_hand, st.allocated


def snapshot(app: Flask) -> dict[str, Any]:
    """Everything a refused action must leave as it was."""
    with uow_of(app)() as tx:
        s = tx.session
        return {
            "stock": sorted(s.execute(select(Stock.id, Stock.on_hand, Stock.allocated)).all()),
            "ledger": s.scalar(select(func.count(StockMovement.id))),
            "tasks": sorted(
                s.execute(
                    select(
                        CountTask.id,
                        CountTask.status,
                        CountTask.outcome,
                        CountTask.assigned_to,
                        CountTask.location_confirmed,
                    )
                ).all()
            ),
            "lines": sorted(
                s.execute(
                    select(CountLine.count_task_id, CountLine.item, CountLine.counted_qty)
                ).all()
            ),
            "audit": s.scalar(select(func.count(AuditEntry.id))),
        }


def numbers_in(payloads: list[Any]) -> set[int]:
    """Every number anywhere in these payloads: JSON numbers and numbers inside text."""
    found: set[int] = set()

    def walk(x: Any) -> None:
        if isinstance(x, bool):
            return
        if isinstance(x, int):
            found.add(x)
        elif isinstance(x, str):
            found.update(int(n) for n in re.findall(r"(?<![\w-])\d+(?![\w-])", x))
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v)

    walk(payloads)
    return found


def keys_in(payloads: list[Any]) -> set[str]:
    found: set[str] = set()

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            found.update(x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v)

    walk(payloads)
    return found


def assert_blind(station: Station, *secrets: int) -> None:
    """Nothing the counter's handheld received says what the system holds."""
    station.pushes()
    text = json.dumps(station.heard)
    for word in ("expected", "system", "on_hand", "variance", "allocated"):
        assert word not in keys_in(station.heard), (word, text)
    for secret in secrets:
        assert secret not in numbers_in(station.heard), (secret, text)


def count_bin(st: Station, task: dict[str, Any], barcode: str, qty: int) -> dict[str, Any]:
    """Location, one item scan, the keypad total, the location again."""
    assert st("scan", task_id=task["task_id"], code=task["location"])["result"] == "location_ok"
    ack = st("scan", task_id=task["task_id"], code=barcode, client_scan_id=f"s-{task['task_id']}")
    assert ack["result"] == "item_ok", ack
    item = ack["task"]["lines"][0]["item"]
    if qty != 1:
        ack = st("quantity", task_id=task["task_id"], item=item, lot="", qty=qty)
        assert ack["ok"] and ack["result"] == "qty_ok", ack
    done = st("scan", task_id=task["task_id"], code=task["location"])
    assert done["ok"] and done["result"] == "count_ok", done
    assert done["task"] is None
    return done


def request(sup: Station, **what: Any) -> dict[str, Any]:
    ack = sup("request", **what)
    assert ack["ok"], ack
    return ack


# ---------------------------------------------------------------------------- the whole path


def test_variance_recount_by_another_counter_and_approval_adjust_the_ledger(
    floor: Flask,
) -> None:
    app = floor
    bin_ = a_pick_face(app)
    n = bin_["on_hand"]
    sup = Station(app, REVIEW, SUPERVISOR)
    first = Station(app, COUNT, FIRST)
    second = Station(app, COUNT, SECOND)  # signed in: the recount goes to them

    raised = request(sup, location=bin_["location"], assign_to=FIRST)
    assert raised["created"] == 1
    task = first("next_task")["task"]
    assert task == {
        "task_id": raised["task_ids"][0],
        "kind": "count",
        "location": bin_["location"],
        "zone": "A",
        "scope": "location",
        "sku": None,
        "sku_name": None,
        "stage": "location",
        "lines": [],
        "units": 0,
    }
    assert second("next_task")["task"] is None  # it was given to the first counter

    said = count_bin(first, task, bin_["barcode"], n - 2)
    # Blind: the same words as a count that matched (see the next test).
    assert said["message"] == f"Count of {bin_['location']} saved. Thank you."
    assert first("next_task")["task"] is None  # someone else is here: not their own recount
    recount = second("next_task")["task"]
    assert recount is not None and recount["kind"] == "recount"
    assert recount["location"] == bin_["location"] and recount["lines"] == []
    count_bin(second, recount, bin_["barcode"], n - 2)

    reviews = sup("reviews")
    assert reviews["ok"] and len(reviews["reviews"]) == 1
    [review] = reviews["reviews"]
    assert review["location"] == bin_["location"] and review["outcome"] == "confirmed"
    assert [c["counter"] for c in review["counts"]] == [FIRST, SECOND]
    [line] = [ln for ln in review["lines"] if ln["variance"]]
    unit = 0 if line["unit_value_minor"] is None else line["unit_value_minor"]
    assert line | {"name": None} == {
        "item": bin_["sku"],
        "name": None,
        "lot": "",
        "unknown": False,
        "expected": n,
        "counts": [n - 2, n - 2],
        "variance": -2,
        "unit_value_minor": line["unit_value_minor"],
        "value_minor": -2 * unit if line["unit_value_minor"] is not None else None,
        "on_hand_now": n,
        "allocated_now": 0,
    }
    assert review["variance_units"] == -2

    refused = sup("approve", task_id=review["task_id"], reason_code="broken")
    assert not refused["ok"] and refused["field"] == "reason_code"
    ack = sup("approve", task_id=review["task_id"], reason_code="damaged", note="crushed box")
    assert ack["ok"], ack
    assert ack["adjusted"][0]["delta"] == -2
    again = sup("approve", task_id=review["task_id"], reason_code="damaged")
    assert not again["ok"] and again["error"] == "conflict"  # decided once

    assert stock_row(app, bin_["stock_id"]) == (n - 2, 0)
    with uow_of(app)() as tx:
        s = tx.session
        [moved] = s.scalars(select(StockMovement).where(StockMovement.reason == "count")).all()
        assert (moved.stock_id, moved.on_hand_delta, moved.allocated_delta) == (
            bin_["stock_id"],
            -2,
            0,
        )
        assert moved.reference == f"count:{review['task_id']}:damaged"
        assert moved.actor == SUPERVISOR
        [adj] = s.scalars(select(CountAdjustment)).all()
        assert (adj.on_hand_delta, adj.reason_code, adj.approved_by) == (-2, "damaged", SUPERVISOR)
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.action == "count.approve")).all()
        assert entry.actor == SUPERVISOR
        assert entry.detail["reason_code"] == "damaged" and entry.detail["note"] == "crushed box"
        assert entry.detail["counters"] == [FIRST, SECOND]
        events = [
            json.loads(e.body)
            for e in s.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "inventory.changed")
            ).all()
        ]
        assert any(e["data"]["sku"] == bin_["sku"] for e in events), events
        statuses = s.execute(
            select(CountTask.status, CountTask.outcome).order_by(CountTask.id)
        ).all()
        assert [tuple(r) for r in statuses] == [("done", "recount"), ("done", "approved")]
    totals = floor_totals(app)
    assert totals["on_hand"] == totals["ledger_on_hand"]
    assert totals["allocated"] == totals["ledger_allocated"]

    assert_blind(first, n)
    assert_blind(second, n)
    assert sup("reviews")["reviews"] == []


def test_a_recount_that_agrees_with_the_system_closes_with_no_adjustment(floor: Flask) -> None:
    app = floor
    bin_ = a_pick_face(app, 1)
    n = bin_["on_hand"]
    sup = Station(app, REVIEW, SUPERVISOR)
    first = Station(app, COUNT, FIRST)
    second = Station(app, COUNT, SECOND)
    request(sup, location=bin_["location"], assign_to=FIRST)
    wrong = count_bin(first, first("next_task")["task"], bin_["barcode"], n + 5)
    recount = second("next_task")["task"]
    right = count_bin(second, recount, bin_["barcode"], n)
    assert wrong["message"] == right["message"]  # the counter hears nothing either way
    assert sup("reviews")["reviews"] == []
    with uow_of(app)() as tx:
        s = tx.session
        outcomes = s.execute(select(CountTask.outcome).order_by(CountTask.id)).scalars().all()
        assert outcomes == ["recount", "system"]
        assert s.scalar(select(func.count()).where(StockMovement.reason == "count")) == 0
    assert stock_row(app, bin_["stock_id"]) == (n, 0)
    assert_blind(first, n)
    assert_blind(second)  # they counted n themselves: only the keys can give it away


def test_the_same_counter_recounts_only_when_nobody_else_is_signed_in(app: Flask) -> None:
    bin_ = a_pick_face(app)
    sup = Station(app, REVIEW, SUPERVISOR)
    alone = Station(app, COUNT, FIRST)
    left = Station(app, COUNT, SECOND)
    left.client.disconnect(namespace=COUNT)  # a handheld that went away is nobody
    request(sup, location=bin_["location"])
    count_bin(alone, alone("next_task")["task"], bin_["barcode"], bin_["on_hand"] - 1)
    recount = alone("next_task")["task"]
    assert recount is not None and recount["kind"] == "recount"
    # Signing out gives it back; the next counter to sign in gets it.
    assert alone("sign_out")["ok"]
    other = Station(app, COUNT, SECOND)
    assert other("next_task")["task"]["task_id"] == recount["task_id"]


def test_picks_between_raising_and_counting_are_not_a_variance(app: Flask) -> None:
    bin_ = a_pick_face(app)
    n = bin_["on_hand"]
    sup = Station(app, REVIEW, SUPERVISOR)
    request(sup, location=bin_["location"], assign_to=FIRST)
    # An order takes 2 from the bin after the count was raised.
    doc = allocation_doc("AL-C1", lines=[{"line_id": "1", "sku": bin_["sku"], "qty": 2}])
    assert signed_post(app.test_client(), "/api/v1/allocations", doc).get_json()["status"] == (
        "accepted"
    )
    release(app, "AL-C1")
    picker = socket_client(app, "/pick", "U0020")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    assert task["location"] == bin_["location"]
    for code in (task["location"], task["barcode"], task["barcode"], "T0901"):
        reply = picker.emit(
            "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
        )
        assert reply["ok"], reply
    assert stock_row(app, bin_["stock_id"]) == (n - 2, 0)

    counter = Station(app, COUNT, FIRST)
    count_bin(counter, counter("next_task")["task"], bin_["barcode"], n - 2)
    with uow_of(app)() as tx:
        [task_row] = tx.session.scalars(select(CountTask)).all()
        assert (task_row.status, task_row.outcome, task_row.expected_on_hand) == (
            "done",
            "match",
            n,
        )
    assert counter("next_task")["task"] is None  # no recount


# ---------------------------------------------------------------------------- refusals


def test_bad_input_is_refused_and_changes_nothing(floor: Flask) -> None:
    app = floor
    bin_ = a_pick_face(app)
    other_bin = a_pick_face(app, 1)
    sup = Station(app, REVIEW, SUPERVISOR)
    counter = Station(app, COUNT, FIRST)
    request(sup, location=bin_["location"], assign_to=FIRST)
    task = counter("next_task")["task"]
    tid = task["task_id"]

    before = snapshot(app)
    for code, result in (
        ("Z99-99-9", "unknown_location"),
        (other_bin["location"], "wrong_location"),
        (bin_["barcode"], "scan_location"),  # an item before the location
    ):
        ack = counter("scan", task_id=tid, code=code)
        assert (ack["ok"], ack["result"]) == (False, result), ack
    assert snapshot(app) == before

    assert counter("scan", task_id=tid, code=bin_["location"])["result"] == "location_ok"
    ack = counter("scan", task_id=tid, code=bin_["barcode"])
    item = ack["task"]["lines"][0]["item"]
    before = snapshot(app)
    refusals = [
        ("scan", {"code": "Z99-99-9"}, "unknown_location"),
        ("scan", {"code": other_bin["location"]}, "wrong_location"),  # not this task's bin
        ("scan", {"code": "NOT-A-THING"}, "unknown_code"),
        ("scan", {"code": "T0001"}, "not_an_item"),
        ("quantity", {"item": item, "lot": "", "qty": -3}, "invalid"),
        ("quantity", {"item": item, "lot": "", "qty": 10**6}, "invalid"),
        ("quantity", {"item": item, "lot": "", "qty": 2**40}, "invalid"),
        ("quantity", {"item": item, "lot": "", "qty": "12"}, "invalid"),
        ("quantity", {"item": other_bin["sku"], "lot": "", "qty": 3}, "invalid"),
        ("confirm", {"empty": True}, "not_empty"),
        ("confirm", {"empty": "yes"}, "invalid"),
    ]
    for event, payload, result in refusals:
        ack = counter(event, task_id=tid, **payload)
        assert not ack["ok"], (event, payload, ack)
        assert (ack.get("result") or ack.get("error")) == result, (event, payload, ack)
        assert ack["message"]
    assert snapshot(app) == before

    # Another counter cannot touch it; a task id that does not exist is no task.
    intruder = Station(app, COUNT, SECOND)
    assert intruder("scan", task_id=tid, code=bin_["barcode"])["result"] == "not_yours"
    assert intruder("confirm", task_id=tid)["result"] == "not_yours"
    assert intruder("confirm", task_id=999999)["result"] == "no_task"
    assert snapshot(app) == before

    # Unknown location, aisle or SKU in a request: nothing raised.
    for what in (
        {"location": "Z99-99-9"},
        {"aisle": "Q77"},
        {"aisle": "nonsense"},
        {"sku": "NO-SUCH-SKU"},
        {},
        {"location": bin_["location"], "sku": bin_["sku"]},
        {"location": bin_["location"], "assign_to": "U9999"},
    ):
        ack = sup("request", **what)
        assert not ack["ok"] and ack["message"], (what, ack)
    assert snapshot(app) == before

    # One scan past the absurd bound is refused too (the keypad may set the bound itself).
    assert counter("quantity", task_id=tid, item=item, lot="", qty=10000)["ok"]
    before = snapshot(app)
    ack = counter("scan", task_id=tid, code=bin_["barcode"])
    assert (ack["ok"], ack["result"]) == (False, "qty_absurd"), ack
    assert snapshot(app) == before

    # Counters cannot reach the supervisors' namespace.

    picker_review = socketio.test_client(app, namespace=REVIEW)
    ack = picker_review.emit(
        "sign_in", {"badge": FIRST, "pin": "1234"}, namespace=REVIEW, callback=True
    )
    assert not ack["ok"] and "may not work" in ack["message"]
    assert not picker_review.emit("reviews", {}, namespace=REVIEW, callback=True)["ok"]


def test_approval_that_would_leave_less_than_orders_hold_is_refused_with_the_orders(
    floor: Flask,
) -> None:
    app = floor
    bin_ = a_pick_face(app, 2)
    n = bin_["on_hand"]
    sup = Station(app, REVIEW, SUPERVISOR)
    first = Station(app, COUNT, FIRST)
    second = Station(app, COUNT, SECOND)
    request(sup, location=bin_["location"], assign_to=FIRST)
    # An order reserves 5 in this bin (pick faces first).
    doc = allocation_doc("AL-HOLD", lines=[{"line_id": "1", "sku": bin_["sku"], "qty": 5}])
    assert signed_post(app.test_client(), "/api/v1/allocations", doc).get_json()["status"] == (
        "accepted"
    )
    assert stock_row(app, bin_["stock_id"]) == (n, 5)
    # Both counters find only 3.
    count_bin(first, first("next_task")["task"], bin_["barcode"], 3)
    count_bin(second, second("next_task")["task"], bin_["barcode"], 3)
    [review] = sup("reviews")["reviews"]

    before = snapshot(app)
    ack = sup("approve", task_id=review["task_id"], reason_code="theft_loss")
    assert not ack["ok"] and ack["error"] == "allocated", ack
    assert "AL-HOLD ×5" in ack["message"] and "Nothing was changed" in ack["message"]
    assert ack["holds"] == [
        {
            "kind": "order",
            "allocation_id": "AL-HOLD",
            "order_number": "SO-AL-HOLD",
            "status": "accepted",
            "line_id": "1",
            "qty": 5,
            "picker": None,
            "item": bin_["sku"],
            "lot": "",
            "location": bin_["location"],
        }
    ]
    assert snapshot(app) == before

    # Rejecting asks for a new count, judged against this one.
    rejected = sup("reject", task_id=review["task_id"], note="recount after the order ships")
    assert rejected["ok"], rejected
    with uow_of(app)() as tx:
        s = tx.session
        new = s.get(CountTask, rejected["new_task_id"])
        assert (new.status, new.source, new.recount_of, new.avoid_counter) == (
            "open",
            "recount",
            review["task_id"],
            SECOND,
        )
        assert (
            s.scalars(select(AuditEntry.action).where(AuditEntry.actor == SUPERVISOR)).all()[-1]
            == "count.reject"
        )
    third = second("next_task")["task"]  # FIRST is here too: the last counter may not take it
    assert third is None
    assert first("next_task")["task"]["task_id"] == rejected["new_task_id"]


# ---------------------------------------------------------------------------- found, empty


def test_an_empty_bin_is_confirmed_empty_and_found_stock_is_approved_into_it(app: Flask) -> None:
    empty = an_empty_pick_face(app)
    found = a_pick_face(app, 3)
    sup = Station(app, REVIEW, SUPERVISOR)
    first = Station(app, COUNT, FIRST)
    second = Station(app, COUNT, SECOND)

    request(sup, location=empty, assign_to=FIRST)
    task = first("next_task")["task"]
    assert first("confirm", task_id=task["task_id"])["result"] == "scan_location"
    assert first("scan", task_id=task["task_id"], code=empty)["result"] == "location_ok"
    nothing = first("scan", task_id=task["task_id"], code=empty)
    assert nothing["result"] == "nothing_counted"  # the location again, nothing counted
    ok = first("confirm", task_id=task["task_id"], empty=True)
    assert ok["result"] == "count_ok"
    with uow_of(app)() as tx:
        assert tx.session.get(CountTask, task["task_id"]).outcome == "match"

    # Counted again later: two units of a known SKU, and one item the master does not know.
    request(sup, location=empty, assign_to=FIRST)
    unknown_gtin = "0" + ean13("501234999999")  # a valid GTIN no SKU carries
    for counter in (first, second):
        t = counter("next_task")["task"]
        assert t["location"] == empty
        counter("scan", task_id=t["task_id"], code=empty)
        counter("scan", task_id=t["task_id"], code=found["barcode"])
        ack = counter("scan", task_id=t["task_id"], code=found["barcode"])
        assert ack["result"] == "item_ok" and ack["task"]["units"] == 2
        odd = counter("scan", task_id=t["task_id"], code=unknown_gtin)
        assert odd["ok"] and odd["result"] == "found_ok", odd
        assert [ln["unknown"] for ln in odd["task"]["lines"]] == [False, True]
        assert counter("confirm", task_id=t["task_id"])["result"] == "count_ok"
    [review] = sup("reviews")["reviews"]
    by_item = {ln["item"]: ln for ln in review["lines"]}
    assert by_item[found["sku"]]["counts"] == [2, 2] and by_item[found["sku"]]["expected"] == 0
    assert by_item[unknown_gtin]["unknown"] and by_item[unknown_gtin]["variance"] == 1
    ack = sup("approve", task_id=review["task_id"], reason_code="found")
    assert ack["ok"], ack
    assert ack["unknown_items"] == [{"item": unknown_gtin, "lot": "", "qty": 1}]
    with uow_of(app)() as tx:
        s = tx.session
        loc = s.scalars(select(Location).where(Location.code == empty)).one()
        [row] = s.scalars(select(Stock).where(Stock.location_id == loc.id)).all()
        assert (row.sku.sku, row.on_hand, row.allocated) == (found["sku"], 2, 0)
    totals = floor_totals(app)
    assert totals["on_hand"] == totals["ledger_on_hand"]


def test_a_short_pick_count_is_counted_for_its_sku_on_the_handheld(app: Flask) -> None:
    bin_ = a_pick_face(app)
    doc = allocation_doc("AL-SHORT", lines=[{"line_id": "1", "sku": bin_["sku"], "qty": 1}])
    assert signed_post(app.test_client(), "/api/v1/allocations", doc).get_json()["status"] == (
        "accepted"
    )
    release(app, "AL-SHORT")
    picker = socket_client(app, "/pick", "U0020")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    short = picker.emit(
        "short", {"task_id": task["task_id"], "reason": "damaged"}, namespace="/pick", callback=True
    )
    assert short["ok"], short
    counter = Station(app, COUNT, FIRST)
    got = counter("next_task")["task"]
    assert (got["location"], got["scope"], got["sku"]) == (task["location"], "sku", bin_["sku"])
    count_bin(counter, got, bin_["barcode"], bin_["on_hand"])
    with uow_of(app)() as tx:
        [row] = tx.session.scalars(select(CountTask)).all()
        assert (row.source, row.outcome) == ("short_pick", "match")


# ---------------------------------------------------------------------------- raising counts


def test_requests_for_an_aisle_and_a_sku_skip_bins_already_being_counted(app: Flask) -> None:
    bin_ = a_pick_face(app)
    sup = Station(app, REVIEW, SUPERVISOR)
    one = request(sup, location=bin_["location"])
    assert one["created"] == 1
    aisle = bin_["location"][:3]  # A01-02-1 -> A01
    ack = request(sup, aisle=aisle)
    with uow_of(app)() as tx:
        s = tx.session
        loc = s.scalars(select(Location).where(Location.code == bin_["location"])).one()
        bins = s.scalar(
            select(func.count(Location.id)).where(
                Location.zone == loc.zone,
                Location.aisle == loc.aisle,
                Location.kind.in_(("pick", "reserve")),
            )
        )
    assert (ack["created"], ack["skipped"]) == (bins - 1, 1)
    sku = request(sup, sku=bin_["sku"])  # its pick face is covered; its reserve bin may not be
    with uow_of(app)() as tx:
        holding = tx.session.scalar(
            select(func.count(func.distinct(Stock.location_id))).where(
                Stock.sku_id == select(Sku.id).where(Sku.sku == bin_["sku"]).scalar_subquery(),
                Stock.on_hand > 0,
            )
        )
    assert sku["created"] + sku["skipped"] == holding


def test_the_cycle_schedule_raises_the_due_bins_and_not_twice(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uow = uow_of(app)
    cfg = load_count_config(CONFIG)
    dry = counts.plan_counts(uow, system_clock, cfg, limit=5, dry_run=True)
    assert dry["created"] == 0 and len(dry["planned"]) == 5 and dry["due"] == dry["bins"]
    first = counts.plan_counts(uow, system_clock, cfg, limit=5)
    assert first["created"] == 5 and first["planned"] == dry["planned"]
    second = counts.plan_counts(uow, system_clock, cfg, limit=5)
    assert second["created"] == 5 and set(second["planned"]).isdisjoint(first["planned"])
    abc = counts.plan_counts(uow, system_clock, cfg, abc=True, zone="A", limit=0)
    assert abc["created"] == 0 and set(abc["classes"]) == {"A", "B", "C"}

    # From cron: `dockhand counts plan` on the configured database.
    db_url = app.extensions["dockhand"].settings.database_url
    monkeypatch.setenv("DOCKHAND_DATABASE_URL", db_url)
    assert counts_cli(["plan", "--limit", "2"]) == 0
    assert counts_cli(["request", "--location", "Z99-99-9"]) == 2
    with uow() as tx:
        assert (
            tx.session.scalar(
                select(func.count(CountTask.id)).where(CountTask.source == "schedule")
            )
            == 12
        )


def test_a_counted_bin_is_not_due_again_until_its_interval_passes(app: Flask) -> None:
    bin_ = a_pick_face(app)
    uow = uow_of(app)
    cfg = load_count_config(CONFIG)
    sup = Station(app, REVIEW, SUPERVISOR)
    request(sup, location=bin_["location"], assign_to=FIRST)
    counter = Station(app, COUNT, FIRST)
    count_bin(counter, counter("next_task")["task"], bin_["barcode"], bin_["on_hand"])
    plan = counts.plan_counts(uow, system_clock, cfg, limit=10_000, dry_run=True)
    assert bin_["location"] not in plan["planned"] and plan["due"] == plan["bins"] - 1
    later = datetime(2099, 1, 1, tzinfo=UTC)
    plan = counts.plan_counts(uow, lambda: later, cfg, limit=10_000, dry_run=True)
    assert bin_["location"] in plan["planned"]

    # Ten days on: a C bin (30 days) is not due, but its item is the fastest mover (A, 7 days).
    with uow() as tx:
        s = tx.session
        repo.move_stock(
            s,
            s.get(Stock, bin_["stock_id"]),
            on_hand_delta=-20,
            reason="pick",
            reference="test",
            actor="test",
            now=datetime.now(UTC),
        )
        tx.commit()
    ten_days = datetime.now(UTC) + timedelta(days=10)
    plain = counts.plan_counts(uow, lambda: ten_days, cfg, limit=10_000, dry_run=True)
    assert bin_["location"] not in plain["planned"]
    abc = counts.plan_counts(uow, lambda: ten_days, cfg, abc=True, limit=10_000, dry_run=True)
    assert bin_["location"] in abc["planned"] and abc["classes"]["A"] >= 1


def test_moves_meanwhile_do_not_confuse_a_recount(app: Flask) -> None:
    """Stock taken out of the bin through the ledger between the count and the recount (a
    pick, say) leaves the variance where it was: the two counts still agree."""
    bin_ = a_pick_face(app)
    n = bin_["on_hand"]
    sup = Station(app, REVIEW, SUPERVISOR)
    first = Station(app, COUNT, FIRST)
    second = Station(app, COUNT, SECOND)
    request(sup, location=bin_["location"], assign_to=FIRST)
    count_bin(first, first("next_task")["task"], bin_["barcode"], n - 4)
    with uow_of(app)() as tx:
        s = tx.session
        repo.move_stock(
            s,
            s.get(Stock, bin_["stock_id"]),
            on_hand_delta=-10,
            reason="pick",
            reference="test",
            actor="test",
            now=datetime.now(UTC),
        )
        tx.commit()
    count_bin(second, second("next_task")["task"], bin_["barcode"], n - 14)
    [review] = sup("reviews")["reviews"]
    assert review["outcome"] == "confirmed"
    [line] = [ln for ln in review["lines"] if ln["variance"]]
    assert (line["expected"], line["counts"], line["variance"]) == (n - 10, [n - 4, n - 14], -4)


def test_a_scan_delivered_twice_counts_once(app: Flask) -> None:
    bin_ = a_pick_face(app)
    sup = Station(app, REVIEW, SUPERVISOR)
    counter = Station(app, COUNT, FIRST)
    request(sup, location=bin_["location"], assign_to=FIRST)
    task = counter("next_task")["task"]
    counter("scan", task_id=task["task_id"], code=bin_["location"])
    once = counter("scan", task_id=task["task_id"], code=bin_["barcode"], client_scan_id="dup-1")
    twice = counter("scan", task_id=task["task_id"], code=bin_["barcode"], client_scan_id="dup-1")
    assert (once["replayed"], twice["replayed"]) == (False, True)
    assert twice["result"] == "item_ok" and twice["message"] == once["message"]
    assert twice["task"]["units"] == 1
    done = counter("confirm", task_id=task["task_id"], client_scan_id="fin-1")
    again = counter("confirm", task_id=task["task_id"], client_scan_id="fin-1")
    assert done["result"] == again["result"] == "count_ok" and again["replayed"]
    with uow_of(app)() as tx:
        assert tx.session.scalar(select(func.count(CountTask.id))) == 2  # the one, its recount


def test_counters_asking_at_once_never_get_the_same_bin(floor: Flask) -> None:
    app = floor
    uow = uow_of(app)
    cfg = load_count_config(CONFIG)
    sup = Station(app, REVIEW, SUPERVISOR)
    request(sup, aisle="A02")
    badges = [f"U{10 + i:04d}" for i in range(8)]
    got: dict[str, int | None] = {}
    errors: list[BaseException] = []
    gate = threading.Barrier(len(badges))

    def ask(badge: str) -> None:
        try:
            gate.wait()
            task = counts.next_task(badge, uow, system_clock, cfg)
            got[badge] = task["task_id"] if task else None
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask, args=(b,)) for b in badges]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    ids = [i for i in got.values() if i is not None]
    assert len(ids) == len(badges) and len(set(ids)) == len(ids), got
    with uow() as tx:
        rows = tx.session.execute(
            select(CountTask.id, CountTask.assigned_to).where(CountTask.assigned_to.is_not(None))
        ).all()
    assert {row.assigned_to: row.id for row in rows} == got
