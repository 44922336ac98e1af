"""The pack station through its Socket.IO events on a real SQLite file: the carton
recommendation (lowest total cost, why, diagram), overrides, several cartons, multi-order
totes, holds, cancels and short picks, the content label (decoded back) and the history."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, Carton, OutboxEvent, PickTask, Sku, Stock
from app.adapters.db.models_pack import CartonPlan, PackOverride
from tests.support.pack import emit, into_one_tote, packer, picked_order, verify_all
from tests.support.warehouse import allocation_doc, signed_post, socket_client, uow_of
from tests.test_support import release

SHIRTS_AND_MUG = [
    {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2},
    {"line_id": "2", "sku": "MUG-BLK-S", "qty": 1},
]


def opened(app: Flask, code: str) -> tuple[Any, dict[str, Any]]:
    client = packer(app)
    ack = emit(client, "open", {"code": code})
    assert ack["ok"], ack
    return client, ack


def events(app: Flask, type_: str) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        rows = tx.session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
        ).all()
        return [json.loads(r.body) for r in rows]


def test_the_recommendation_is_priced_explained_and_drawn(app: Flask) -> None:
    picked_order(app, "AL-P1", SHIRTS_AND_MUG, "T0101", notes="Happy birthday!")
    _, ack = opened(app, "T0101")
    order = ack["order"]
    assert ack["tote"] is None
    rec = order["recommendation"]
    assert rec["code"] == "BOX-M" and rec["label"] == "BOX-M"
    [carton] = rec["cartons"]
    assert carton["units"] == 3 and len(carton["placements"]) == 3
    assert carton["rate"]["carrier"] in {"DXP", "PPL"}
    assert rec["total_minor"] == carton["carton_cost_minor"] + carton["rate"]["price_minor"]
    assert "BOX-M (Medium) costs least in total" in rec["why"]
    assert carton["diagram_svg"].startswith("<svg") and "Layer 1" in carton["diagram_svg"]
    assert rec["alternatives"] and all(
        alt["total_minor"] >= rec["total_minor"] for alt in rec["alternatives"] if alt["rated"]
    )
    assert order["gift_message"] == "Happy birthday!"
    assert [ln["name"] for ln in order["lines"]] == ["T-shirt blk S", "Mug blk S"]


def _pdf_to_png(pdf: bytes, folder: Path) -> Path:
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) is not installed")
    src = folder / "label.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-singlefile", str(src), str(folder / "label")],
        check=True,
        timeout=60,
    )
    return folder / "label.png"


def test_closing_the_recommended_carton_keeps_its_placements_and_labels_it(
    app: Flask, tmp_path: Path
) -> None:
    picked_order(app, "AL-P2", SHIRTS_AND_MUG, "T0102")
    client, ack = opened(app, "T0102")
    order = verify_all(client, ack["order"])
    assert order["all_verified"]
    closed = emit(client, "close_carton", {"allocation_id": "AL-P2", "carton_type": "BOX-M"})
    assert closed["ok"], closed
    code = closed["carton"]["code"]
    assert closed["carton"]["override"] is None
    assert closed["order"]["status"] == "packed"
    with uow_of(app)() as tx:
        s = tx.session
        carton = s.scalars(select(Carton).where(Carton.code == code)).one()
        plan = s.scalars(select(CartonPlan).where(CartonPlan.carton_id == carton.id)).one()
        assert plan.carton_type == "BOX-M" and plan.recommended == "BOX-M"
        assert sorted(p["sku"] for p in plan.placements) == [
            "MUG-BLK-S",
            "TSHIRT-BLK-S",
            "TSHIRT-BLK-S",
        ]
        assert plan.rate_minor and plan.carrier and "costs least in total" in (plan.why or "")
        assert s.scalars(select(PackOverride)).all() == []

    web = app.test_client()
    label = web.get(f"/pack/carton/{code}/contents.pdf")
    assert label.status_code == 200 and label.data.startswith(b"%PDF")
    from app.adapters.decoding import decode_image

    png = _pdf_to_png(label.data, tmp_path)
    assert code in [d.text for d in decode_image(str(png))]
    svg = web.get(f"/pack/carton/{code}/diagram.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert b"MUG-BLK-S" in svg.data
    slip = web.get("/pack/slip/AL-P2.pdf")
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    assert web.get("/pack/carton/CT999999/contents.pdf").status_code == 404


def test_another_carton_with_a_reason_is_recorded_as_an_override(app: Flask) -> None:
    picked_order(app, "AL-P3", SHIRTS_AND_MUG, "T0103")
    client, ack = opened(app, "T0103")
    verify_all(client, ack["order"])
    refused = emit(client, "override_carton", {"allocation_id": "AL-P3", "carton_type": "BOX-L"})
    assert refused["ok"] is False and refused["field"] == "reason"
    no_note = emit(
        client,
        "override_carton",
        {"allocation_id": "AL-P3", "carton_type": "BOX-L", "reason": "other"},
    )
    assert no_note["ok"] is False and "say why" in no_note["message"]
    closed = emit(
        client,
        "override_carton",
        {"allocation_id": "AL-P3", "carton_type": "BOX-L", "reason": "protection"},
    )
    assert closed["ok"], closed
    override = closed["carton"]["override"]
    assert override["recommended"] == "BOX-M" and override["chosen"] == "BOX-L"
    assert override["reason"] == "protection" and override["extra_cost_minor"] > 0
    with uow_of(app)() as tx:
        [row] = tx.session.scalars(select(PackOverride)).all()
        assert (row.recommended, row.chosen, row.reason_code, row.packer) == (
            "BOX-M",
            "BOX-L",
            "protection",
            "U0040",
        )
        assert row.chosen_total_minor > row.recommended_total_minor
    history = emit(client, "history", {"allocation_id": "AL-P3"})["history"]
    kinds = [e["kind"] for e in history["events"]]
    assert kinds.count("scan") == 3 and "carton" in kinds and "override" in kinds
    [said] = [e for e in history["events"] if e["kind"] == "override"]
    assert (
        said["text"]
        == "BOX-L instead of the recommended BOX-M: Fragile: needs more room for padding"
    )


def test_the_plain_close_with_another_carton_records_the_override_as_not_given(
    app: Flask,
) -> None:
    picked_order(app, "AL-P4", SHIRTS_AND_MUG, "T0104")
    client, ack = opened(app, "T0104")
    verify_all(client, ack["order"])
    too_small = emit(client, "close_carton", {"allocation_id": "AL-P4", "carton_type": "BOX-XS"})
    assert too_small["ok"] is False
    assert too_small["message"] == "these 3 unit(s) do not fit Mailer XS (BOX-XS)"
    closed = emit(client, "close_carton", {"allocation_id": "AL-P4", "carton_type": "BOX-L"})
    assert closed["ok"] and closed["carton"]["override"]["reason"] == "not_given"
    done = emit(client, "open", {"code": "AL-P4"})
    assert done["ok"] is False and "is packed, not ready to pack" in done["message"]


def test_an_order_that_needs_two_cartons_is_closed_carton_by_carton(app: Flask) -> None:
    picked_order(app, "AL-P5", [{"line_id": "1", "sku": "LAMP-BLK-S", "qty": 4}], "T0105")
    client, ack = opened(app, "T0105")
    order = ack["order"]
    rec = order["recommendation"]
    planned = [c["code"] for c in rec["cartons"]]
    assert len(planned) >= 2, rec["why"]
    assert sum(c["units"] for c in rec["cartons"]) == 4
    # LAMP-* must stay this way up (config/cartons.toml): its 160 mm height stays vertical.
    assert all(p["dims_mm"][2] == 160 for c in rec["cartons"] for p in c["placements"])
    order = verify_all(client, order)
    closed_codes = []
    while order["status"] != "packed":
        rec = order["recommendation"]
        first = rec["cartons"][0]
        closed = emit(
            client, "close_carton", {"allocation_id": "AL-P5", "carton_type": rec["code"]}
        )
        assert closed["ok"], closed
        assert closed["carton"]["units"] == first["units"]
        assert closed["carton"]["override"] is None
        closed_codes.append(closed["carton"]["code"])
        order = closed["order"]
        assert len(closed_codes) <= 4
    assert len(closed_codes) == len(planned)
    [packed] = events(app, "allocation.packed")
    assert sorted(c["carton_id"] for c in packed["data"]["cartons"]) == sorted(closed_codes)
    assert sum(ln["qty"] for c in packed["data"]["cartons"] for ln in c["lines"]) == 4


def test_units_of_a_multi_order_tote_are_sorted_to_their_orders(app: Flask) -> None:
    mug = "MUG-BLK-S"
    picked_order(
        app,
        "AL-S1",
        [{"line_id": "1", "sku": mug, "qty": 1}, {"line_id": "2", "sku": "TSHIRT-BLK-S", "qty": 1}],
        "T0201",
        ship_by="2026-11-26T15:00:00+00:00",
    )
    picked_order(
        app,
        "AL-S2",
        [{"line_id": "1", "sku": mug, "qty": 1}, {"line_id": "2", "sku": "SOCKS-BLK-S", "qty": 1}],
        "T0202",
        ship_by="2026-11-26T17:00:00+00:00",
    )
    into_one_tote(app, "AL-S2", "T0201")
    client, ack = opened(app, "T0201")
    tote = ack["tote"]
    assert tote["multi"] is True
    assert [(o["slot"], o["allocation_id"]) for o in tote["orders"]] == [
        ("A", "AL-S1"),
        ("B", "AL-S2"),
    ]
    codes = {ln["sku"]: ln["barcode"] for o in ("AL-S1", "AL-S2") for ln in _lines(client, o)}

    def scan(code: str) -> dict[str, Any]:
        return emit(client, "scan", {"tote": "T0201", "code": code})

    first = scan(codes[mug])
    assert (first["result"], first["slot"], first["order"]["allocation_id"]) == (
        "unit_ok",
        "A",
        "AL-S1",
    )
    assert first["message"].startswith("Slot A:")
    second = scan(codes[mug])
    assert (second["slot"], second["order"]["allocation_id"]) == ("B", "AL-S2")
    assert scan(codes[mug])["result"] == "over_scan"
    assert scan("5000000000000")["result"] == "wrong_item"
    socks = scan(codes["SOCKS-BLK-S"])
    assert socks["slot"] == "B" and socks["order"]["all_verified"]
    assert [o["verified"] for o in socks["tote"]["orders"]] == [1, 2]
    closed = emit(
        client,
        "close_carton",
        {"allocation_id": "AL-S2", "carton_type": socks["order"]["recommendation"]["code"]},
    )
    assert closed["ok"] and closed["order"]["status"] == "packed"
    # The tote still holds AL-S1: it points at it, and it is no longer a multi-order tote.
    again = emit(client, "open", {"code": "T0201"})
    assert again["tote"] is None and again["order"]["allocation_id"] == "AL-S1"
    assert again["order"]["tote"] == "T0201"


def _lines(client: Any, allocation_id: str) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = emit(client, "open", {"code": allocation_id})["order"]["lines"]
    return lines


def test_a_hold_mid_pack_stops_the_next_scan_and_says_why(app: Flask) -> None:
    picked_order(app, "AL-H1", SHIRTS_AND_MUG, "T0301")
    client, ack = opened(app, "T0301")
    shirt = ack["order"]["lines"][0]["barcode"]
    assert emit(client, "scan", {"allocation_id": "AL-H1", "code": shirt})["ok"]
    resp = signed_post(
        app.test_client(), "/api/v1/allocations/AL-H1/hold", {"reason": "address check"}
    )
    assert resp.status_code == 200
    held = emit(client, "scan", {"allocation_id": "AL-H1", "code": shirt})
    assert held["ok"] is False and held["result"] == "on_hold"
    assert "address check" in held["message"] and "exceptions shelf" in held["message"]
    assert held["order"]["blocked"]["kind"] == "on_hold"
    assert held["order"]["recommendation"] is None
    refused = emit(client, "open", {"code": "T0301"})
    assert refused["ok"] is False and refused["error"] == "on_hold"
    closed = emit(client, "close_carton", {"allocation_id": "AL-H1", "carton_type": "BOX-M"})
    assert closed["ok"] is False and closed["error"] == "on_hold"
    signed_post(app.test_client(), "/api/v1/allocations/AL-H1/release", {})
    resumed = emit(client, "scan", {"allocation_id": "AL-H1", "code": shirt})
    assert resumed["ok"] and resumed["order"]["blocked"] is None


def test_cancelled_units_still_in_the_tote_are_called_out(app: Flask) -> None:
    picked_order(app, "AL-C1", SHIRTS_AND_MUG, "T0302")
    resp = signed_post(
        app.test_client(),
        "/api/v1/allocations/AL-C1/cancel",
        {"reason": "one less", "lines": [{"line_id": "1", "qty": 1}]},
    )
    assert resp.get_json()["result"] == "partially_cancelled"
    client, ack = opened(app, "T0302")
    order = ack["order"]
    shirt_line = order["lines"][0]
    assert (shirt_line["picked"], shirt_line["cancelled"], shirt_line["cancelled_in_tote"]) == (
        1,
        1,
        1,
    )
    assert [n["kind"] for n in order["notices"]] == ["cancelled_units"]
    assert "put-back shelf" in order["notices"][0]["message"]
    shirt = shirt_line["barcode"]
    assert emit(client, "scan", {"allocation_id": "AL-C1", "code": shirt})["result"] == "unit_ok"
    extra = emit(client, "scan", {"allocation_id": "AL-C1", "code": shirt})
    assert extra["ok"] is False and extra["result"] == "cancelled_unit"
    # A whole-order cancel mid-pack: the next scan says stop.
    signed_post(app.test_client(), "/api/v1/allocations/AL-C1/cancel", {"reason": "fraud"})
    stop = emit(client, "scan", {"allocation_id": "AL-C1", "code": order["lines"][1]["barcode"]})
    assert stop["ok"] is False and stop["result"] == "cancelled"
    assert "fraud" in stop["message"]


def test_units_short_at_picking_are_shown_missing_and_the_order_still_packs(app: Flask) -> None:
    sku = "TSHIRT-BLK-S"
    doc = allocation_doc("AL-M1", lines=[{"line_id": "1", "sku": sku, "qty": 3}])
    assert signed_post(app.test_client(), "/api/v1/allocations", doc).status_code == 202
    release(app, "AL-M1")
    picker = socket_client(app, "/pick", "U0010")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    with uow_of(app)() as tx:  # no other bin holds this SKU: the short stays short
        s = tx.session
        sku_id = s.scalars(select(Sku.id).where(Sku.sku == sku)).one()
        here = s.get(PickTask, task["task_id"]).stock_id
        for stock in s.scalars(select(Stock).where(Stock.sku_id == sku_id, Stock.id != here)):
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

    def pick(event: str, **payload: Any) -> dict[str, Any]:
        ack: dict[str, Any] = picker.emit(event, payload, namespace="/pick", callback=True)
        return ack

    assert pick("scan", task_id=task["task_id"], code=task["location"])["ok"]
    assert pick("scan", task_id=task["task_id"], code=task["barcode"])["ok"]
    assert pick("short", task_id=task["task_id"], reason="not_found")["ok"]
    assert pick("scan", task_id=task["task_id"], code="T0303")["ok"]
    client, ack = opened(app, "T0303")
    order = ack["order"]
    line = order["lines"][0]
    assert (line["ordered"], line["picked"], line["short"]) == (3, 1, 2)
    assert order["notices"][0]["kind"] == "missing"
    assert "2 × TSHIRT-BLK-S missing" in order["notices"][0]["message"]
    order = verify_all(client, order)
    closed = emit(
        client,
        "close_carton",
        {"allocation_id": "AL-M1", "carton_type": order["recommendation"]["code"]},
    )
    assert closed["ok"] and closed["order"]["status"] == "packed"
    with uow_of(app)() as tx:
        a = tx.session.scalars(select(Allocation).where(Allocation.allocation_id == "AL-M1")).one()
        assert a.lines[0].packed == 1
