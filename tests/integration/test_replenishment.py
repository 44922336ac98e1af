"""Replenishment on real databases: min/max per pick face, a task raised when a pick brings
the face to its min (and by a short pick, whatever the level), never two live tasks for one
face (also when raised concurrently), the task worked on the stock handheld, and the stock
alerts pushed to supervisors: a face with no reserve to bring, and SKUs low on stock."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import socketio
from app.adapters.db import repositories as repo
from app.adapters.db.models import Location, Stock
from app.adapters.db.models_stock import ReplenishmentTask, StockAlert
from app.cli import main as cli_main
from app.domain.replenishment import Trigger
from app.services import replenishment
from app.services.clock import system_clock
from app.services.errors import ServiceError
from app.services.stock_alerts import AlertWatch
from app.services.stock_verify import verify_stock
from stations.stock.alerts import push_stock_alerts
from tests.support.stock import (
    emit,
    empty_location,
    floor_state,
    inventory_events,
    ledger_rows,
    sku_bins,
    stock_client,
)
from tests.support.warehouse import (
    allocation_doc,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals, release

SKU = "MUG-BLK-S"


def pick_emit(client: Any, event: str, **payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/pick", callback=True)
    return ack


def order(app: Flask, qty: int, allocation_id: str, sku: str = SKU) -> None:
    doc = allocation_doc(allocation_id, lines=[{"line_id": "1", "sku": sku, "qty": qty}])
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.get_json()["status"] == "accepted", resp.get_json()
    release(app, allocation_id)


def pick_all(app: Flask, qty: int, allocation_id: str, tote: str, badge: str = "U0010") -> None:
    """An order for `qty` units, waved and picked unit by unit by scan."""
    order(app, qty, allocation_id)
    picker = socket_client(app, "/pick", badge)
    task = pick_emit(picker, "next_task")["task"]
    assert task["qty"] == qty, task
    for code in [task["location"], *[task["barcode"]] * qty, tote]:
        reply = pick_emit(picker, "scan", task_id=task["task_id"], code=code)
        assert reply["ok"], reply


def live_tasks(app: Flask) -> list[dict[str, Any]]:
    return replenishment.list_tasks(uow_of(app))


def set_rule(app: Flask, location: str, min_units: int, max_units: int) -> dict[str, Any]:
    return replenishment.set_rule(
        location, SKU, min_units, max_units, "test", uow_of(app), system_clock
    )


def take_out(app: Flask, location: str) -> None:
    """Take the bin's free units out through the ledger (a stock adjustment)."""
    with uow_of(app)() as tx:
        s = tx.session
        for stock in s.scalars(
            select(Stock)
            .join(Location, Location.id == Stock.location_id)
            .where(Location.code == location)
        ).all():
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


# ---------------------------------------------------------------------------- stories


def pick_trigger_story(app: Flask) -> dict[str, Any]:
    bins = sku_bins(app, SKU)
    face, reserve = bins["pick"], bins["reserve"]
    on_hand = bins["on_hand"][face]
    rule = set_rule(app, face, on_hand - 3, on_hand + 50)
    assert rule["task"] is None  # above its min: nothing to do yet
    assert live_tasks(app) == []

    pick_all(app, 2, "AL-R1", "T0101")
    assert live_tasks(app) == []  # one above the min
    pick_all(app, 1, "AL-R2", "T0102")
    [task] = live_tasks(app)
    assert (task["from"], task["to"], task["sku"]) == (reserve, face, SKU)
    assert task["qty"] == 53 and task["trigger"] == Trigger.PICK.value
    assert task["status"] == "open" and task["face_on_hand"] == on_hand - 3

    pick_all(app, 2, "AL-R3", "T0103")  # lower still: the face's task is already raised
    assert [t["task_id"] for t in live_tasks(app)] == [task["task_id"]]
    return task


def handheld_story(app: Flask, task: dict[str, Any]) -> None:
    """The task on the stock handheld: wrong scans refused, then done by scan."""
    bins = sku_bins(app, SKU)
    face, reserve, gtin = bins["pick"], bins["reserve"], bins["gtin"]
    face_before, reserve_before = bins["on_hand"][face], bins["on_hand"][reserve]
    worker = stock_client(app, "U0012")
    events_before = len(inventory_events(app, SKU))

    given = emit(worker, "replenish_next")["task"]
    assert given["task_id"] == task["task_id"] and given["assigned_to"] == "U0012"
    tid = task["task_id"]
    before = floor_state(app)
    for stage, code, result in [
        ("from", face, "wrong_location"),
        ("item", "5012340000201", "wrong_item"),
        ("to", reserve, "wrong_location"),
    ]:
        ack = emit(worker, "check", mode="replenish", stage=stage, code=code, task_id=tid)
        assert ack["result"] == result, ack
    for stage, code in [("from", reserve), ("item", gtin), ("to", face)]:
        ack = emit(worker, "check", mode="replenish", stage=stage, code=code, task_id=tid)
        assert ack["ok"], ack
    # Someone else cannot finish a task given to this replenisher.
    other = stock_client(app, "U0013")
    taken = emit(
        other, "replenish_confirm", task_id=tid, item=gtin, to=face, qty=None, **{"from": reserve}
    )
    assert taken["result"] == "task_taken"
    wrong = emit(
        worker, "replenish_confirm", task_id=tid, item=gtin, to=reserve, **{"from": reserve}
    )
    assert wrong["result"] == "wrong_location"
    too_many = emit(
        worker, "replenish_confirm", task_id=tid, item=gtin, to=face, qty=999, **{"from": reserve}
    )
    assert too_many["result"] == "bad_quantity"
    assert floor_state(app) == before

    done = emit(
        worker,
        "replenish_confirm",
        task_id=tid,
        item=gtin,
        to=face,
        client_scan_id="rpl-1",
        **{"from": reserve},
    )
    assert done["ok"], done
    assert done["message"] == f"Replenished {face}: 53 × {SKU} from {reserve}."
    assert done["next_task_id"] is None
    rows = [r for r in ledger_rows(app, "replenish") if r["reference"] == f"RPL-{tid}"]
    assert [(r["location"], r["on_hand_delta"], r["actor"]) for r in rows] == [
        (reserve, -53, "U0012"),
        (face, 53, "U0012"),
    ]
    after = sku_bins(app, SKU)
    assert after["on_hand"][face] == face_before + 53
    assert after["on_hand"][reserve] == reserve_before - 53
    # Reserve to pick face changes nothing the OMS can sell.
    assert len(inventory_events(app, SKU)) == events_before
    assert live_tasks(app) == []
    assert emit(worker, "replenish_next")["task"] is None
    again = emit(
        worker,
        "replenish_confirm",
        task_id=tid,
        item=gtin,
        to=face,
        client_scan_id="rpl-1",
        **{"from": reserve},
    )
    assert again["replayed"] and again["ok"]
    totals = floor_totals(app)
    assert totals["on_hand"] == totals["ledger_on_hand"]
    assert verify_stock(uow_of(app)).discrepancies == []


def no_reserve_story(app: Flask) -> None:
    """A face that needs stock no reserve has: an alert pushed to supervisors; the receipt
    of reserve stock raises the task and clears the alert."""
    bins = sku_bins(app, SKU)
    face, reserve = bins["pick"], bins["reserve"]
    take_out(app, reserve)
    supervisor = socket_client(app, "/supervisor", "U0001")
    watch = AlertWatch(default_threshold=0)
    push_stock_alerts(app, watch)  # what the supervisors see now
    supervisor.get_received("/supervisor")

    rule = set_rule(app, face, bins["on_hand"][face], bins["on_hand"][face] + 40)
    assert rule["task"] is None
    alerts = push_stock_alerts(app, watch)
    assert alerts is not None
    [alert] = [a for a in alerts if a["kind"] == "no_reserve"]
    assert (alert["sku"], alert["location"]) == (SKU, face)
    assert "no reserve bin" in alert["message"]
    pushed = [m for m in supervisor.get_received("/supervisor") if m["name"] == "stock_alerts"]
    assert pushed and pushed[-1]["args"][0]["new"] == [alert["id"]]
    listed = supervisor.emit("stock_alerts", {}, namespace="/supervisor", callback=True)
    assert [a["id"] for a in listed["alerts"]] == [alert["id"]]
    assert push_stock_alerts(app, watch) is None  # nothing new: nothing pushed
    # The same condition again is the same alert, not a second one.
    set_rule(app, face, bins["on_hand"][face], bins["on_hand"][face] + 41)
    assert len(replenishment_alerts(app)) == 1

    shelf = empty_location(app, "reserve")
    receiver = stock_client(app, "U0014")
    ack = emit(receiver, "receive", item=bins["gtin"], qty=30, location=shelf)
    assert ack["ok"], ack
    [task] = live_tasks(app)
    assert (task["from"], task["to"], task["qty"], task["trigger"]) == (shelf, face, 30, "stock")
    assert replenishment_alerts(app) == []
    assert push_stock_alerts(app, watch) == []


def replenishment_alerts(app: Flask) -> list[int]:
    with uow_of(app)() as tx:
        return list(
            tx.session.scalars(
                select(StockAlert.id).where(
                    StockAlert.status == "open", StockAlert.kind == "no_reserve"
                )
            )
        )


# ---------------------------------------------------------------------------- SQLite


def test_a_pick_to_the_min_raises_one_task_from_reserve_worked_on_the_handheld(
    app: Flask,
) -> None:
    task = pick_trigger_story(app)
    handheld_story(app, task)


def test_a_short_pick_at_a_face_raises_a_task_whatever_its_level(app: Flask) -> None:
    bins = sku_bins(app, SKU)
    face, on_hand = bins["pick"], bins["on_hand"][bins["pick"]]
    set_rule(app, face, 0, on_hand + 10)
    order(app, 3, "AL-SHORT")
    picker = socket_client(app, "/pick", "U0011")
    task = pick_emit(picker, "next_task")["task"]
    assert task["location"] == face
    assert pick_emit(picker, "scan", task_id=task["task_id"], code=face)["ok"]
    short = pick_emit(picker, "short", task_id=task["task_id"], reason="empty")
    assert short["ok"], short
    [raised] = live_tasks(app)
    # The 3 units the picker could not find are taken as gone: bring the face to its max.
    assert raised["trigger"] == "short" and raised["to"] == face and raised["qty"] == 13


def test_a_face_without_reserve_alerts_supervisors_until_stock_arrives(app: Flask) -> None:
    no_reserve_story(app)


def test_low_stock_alerts_follow_the_available_units(app: Flask) -> None:
    bins = sku_bins(app, SKU)
    available = sum(bins["free"].values())
    supervisor = socket_client(app, "/supervisor", "U0001")
    watch = AlertWatch(default_threshold=5)
    first = push_stock_alerts(app, watch)
    assert first == []  # every SKU has more than 5
    replenishment.set_low_stock(SKU, available + 1, "test", uow_of(app), system_clock)
    order(app, 1, "AL-LOW")  # a reservation: a ledger row for the SKU
    alerts = push_stock_alerts(app, watch)
    assert alerts is not None
    [low] = alerts
    assert (low["kind"], low["sku"], low["available"], low["threshold"]) == (
        "low_stock",
        SKU,
        available - 1,
        available + 1,
    )
    assert low["message"] == (
        f"Low stock: {SKU} has {available - 1} units available (alert below {available + 1})."
    )
    pushed = [m for m in supervisor.get_received("/supervisor") if m["name"] == "stock_alerts"]
    assert pushed[-1]["args"][0]["alerts"][0]["id"] == low["id"]

    receiver = stock_client(app, "U0015")
    assert emit(receiver, "receive", item=bins["gtin"], qty=5, location=bins["reserve"])["ok"]
    assert push_stock_alerts(app, watch) == []
    with uow_of(app)() as tx:
        resolved = tx.session.get(StockAlert, low["id"])
        assert resolved is not None and resolved.status == "resolved"


def test_a_task_whose_reserve_bin_emptied_is_planned_again_before_anyone_walks(
    app: Flask,
) -> None:
    bins = sku_bins(app, SKU)
    face, reserve = bins["pick"], bins["reserve"]
    stale = set_rule(app, face, bins["on_hand"][face], bins["on_hand"][face] + 30)["task"]
    assert stale["from"] == reserve
    take_out(app, reserve)  # say a count found it empty
    shelf = empty_location(app, "reserve")
    receiver = stock_client(app, "U0014")
    assert emit(receiver, "receive", item=bins["gtin"], qty=50, location=shelf)["ok"]
    given = emit(receiver, "replenish_next")["task"]
    assert (given["from"], given["to"], given["qty"]) == (shelf, face, 30)
    statuses = {t["task_id"]: t["status"] for t in replenishment.list_tasks(uow_of(app), True)}
    assert statuses == {stale["task_id"]: "cancelled", given["task_id"]: "active"}


def test_one_live_task_per_face_even_when_raised_at_once(app: Flask) -> None:
    concurrent_check_faces(app)


def test_min_max_rules_are_validated_and_set_from_the_command_line(
    sqlite_url: str,
    app: Flask,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bins = sku_bins(app, SKU)
    uow = uow_of(app)
    for args, field in [
        ((bins["pick"], SKU, 10, 10), "max"),
        ((bins["pick"], SKU, -1, 10), "min"),
        ((bins["reserve"], SKU, 1, 10), "location"),
        (("Z99-99-9", SKU, 1, 10), "location"),
        ((bins["pick"], "NO-SUCH-SKU", 1, 10), "sku"),
    ]:
        with pytest.raises(ServiceError) as refused:
            replenishment.set_rule(*args, "test", uow, system_clock)
        assert refused.value.field == field
    monkeypatch.setenv("DOCKHAND_DATABASE_URL", sqlite_url)
    assert cli_main(["replenishment", "set", bins["pick"], SKU, "--min", "5", "--max", "60"]) == 0
    rule = json.loads(capsys.readouterr().out)
    assert (rule["min"], rule["max"], rule["location"]) == (5, 60, bins["pick"])
    rules = tmp_path / "rules.csv"
    rules.write_text(
        f"location,sku,min,max\n{bins['pick']},{SKU},7,70\n{bins['reserve']},{SKU},1,9\n"
        f"{bins['pick']},{SKU},x,9\n"
    )
    assert cli_main(["replenishment", "import", str(rules)]) == 1
    out = capsys.readouterr().out
    assert f"row 3: location: {bins['reserve']} is a reserve location" in out
    assert "row 4: min: min must be a whole number" in out
    assert cli_main(["replenishment", "list", "--location", bins["pick"], "--json"]) == 0
    [listed] = [r for r in json.loads(capsys.readouterr().out) if r["sku"] == SKU]
    assert (listed["min"], listed["max"]) == (7, 70)
    assert cli_main(["replenishment", "low-stock", SKU, "--below", "25"]) == 0
    assert cli_main(["replenishment", "alerts", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == []
    assert cli_main(["replenishment", "set", bins["pick"], SKU, "--min", "9", "--max", "3"]) == 1


def concurrent_check_faces(app: Flask, workers: int = 8) -> None:
    """Eight transactions look at the same low face at once: one task."""
    bins = sku_bins(app, SKU)
    face = bins["pick"]
    on_hand = bins["on_hand"][face]
    set_rule(app, face, 0, on_hand + 20)  # above its min: no task yet
    with uow_of(app)() as tx:
        s = tx.session
        location_id = s.scalars(select(Location.id).where(Location.code == face)).one()
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait(timeout=30)
            with uow_of(app)() as tx:
                replenishment.check_face(
                    tx.session,
                    location_id,
                    bins["sku_id"],
                    Trigger.SHORT,
                    "test",
                    datetime.now(UTC),
                )
                tx.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with uow_of(app)() as tx:
        live = tx.session.scalars(
            select(ReplenishmentTask).where(ReplenishmentTask.status.in_(("open", "active")))
        ).all()
        assert len(live) == 1 and live[0].qty == 20


# ---------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_replenishment_on_postgresql(postgres_app: Flask) -> None:
    task = pick_trigger_story(postgres_app)
    handheld_story(postgres_app, task)
    no_reserve_story(postgres_app)


@pytest.mark.postgres
def test_one_live_task_per_face_when_raised_at_once_on_postgresql(postgres_app: Flask) -> None:
    concurrent_check_faces(postgres_app, workers=16)


def test_supervisor_room_only(app: Flask) -> None:
    """Stock alerts go to signed-in supervisors, not to whoever connects."""
    stranger = socketio.test_client(app, namespace="/supervisor")
    watch = AlertWatch(default_threshold=10_000)  # every SKU is "low"
    assert push_stock_alerts(app, watch)
    assert [m for m in stranger.get_received("/supervisor") if m["name"] == "stock_alerts"] == []
