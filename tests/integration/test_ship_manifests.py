"""End-of-day close-out per carrier: the manifest takes every labelled carton of the day,
its PDF and CSV list them, cartons labelled after it go to the next pickup day's manifest,
and a manifested label cannot be voided."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Flask

from tests.support.shipping import now_utc, use_clock, weighed_carton
from tests.support.warehouse import socket_client


def emit(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/ship", callback=True)
    return ack


def ship(shipper: Any, code: str) -> dict[str, Any]:
    ack = emit(shipper, "ship", {"carton": code, "carrier": "PPL", "service": "PPL-EXP"})
    assert ack["ok"], ack
    return ack["carton"]


def summary(shipper: Any, carrier: str) -> dict[str, Any]:
    rows = emit(shipper, "close_out_summary", {})["carriers"]
    row: dict[str, Any] = next(r for r in rows if r["carrier"] == carrier)
    return row


def test_close_out_manifests_the_days_cartons_and_later_ones_go_to_the_next_day(
    app: Flask,
) -> None:
    clock = use_clock(app, now_utc(10))
    shipper = socket_client(app, "/ship", "U0060")
    first = ship(shipper, weighed_carton(app, "AL-1")["code"])
    second = ship(shipper, weighed_carton(app, "AL-2")["code"])
    assert summary(shipper, "PPL")["open_cartons"] == 2

    clock.advance(hours=6)
    closed = emit(shipper, "close_out", {"carrier": "PPL"})
    assert closed["ok"], closed
    manifest = closed["manifest"]
    assert manifest["code"] == "MF-PPL-20261126"
    assert manifest["cartons"] == 2
    assert manifest["total_weight_g"] == first["weight_g"] + second["weight_g"]
    row = next(r for r in closed["carriers"] if r["carrier"] == "PPL")
    assert row["closed"]["code"] == "MF-PPL-20261126" and row["open_cartons"] == 0

    third = ship(shipper, weighed_carton(app, "AL-3")["code"])
    assert third["label"]["ship_day"] == "2026-11-27"  # Friday: today's manifest is closed
    assert summary(shipper, "PPL")["next_day_cartons"] == 1
    again = emit(shipper, "close_out", {"carrier": "PPL"})
    assert not again["ok"] and "already closed today" in again["message"]

    client = app.test_client()
    pdf = client.get(manifest["pdf_url"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    rows = list(csv.DictReader(io.StringIO(client.get(manifest["csv_url"]).data.decode())))
    assert sorted(r["tracking_number"] for r in rows) == sorted(
        [first["tracking_number"], second["tracking_number"]]
    )
    assert {r["ship_day"] for r in rows} == {"2026-11-26"}
    assert sum(int(r["weight_g"]) for r in rows) == manifest["total_weight_g"]

    clock.advance(days=1)  # Friday: the third carton is on Friday's manifest
    friday = emit(shipper, "close_out", {"carrier": "PPL"})
    assert friday["ok"] and friday["manifest"]["cartons"] == 1


def test_a_manifested_label_cannot_be_voided(app: Flask) -> None:
    use_clock(app, now_utc(10))
    shipper = socket_client(app, "/ship", "U0060")
    carton = ship(shipper, weighed_carton(app)["code"])
    emit(shipper, "close_out", {"carrier": "PPL"})

    ack = emit(shipper, "void", {"carton": carton["carton"]})
    assert not ack["ok"] and "MF-PPL-20261126" in ack["message"]
    view = emit(shipper, "open", {"code": carton["carton"]})["carton"]
    assert view["label"]["manifest"] == "MF-PPL-20261126"


def test_nothing_to_close_and_unknown_carriers_are_refused(app: Flask) -> None:
    use_clock(app, now_utc(10))
    shipper = socket_client(app, "/ship", "U0060")
    empty = emit(shipper, "close_out", {"carrier": "DXP"})
    assert not empty["ok"] and "No DXP cartons" in empty["message"]
    unknown = emit(shipper, "close_out", {"carrier": "NOPE"})
    assert not unknown["ok"] and unknown["field"] == "carrier"


def test_an_unknown_manifest_is_not_found(app: Flask) -> None:
    assert app.test_client().get("/ship/manifest/MF-X.pdf").status_code == 404
