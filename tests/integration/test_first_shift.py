"""A first shift without training, on a real database through the real station namespaces:
hints for a new picker or packer (and none for an experienced one), practice waves on practice
stock that never reach the OMS, never touch real stock and are put back through the ledger."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.adapters.db.models import (
    Allocation,
    Carton,
    Location,
    OutboxEvent,
    PickTask,
    Reservation,
    ScanLog,
    Sku,
    Stock,
    StockMovement,
    Tote,
    Wave,
)
from app.adapters.db.models_first_shift import PracticeRun
from app.services import dashboard, first_shift
from app.services.stock_verify import verify_stock
from tests.support.pack import picked_order
from tests.support.warehouse import (
    allocation_doc,
    fresh_postgres_db,
    make_app,
    prepare_database,
    signed_get,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals, release

PICK = "/pick"
PACK = "/pack"
SUP = "/first-shift"


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    # What a process remembers about who is experienced belongs to one database.
    first_shift.forget()
    yield
    first_shift.forget()


def emit(client: Any, namespace: str, event: str, **payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace=namespace, callback=True)
    return ack


def scan(picker: Any, task: dict[str, Any], code: str) -> dict[str, Any]:
    return emit(picker, PICK, "scan", task_id=task["task_id"], code=code)


def pick_whole_task(picker: Any, task: dict[str, Any], tote: str) -> list[dict[str, Any]]:
    """Location, each unit, the tote: the answers in order."""
    codes = [task["location"]] + [task["barcode"]] * (task["qty"] - task["picked"])
    codes.append(task["tote"] or tote)
    answers = [scan(picker, task, code) for code in codes]
    assert all(a["ok"] for a in answers), answers
    return answers


def order(app: Flask, allocation_id: str, sku: str = "TSHIRT-BLK-S", qty: int = 1) -> None:
    doc = allocation_doc(allocation_id, lines=[{"line_id": "1", "sku": sku, "qty": qty}])
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.get_json()["status"] == "accepted", resp.get_json()
    release(app, allocation_id)


def real_stock(app: Flask) -> dict[int, tuple[int, int]]:
    """Every bin outside the practice locations: (on hand, allocated)."""
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(Stock.id, Stock.on_hand, Stock.allocated)
            .join(Location, Location.id == Stock.location_id)
            .where(Location.kind != "practice")
        ).all()
    return {sid: (oh, al) for sid, oh, al in rows}


def practice_stock(app: Flask) -> dict[int, tuple[int, int]]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(Stock.id, Stock.on_hand, Stock.allocated)
            .join(Location, Location.id == Stock.location_id)
            .where(Location.kind == "practice")
        ).all()
    return {sid: (oh, al) for sid, oh, al in rows}


def outbox_count(app: Flask) -> int:
    with uow_of(app)() as tx:
        return int(tx.session.scalar(select(func.count(OutboxEvent.id))) or 0)


def mark(app: Flask, badge: str, experienced: bool = True) -> None:
    sup = socket_client(app, SUP, "U0001")
    ack = emit(sup, SUP, "mark", badge=badge, experienced=experienced)
    assert ack["ok"], ack


# ---------------------------------------------------------------------------- hints


def test_a_new_pickers_task_carries_the_hint_for_each_step(app: Flask) -> None:
    order(app, "AL-NEW", qty=2)
    picker = socket_client(app, PICK, "U0010")
    task = emit(picker, PICK, "next_task")["task"]
    assert task["practice"] is False
    assert task["hint"] == "Scan the location label on the shelf edge"
    assert task["hints"]["tote"] == "Take an empty tote, put the items in and scan the tote's label"
    after_location = scan(picker, task, task["location"])["task"]
    assert after_location["hint"] == "Scan each item's barcode on its own, then put it in the tote"
    scan(picker, task, task["barcode"])
    after_items = scan(picker, task, task["barcode"])["task"]
    assert after_items["stage"] == "tote"
    assert after_items["hint"].startswith("Take an empty tote")


def test_an_experienced_pickers_task_has_no_hint(app: Flask) -> None:
    order(app, "AL-OLD")
    mark(app, "U0011")
    picker = socket_client(app, PICK, "U0011")
    task = emit(picker, PICK, "next_task")["task"]
    assert task is not None
    assert task["hint"] is None and task["hints"] == {}
    assert scan(picker, task, task["location"])["task"]["hint"] is None


def test_hints_stop_once_the_picker_has_done_the_configured_tasks(sqlite_url: str) -> None:
    app = make_app(sqlite_url, first_shift_pick_tasks=1)
    try:
        order(app, "AL-A")
        order(app, "AL-B")
        picker = socket_client(app, PICK, "U0012")
        first = emit(picker, PICK, "next_task")["task"]
        assert first["hint"] is not None
        pick_whole_task(picker, first, "T0601")
        second = emit(picker, PICK, "next_task")["task"]
        assert second is not None and second["allocation_id"] != first["allocation_id"]
        assert second["hint"] is None
        status = emit(picker, PICK, "first_shift")["first_shift"]
        assert status["new"] is False and status["done"] == 1 and status["needed"] == 1
    finally:
        app.extensions["dockhand"].uow.engine.dispose()


def test_a_supervisors_mark_can_be_taken_back(app: Flask) -> None:
    mark(app, "U0013")
    picker = socket_client(app, PICK, "U0013")
    assert emit(picker, PICK, "first_shift")["first_shift"]["new"] is False
    mark(app, "U0013", experienced=False)
    assert emit(picker, PICK, "first_shift")["first_shift"]["new"] is True


def test_a_new_packer_gets_a_hint_for_each_step_of_the_order(app: Flask) -> None:
    picked_order(app, "AL-PK", [{"line_id": "1", "sku": "MUG-BLK-S", "qty": 1}], "T0602")
    packer = socket_client(app, PACK, "U0041")
    status = emit(packer, PACK, "first_shift")["first_shift"]
    assert status["new"] and status["idle_hint"] == "Scan the label on the tote to open its order"
    opened = emit(packer, PACK, "open", code="T0602")
    assert opened["order"]["hint"] == "Scan each item into the carton"
    barcode = opened["order"]["lines"][0]["barcode"]
    scanned = emit(packer, PACK, "scan", allocation_id="AL-PK", code=barcode)
    assert scanned["ok"], scanned
    assert scanned["order"]["hint"].startswith("Close the carton and print the slip")
    carton = scanned["order"]["recommendation"]["code"]
    closed = emit(packer, PACK, "close_carton", allocation_id="AL-PK", carton_type=carton)
    assert closed["ok"], closed
    assert closed["order"]["hint"] == "Put the slip in, seal the carton and send it to weighing"


def test_an_experienced_packer_gets_no_hint(app: Flask) -> None:
    picked_order(app, "AL-PX", [{"line_id": "1", "sku": "MUG-BLK-S", "qty": 1}], "T0603")
    mark(app, "U0042")
    packer = socket_client(app, PACK, "U0042")
    assert emit(packer, PACK, "first_shift")["first_shift"]["idle_hint"] is None
    assert emit(packer, PACK, "open", code="T0603")["order"]["hint"] is None


# ---------------------------------------------------------------------------- practice


def _practice_isolation(app: Flask) -> None:
    # A real order in progress beside the practice: the practice must not touch it.
    order(app, "AL-REAL", qty=1)
    real_before = real_stock(app)
    practice_before = practice_stock(app)
    outbox_before = outbox_count(app)
    totals_before = floor_totals(app)
    mark(app, "U0014")  # experienced: practice shows hints all the same

    picker = socket_client(app, PICK, "U0014")
    started = emit(picker, PICK, "start_practice")
    assert started["ok"], started
    run = started["first_shift"]["practice"]
    assert run["status"] == "running" and run["orders"] == 3 and run["units"] == 5
    assert "Nothing here is a real order" in started["message"]

    picked_units = 0
    tasks = 0
    while True:
        task = emit(picker, PICK, "next_task")["task"]
        if task is None:
            break
        tasks += 1
        assert task["practice"] is True and task["allocation_id"].startswith("PRACTICE-")
        assert task["location"].startswith("X01-")
        assert task["hint"] == "Scan the location label on the shelf edge"
        answers = pick_whole_task(picker, task, f"T07{tasks:02d}")
        picked_units += task["qty"]
        assert answers[-1]["task"]["stage"] == "done"
    assert tasks == 4 and picked_units == 5

    status = emit(picker, PICK, "first_shift")["first_shift"]
    run = status["practice"]
    assert run["status"] == "done" and not run["seen"]
    assert run["orders_done"] == 3 and run["units_done"] == 5 and run["wrong_scans"] == 0

    # Nothing upstream, no real bin touched, the practice bins as they were.
    assert outbox_count(app) == outbox_before
    assert real_stock(app) == real_before
    assert practice_stock(app) == practice_before
    totals = floor_totals(app)
    assert totals["on_hand"] == totals["ledger_on_hand"] == totals_before["on_hand"]
    assert totals["allocated"] == totals["ledger_allocated"] == totals_before["allocated"]
    assert verify_stock(uow_of(app)).ok
    with uow_of(app)() as tx:
        s = tx.session
        practice_allocations = s.scalars(select(Allocation).where(Allocation.practice)).all()
        assert len(practice_allocations) == 3
        assert {a.status for a in practice_allocations} == {"cancelled"}
        pks = [a.id for a in practice_allocations]
        # Every movement of practice stock says so; its scans are logged as practice.
        reasons = set(
            s.scalars(
                select(StockMovement.reason)
                .join(Location, Location.id == StockMovement.location_id)
                .where(Location.kind == "practice", StockMovement.reference.like("PRACTICE-%"))
            )
        )
        assert reasons == {"practice"}
        stations = set(s.scalars(select(ScanLog.station).where(ScanLog.allocation_pk.in_(pks))))
        assert stations == {"practice_pick"}
        held = select(Reservation.id).where(Reservation.stock_id.in_(list(practice_before)))
        assert s.scalars(held).first() is None
        assert s.scalar(select(func.count(Tote.id)).where(Tote.allocation_pk.in_(pks))) == 0

    # Until the picker has seen how it went, no real task; then the real order comes.
    assert emit(picker, PICK, "next_task")["task"] is None
    seen = emit(picker, PICK, "end_practice")
    assert seen["ok"] and seen["first_shift"]["practice"] is None
    real = emit(picker, PICK, "next_task")["task"]
    assert real is not None and real["allocation_id"] == "AL-REAL" and real["practice"] is False


def test_a_practice_wave_reaches_no_oms_and_no_real_stock(app: Flask) -> None:
    _practice_isolation(app)


@pytest.mark.postgres
def test_a_practice_wave_reaches_no_oms_and_no_real_stock_on_postgresql() -> None:
    with fresh_postgres_db() as url:
        prepare_database(url)
        app = make_app(url)
        try:
            _practice_isolation(app)
        finally:
            app.extensions["dockhand"].uow.engine.dispose()


def test_real_allocations_never_reserve_practice_stock(app: Flask) -> None:
    with uow_of(app)() as tx:
        s = tx.session
        practice_skus = list(s.scalars(select(Sku.sku).where(Sku.practice)))
        free = int(
            s.scalar(
                select(func.sum(Stock.on_hand - Stock.allocated))
                .join(Sku, Sku.id == Stock.sku_id)
                .join(Location, Location.id == Stock.location_id)
                .where(Sku.sku == "MUG-BLK-S", Location.kind != "practice")
            )
            or 0
        )
    assert len(practice_skus) == 4
    before = practice_stock(app)
    # An OMS order for a practice item finds no stock it may take.
    doc = allocation_doc("AL-PSKU", lines=[{"line_id": "1", "sku": practice_skus[0], "qty": 1}])
    body = signed_post(app.test_client(), "/api/v1/allocations", doc).get_json()
    assert body["status"] == "backordered", body
    # A real SKU parked in a practice bin is not for orders either.
    with uow_of(app)() as tx:
        s = tx.session
        from app.adapters.db import repositories as repo

        loc = s.scalars(select(Location).where(Location.kind == "practice")).first()
        mug = s.scalars(select(Sku).where(Sku.sku == "MUG-BLK-S")).one()
        assert loc is not None
        parked = Stock(location_id=loc.id, sku_id=mug.id, lot="", on_hand=0, allocated=0)
        s.add(parked)
        s.flush()
        repo.move_stock(
            s, parked, on_hand_delta=5, reason="receipt", reference="t", actor="t", now=_now()
        )
        tx.commit()
    doc = allocation_doc("AL-MUG", lines=[{"line_id": "1", "sku": "MUG-BLK-S", "qty": free + 3}])
    body = signed_post(app.test_client(), "/api/v1/allocations", doc).get_json()
    assert body["status"] == "backordered", body
    doc = allocation_doc("AL-MUG2", lines=[{"line_id": "1", "sku": "MUG-BLK-S", "qty": free}])
    assert signed_post(app.test_client(), "/api/v1/allocations", doc).get_json()["status"] == (
        "accepted"
    )
    with uow_of(app)() as tx:
        s = tx.session
        kinds = set(
            s.scalars(
                select(Location.kind)
                .join(Stock, Stock.location_id == Location.id)
                .join(Reservation, Reservation.stock_id == Stock.id)
            )
        )
        parked_allocated = s.scalar(select(Stock.allocated).where(Stock.id == parked.id))
    assert "practice" not in kinds and parked_allocated == 0
    assert {k: v for k, v in practice_stock(app).items() if k in before} == before
    # The OMS never hears of practice items.
    items = signed_get(app.test_client(), "/api/v1/inventory?limit=500").get_json()["items"]
    assert not any(i["sku"].startswith("PRACTICE-") for i in items)


def test_practice_orders_take_only_practice_stock(app: Flask) -> None:
    packer = socket_client(app, PACK, "U0043")
    started = emit(packer, PACK, "start_practice")
    assert started["ok"], started
    picker = socket_client(app, PICK, "U0015")
    assert emit(picker, PICK, "start_practice")["ok"]
    with uow_of(app)() as tx:
        s = tx.session
        kinds = set(
            s.scalars(
                select(Location.kind)
                .join(Stock, Stock.location_id == Location.id)
                .join(PickTask, PickTask.stock_id == Stock.id)
                .join(Wave, Wave.id == PickTask.wave_id)
                .where(Wave.practice)
            )
        )
        practice_waves = s.scalar(select(func.count(Wave.id)).where(Wave.practice))
    assert kinds == {"practice"} and practice_waves == 2


def test_pack_practice_from_the_practice_totes_to_practice_cartons(app: Flask) -> None:
    before = practice_stock(app)
    outbox_before = outbox_count(app)
    packer = socket_client(app, PACK, "U0044")
    started = emit(packer, PACK, "start_practice")
    assert started["ok"], started
    run = started["first_shift"]["practice"]
    assert run["kind"] == "pack" and run["totes"] == ["T990001", "T990002", "T990003"]
    assert "Scan a tote to start" in started["message"]
    # The practice totes are this packer's alone: not in the bench's queue.
    queue = emit(packer, PACK, "queue")["queue"]
    assert not any(row["allocation_id"].startswith("PRACTICE-") for row in queue)
    for code in run["totes"]:
        opened = emit(packer, PACK, "open", code=code)
        assert opened["ok"], opened
        o = opened["order"]
        assert o["practice"] is True and o["hint"] == "Scan each item into the carton"
        for line in o["lines"]:
            for _ in range(line["picked"]):
                assert emit(
                    packer, PACK, "scan", allocation_id=o["allocation_id"], code=line["barcode"]
                )["ok"]
        o = emit(packer, PACK, "open", code=o["allocation_id"])["order"]
        closed = emit(
            packer,
            PACK,
            "close_carton",
            allocation_id=o["allocation_id"],
            carton_type=o["recommendation"]["code"],
        )
        assert closed["ok"], closed
    status = emit(packer, PACK, "first_shift")["first_shift"]["practice"]
    assert status["status"] == "done" and status["orders_done"] == 3
    with uow_of(app)() as tx:
        s = tx.session
        statuses = set(
            s.scalars(
                select(Carton.status)
                .join(Allocation, Allocation.id == Carton.allocation_pk)
                .where(Allocation.practice)
            )
        )
        stations = set(
            s.scalars(
                select(ScanLog.station)
                .join(Allocation, Allocation.id == ScanLog.allocation_pk)
                .where(Allocation.practice)
            )
        )
    assert statuses == {"practice"}  # never in the weigh station's queue
    assert stations == {"practice_pack"}
    assert practice_stock(app) == before
    assert outbox_count(app) == outbox_before
    assert verify_stock(uow_of(app)).ok


def test_a_supervisor_ends_a_practice_half_way_and_everything_goes_back(app: Flask) -> None:
    before = practice_stock(app)
    sup = socket_client(app, SUP, "U0001")
    started = emit(sup, SUP, "start_practice", badge="U0016", kind="pick")
    assert started["ok"], started
    picker = socket_client(app, PICK, "U0016")
    task = emit(picker, PICK, "next_task")["task"]
    assert task["practice"]
    assert scan(picker, task, task["location"])["ok"]
    assert scan(picker, task, task["barcode"])["ok"]  # one unit in hand
    ended = emit(sup, SUP, "end_practice", badge="U0016")
    assert ended["ok"] and ended["practice"]["status"] == "ended"
    assert practice_stock(app) == before
    assert verify_stock(uow_of(app)).ok
    with uow_of(app)() as tx:
        s = tx.session
        run = s.scalars(select(PracticeRun).where(PracticeRun.badge == "U0016")).one()
        ended_by = run.ended_by
        open_tasks = s.scalar(
            select(func.count(PickTask.id)).where(
                PickTask.wave_id == run.wave_id, PickTask.status != "done"
            )
        )
    assert ended_by == "U0001" and open_tasks == 0
    # The picker hears it is over, and scans on the old task are refused.
    status = emit(picker, PICK, "first_shift")["first_shift"]
    assert status["practice"]["status"] == "ended" and not status["practice"]["seen"]
    assert scan(picker, task, task["barcode"])["ok"] is False
    assert emit(sup, SUP, "end_practice", badge="U0099")["ok"] is False


def test_practice_is_refused_while_a_real_task_is_in_hand(app: Flask) -> None:
    order(app, "AL-HAND")
    picker = socket_client(app, PICK, "U0017")
    assert emit(picker, PICK, "next_task")["task"]["allocation_id"] == "AL-HAND"
    refused = emit(picker, PICK, "start_practice")
    assert refused["ok"] is False and refused["error"] == "conflict"
    assert "task in hand" in refused["message"]
    again = socket_client(app, PICK, "U0018")
    assert emit(again, PICK, "start_practice")["ok"]
    twice = emit(again, PICK, "start_practice")
    assert twice["ok"] is False and "practising already" in twice["message"]
    shipper = socket_client(app, SUP, "U0001")
    wrong_role = emit(shipper, SUP, "start_practice", badge="U0060", kind="pick")
    assert wrong_role["ok"] is False and wrong_role["field"] == "kind"


def test_practice_is_not_real_work_on_the_dashboard(app: Flask) -> None:
    picker = socket_client(app, PICK, "U0019")
    assert emit(picker, PICK, "start_practice")["ok"]
    task = emit(picker, PICK, "next_task")["task"]
    pick_whole_task(picker, task, "T0790")
    snap = dashboard.snapshot(uow_of(app))
    assert sum(snap["allocations"].values()) == 0
    practice_waves = [w for w in snap["waves"] if w["practice"]]
    assert len(practice_waves) == 1 and practice_waves[0]["code"].startswith("PRACTICE-")
    assert snap["stations"]["pick"]["units_last_hour"] == 0
    assert snap["stations"]["pick"]["queue"] == 0
    assert not any(
        str(o.get("allocation_id", "")).startswith("PRACTICE-") for o in snap["at_risk"]["orders"]
    )


def test_the_supervisors_page_lists_new_people_first(app: Flask) -> None:
    mark(app, "U0010")
    sup = socket_client(app, SUP, "U0001")
    ack = emit(sup, SUP, "people")
    assert ack["ok"] and ack["rules"] == {"pick_tasks": 10, "pack_orders": 5, "practice_orders": 3}
    people = ack["people"]
    badges = [p["badge"] for p in people]
    assert "U0001" not in badges and "U0060" not in badges  # floor roles only
    assert badges.index("U0011") < badges.index("U0010")  # new before experienced
    u10 = next(p for p in people if p["badge"] == "U0010")
    assert u10["marked"] and not u10["new"]
    # The page is for supervisors: a picker's badge does not open it.
    from app import socketio

    client = socketio.test_client(app, namespace=SUP, flask_test_client=app.test_client())
    refused = emit(client, SUP, "sign_in", badge="U0011", pin="1234")
    assert refused["ok"] is False and refused["field"] == "badge"
    assert emit(client, SUP, "people")["ok"] is False


def _now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def test_a_short_pick_in_practice_stays_in_practice(app: Flask) -> None:
    from app.adapters.db.models_pick import CountTask

    before = practice_stock(app)
    outbox_before = outbox_count(app)
    picker = socket_client(app, PICK, "U0021")
    assert emit(picker, PICK, "start_practice")["ok"]
    task = emit(picker, PICK, "next_task")["task"]
    assert scan(picker, task, task["location"])["ok"]
    short = emit(picker, PICK, "short", task_id=task["task_id"], reason="empty")
    assert short["ok"], short
    # The practice bins hold each item once: nothing else may cover it, no real bin either.
    assert short["short"]["reallocated"] == 0 and short["short"]["short"] == task["qty"]
    totes = iter(["T0795", "T0796", "T0797"])
    while (task := emit(picker, PICK, "next_task")["task"]) is not None:
        assert task["practice"]
        pick_whole_task(picker, task, task["tote"] or next(totes))
    status = emit(picker, PICK, "first_shift")["first_shift"]["practice"]
    assert status["status"] == "done"
    assert practice_stock(app) == before
    assert outbox_count(app) == outbox_before
    assert verify_stock(uow_of(app)).ok
    with uow_of(app)() as tx:
        open_counts = tx.session.scalar(
            select(func.count(CountTask.id))
            .join(Stock, Stock.id == CountTask.stock_id)
            .join(Location, Location.id == Stock.location_id)
            .where(Location.kind == "practice", CountTask.status == "open")
        )
    assert open_counts == 0
