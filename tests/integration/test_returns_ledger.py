"""The ledger after returns, on SQLite and PostgreSQL: the stock table and the movements tell
the same story, no bin goes negative or over-allocated, restocked units are available and
quarantined or held units are on hand but never available."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.support.returns_floor import (
    MUG,
    SHIRT,
    available,
    barcode,
    call,
    photo,
    post_rma,
    scan,
    shipped_order,
    station,
)
from tests.support.warehouse import signed_get
from tests.test_support import floor_totals


def returns_through_every_disposition(app: Flask) -> dict[str, int]:
    """RMA-1 (2 shirts, 1 mug): resellable, damaged, dispose; then a second order's parcel
    with no authorization, held in review and resolved. Returns what each did to stock."""
    shipped_order(app, "AL-1")
    post_rma(app)
    client = station(app)
    receipt = call(client, "receive", {"code": "RMA-1"})["receipt"]["code"]
    shirt, mug = barcode(app, SHIRT), barcode(app, MUG)

    scan(client, receipt, shirt)
    bin_ = scan(client, receipt, "R-UNOPENED")["receipt"]["current"]["suggested_location"]
    assert scan(client, receipt, bin_)["ok"]
    second = scan(client, receipt, shirt)
    photo(client, second["unit_id"])
    assert scan(client, receipt, "R-DEFECT")["ok"]
    third = scan(client, receipt, mug)
    photo(client, third["unit_id"])
    assert scan(client, receipt, "R-BROKEN")["ok"]
    assert call(client, "close", {"receipt": receipt})["ok"]

    shipped_order(app, "AL-2")
    review = call(client, "receive", {"code": "SO-AL-2", "review": True})["receipt"]["code"]
    scan(client, review, mug)
    assert scan(client, review, "R-ASNEW")["ok"]
    assert scan(client, review, "CMD-CLOSE")["result"] == "parked"
    held_totals = floor_totals(app)
    post_rma(
        app,
        "RMA-2",
        lines=[{"line_id": "2", "sku": MUG, "qty": 1}],
        allocation_id="AL-2",
        order_number="SO-AL-2",
    )
    resolved = call(station(app, "U0001"), "resolve_review", {"receipt": review, "rma_id": "RMA-2"})
    assert resolved["ok"], resolved
    mug_bin = resolved["receipt"]["current"]["suggested_location"]
    assert scan(client, review, mug_bin)["ok"]
    assert call(client, "close", {"receipt": review})["ok"]
    return {
        "restocked": 2,
        "quarantined": 1,
        "held_on_hand": held_totals["on_hand"],
        "held_allocated": held_totals["allocated"],
    }


def check_ledger(app: Flask) -> None:
    shirt_before = available(app, SHIRT)
    mug_before = available(app, MUG)
    baseline = floor_totals(app)
    done = returns_through_every_disposition(app)
    after = floor_totals(app)

    assert after["on_hand"] == after["ledger_on_hand"]
    assert after["allocated"] == after["ledger_allocated"]
    assert after["negative_bins"] == 0 and after["over_allocated_bins"] == 0
    shipped = 6  # AL-1 and AL-2: 2 shirts and 1 mug each
    assert after["on_hand"] == (
        baseline["on_hand"] - shipped + done["restocked"] + done["quarantined"]
    )
    assert after["allocated"] == baseline["allocated"] + done["quarantined"]
    # While the review parcel was held its unit was on hand and blocked; resolving moved it
    # from the returns shelf to a bin without changing what is on hand.
    assert done["held_on_hand"] == after["on_hand"]
    assert done["held_allocated"] == after["allocated"] + 1
    assert available(app, SHIRT) == shirt_before - 4 + 1
    assert available(app, MUG) == mug_before - 2 + 1

    # The OMS sees quarantined units as on hand and allocated, never as available.
    inventory = signed_get(app.test_client(), f"/api/v1/inventory?sku={SHIRT}&locations=1")
    item = inventory.get_json()["items"][0]
    quarantine = [loc for loc in item["locations"] if loc["location"] == "Q00-00-1"]
    assert quarantine == [{"location": "Q00-00-1", "lot": None, "on_hand": 1, "allocated": 1}]
    assert item["available"] == available(app, SHIRT)


def test_ledger_matches_stock_after_every_kind_of_return_on_sqlite(app: Flask) -> None:
    check_ledger(app)


@pytest.mark.postgres
def test_ledger_matches_stock_after_every_kind_of_return_on_postgresql(
    postgres_app: Flask,
) -> None:
    check_ledger(postgres_app)
