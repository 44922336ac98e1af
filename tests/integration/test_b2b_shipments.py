"""B2B orders end to end on real databases (SQLite and PostgreSQL), through the OMS webhook and
the stations' Socket.IO events: a purchase order with a shortage that allows partial shipment
is reserved as far as stock goes and reported short; its cartons are picked, packed into two
cartons, weighed, scanned onto a pallet at the pallet screen, the pallet closed with an SSCC
label and shipped with a bill of lading; `allocation.shipped` carries the PO, payment terms,
what stayed short and the shipment -> pallet -> carton -> line hierarchy with SSCCs. The other
B2B rules: no partial shipment means backordered at intake and held (then released by the
OMS) when a short pick leaves units missing; credit holds; palletised orders never leave as
parcels; one consignee per pallet; every carton of a B2B order gets an SSCC."""

from __future__ import annotations

import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import biip
import pytest
import zxingcpp
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from app.adapters.db.models import Allocation, Counter
from app.adapters.db.models_b2b import IssuedSscc, Pallet
from app.container import container
from app.domain.sscc import is_valid_sscc
from app.services import b2b, pallets
from app.services.errors import Conflict
from tests.support.b2b_floor import (
    SHIP_TO_GLN,
    available,
    b2b_doc,
    emit,
    event_types,
    events,
    pick_pack_weigh,
    post,
    ship_client,
)
from tests.support.shipping import now_utc, use_clock
from tests.support.warehouse import (
    allocation_doc,
    fresh_postgres_db,
    make_app,
    prepare_database,
    signed_get,
    signed_post,
    uow_of,
)
from tests.test_support import floor_totals


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def floor(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[Flask]:
    if request.param == "sqlite":
        application = make_app(sqlite_url)
        use_clock(application, now_utc(10))
        yield application
        application.extensions["dockhand"].uow.engine.dispose()
        return
    with fresh_postgres_db() as url:
        prepare_database(url)
        application = make_app(url)
        use_clock(application, now_utc(10))
        yield application
        application.extensions["dockhand"].uow.engine.dispose()


def leave_only(app: Flask, sku: str, units: int, allocation_id: str = "AL-EAT") -> None:
    """A B2C order takes all of ``sku``'s free stock but ``units``."""
    free = available(app, sku)
    doc = allocation_doc(allocation_id, lines=[{"line_id": "1", "sku": sku, "qty": free - units}])
    assert post(app, doc)["status"] == "accepted"
    assert available(app, sku) == units


def rasterise(pdf: bytes, tmp_path: Path, stem: str) -> list[Path]:
    src = tmp_path / f"{stem}.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(src), str(tmp_path / stem)],
        check=True,
        capture_output=True,
    )
    return sorted(tmp_path.glob(f"{stem}-*.png"))


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    src = tmp_path / "text.pdf"
    src.write_bytes(pdf)
    done = subprocess.run(["pdftotext", str(src), "-"], check=True, capture_output=True, text=True)
    return " ".join(done.stdout.split())  # table cells wrap: compare words, not lines


needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm, pdftotext)"
)


# --------------------------------------------------------------------------- the whole flow


@needs_poppler
def test_a_partial_b2b_order_ships_on_a_pallet_with_a_bill_of_lading_and_the_asn_hierarchy(
    floor: Flask, tmp_path: Path
) -> None:
    leave_only(floor, "MUG-BLK-S", 2)
    doc = b2b_doc(
        "AL-B2B-1",
        [
            {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 3},
            {"line_id": "2", "sku": "MUG-BLK-S", "qty": 5},
        ],
        allow_partial=True,
        freight_class="77.5",
        bill_to={
            "name": "Accounts Payable",
            "company": "Freight Pay Ltd",
            "line1": "2 Finance Street",
            "city": "London",
            "postal_code": "EC1A 1BB",
            "country": "GB",
            "account": "FP-778",
        },
    )

    # Intake: what exists is reserved, the rest reported short after the acceptance
    answer = post(floor, doc)
    assert answer["status"] == "accepted"
    assert answer["reasons"] == [
        "line 2: MUG-BLK-S short by 3 (2 of 5 available): partial shipment allowed"
    ]
    assert available(floor, "MUG-BLK-S") == 0
    assert event_types(floor, "AL-B2B-1") == ["allocation.accepted", "allocation.short"]
    (short,) = events(floor, "allocation.short", "AL-B2B-1")
    assert short["data"]["partial"] is True
    assert [(x["line_id"], x["short_qty"]) for x in short["data"]["lines"]] == [("2", 3)]

    # Pick, pack into two cartons, weigh
    cartons = pick_pack_weigh(floor, "AL-B2B-1", cartons=2)
    assert len(cartons) == 2

    # Pallet: scan both cartons (the second by its SSCC), close with weight and height
    shipper = ship_client(floor)
    first = emit(shipper, "pallet_scan", {"code": cartons[0]["code"], "station": "ship-1"})
    assert first["ok"] and first["result"] == "new_pallet", first
    pallet = first["pallet"]["pallet"]
    second_sscc = pallets.carton_label_sscc(
        cartons[1]["code"], container(floor).uow, container(floor).clock, container(floor).ship
    )
    again = emit(shipper, "pallet_scan", {"code": cartons[0]["code"], "pallet": pallet})
    assert again["ok"] and again["result"] == "already"
    added = emit(shipper, "pallet_scan", {"code": "]C100" + second_sscc, "pallet": pallet})
    assert added["ok"] and added["result"] == "added", added
    view = added["pallet"]
    assert [c["carton"] for c in view["cartons"]] == [c["code"] for c in cartons]
    assert all(is_valid_sscc(c["sscc"]) for c in view["cartons"])
    assert view["kind"] == "mixed" and view["units"] == 5
    assert view["po_numbers"] == ["PO-AL-B2B-1"]
    cartons_g = sum(c["expected_weight_g"] + 12 for c in cartons)
    assert view["cartons_weight_g"] == cartons_g

    too_light = emit(
        shipper, "pallet_close", {"pallet": pallet, "weight_g": cartons_g - 1, "height_mm": 950}
    )
    assert not too_light["ok"] and too_light["field"] == "weight_g"
    closed = emit(
        shipper,
        "pallet_close",
        {"pallet": pallet, "weight_g": cartons_g + 25_400, "height_mm": 950, "station": "ship-1"},
    )
    assert closed["ok"], closed
    pallet_sscc = closed["pallet"]["sscc"]
    assert is_valid_sscc(pallet_sscc) and pallet_sscc not in {c["sscc"] for c in view["cartons"]}
    assert closed["pallet"]["label_url"] == f"/ship/logistic/{pallet_sscc}.pdf"

    # The pallet label behind the link scans back to the pallet's SSCC
    label = floor.test_client().get(closed["pallet"]["label_url"])
    assert label.status_code == 200 and label.mimetype == "application/pdf"
    (png,) = rasterise(label.data, tmp_path, "pallet")
    with Image.open(png) as image:
        found = {b.text: b for b in zxingcpp.read_barcodes(image)}
    assert f"(00){pallet_sscc}" in found
    assert f"(410){SHIP_TO_GLN}(420)LS115QR" in found
    assert "(400)PO-AL-B2B-1" in found  # mixed pallet: no (02)/(37)

    # Ready to ship; then the bill of lading ships it
    state = emit(shipper, "pallet_state", {"station": "ship-1"})
    (group,) = state["ready"]
    assert [p["pallet"] for p in group["pallets"]] == [pallet]
    assert group["freight_class"] == "77.5"
    assert group["instructions"] == "Deliver to dock 4; call 30 minutes ahead."
    shipped = emit(
        shipper,
        "pallet_ship",
        {"pallets": [pallet], "trailer": "TR-88", "seal": "S-1234", "instructions": ""},
    )
    assert shipped["ok"], shipped
    bol = shipped["bol"]
    number = bol["bol"]
    assert len(number) == 17 and number.startswith("0614141")
    assert bol["carrier"] == "DXP" and bol["service"] == "DXP-PAL"
    assert shipped["shipped_orders"] == ["SO-AL-B2B-1"]

    # allocation.shipped: PO, terms, shorts, and the hierarchy with SSCCs
    (event,) = events(floor, "allocation.shipped", "AL-B2B-1")
    data = event["data"]
    assert data["po_number"] == "PO-AL-B2B-1" and data["payment_terms"] == "NET30"
    assert data["partial"] is True
    assert data["short_lines"] == [
        {"line_id": "2", "ordered": 5, "cancelled": 0, "shipped": 2, "short_qty": 3}
    ]
    assert data["lines"] == [{"line_id": "1", "qty": 3}, {"line_id": "2", "qty": 2}]
    (shipment,) = data["shipments"]
    assert shipment["bol_number"] == number and shipment["pro_number"] == bol["pro_number"]
    assert shipment["ship_to_gln"] == SHIP_TO_GLN and shipment["cartons"] == []
    (pnode,) = shipment["pallets"]
    assert pnode["sscc"] == pallet_sscc and pnode["kind"] == "mixed"
    assert pnode["weight_g"] == cartons_g + 25_400 and pnode["dims_mm"] == [1200, 800, 950]
    carton_nodes = pnode["cartons"]
    assert [c["carton_id"] for c in carton_nodes] == [c["code"] for c in cartons]
    assert [c["sscc"] for c in carton_nodes] == [c["sscc"] for c in view["cartons"]]
    units = {}
    for node in carton_nodes:
        assert node["tracking_number"].startswith("DX")
        for line in node["lines"]:
            assert line["gtin"] and len(line["gtin"]) == 14
            units[line["line_id"]] = units.get(line["line_id"], 0) + line["qty"]
    assert units == {"1": 3, "2": 2}
    assert {c["carton_id"]: c["pallet_sscc"] for c in data["cartons"]} == {
        c["code"]: pallet_sscc for c in cartons
    }

    # The OMS sees it shipped; the ledger adds up
    state = signed_get(floor.test_client(), "/api/v1/allocations/AL-B2B-1").get_json()
    assert state["status"] == "shipped"
    assert [(ln["shipped"], ln["short"]) for ln in state["lines"]] == [(3, 0), (2, 3)]
    totals = floor_totals(floor)
    assert totals["on_hand"] == totals["ledger_on_hand"]
    assert totals["allocated"] == totals["ledger_allocated"]

    # The bill of lading: parties, PO, handling units, weights, class, signatures, barcodes
    pdf = floor.test_client().get(bol["pdf_url"])
    assert pdf.status_code == 200
    text = pdf_text(pdf.data, tmp_path)
    for expected in (
        "BILL OF LADING",
        "SHIP FROM (SHIPPER)",
        "Dockhand Demo DC",
        "SHIP TO (CONSIGNEE)",
        "Hardware Stores Ltd",
        f"GLN {SHIP_TO_GLN}",
        "THIRD PARTY FREIGHT CHARGES BILL TO",
        "Freight Pay Ltd",
        "Freight account FP-778",
        "[X] 3rd party",
        "PO-AL-B2B-1",
        "Terms NET30",
        "3 unit(s) short",
        "1 PLT",
        "2 CTN",
        f"SSCC {pallet_sscc}",
        "77.5",
        "Deliver to dock 4; call 30 minutes ahead.",
        "Trailer number: TR-88",
        "Seal number(s): S-1234",
        "SHIPPER SIGNATURE / DATE",
        "CARRIER SIGNATURE / PICKUP DATE",
        "CONSIGNEE: RECEIVED IN GOOD ORDER",
    ):
        assert expected in text, expected
    gross_kg = f"{(cartons_g + 25_400) / 1000:.1f}"
    assert gross_kg in text
    (page,) = rasterise(pdf.data, tmp_path, "bol")
    with Image.open(page) as image:
        read = {b.text: b.symbology_identifier for b in zxingcpp.read_barcodes(image)}
    assert read[f"(402){number}"] == "]C1"
    assert read[bol["pro_number"]] == "]C0"
    gsin = biip.parse("]C1402" + number)
    assert gsin.gs1_message is not None
    assert gsin.gs1_message.element_strings[0].value == number


# --------------------------------------------------------------------------- B2B rules


def test_without_partial_shipments_a_shortage_backorders_and_reserves_nothing(
    floor: Flask,
) -> None:
    leave_only(floor, "MUG-BLK-S", 2)
    before = available(floor, "TSHIRT-BLK-S")
    doc = b2b_doc(
        "AL-B2B-2",
        [
            {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1},
            {"line_id": "2", "sku": "MUG-BLK-S", "qty": 5},
        ],
        allow_partial=False,
    )
    assert post(floor, doc)["status"] == "backordered"
    assert available(floor, "TSHIRT-BLK-S") == before
    (short,) = events(floor, "allocation.short", "AL-B2B-2")
    assert short["data"]["backordered"] is True


def test_partial_intake_with_nothing_in_stock_is_a_backorder(floor: Flask) -> None:
    leave_only(floor, "MUG-BLK-S", 0)
    doc = b2b_doc("AL-B2B-3", [{"line_id": "1", "sku": "MUG-BLK-S", "qty": 4}], allow_partial=True)
    assert post(floor, doc)["status"] == "backordered"


def test_credit_not_approved_holds_a_partial_order_with_its_stock_reserved(floor: Flask) -> None:
    leave_only(floor, "MUG-BLK-S", 1)
    doc = b2b_doc(
        "AL-B2B-4",
        [{"line_id": "1", "sku": "MUG-BLK-S", "qty": 3}],
        allow_partial=True,
        credit_approved=False,
    )
    answer = post(floor, doc)
    assert answer["status"] == "held"
    assert answer["reasons"][0] == "b2b credit not approved"
    assert available(floor, "MUG-BLK-S") == 0
    assert event_types(floor, "AL-B2B-4") == ["allocation.accepted", "allocation.short"]
    accepted = events(floor, "allocation.accepted", "AL-B2B-4")[0]["data"]
    assert accepted["held"] is True


def test_a_newer_version_replaces_a_partial_order_that_has_not_started(floor: Flask) -> None:
    leave_only(floor, "MUG-BLK-S", 2)
    lines = [{"line_id": "1", "sku": "MUG-BLK-S", "qty": 5}]
    assert post(floor, b2b_doc("AL-B2B-5", lines, allow_partial=True))["status"] == "accepted"
    smaller = b2b_doc("AL-B2B-5", [{"line_id": "1", "sku": "MUG-BLK-S", "qty": 2}])
    smaller["version"] = 2
    resp = signed_post(floor.test_client(), "/api/v1/allocations", smaller)
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["status"] == "accepted"
    state = signed_get(floor.test_client(), "/api/v1/allocations/AL-B2B-5").get_json()
    assert state["version"] == 2 and state["lines"][0]["short"] == 0
    assert available(floor, "MUG-BLK-S") == 0


def test_a_short_pick_holds_an_order_without_partial_shipments_until_the_oms_releases_it(
    floor: Flask,
) -> None:
    lines = [
        {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2},
        {"line_id": "2", "sku": "MUG-BLK-S", "qty": 2},
    ]
    assert post(floor, b2b_doc("AL-B2B-6", lines))["status"] == "accepted"
    leave_only(floor, "MUG-BLK-S", 0)  # so a short pick finds no other bin
    (carton,) = pick_pack_weigh(floor, "AL-B2B-6", short_skus=frozenset({"MUG-BLK-S"}))
    shipper = ship_client(floor)
    scanned = emit(shipper, "pallet_scan", {"code": carton["code"]})
    assert scanned["ok"], scanned
    pallet = scanned["pallet"]["pallet"]
    assert emit(shipper, "pallet_close", {"pallet": pallet, "height_mm": 400})["ok"]

    refused = emit(shipper, "pallet_ship", {"pallets": [pallet]})
    assert not refused["ok"] and refused["error"] == "on_hold"
    assert "does not allow partial shipment: line 2 MUG-BLK-S short 2" in refused["message"]
    with uow_of(floor)() as tx:
        a = tx.session.scalars(
            select(Allocation).where(Allocation.allocation_id == "AL-B2B-6")
        ).one()
        assert a.status == "held" and a.held_from == "packed"
    (held,) = events(floor, "allocation.held", "AL-B2B-6")
    assert held["data"]["release_ships_partial"] is True
    assert events(floor, "allocation.shipped", "AL-B2B-6") == []

    # The OMS releases it: that is its consent to ship what is there
    resp = signed_post(floor.test_client(), "/api/v1/allocations/AL-B2B-6/release", {})
    assert resp.status_code == 200, resp.get_json()
    shipped = emit(shipper, "pallet_ship", {"pallets": [pallet]})
    assert shipped["ok"], shipped
    (event,) = events(floor, "allocation.shipped", "AL-B2B-6")
    assert event["data"]["partial"] is True
    assert event["data"]["short_lines"][0]["line_id"] == "2"


def test_a_palletised_order_never_leaves_as_a_parcel(floor: Flask) -> None:
    lines = [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1}]
    assert post(floor, b2b_doc("AL-B2B-7", lines, palletize=True))["status"] == "accepted"
    (carton,) = pick_pack_weigh(floor, "AL-B2B-7")
    refused = emit(ship_client(floor), "ship", {"carton": carton["code"]})
    assert not refused["ok"] and "ships on pallets" in refused["message"]
    assert events(floor, "allocation.shipped", "AL-B2B-7") == []


def test_a_b2b_parcel_gets_an_sscc_and_the_event_its_hierarchy(floor: Flask) -> None:
    lines = [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2}]
    doc = b2b_doc("AL-B2B-8", lines, palletize=False)
    doc["service_level"] = "standard"
    assert post(floor, doc)["status"] == "accepted"
    (carton,) = pick_pack_weigh(floor, "AL-B2B-8")
    shipped = emit(ship_client(floor), "ship", {"carton": carton["code"]})
    assert shipped["ok"], shipped
    (event,) = events(floor, "allocation.shipped", "AL-B2B-8")
    data = event["data"]
    (entry,) = data["cartons"]
    assert is_valid_sscc(entry["sscc"]) and entry["pallet_sscc"] is None
    (shipment,) = data["shipments"]
    assert shipment["bol_number"] is None and shipment["pallets"] == []
    assert shipment["cartons"][0]["sscc"] == entry["sscc"]
    assert shipment["cartons"][0]["lines"] == [
        {"line_id": "1", "sku": "TSHIRT-BLK-S", "gtin": "05012340000003", "qty": 2}
    ]
    assert data["partial"] is False and data["payment_terms"] == "NET30"
    # The carton's logistic label: single SKU, so (02) with (37)
    label = floor.test_client().get(f"/ship/logistic/{entry['sscc']}.zpl")
    assert label.status_code == 200
    from tests.support.zpl_reader import read

    _, barcodes = read(label.data)
    scanned = [b.scanned() for b in barcodes]
    assert f"]C100{entry['sscc']}" in scanned
    assert "]C10205012340000003372\x1d400PO-AL-B2B-8" in scanned


def test_a_single_sku_pallet_carries_the_gtin_and_count_of_its_trade_items(floor: Flask) -> None:
    lines = [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 4}]
    assert post(floor, b2b_doc("AL-B2B-9", lines))["status"] == "accepted"
    cartons = pick_pack_weigh(floor, "AL-B2B-9", cartons=2)
    shipper = ship_client(floor)
    pallet = ""
    for c in cartons:
        ack = emit(shipper, "pallet_scan", {"code": c["code"], "pallet": pallet or None})
        assert ack["ok"], ack
        pallet = ack["pallet"]["pallet"]
    closed = emit(shipper, "pallet_close", {"pallet": pallet, "height_mm": 700})
    assert closed["ok"], closed
    view = closed["pallet"]
    assert view["kind"] == "single_sku" and view["content"].startswith("4 x TSHIRT-BLK-S")
    assert view["weight_g"] == view["estimated_weight_g"]  # no weight typed: the estimate
    from tests.support.zpl_reader import read

    zpl = floor.test_client().get(view["label_zpl_url"]).data
    parsed = {}
    for b in read(zpl)[1]:
        message = biip.parse(b.scanned()).gs1_message
        assert message is not None
        parsed.update({e.ai.ai: e.value for e in message.element_strings})
    assert parsed == {
        "02": "05012340000003",
        "37": "4",
        "400": "PO-AL-B2B-9",
        "410": SHIP_TO_GLN,
        "420": "LS115QR",
        "00": view["sscc"],
    }


def test_one_consignee_per_pallet_and_only_weighed_b2b_cartons(floor: Flask) -> None:
    lines = [{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1}]
    assert post(floor, b2b_doc("AL-B2B-10", lines))["status"] == "accepted"
    other = b2b_doc("AL-B2B-11", lines)
    other["ship_to"] = {**other["ship_to"], "name": "Another Store", "city": "York"}
    assert post(floor, other)["status"] == "accepted"
    assert post(floor, allocation_doc("AL-B2C-12", lines=lines))["status"] == "accepted"
    (mine,) = pick_pack_weigh(floor, "AL-B2B-10")
    (theirs,) = pick_pack_weigh(floor, "AL-B2B-11")
    (parcel,) = pick_pack_weigh(floor, "AL-B2C-12")
    shipper = ship_client(floor)
    first = emit(shipper, "pallet_scan", {"code": mine["code"]})
    pallet = first["pallet"]["pallet"]
    mixed_up = emit(shipper, "pallet_scan", {"code": theirs["code"], "pallet": pallet})
    assert not mixed_up["ok"] and "one consignee per pallet" in mixed_up["message"]
    b2c = emit(shipper, "pallet_scan", {"code": parcel["code"], "pallet": pallet})
    assert not b2c["ok"] and "not a B2B order" in b2c["message"]
    # A carton on one pallet cannot go onto another; taking it off frees it
    second = emit(shipper, "pallet_new", {})
    taken = emit(
        shipper, "pallet_scan", {"code": mine["code"], "pallet": second["pallet"]["pallet"]}
    )
    assert not taken["ok"] and f"is on pallet {pallet}" in taken["message"]
    removed = emit(shipper, "pallet_remove", {"pallet": pallet, "carton": mine["code"]})
    assert removed["ok"] and removed["pallet"]["cartons"] == []
    assert emit(shipper, "pallet_scan", {"code": theirs["code"], "pallet": pallet})["ok"]
    empty_close = emit(
        shipper, "pallet_close", {"pallet": second["pallet"]["pallet"], "height_mm": 1}
    )
    assert not empty_close["ok"] and "empty" in empty_close["message"]


# --------------------------------------------------------------------------- SSCCs


def _issue(app: Flask, n: int) -> list[str]:
    c = container(app)
    gs1 = c.ship.gs1
    assert gs1 is not None
    out: list[str] = []
    for _ in range(n):
        with c.uow() as tx:
            s = tx.session
            pallet = Pallet(
                code=f"PALT{uuid.uuid4().hex[:12]}",
                status="open",
                pallet_type="EUR",
                length_mm=1200,
                width_mm=800,
                tare_g=25000,
            )
            s.add(pallet)
            s.flush()
            out.append(b2b.issue_sscc(s, gs1, c.clock(), pallet=pallet))
            tx.commit()
    return out


def test_ssccs_are_issued_once_even_by_concurrent_workers(floor: Flask) -> None:
    results: list[list[str]] = []
    lock = threading.Lock()

    def worker() -> None:
        got = _issue(floor, 5)
        with lock:
            results.append(got)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    issued = [x for r in results for x in r]
    assert len(issued) == 30 and len(set(issued)) == 30
    assert all(is_valid_sscc(x) for x in issued)
    serials = sorted(int(x[8:17]) for x in issued)
    assert serials == list(range(1, 31))  # gap-free from the configured first serial


def test_an_sscc_already_issued_is_skipped_and_an_exhausted_range_refuses(floor: Flask) -> None:
    (first,) = _issue(floor, 1)
    c = container(floor)
    gs1 = c.ship.gs1
    assert gs1 is not None
    with c.uow() as tx:  # someone moves the range back: the counter restarts below
        counter = tx.session.get(Counter, gs1.sscc.counter_name)
        assert counter is not None
        counter.value = 0
        tx.commit()
    (second,) = _issue(floor, 1)
    assert second != first and int(second[8:17]) == 2
    with c.uow() as tx:
        counter = tx.session.get(Counter, gs1.sscc.counter_name)
        assert counter is not None
        counter.value = gs1.sscc.serial_last
        tx.commit()
    with pytest.raises(Conflict, match=r"SSCC serial range in config/gs1\.toml is used up"):
        _issue(floor, 1)
    with uow_of(floor)() as tx:
        assert tx.session.scalar(select(func.count(IssuedSscc.id))) == 2
