"""The prepaid return label: the OMS fetches it signed (PDF or ZPL) to send to the customer;
its tracking number is issued once; both barcodes on it scan back, and scanning either at the
returns station finds the authorization."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from flask import Flask
from PIL import Image

from tests.support.returns_floor import call, post_rma, shipped_order, station
from tests.support.warehouse import signed_get


def code128_in(pdf: bytes, tmp_path: Path) -> set[str]:
    if shutil.which("pdftoppm") is None:
        pytest.skip("needs poppler-utils (pdftoppm)")
    source = tmp_path / "label.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", str(source), str(tmp_path / "page")], check=True
    )
    found: set[str] = set()
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as image:
            found |= {
                b.text
                for b in zxingcpp.read_barcodes(image)
                if b.format == zxingcpp.BarcodeFormat.Code128
            }
    return found


def test_return_label_is_issued_once_and_its_barcodes_find_the_return(
    app: Flask, tmp_path: Path
) -> None:
    shipped = shipped_order(app)
    post_rma(app)
    http = app.test_client()
    assert http.get("/api/v1/returns/RMA-1/label.pdf").status_code == 401  # unsigned

    pdf = signed_get(http, "/api/v1/returns/RMA-1/label.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert signed_get(http, "/api/v1/returns/RMA-1/label.pdf").data == pdf.data  # same label
    zpl = signed_get(http, "/api/v1/returns/RMA-1/label.zpl")
    assert zpl.status_code == 200 and zpl.data.startswith(b"^XA") and zpl.data.endswith(b"^XZ")
    assert http.get("/returns/label/RMA-1.pdf").data == pdf.data  # the station's reprint

    codes = code128_in(pdf.data, tmp_path)
    assert "RMA-1" in codes
    [tracking] = [c for c in codes if re.fullmatch(r"[A-Z]{2}\d{11}", c)]  # prefix+serial+check
    assert tracking != shipped["carton"]["tracking_number"]  # a number of its own
    assert tracking.encode() in zpl.data and b"RMA-1" in zpl.data

    client = station(app)
    by_tracking = call(client, "receive", {"code": tracking})
    assert by_tracking["ok"], by_tracking
    assert (by_tracking["receipt"]["rma_id"], by_tracking["receipt"]["matched_by"]) == (
        "RMA-1",
        "return_label",
    )
    by_rma = call(client, "receive", {"code": "RMA-1"})
    assert by_rma["receipt"]["code"] == by_tracking["receipt"]["code"]


def test_no_label_for_an_unknown_rma_or_one_without_an_order(app: Flask) -> None:
    http = app.test_client()
    missing = signed_get(http, "/api/v1/returns/RMA-404/label.pdf")
    assert missing.status_code == 404
    post_rma(app, "RMA-LOOSE", allocation_id=None, order_number="SO-NOWHERE")
    loose = signed_get(http, "/api/v1/returns/RMA-LOOSE/label.zpl")
    assert loose.status_code == 409 and "no customer address" in loose.get_json()["detail"]
