"""Units beyond the authorization, items not on the order and items that are not ours are
flagged at the scan, need a photo, and are reported apart for the refund decision."""

from __future__ import annotations

from flask import Flask

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

CAP = "CAP-BLK-S"  # in the catalog, never on AL-1
FOREIGN_EAN = "4006381333931"  # a valid EAN-13 that is none of our products


def test_units_beyond_the_authorized_quantity_are_flagged_and_reported_apart(
    app: Flask,
) -> None:
    shipped_order(app)
    post_rma(app, lines=[{"line_id": "1", "sku": SHIRT, "qty": 1, "reason": "too small"}])
    client = station(app)
    receipt = call(client, "receive", {"code": "RMA-1"})["receipt"]["code"]
    shirt = barcode(app, SHIRT)

    first = scan(client, receipt, shirt)
    assert (first["result"], first["receipt"]["current"]["flag"]) == ("item_ok", None)
    bin_ = scan(client, receipt, "R-UNOPENED")["receipt"]["current"]["suggested_location"]
    scan(client, receipt, bin_)

    extra = scan(client, receipt, shirt)
    assert extra["ok"] and extra["result"] == "over_authorized", extra
    assert "More TSHIRT-BLK-S than authorized (1)" in extra["message"]
    current = extra["receipt"]["current"]
    assert (current["flag"], current["line_id"]) == ("over_authorized", "1")
    assert current["photo_required_for"] == ["resellable", "damaged", "dispose"]
    refused = scan(client, receipt, "R-UNOPENED")
    assert refused["result"] == "photo_required" and "flagged" in refused["message"]
    photo(client, extra["unit_id"])
    graded = scan(client, receipt, "R-UNOPENED")
    assert graded["ok"], graded
    # A unit of ours is stock whatever the paperwork says: it goes back on the shelf.
    assert scan(client, receipt, graded["receipt"]["current"]["suggested_location"])["ok"]

    mug = scan(client, receipt, barcode(app, MUG))  # on the order, not on this RMA
    assert mug["result"] == "over_authorized" and "(0)" in mug["message"], mug
    assert mug["receipt"]["current"]["line_id"] == "2"
    photo(client, mug["unit_id"])
    scan(client, receipt, "R-COSMETIC")

    lines = call(client, "close", {"receipt": receipt})["receipt"]["authorized"]
    assert lines == [
        {
            "line_id": "1",
            "sku": SHIRT,
            "name": lines[0]["name"],
            "qty": 1,
            "received": 1,
            "reason": "too small",
        }
    ]
    [event] = events(app, "return.received")
    data = event["data"]
    assert data["flagged"] is True
    reported = [
        (ln["line_id"], ln["sku"], ln["qty"], ln["grade"], ln["restocked_qty"], ln.get("flag"))
        for ln in data["lines"]
    ]
    assert reported == [
        ("1", SHIRT, 1, "resellable", 1, None),
        ("1", SHIRT, 1, "resellable", 1, "over_authorized"),
        ("2", MUG, 1, "damaged", 0, "over_authorized"),
    ]
    assert len(data["lines"][1]["photos"]) == 1


def test_items_not_on_the_order_and_items_not_ours_are_flagged(app: Flask) -> None:
    shipped_order(app)
    post_rma(app)
    client = station(app)
    receipt = call(client, "receive", {"code": "RMA-1"})["receipt"]["code"]
    cap_available = available(app, CAP)

    cap = scan(client, receipt, barcode(app, CAP))
    assert cap["ok"] and cap["result"] == "not_on_order", cap
    assert cap["receipt"]["current"]["line_id"] is None
    photo(client, cap["unit_id"])
    scan(client, receipt, "R-TRANSIT")
    assert stock_at(app, "Q00-00-1", CAP) == (1, 1)
    assert available(app, CAP) == cap_available

    foreign = scan(client, receipt, FOREIGN_EAN)
    assert foreign["ok"] and foreign["result"] == "unknown_item", foreign
    assert "not one of our products" in foreign["message"]
    unit = foreign["receipt"]["current"]
    assert (unit["sku"], unit["code"], unit["flag"]) == (None, FOREIGN_EAN, "unknown_item")
    photo(client, foreign["unit_id"])
    kept = scan(client, receipt, "R-ASNEW")
    assert kept["ok"] and "returns shelf" in kept["message"], kept
    assert kept["receipt"]["units"][-1]["status"] == "set_aside"

    closed = call(client, "close", {"receipt": receipt})
    assert closed["ok"], closed
    data = events(app, "return.received")[0]["data"]
    assert [(ln["sku"], ln.get("code"), ln["flag"]) for ln in data["lines"]] == [
        (CAP, None, "not_on_order"),
        (None, FOREIGN_EAN, "unknown_item"),
    ]
    assert data["not_received"] == [
        {"line_id": "1", "sku": SHIRT, "qty": 2},
        {"line_id": "2", "sku": MUG, "qty": 1},
    ]
