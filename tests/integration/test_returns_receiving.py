"""Receiving a parcel at the returns station: found by RMA, order, allocation or the tracking
number we shipped it with; no authorization means the review queue, where units are held
until a supervisor links the RMA the OMS sends later."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import ReturnAuthorization, StockMovement
from tests.support.returns_floor import (
    MUG,
    SHIRT,
    available,
    barcode,
    call,
    events,
    photo,
    post_rma,
    scan,
    shipped_order,
    station,
    stock_at,
)
from tests.support.warehouse import uow_of


def test_parcel_is_found_by_rma_order_allocation_or_original_tracking_number(
    app: Flask,
) -> None:
    shipped = shipped_order(app)
    post_rma(app)
    client = station(app)
    tracking = shipped["carton"]["tracking_number"]
    codes = []
    for code, matched_by in (
        (tracking, "tracking"),
        ("SO-AL-1", "order"),
        ("AL-1", "allocation"),
        ("RMA-1", "rma"),
    ):
        ack = call(client, "receive", {"code": code})
        assert ack["ok"], ack
        assert ack["receipt"]["rma_id"] == "RMA-1"
        codes.append(ack["receipt"]["code"])
        if matched_by == "tracking":
            assert ack["receipt"]["matched_by"] == "tracking"
            assert "scan each item" in ack["message"]
    assert len(set(codes)) == 1  # the same parcel resumed, never a second receipt
    by_receipt = call(client, "receive", {"code": codes[0]})
    assert by_receipt["ok"] and by_receipt["receipt"]["code"] == codes[0]
    with uow_of(app)() as tx:
        rma = tx.session.scalars(select(ReturnAuthorization)).one()
        assert rma.status == "receiving"
    lists = call(client, "worklist", {})
    assert [r["code"] for r in lists["open"]] == codes[:1] and lists["review"] == []


def test_an_rma_already_received_cannot_be_received_twice(app: Flask) -> None:
    shipped_order(app)
    post_rma(app, lines=[{"line_id": "2", "sku": MUG, "qty": 1}])
    client = station(app)
    receipt = call(client, "receive", {"code": "RMA-1"})["receipt"]["code"]
    item = scan(client, receipt, barcode(app, MUG))
    photo(client, item["unit_id"])
    scan(client, receipt, "R-SOILED")
    assert call(client, "close", {"receipt": receipt})["ok"]
    again = call(client, "receive", {"code": "RMA-1"})
    assert (again["ok"], again["error"]) == (False, "conflict"), again
    assert "already received" in again["message"]
    # The order itself has no open authorization any more: a second parcel goes to review.
    by_order = call(client, "receive", {"code": "SO-AL-1"})
    assert (by_order["ok"], by_order["error"]) == (False, "no_authorization"), by_order


def test_parcel_without_authorization_is_held_in_review_until_a_supervisor_links_its_rma(
    app: Flask,
) -> None:
    shipped_order(app)
    packer = station(app, "U0040")
    refused = call(packer, "receive", {"code": "SO-AL-1"})
    assert refused == {
        "ok": False,
        "error": "no_authorization",
        "message": refused["message"],
        "field": "code",
        "scanned": "SO-AL-1",
        "order_number": "SO-AL-1",
        "review_possible": True,
    }
    review = call(packer, "receive", {"code": "SO-AL-1", "review": True})
    assert review["ok"] and review["receipt"]["review"], review
    receipt = review["receipt"]["code"]
    assert call(packer, "receive", {"code": "SO-AL-1", "review": True})["receipt"]["code"] == (
        receipt
    )
    before_available = available(app, SHIRT)

    item = scan(packer, receipt, barcode(app, SHIRT))
    assert item["ok"] and item["result"] == "item_ok", item
    held = scan(packer, receipt, "R-ASNEW")
    assert held["ok"] and "returns shelf R00-00-1" in held["message"], held
    mug = scan(packer, receipt, barcode(app, MUG))
    photo(packer, mug["unit_id"])
    assert scan(packer, receipt, "R-DEFECT")["ok"]
    assert stock_at(app, "R00-00-1", SHIRT) == (1, 1)  # blocked: in the building, not for sale
    assert stock_at(app, "R00-00-1", MUG) == (1, 1)
    assert available(app, SHIRT) == before_available

    parked = scan(packer, receipt, "CMD-CLOSE")
    assert parked["ok"] and parked["result"] == "parked", parked
    assert events(app, "return.received") == []
    assert [r["code"] for r in call(packer, "worklist", {})["review"]] == [receipt]

    # Only a supervisor decides; the RMA must exist.
    denied = call(packer, "resolve_review", {"receipt": receipt, "rma_id": "RMA-9"})
    assert (denied["ok"], denied["field"]) == (False, "badge"), denied
    supervisor = station(app, "U0001")
    missing = call(supervisor, "resolve_review", {"receipt": receipt, "rma_id": "RMA-9"})
    assert (missing["ok"], missing["error"]) == (False, "not_found"), missing

    post_rma(app, "RMA-9")
    resolved = call(supervisor, "resolve_review", {"receipt": receipt, "rma_id": "RMA-9"})
    assert resolved["ok"], resolved
    r = resolved["receipt"]
    assert (r["status"], r["rma_id"], r["review"]) == ("open", "RMA-9", False)
    assert r["stage"] == "put_away"  # the held resellable unit waits for its bin
    statuses = {u["sku"]: u["status"] for u in r["units"]}
    assert statuses == {SHIRT: "awaiting_put_away", MUG: "quarantined"}
    assert stock_at(app, "R00-00-1", SHIRT) == (0, 0)
    assert stock_at(app, "Q00-00-1", MUG) == (1, 1)

    # The held resellable unit now waits for its bin like any other.
    put_away = scan(packer, receipt, "CMD-CLOSE")
    assert put_away["result"] == "not_put_away"
    bin_ = next(u for u in put_away["receipt"]["units"] if u["sku"] == SHIRT)["suggested_location"]
    assert scan(packer, receipt, bin_)["ok"]
    assert available(app, SHIRT) == before_available + 1
    closed = scan(packer, receipt, "CMD-CLOSE")
    assert closed["result"] == "closed", closed
    [event] = events(app, "return.received")
    assert event["data"]["rma_id"] == "RMA-9"
    with uow_of(app)() as tx:
        reasons = [
            m.reason
            for m in tx.session.scalars(
                select(StockMovement)
                .where(StockMovement.reason.like("return%"))
                .order_by(StockMovement.id)
            )
        ]
    assert reasons == [
        "return_hold",
        "return_hold",
        "return_release",
        "return_release",
        "return_quarantine",
        "return",
    ]


def test_unknown_parcel_goes_to_review_by_the_code_on_it(app: Flask) -> None:
    client = station(app)
    refused = call(client, "receive", {"code": "PARCEL-NO-PAPERS"})
    assert refused["error"] == "no_authorization" and refused["order_number"] is None
    review = call(client, "receive", {"code": "PARCEL-NO-PAPERS", "review": True})
    assert review["ok"] and review["receipt"]["matched_by"] == "none"
    assert review["receipt"]["authorized"] == [] and review["receipt"]["order_number"] is None


def test_a_parcel_code_scanned_inside_a_return_is_not_taken_for_an_item(app: Flask) -> None:
    shipped_order(app)
    post_rma(app)
    client = station(app)
    receipt = call(client, "receive", {"code": "RMA-1"})["receipt"]["code"]
    for code in ("SO-AL-1", "RMA-1"):
        reply = scan(client, receipt, code)
        assert (reply["ok"], reply["result"]) == (False, "other_parcel"), reply
    tote = scan(client, receipt, "T0001")
    assert (tote["ok"], tote["result"]) == (False, "not_an_item")
    assert tote["receipt"]["units"] == []


def test_the_same_scan_retried_after_a_lost_answer_counts_one_unit(app: Flask) -> None:
    shipped_order(app)
    post_rma(app)
    client = station(app)
    receipt = call(client, "receive", {"code": "RMA-1"})["receipt"]["code"]
    first = scan(client, receipt, barcode(app, SHIRT), client_scan_id="scan-1")
    again = scan(client, receipt, barcode(app, SHIRT), client_scan_id="scan-1")
    assert first["ok"] and again["ok"] and again["replayed"], again
    assert len(again["receipt"]["units"]) == 1
    graded = scan(client, receipt, "R-ASNEW", client_scan_id="scan-2")
    bin_ = graded["receipt"]["current"]["suggested_location"]
    before = stock_at(app, bin_, SHIRT)
    for _ in range(2):
        put = scan(client, receipt, bin_, client_scan_id="scan-3")
        assert put["ok"], put
    assert stock_at(app, bin_, SHIRT) == (before[0] + 1, before[1])


def test_an_item_scanned_by_mistake_can_be_removed_before_it_is_graded(app: Flask) -> None:
    shipped_order(app)
    post_rma(app)
    client = station(app)
    receipt = call(client, "receive", {"code": "RMA-1"})["receipt"]["code"]
    item = scan(client, receipt, barcode(app, MUG))
    photo(client, item["unit_id"])
    busy = scan(client, receipt, barcode(app, SHIRT))
    assert (busy["ok"], busy["result"]) == (False, "grade_first"), busy
    removed = call(client, "remove_unit", {"unit_id": item["unit_id"]})
    assert removed["ok"] and removed["receipt"]["units"] == [], removed
    assert scan(client, receipt, barcode(app, SHIRT))["ok"]
    graded = scan(client, receipt, "R-ASNEW")
    late = call(client, "remove_unit", {"unit_id": graded["unit_id"]})
    assert (late["ok"], late["error"]) == (False, "conflict")


def test_returns_station_takes_packers_and_supervisors_but_not_pickers(app: Flask) -> None:
    from app import socketio

    client = socketio.test_client(app, namespace="/returns", flask_test_client=app.test_client())
    picker = client.emit(
        "sign_in", {"badge": "U0010", "pin": "1234"}, namespace="/returns", callback=True
    )
    assert (picker["ok"], picker["field"]) == (False, "badge")
    unsigned = client.emit("worklist", {}, namespace="/returns", callback=True)
    assert (unsigned["ok"], unsigned["field"]) == (False, "badge")
    for badge in ("U0040", "U0001", "U0002"):
        ack = client.emit(
            "sign_in", {"badge": badge, "pin": "1234"}, namespace="/returns", callback=True
        )
        assert ack["ok"], ack
