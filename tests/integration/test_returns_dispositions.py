"""Each disposition at the returns station, through its Socket.IO events on a real SQLite file:
resellable units go back to a bin confirmed by scan (stock and ledger at once), damaged units
to quarantine (on hand, never available), disposed units are only recorded."""

from __future__ import annotations

import hashlib

from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import Location, Sku, Stock, StockMovement
from app.adapters.db.models_returns import ReturnPhoto
from stations.returns import returns_context
from tests.support.returns_floor import (
    MUG,
    SHIRT,
    available,
    barcode,
    call,
    events,
    jpeg,
    photo,
    post_rma,
    scan,
    shipped_order,
    station,
    stock_at,
)
from tests.support.warehouse import signed_get, uow_of


def opened(app: Flask, code: str = "RMA-1") -> tuple[object, str]:
    client = station(app)
    ack = call(client, "receive", {"code": code})
    assert ack["ok"], ack
    return client, ack["receipt"]["code"]


def pick_face_of(app: Flask, sku: str) -> str:
    with uow_of(app)() as tx:
        return tx.session.scalars(
            select(Location.code)
            .join(Stock, Stock.location_id == Location.id)
            .join(Sku, Sku.id == Stock.sku_id)
            .where(Sku.sku == sku, Location.kind == "pick")
        ).one()


def ledger(app: Flask, reason: str) -> list[tuple[str, int, int]]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(Location.code, StockMovement.on_hand_delta, StockMovement.allocated_delta)
            .join(Location, Location.id == StockMovement.location_id)
            .where(StockMovement.reason == reason)
            .order_by(StockMovement.id)
        ).all()
    return [(code, int(oh), int(al)) for code, oh, al in rows]


def test_resellable_unit_is_back_in_its_pick_face_when_the_bin_scan_commits(app: Flask) -> None:
    shipped_order(app)
    post_rma(app)
    client, receipt = opened(app)
    face = pick_face_of(app, SHIRT)
    before_bin = stock_at(app, face, SHIRT)
    before_available = available(app, SHIRT)
    changed_before = len(events(app, "inventory.changed"))

    item = scan(client, receipt, barcode(app, SHIRT))
    assert item["ok"] and item["result"] == "item_ok", item
    assert item["receipt"]["current"]["line_id"] == "1"
    graded = scan(client, receipt, "R-ASNEW")
    assert graded["ok"] and graded["result"] == "graded", graded
    assert graded["receipt"]["stage"] == "put_away"
    assert graded["receipt"]["current"]["suggested_location"] == face
    assert face in graded["message"]
    assert stock_at(app, face, SHIRT) == before_bin  # nothing moves before the bin scan

    put = scan(client, receipt, face)
    assert put["ok"] and put["result"] == "location_ok", put
    assert stock_at(app, face, SHIRT) == (before_bin[0] + 1, before_bin[1])
    assert available(app, SHIRT) == before_available + 1
    assert ledger(app, "return") == [(face, 1, 0)]
    changed = events(app, "inventory.changed")[changed_before:]
    assert [e["data"]["sku"] for e in changed] == [SHIRT]
    assert changed[-1]["data"]["available"] == before_available + 1
    unit = put["receipt"]["units"][0]
    assert (unit["status"], unit["location"], unit["grade"]) == ("restocked", face, "resellable")
    assert put["receipt"]["stage"] == "item"


def test_a_resellable_unit_may_go_to_another_bin_that_takes_it_but_not_anywhere(
    app: Flask,
) -> None:
    shipped_order(app)
    post_rma(app)
    client, receipt = opened(app)
    scan(client, receipt, barcode(app, SHIRT))
    graded = scan(client, receipt, "R-UNOPENED")
    suggested = graded["receipt"]["current"]["suggested_location"]
    mug_face = pick_face_of(app, MUG)

    for code, result in (
        (mug_face, "wrong_location"),  # another SKU's pick face
        ("P00-00-1", "wrong_location"),  # the pack station is no bin
        ("Q00-00-1", "wrong_location"),
        ("Z99-99-9", "not_a_location"),
    ):
        reply = scan(client, receipt, code)
        assert (reply["ok"], reply["result"]) == (False, result), reply
        assert suggested in reply["message"] or result == "not_a_location"
    item = scan(client, receipt, barcode(app, MUG))
    assert item["result"] == "put_away_first", item

    with uow_of(app)() as tx:  # an empty reserve bin is a fine home for it
        occupied = select(Stock.location_id).where(Stock.on_hand > 0)
        empty_reserve = tx.session.scalars(
            select(Location.code)
            .where(Location.kind == "reserve", Location.id.not_in(occupied))
            .order_by(Location.code)
        ).first()
    assert empty_reserve is not None
    put = scan(client, receipt, empty_reserve)
    assert put["ok"] and put["result"] == "other_bin_ok", put
    assert stock_at(app, empty_reserve, SHIRT) == (1, 0)


def test_damaged_unit_needs_a_photo_and_goes_to_quarantine_where_it_is_never_available(
    app: Flask,
) -> None:
    shipped_order(app)
    post_rma(app)
    client, receipt = opened(app)
    before_available = available(app, MUG)
    before_events = len(events(app, "inventory.changed"))

    item = scan(client, receipt, barcode(app, MUG))
    assert item["receipt"]["current"]["photo_required_for"] == ["damaged", "dispose"]
    refused = scan(client, receipt, "R-DEFECT")
    assert (refused["ok"], refused["result"]) == (False, "photo_required"), refused
    assert refused["receipt"]["stage"] == "grade"

    shot = jpeg(seed=7)
    saved = photo(client, item["unit_id"], seed=7)
    assert saved["ok"], saved
    url = saved["receipt"]["current"]["photos"][0]["url"]
    graded = scan(client, receipt, "R-DEFECT")
    assert graded["ok"] and "quarantine Q00-00-1" in graded["message"], graded

    assert stock_at(app, "Q00-00-1", MUG) == (1, 1)  # on hand, allocated to the quarantine
    assert available(app, MUG) == before_available
    assert len(events(app, "inventory.changed")) == before_events  # nothing sellable changed
    assert ledger(app, "return_quarantine") == [("Q00-00-1", 1, 1)]
    unit = graded["receipt"]["units"][0]
    assert (unit["status"], unit["grade"], unit["reason"]) == (
        "quarantined",
        "damaged",
        "Defective, does not work",
    )

    # The photo is a file under the photo folder, as recorded; the page can show it.
    with uow_of(app)() as tx:
        row = tx.session.scalars(select(ReturnPhoto)).one()
        stored = returns_context(app).photo_dir / row.path
        assert (row.size_bytes, row.sha256, row.source) == (
            len(shot),
            hashlib.sha256(shot).hexdigest(),
            "camera",
        )
    assert stored.read_bytes() == shot
    resp = app.test_client().get(url)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg" and resp.data == shot


def test_disposed_unit_is_recorded_and_touches_no_stock(app: Flask) -> None:
    shipped_order(app)
    post_rma(app)
    client, receipt = opened(app)
    with uow_of(app)() as tx:
        movements = len(tx.session.scalars(select(StockMovement.id)).all())
    item = scan(client, receipt, barcode(app, SHIRT))
    photo(client, item["unit_id"])
    graded = scan(client, receipt, "R-HYGIENE")
    assert graded["ok"] and "dispose" in graded["message"].lower(), graded
    unit = graded["receipt"]["units"][0]
    assert (unit["status"], unit["location"], unit["grade"]) == ("disposed", None, "dispose")
    with uow_of(app)() as tx:
        assert len(tx.session.scalars(select(StockMovement.id)).all()) == movements


def test_return_received_reports_each_line_grade_restocked_quantity_and_photo(
    app: Flask,
) -> None:
    shipped_order(app)
    post_rma(app)
    client, receipt = opened(app)
    shirt, mug = barcode(app, SHIRT), barcode(app, MUG)

    scan(client, receipt, shirt)
    bin_ = scan(client, receipt, "R-UNOPENED")["receipt"]["current"]["suggested_location"]
    assert scan(client, receipt, bin_)["ok"]
    second = scan(client, receipt, shirt)
    photo(client, second["unit_id"], seed=2)
    assert scan(client, receipt, "R-TRANSIT")["ok"]
    third = scan(client, receipt, mug)
    photo(client, third["unit_id"], seed=3)
    assert scan(client, receipt, "R-BROKEN")["ok"]
    assert events(app, "return.received") == []

    closed = call(client, "close", {"receipt": receipt})
    assert closed["ok"] and closed["result"] == "closed", closed
    assert closed["receipt"]["status"] == "closed"
    [event] = events(app, "return.received")
    assert (event["allocation_id"], event["order_number"]) == ("AL-1", "SO-AL-1")
    data = event["data"]
    assert data["rma_id"] == "RMA-1" and data["receipt"] == receipt
    lines = [
        (ln["line_id"], ln["sku"], ln["qty"], ln["grade"], ln["restocked_qty"])
        for ln in data["lines"]
    ]
    assert lines == [
        ("1", SHIRT, 1, "resellable", 1),
        ("1", SHIRT, 1, "damaged", 0),
        ("2", MUG, 1, "dispose", 0),
    ]
    assert data["lines"][1]["reasons"] == ["Damaged in transit"]
    assert data["not_received"] == [] and data["flagged"] is False
    photo_url = data["lines"][1]["photos"][0]
    assert photo_url.startswith("/api/v1/returns/RMA-1/photos/")

    # The OMS fetches the evidence with a signed request; unsigned requests get nothing.
    client_http = app.test_client()
    assert client_http.get(photo_url).status_code == 401
    fetched = signed_get(client_http, photo_url)
    assert fetched.status_code == 200 and fetched.data == jpeg(seed=2)
    wrong = photo_url.replace("RMA-1", "RMA-OTHER")
    assert signed_get(client_http, wrong).status_code == 404

    # Closing again changes nothing and sends nothing twice.
    again = call(client, "close", {"receipt": receipt})
    assert again["ok"] and len(events(app, "return.received")) == 1


def test_a_return_closes_only_when_every_unit_is_graded_and_put_away(app: Flask) -> None:
    shipped_order(app)
    post_rma(app)
    client, receipt = opened(app)
    empty = call(client, "close", {"receipt": receipt})
    assert (empty["ok"], empty["error"]) == (False, "conflict") and "Nothing" in empty["message"]
    scan(client, receipt, barcode(app, SHIRT))
    ungraded = scan(client, receipt, "CMD-CLOSE")
    assert (ungraded["ok"], ungraded["result"]) == (False, "ungraded"), ungraded
    scan(client, receipt, "R-ASNEW")
    waiting = scan(client, receipt, "CMD-CLOSE")
    assert (waiting["ok"], waiting["result"]) == (False, "not_put_away"), waiting
    bin_ = waiting["receipt"]["current"]["suggested_location"]
    scan(client, receipt, bin_)
    closed = scan(client, receipt, "CMD-CLOSE")
    assert closed["ok"] and closed["result"] == "closed", closed
    assert closed["receipt"]["stage"] == "closed"
    [event] = events(app, "return.received")
    assert event["data"]["not_received"] == [
        {"line_id": "1", "sku": SHIRT, "qty": 1},
        {"line_id": "2", "sku": MUG, "qty": 1},
    ]
    after = scan(client, receipt, barcode(app, MUG))
    assert (after["ok"], after["result"]) == (False, "receipt_closed")
