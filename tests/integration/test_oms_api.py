"""The OMS-facing API as the contract states it: signatures, validation, versions, state."""

from __future__ import annotations

import json
import time

from flask import Flask
from sqlalchemy import func, select

from app.adapters.db.models import Allocation, OutboxEvent, Stock
from app.domain.signing import signature
from tests.support.warehouse import SECRET, allocation_doc, signed_get, signed_post, uow_of
from tests.test_support import floor_totals, work_one_order_to_picking


def _counts(app: Flask) -> tuple[int, int, int]:
    with uow_of(app)() as tx:
        s = tx.session
        return (
            s.scalar(select(func.count(Allocation.id))) or 0,
            s.scalar(select(func.count(OutboxEvent.id))) or 0,
            s.scalar(select(func.coalesce(func.sum(Stock.allocated), 0))) or 0,
        )


def test_wrong_signature_gets_401_and_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    before = _counts(app)
    body = json.dumps(allocation_doc()).encode()
    ts = str(int(time.time()))
    resp = client.post(
        "/api/v1/allocations",
        data=body,
        headers={"X-Timestamp": ts, "X-Signature": signature("not-the-secret", ts, body)},
    )
    assert resp.status_code == 401
    assert resp.get_json()["error"] == "bad_signature"
    assert _counts(app) == before


def test_missing_and_stale_signatures_get_401(app: Flask) -> None:
    client = app.test_client()
    body = json.dumps(allocation_doc()).encode()
    assert client.post("/api/v1/allocations", data=body).status_code == 401
    old = str(int(time.time()) - 301)
    resp = client.post(
        "/api/v1/allocations",
        data=body,
        headers={"X-Timestamp": old, "X-Signature": signature(SECRET, old, body)},
    )
    assert resp.status_code == 401
    assert "300 s" in resp.get_json()["detail"]
    assert _counts(app)[0] == 0


def test_signed_get_is_required_for_state(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/v1/allocations/AL-1").status_code == 401
    assert signed_get(client, "/api/v1/allocations/AL-1").status_code == 404


def test_schema_errors_list_every_failing_field_and_change_nothing(app: Flask) -> None:
    before = _counts(app)
    doc = allocation_doc()
    doc["lines"][1]["qty"] = 0
    doc["ship_to"]["country"] = "United Kingdom"
    del doc["service_level"]
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.status_code == 422
    fields = {e["field"]: e["error"] for e in resp.get_json()["errors"]}
    assert fields["lines[1].qty"] == "must be a positive integer"
    assert "ship_to.country" in fields
    assert fields["service_level"] == "is required"
    assert _counts(app) == before


def test_body_that_is_not_json_gets_422(app: Flask) -> None:
    client = app.test_client()
    from app.domain.signing import signed_headers

    resp = client.post(
        "/api/v1/allocations",
        data=b"{not json",
        headers=signed_headers(SECRET, b"{not json", time.time()),
    )
    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "body"


def test_same_version_twice_is_a_duplicate_that_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    assert signed_post(client, "/api/v1/allocations", allocation_doc()).status_code == 202
    before = _counts(app)
    again = signed_post(client, "/api/v1/allocations", allocation_doc())
    assert again.status_code == 200
    assert again.get_json()["status"] == "duplicate"
    assert _counts(app) == before


def test_higher_version_replaces_lines_before_picking(app: Flask) -> None:
    client = app.test_client()
    signed_post(client, "/api/v1/allocations", allocation_doc())
    v2 = allocation_doc(version=2, lines=[{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 5}])
    resp = signed_post(client, "/api/v1/allocations", v2)
    assert resp.status_code == 202, resp.get_json()
    state = signed_get(client, "/api/v1/allocations/AL-1").get_json()
    assert state["version"] == 2
    assert [(ln["line_id"], ln["qty"]) for ln in state["lines"]] == [("1", 5)]
    # Reservations follow the new version exactly: 5 units, not 5 + the old 3.
    assert _counts(app)[2] == 5
    totals = floor_totals(app)
    assert totals["ledger_allocated"] == totals["allocated"] == 5


def test_lower_version_gets_409_and_changes_nothing(app: Flask) -> None:
    client = app.test_client()
    signed_post(client, "/api/v1/allocations", allocation_doc(version=3))
    before = _counts(app)
    resp = signed_post(client, "/api/v1/allocations", allocation_doc(version=2))
    assert resp.status_code == 409
    assert "older" in resp.get_json()["detail"]
    assert _counts(app) == before


def test_higher_version_after_picking_started_gets_409(app: Flask) -> None:
    client = app.test_client()
    signed_post(client, "/api/v1/allocations", allocation_doc())
    work_one_order_to_picking(app, "AL-1")
    resp = signed_post(client, "/api/v1/allocations", allocation_doc(version=2))
    assert resp.status_code == 409
    assert "picking has started" in resp.get_json()["detail"]
    assert signed_get(client, "/api/v1/allocations/AL-1").get_json()["version"] == 1


def test_unknown_sku_is_kept_rejected_and_reported(app: Flask) -> None:
    client = app.test_client()
    doc = allocation_doc(lines=[{"line_id": "1", "sku": "NO-SUCH-SKU", "qty": 1}])
    resp = signed_post(client, "/api/v1/allocations", doc)
    assert resp.status_code == 202
    assert resp.get_json()["status"] == "rejected"
    assert "NO-SUCH-SKU" in resp.get_json()["reasons"][0]
    state = signed_get(client, "/api/v1/allocations/AL-1").get_json()
    assert state["status"] == "rejected"
    with uow_of(app)() as tx:
        ev = tx.session.scalars(
            select(OutboxEvent).where(OutboxEvent.allocation_id == "AL-1")
        ).one()
        assert ev.type == "allocation.rejected"
        assert "NO-SUCH-SKU" in json.loads(ev.body)["data"]["reasons"][0]


def test_stock_that_cannot_cover_a_line_backorders_without_reserving(app: Flask) -> None:
    client = app.test_client()
    doc = allocation_doc(lines=[{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 100000}])
    resp = signed_post(client, "/api/v1/allocations", doc)
    assert resp.get_json()["status"] == "backordered"
    assert _counts(app)[2] == 0
    with uow_of(app)() as tx:
        ev = tx.session.scalars(
            select(OutboxEvent).where(OutboxEvent.allocation_id == "AL-1")
        ).one()
        assert ev.type == "allocation.short"
        assert json.loads(ev.body)["data"]["lines"][0]["short_qty"] == 100000


def test_b2b_without_credit_approval_is_held(app: Flask) -> None:
    doc = allocation_doc(
        type="b2b",
        b2b={
            "po_number": "PO-1",
            "allow_partial": False,
            "palletize": False,
            "credit_approved": False,
            "payment_terms": "NET30",
        },
    )
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.get_json()["status"] == "held"


def test_inventory_pages_through_every_sku(app: Flask) -> None:
    client = app.test_client()
    signed_post(client, "/api/v1/allocations", allocation_doc())
    seen: list[dict[str, int]] = []
    cursor = None
    while True:
        path = "/api/v1/inventory?limit=7" + (f"&cursor={cursor}" if cursor else "")
        page = signed_get(client, path).get_json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 30 and len({i["sku"] for i in seen}) == 30
    shirt = next(i for i in seen if i["sku"] == "TSHIRT-BLK-S")
    assert shirt["allocated"] == 2
    assert shirt["available"] == shirt["on_hand"] - 2
    one = signed_get(client, "/api/v1/inventory?sku=MUG-BLK-S&locations=1").get_json()
    assert one["items"][0]["allocated"] == 1
    assert sum(loc["on_hand"] for loc in one["items"][0]["locations"]) == one["items"][0]["on_hand"]


def test_reserving_stock_tells_the_oms_what_is_still_available(app: Flask) -> None:
    client = app.test_client()
    signed_post(client, "/api/v1/allocations", allocation_doc())
    with uow_of(app)() as tx:
        events = [
            json.loads(e.body)
            for e in tx.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "inventory.changed")
                .order_by(OutboxEvent.id.desc())
                .limit(2)
            )
        ]
    by_sku = {e["data"]["sku"]: e["data"] for e in events}
    inventory = {i["sku"]: i for i in signed_get(client, "/api/v1/inventory").get_json()["items"]}
    for sku in ("TSHIRT-BLK-S", "MUG-BLK-S"):
        assert by_sku[sku]["available"] == inventory[sku]["available"]
        assert by_sku[sku]["on_hand"] == inventory[sku]["on_hand"]


def test_absurd_numbers_get_422_not_a_server_error(app: Flask) -> None:
    before = _counts(app)
    doc = allocation_doc(version=2**70)
    doc["lines"][0]["qty"] = 10**12
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.status_code == 422
    fields = {e["field"]: e["error"] for e in resp.get_json()["errors"]}
    assert fields["version"] == "is larger than this warehouse accepts"
    assert "lines[0].qty" in fields
    assert _counts(app) == before
