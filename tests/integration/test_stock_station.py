"""The stock handheld over its Socket.IO namespace (/stock) on real databases: receiving
(GTIN or GS1 with lot and expiry, a PO reference), put-away and moves, and every kind of bad
input refused with a clear message and nothing changed (stock, ledger, tasks, alerts, outbox
compared before and after). The same stories run on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import ScanLog
from app.services.stock_verify import verify_stock
from tests.support.stock import (
    emit,
    empty_location,
    floor_state,
    gs1,
    inventory_events,
    ledger_rows,
    location_of_kind,
    sku_bins,
    stock_at,
    stock_client,
)
from tests.support.warehouse import (
    allocation_doc,
    make_app,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals

SKU = "TSHIRT-BLK-S"
OTHER = "HOODIE-BLK-S"
LATER = date.today() + timedelta(days=400)


def scans_logged(app: Flask) -> list[tuple[str, str]]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(ScanLog.raw, ScanLog.result)
            .where(ScanLog.station == "stock")
            .order_by(ScanLog.id)
        ).all()
    return [(raw, result) for raw, result in rows]


# ---------------------------------------------------------------------------- stories


def receive_story(app: Flask) -> None:
    """A GS1 label (lot, expiry), 12 units, a reserve bin, a PO number."""
    bins = sku_bins(app, SKU)
    target = empty_location(app, "reserve")
    code = gs1(bins["gtin"], "L7", LATER)
    receiver = stock_client(app, "U0011")
    events_before = len(inventory_events(app, SKU))

    item = emit(receiver, "check", mode="receive", stage="item", code=code)
    assert item["ok"] and item["result"] == "item_ok", item
    assert item["item"]["sku"] == SKU and item["item"]["lot"] == "L7"
    assert item["item"]["expires_on"] == LATER.isoformat()
    where = emit(receiver, "check", mode="receive", stage="location", code=target)
    assert where["ok"] and where["location"] == {"code": target, "kind": "reserve"}
    # An item scanned where the location is expected is one more unit, not a location.
    again = emit(receiver, "check", mode="receive", stage="location", code=code)
    assert again["result"] == "item_ok"

    ack = emit(
        receiver,
        "receive",
        item=code,
        qty=12,
        location=target,
        reference="PO-4711",
        client_scan_id="rcv-1",
        entry="scan",
    )
    assert ack["ok"], ack
    assert ack["message"] == f"Received 12 × {SKU} (lot L7) into {target}."
    assert stock_at(app, target, SKU) == {"L7": (12, 0)}
    [row] = [r for r in ledger_rows(app, "receipt") if r["location"] == target]
    assert (row["on_hand_delta"], row["allocated_delta"]) == (12, 0)
    assert (row["reference"], row["actor"], row["lot"]) == ("PO-4711", "U0011", "L7")
    # Upstream: one inventory.changed for the SKU, 12 more on hand and available.
    events = inventory_events(app, SKU)
    assert len(events) == events_before + 1
    assert events[-1]["on_hand"] == sum(bins["on_hand"].values()) + 12

    # The same booking again (a retry after a lost answer) is answered, not booked twice.
    before = floor_state(app)
    replay = emit(receiver, "receive", item=code, qty=12, location=target, client_scan_id="rcv-1")
    assert replay["ok"] and replay["replayed"] and replay["message"] == ack["message"]
    assert floor_state(app) == before
    totals = floor_totals(app)
    assert totals["on_hand"] == totals["ledger_on_hand"]


def move_story(app: Flask) -> None:
    """Put-away from the receiving dock to an empty reserve bin, then on to the pick face."""
    bins = sku_bins(app, SKU)
    dock = location_of_kind(app, "receiving", "D00-00-1")
    shelf = empty_location(app, "reserve")
    mover = stock_client(app, "U0012")
    ack = emit(mover, "receive", item=bins["gtin"], qty=20, location=dock, client_scan_id="d-1")
    assert ack["ok"], ack
    events_before = len(inventory_events(app, SKU))

    start = emit(mover, "check", mode="move", stage="from", code=dock)
    assert start["ok"] and start["bin"][0]["sku"] == SKU and start["bin"][0]["free"] == 20
    item = emit(mover, "check", mode="move", stage="item", code=bins["gtin"], **{"from": dock})
    assert item["ok"] and item["item"]["free"] == 20
    to = emit(mover, "check", mode="move", stage="to", code=shelf, **{"from": dock})
    assert to["ok"] and to["location"]["kind"] == "reserve"
    put_away = emit(
        mover, "move", item=bins["gtin"], qty=20, to=shelf, client_scan_id="mv-1", **{"from": dock}
    )
    assert put_away["ok"], put_away
    assert put_away["message"] == f"Moved 20 × {SKU} from {dock} to {shelf}."
    rows = [r for r in ledger_rows(app, "move") if r["reference"] == f"{dock}>{shelf}"]
    assert [(r["location"], r["on_hand_delta"]) for r in rows] == [(dock, -20), (shelf, 20)]
    assert rows[0]["at"] == rows[1]["at"]  # one transaction
    assert stock_at(app, dock, SKU) == {"": (0, 0)}
    # Units leaving the dock become sellable: that is news upstream.
    assert len(inventory_events(app, SKU)) == events_before + 1

    # Reserve to pick face: both sellable, nothing changes for the OMS.
    face_before = stock_at(app, bins["pick"], SKU)[""][0]
    restock = emit(
        mover,
        "move",
        item=bins["gtin"],
        qty=5,
        to=bins["pick"],
        client_scan_id="mv-2",
        **{"from": shelf},
    )
    assert restock["ok"], restock
    assert stock_at(app, bins["pick"], SKU)[""][0] == face_before + 5
    assert stock_at(app, shelf, SKU) == {"": (15, 0)}
    assert len(inventory_events(app, SKU)) == events_before + 1
    totals = floor_totals(app)
    assert totals["on_hand"] == totals["ledger_on_hand"]
    assert totals["negative_bins"] == totals["over_allocated_bins"] == 0
    assert verify_stock(uow_of(app)).discrepancies == []


def promise_units(app: Flask, sku: str, qty: int, allocation_id: str) -> None:
    doc = allocation_doc(allocation_id, lines=[{"line_id": "1", "sku": sku, "qty": qty}])
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.get_json()["status"] == "accepted", resp.get_json()


Case = tuple[str, str, Callable[[dict[str, Any]], dict[str, Any]], str]


def bad_inputs(app: Flask) -> list[Case]:
    """(name, event, payload from the SKU's bins, expected result code)."""
    bins = sku_bins(app, SKU)
    gtin, reserve, face = bins["gtin"], bins["reserve"], bins["pick"]
    other = sku_bins(app, OTHER)
    promised_face = other["on_hand"][other["pick"]]
    assert other["free"][other["pick"]] < promised_face  # an order holds some of it
    empty = empty_location(app, "reserve")
    quarantine = location_of_kind(app, "quarantine", "Q00-00-1")
    pack = location_of_kind(app, "pack", "P00-00-1")
    expired = gs1(gtin, "OLD1", date.today() - timedelta(days=1))

    def receive(**over: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda _: {"item": gtin, "qty": 5, "location": reserve, **over}

    def move(**over: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
        return lambda _: {"from": face, "item": gtin, "qty": 5, "to": reserve, **over}

    return [
        ("unknown item", "receive", receive(item="4006381333931"), "unknown_item"),
        ("unknown text", "receive", receive(item="NOT-A-THING"), "unknown_item"),
        ("a tote for an item", "receive", receive(item="T0042"), "not_an_item"),
        ("unknown location", "receive", receive(location="Z99-99-9"), "unknown_location"),
        ("not a location", "receive", receive(location="T0042"), "not_a_location"),
        ("quantity zero", "receive", receive(qty=0), "bad_quantity"),
        ("negative quantity", "receive", receive(qty=-5), "bad_quantity"),
        ("absurd quantity", "receive", receive(qty=10_001), "bad_quantity"),
        ("expired lot", "receive", receive(item=expired), "expired"),
        ("into quarantine unasked", "receive", receive(location=quarantine), "wrong_location_kind"),
        ("into the pack bench", "receive", receive(location=pack), "wrong_location_kind"),
        ("move from an empty bin", "move", move(**{"from": empty}), "empty_bin"),
        ("move more than is free", "move", move(qty=10_000), "not_enough"),
        (
            "move units promised to an order",
            "move",
            move(**{"from": other["pick"], "item": other["gtin"], "qty": promised_face - 1}),
            "not_enough",
        ),
        (
            "move an item not in the bin",
            "move",
            move(item=other["gtin"]),
            "not_in_bin",
        ),
        ("move to the same bin", "move", move(to=face), "same_location"),
        ("move to an unknown bin", "move", move(to="Z99-99-9"), "unknown_location"),
        ("move out of quarantine", "move", move(**{"from": quarantine}), "wrong_location_kind"),
        (
            "move to the ship dock",
            "move",
            move(to=location_of_kind(app, "ship", "S00-00-1")),
            "wrong_location_kind",
        ),
        ("move a zero quantity", "move", move(qty=0), "bad_quantity"),
        ("move an expired lot", "move", move(item=expired), "expired"),
    ]


def bad_input_story(app: Flask) -> None:
    promise_units(app, OTHER, 3, "AL-PROMISED")  # 3 units of its face promised to an order
    receiver = stock_client(app, "U0013")
    logged_before = len(scans_logged(app))
    cases = bad_inputs(app)
    bins = sku_bins(app, SKU)
    for n, (name, event, payload, result) in enumerate(cases):
        before = floor_state(app)
        ack = emit(receiver, event, client_scan_id=f"bad-{n}", **payload(bins))
        assert not ack["ok"], (name, ack)
        assert ack["result"] == result, (name, ack)
        assert ack["message"] and len(ack["message"]) > 20, (name, ack)
        assert floor_state(app) == before, name
    logged = scans_logged(app)[logged_before:]  # every refused booking is in the scan log
    assert len(logged) == len(cases)
    assert {result for _, result in logged} == {result for *_, result in cases}


def check_refusals_story(app: Flask) -> None:
    """Scan by scan, the same refusals come at once, before the whole sequence is done."""
    bins = sku_bins(app, SKU)
    receiver = stock_client(app, "U0014")
    before = floor_state(app)
    empty = empty_location(app, "reserve")
    checks = [
        ({"mode": "receive", "stage": "item", "code": "4006381333931"}, "unknown_item"),
        ({"mode": "receive", "stage": "item", "code": bins["pick"]}, "not_an_item"),
        ({"mode": "receive", "stage": "location", "code": "A99-01-1"}, "unknown_location"),
        ({"mode": "move", "stage": "from", "code": empty}, "empty_bin"),
        (
            {"mode": "move", "stage": "to", "code": bins["pick"], "from": bins["pick"]},
            "same_location",
        ),
        (
            {"mode": "receive", "stage": "item", "code": gs1(bins["gtin"], "X", date(2020, 1, 31))},
            "expired",
        ),
    ]
    for payload, result in checks:
        ack = emit(receiver, "check", **payload)
        assert not ack["ok"] and ack["result"] == result, (payload, ack)
    assert floor_state(app) == before
    # A malformed request names the field and books nothing either.
    bad = emit(receiver, "receive", item=bins["gtin"], qty="12", location=bins["reserve"])
    assert bad == {
        "ok": False,
        "error": "invalid",
        "message": "qty must be a whole number",
        "field": "qty",
    }
    assert emit(receiver, "check", mode="teleport", stage="item", code="x")["field"] == "mode"
    assert floor_state(app) == before


# ---------------------------------------------------------------------------- SQLite


def test_a_gs1_receipt_books_lot_expiry_reference_and_goes_upstream(app: Flask) -> None:
    receive_story(app)


def test_put_away_and_moves_book_two_ledger_rows_in_one_transaction(app: Flask) -> None:
    move_story(app)


def test_every_bad_booking_is_refused_with_its_reason_and_changes_nothing(app: Flask) -> None:
    bad_input_story(app)


def test_each_scan_is_judged_as_it_is_made(app: Flask) -> None:
    check_refusals_story(app)


def test_receiving_into_quarantine_when_asked_is_blocked_stock(app: Flask) -> None:
    bins = sku_bins(app, SKU)
    quarantine = location_of_kind(app, "quarantine", "Q00-00-1")
    receiver = stock_client(app, "U0015")
    events = len(inventory_events(app, SKU))
    ack = emit(
        receiver,
        "receive",
        item=bins["gtin"],
        qty=4,
        location=quarantine,
        quarantine=True,
        client_scan_id="q-1",
    )
    assert ack["ok"], ack
    # On hand (it is in the building) and allocated to the quarantine: never available.
    assert stock_at(app, quarantine, SKU) == {"": (4, 4)}
    assert len(inventory_events(app, SKU)) == events


def test_a_bin_with_two_lots_asks_which_one_moves(app: Flask) -> None:
    bins = sku_bins(app, SKU)
    receiver = stock_client(app, "U0016")
    for lot in ("A1", "B2"):
        code = gs1(bins["gtin"], lot, LATER)
        assert emit(receiver, "receive", item=code, qty=3, location=bins["reserve"])["ok"]
    before = floor_state(app)
    plain = emit(
        receiver, "move", item=bins["gtin"], qty=1, to=bins["pick"], **{"from": bins["reserve"]}
    )
    assert plain["result"] == "which_lot" and "A1" in plain["message"]
    assert floor_state(app) == before
    lot = emit(
        receiver,
        "move",
        item=gs1(bins["gtin"], "B2", LATER),
        qty=2,
        to=bins["pick"],
        **{"from": bins["reserve"]},
    )
    assert lot["ok"], lot
    assert stock_at(app, bins["pick"], SKU)["B2"] == (2, 0)
    # The same lot with another expiry on its label is refused, not booked under a new date.
    clash = emit(
        receiver,
        "receive",
        item=gs1(bins["gtin"], "B2", LATER + timedelta(days=1)),
        qty=1,
        location=bins["pick"],
    )
    assert clash["result"] == "lot_expiry_mismatch"


def test_the_stock_station_needs_a_signed_in_floor_role(app: Flask) -> None:
    client = socket_client(app, "/stock", "U0001")  # supervisors fill in
    assert emit(client, "replenish_next")["ok"]
    from app import socketio

    anonymous = socketio.test_client(app, namespace="/stock")
    ack = anonymous.emit(
        "check",
        {"mode": "receive", "stage": "item", "code": "x"},
        namespace="/stock",
        callback=True,
    )
    assert ack["ok"] is False and ack["field"] == "badge"
    packer = socketio.test_client(app, namespace="/stock")
    refused = packer.emit(
        "sign_in", {"badge": "U0040", "pin": "1234"}, namespace="/stock", callback=True
    )
    assert refused["ok"] is False


def test_the_stock_page_is_served(app: Flask) -> None:
    page = app.test_client().get("/stock")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-max="10000"' in html and "js/stock.js" in html
    assert b"/stock" in app.test_client().get("/").data


# ---------------------------------------------------------------------------- PostgreSQL


@pytest.mark.postgres
def test_receive_move_and_refusals_on_postgresql(postgres_app: Flask) -> None:
    receive_story(postgres_app)
    move_story(postgres_app)
    bad_input_story(postgres_app)
    check_refusals_story(postgres_app)


def test_absurd_quantity_follows_the_setting(sqlite_url: str) -> None:
    app = make_app(sqlite_url, stock_max_units_per_scan=50)
    try:
        bins = sku_bins(app, SKU)
        client = stock_client(app)
        ack = emit(client, "receive", item=bins["gtin"], qty=51, location=bins["reserve"])
        assert ack["result"] == "bad_quantity" and "50" in ack["message"]
        assert emit(client, "receive", item=bins["gtin"], qty=50, location=bins["reserve"])["ok"]
    finally:
        app.extensions["dockhand"].uow.engine.dispose()
