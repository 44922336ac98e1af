"""The Zebra DataWedge set-up sheet, rasterised with pdftoppm and read back with pyzbar and
zxing-cpp: every code on it carries exactly what the sheet says it does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from app.domain.datawedge import CHROME, PROFILE_NAME, TEST_CODES, set_config
from labels.datawedge_sheet import DataWedgeSheet, render_datawedge_sheet
from labels.station_test_label import PrinterTestLabel, render_test_label_pdf, render_test_label_zpl

GS = "\x1d"


def pages(pdf: bytes, folder: Path) -> list[Image.Image]:
    if shutil.which("pdftoppm") is None:
        reason = "poppler-utils (pdftoppm) is not installed"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    src = folder / "sheet.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "300", "-gray", "-png", str(src), str(folder / "page")], check=True
    )
    return [Image.open(p) for p in sorted(folder.glob("page-*.png"))]


@pytest.fixture(scope="module")
def sheet_pages(tmp_path_factory: pytest.TempPathFactory) -> list[Image.Image]:
    pdf = render_datawedge_sheet(DataWedgeSheet("https://dockhand.example"))
    return pages(pdf, tmp_path_factory.mktemp("datawedge"))


def qr_texts(page: Image.Image) -> list[str]:
    return [r.data.decode() for r in pyzbar.decode(page) if r.type == "QRCODE"]


def test_the_sheet_has_three_pages(sheet_pages: list[Image.Image]) -> None:
    assert len(sheet_pages) == 3


def test_the_first_qr_code_opens_the_pick_station(sheet_pages: list[Image.Image]) -> None:
    assert qr_texts(sheet_pages[0]) == ["https://dockhand.example/pick"]


def test_the_set_config_qr_code_is_the_whole_profile(sheet_pages: list[Image.Image]) -> None:
    (text,) = qr_texts(sheet_pages[1])
    profile = json.loads(text)
    assert profile == set_config()
    assert profile["PROFILE_NAME"] == PROFILE_NAME
    assert profile["APP_LIST"] == [{"PACKAGE_NAME": CHROME, "ACTIVITY_LIST": ["*"]}]
    plugins = {p["PLUGIN_NAME"]: p for p in profile["PLUGIN_CONFIG"]}
    barcode = plugins["BARCODE"]["PARAM_LIST"]
    for decoder in ("code128", "ean13", "upca", "gs1_datamatrix", "qrcode"):
        assert barcode[f"decoder_{decoder}"] == "true"
    assert barcode["decoder_code128_enable_ean128"] == "true"  # GS1-128
    assert barcode["decoder_code39"] == "false"
    assert barcode["code_id_type"] == "0"  # no ]C1 before the data: badges stay U0001
    assert plugins["KEYSTROKE"]["PARAM_LIST"]["keystroke_output_enabled"] == "true"
    bdf = plugins["BDF"]["PARAM_LIST"]
    assert (bdf["bdf_prefix"], bdf["bdf_suffix"], bdf["bdf_send_enter"]) == ("", "", "true")
    assert plugins["BDF"]["OUTPUT_PLUGIN_NAME"] == "KEYSTROKE"
    assert plugins["INTENT"]["PARAM_LIST"]["intent_output_enabled"] == "false"


def test_every_test_code_reads_back_as_dockhand_expects_it(
    sheet_pages: list[Image.Image],
) -> None:
    page = sheet_pages[2]
    # zxing-cpp sees every symbology on the page; GS1 content comes back with its GS.
    found = {
        (r.format.name, r.text)
        for r in zxingcpp.read_barcodes(page, text_mode=zxingcpp.TextMode.Plain)
    }
    expected = {code.key: code.expect for code in TEST_CODES}
    assert ("Code128", expected["code128"]) in found
    assert ("EAN13", expected["ean13"]) in found
    assert ("EAN13", "0" + expected["upca"]) in found  # a UPC-A is an EAN-13 with a leading 0
    assert ("Code128", expected["gs1_128"]) in found
    assert ("DataMatrix", expected["gs1_datamatrix"]) in found
    assert ("QRCode", expected["qr"]) in found
    assert ("QRCode", "https://dockhand.example/setup#scanner-test") in found
    gs1 = [
        r.symbology_identifier
        for r in zxingcpp.read_barcodes(page, text_mode=zxingcpp.TextMode.Plain)
        if r.format.name in ("Code128", "DataMatrix") and GS in r.text
    ]
    assert sorted(gs1) == ["]C1", "]d2"]  # really GS1-128 and GS1 DataMatrix (FNC1 first)
    # pyzbar (no DataMatrix) agrees on the rest
    zbar = {(r.type, r.data.decode()) for r in pyzbar.decode(page)}
    assert ("CODE128", expected["gs1_128"]) in zbar
    assert ("CODE128", expected["code128"]) in zbar
    assert ("QRCODE", expected["qr"]) in zbar


def test_the_sheet_is_the_same_bytes_every_time() -> None:
    sheet = DataWedgeSheet("http://10.0.0.5:5000")
    assert render_datawedge_sheet(sheet) == render_datawedge_sheet(sheet)


def test_the_pdf_test_label_scans_back_to_the_station(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    label = PrinterTestLabel(
        "WEIGH-2", "Browser (PDF)", datetime(2026, 12, 1, 9, 30, tzinfo=UTC), "U0002"
    )
    (page,) = pages(render_test_label_pdf(label), tmp_path)
    assert [r.data.decode() for r in pyzbar.decode(page)] == ["TEST-WEIGH-2"]
    zpl = render_test_label_zpl(label, 300).decode()
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "Station WEIGH-2" in zpl and "2026-12-01 09:30 UTC by U0002" in zpl
