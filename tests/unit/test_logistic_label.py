"""The GS1 logistic label (labels/logistic_label.py) and the bill of lading
(labels/bill_of_lading.py), proven against the data they were given:

- PDF: rasterised with pdftoppm at 300 and 203 dpi, decoded with ZXing (zxing-cpp) and zbar
  (pyzbar); each GS1-128 parsed with biip: every AI comes back with its value, and the FNC1
  separator follows the variable-length count (37) that the purchase order (400) follows;
- ZPL: read back with tests/support/zpl_reader.py (written from the ZPL II manual, not from
  our encoder) and parsed with biip the same way; bar widths checked against GS1's minimum.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import biip
import pytest
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from app.domain.sscc import check_digit, make_gsin, make_sscc
from labels.bill_of_lading import Bol, BolOrder, BolParty, BolUnit, render_bill_of_lading_pdf
from labels.logistic_label import (
    LogisticLabel,
    render_logistic_label_pdf,
    render_logistic_label_zpl,
    symbols,
)
from labels.model import Address
from tests.support.zpl_reader import commands, read

needs_poppler = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("pdftoppm", "pdftotext")),
    reason="needs poppler-utils (pdftoppm, pdftotext)",
)

SSCC = make_sscc(3, "0614141", 1)  # 306141410000000013
GTIN = "0061414100042" + str(check_digit("0061414100042"))
DC = Address("Dockhand Demo DC", "1 Dock Road", "Daventry", "NN11 8QL", "GB")
STORE = Address(
    name="Goods In, Bay 4",
    company="Hardware Stores Ltd",
    line1="Unit 7 Retail Park",
    city="Leeds",
    postal_code="LS11 5QR",
    country="GB",
)
EVERY_AI = {
    "00": SSCC,
    "02": GTIN,
    "37": "24",
    "400": "PO-4711",
    "410": "0614141999996",
    "420": "LS115QR",
}


def _label(**changes: object) -> LogisticLabel:
    label = LogisticLabel(
        sscc=SSCC,
        unit="PALLET",
        ship_from=DC,
        ship_to=STORE,
        ship_from_gln="0614141000012",
        ship_to_gln="0614141999996",
        po_number="PO-4711",
        order_number="SO-4711",
        content_gtin=GTIN,
        content_count=24,
        content_text="24 x MUG-BLK-S Mug black",
        gross_weight_g=412_500,
        height_mm=1450,
        carrier="DockExpress",
        service="Pallet freight",
        bol_number=make_gsin("0614141", 1),
        pro_number="DX00000000019",
        ship_date=datetime.date(2026, 11, 26),
        company_prefix_length=7,
    )
    return replace(label, **changes)  # type: ignore[arg-type]


def _elements(scanned: str) -> dict[str, str]:
    parsed = biip.parse(scanned)
    assert parsed.gs1_message is not None, (scanned, parsed.gs1_message_error)
    return {e.ai.ai: e.value for e in parsed.gs1_message.element_strings}


def _raster(pdf: bytes, tmp_path: Path, dpi: int) -> Path:
    src = tmp_path / "label.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(src), str(tmp_path / f"p{dpi}")],
        check=True,
        capture_output=True,
    )
    (png,) = sorted(tmp_path.glob(f"p{dpi}-*.png"))
    return png


def _decode(png: Path) -> tuple[list[str], list[str]]:
    """What zbar and ZXing report for each GS1-128, as ']C1' + data with GS separators."""
    with Image.open(png) as image:
        zbar = ["]C1" + s.data.decode("ascii") for s in pyzbar.decode(image) if s.type == "CODE128"]
        zxing = [
            b.symbology_identifier + b.bytes.decode("ascii")
            for b in zxingcpp.read_barcodes(image)
            if b.format == zxingcpp.BarcodeFormat.Code128
        ]
    return zbar, zxing


def _pdf_text(pdf: bytes, tmp_path: Path) -> str:
    src = tmp_path / "text.pdf"
    src.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(src), "-"], check=True, capture_output=True, text=True)
    return " ".join(out.stdout.split())


# --------------------------------------------------------------------------- PDF


@needs_poppler
@pytest.mark.parametrize("dpi", [300, 203])
def test_every_ai_of_the_pdf_label_comes_back_through_both_decoders(
    tmp_path: Path, dpi: int
) -> None:
    png = _raster(render_logistic_label_pdf(_label()), tmp_path, dpi)
    zbar, zxing = _decode(png)

    for decoder in (zbar, zxing):
        assert len(decoder) == 3, decoder
        found: dict[str, str] = {}
        for scanned in decoder:
            assert scanned.startswith("]C1")  # GS1-128: FNC1 in first position
            found.update(_elements(scanned))
        assert found == EVERY_AI
    # The variable-length count (37) is followed by the PO: an FNC1 (GS) separates them;
    # no separator after the fixed-length GLN (410), none after the last element.
    assert f"]C102{GTIN}3724\x1d400PO-4711" in zxing
    assert "]C14100614141999996420LS115QR" in zxing
    assert f"]C100{SSCC}" in zxing


@needs_poppler
def test_a_mixed_pallet_carries_no_gtin_or_count(tmp_path: Path) -> None:
    label = _label(content_gtin=None, content_count=None, content_text="Mixed: 57 units")
    zbar, zxing = _decode(_raster(render_logistic_label_pdf(label), tmp_path, 300))
    for decoder in (zbar, zxing):
        found: dict[str, str] = {}
        for scanned in decoder:
            found.update(_elements(scanned))
        assert found == {k: v for k, v in EVERY_AI.items() if k not in ("02", "37")}


@needs_poppler
def test_the_pdf_prints_supplier_customer_and_carrier_sections(tmp_path: Path) -> None:
    text = _pdf_text(render_logistic_label_pdf(_label()), tmp_path)
    for expected in (
        "FROM",
        "Dockhand Demo DC 1 Dock Road NN11 8QL Daventry GB GLN 0614141000012",
        "SHIP DATE",
        "2026-11-26",
        "ORDER SO-4711",
        "TO PURCHASE ORDER",
        "Goods In, Bay 4 PO-4711 Hardware Stores Ltd Unit 7 Retail Park",
        "LS11 5QR Leeds GB",
        "CONTENT",
        "24 x MUG-BLK-S Mug black",
        "GROSS WEIGHT / HEIGHT 412.5 kg · H 1450 mm",
        f"(02) {GTIN} (37) 24 (400) PO-4711",
        "CARRIER DOCKEXPRESS PALLET FREIGHT BOL 06141410000000012 PRO DX00000000019",
        "(410) 0614141999996 (420) LS115QR",
        "PALLET SSCC (00) 3 0614141 000000001 3",
    ):
        assert expected in text, expected


@needs_poppler
def test_a_po_that_ai_400_cannot_carry_is_printed_not_encoded(tmp_path: Path) -> None:
    label = _label(po_number="PO 4711 #A")  # space and '#': not in GS1 character set 82
    groups = symbols(label)
    assert groups["customer"] == [[("02", GTIN), ("37", "24")]]
    pdf = render_logistic_label_pdf(label)
    assert "Goods In, Bay 4 PO 4711 #A" in _pdf_text(pdf, tmp_path)
    _, zxing = _decode(_raster(pdf, tmp_path, 300))
    assert f"]C102{GTIN}3724" in zxing  # the count is last now: no separator after it


@needs_poppler
def test_a_long_po_gets_its_own_symbol_and_every_ai_still_comes_back(tmp_path: Path) -> None:
    po = "PO-2026-11-26-HARDWARE-00471"  # 28 characters: with 02 and 37, more than 48
    label = _label(po_number=po)
    assert symbols(label)["customer"] == [[("02", GTIN), ("37", "24")], [("400", po)]]
    zbar, zxing = _decode(_raster(render_logistic_label_pdf(label), tmp_path, 300))
    for decoder in (zbar, zxing):
        found: dict[str, str] = {}
        for scanned in decoder:
            found.update(_elements(scanned))
        assert found == {**EVERY_AI, "400": po}


def test_the_pdf_is_deterministic() -> None:
    assert render_logistic_label_pdf(_label()) == render_logistic_label_pdf(_label())


def test_invalid_keys_and_counts_are_refused() -> None:
    for changes in (
        {"sscc": SSCC[:-1] + "4"},
        {"sscc": "3061414100000000"},
        {"ship_to_gln": "0614141999995"},
        {"content_gtin": GTIN[:-1] + "0"},
        {"content_gtin": None},  # a count without the GTIN it counts
        {"content_count": 0},
        {"content_count": 10**8},
        {"gross_weight_g": -1},
    ):
        with pytest.raises(ValueError):
            render_logistic_label_pdf(_label(**changes))
        with pytest.raises(ValueError):
            render_logistic_label_zpl(_label(**changes))


# --------------------------------------------------------------------------- ZPL


@pytest.mark.parametrize("dpi", [203, 300])
def test_every_ai_of_the_zpl_label_reads_back_and_parses(dpi: int) -> None:
    texts, barcodes = read(render_logistic_label_zpl(_label(), dpi))
    found: dict[str, str] = {}
    for b in barcodes:
        assert b.is_gs1
        found.update(_elements(b.scanned()))
    assert found == EVERY_AI
    scanned = [b.scanned() for b in barcodes]
    assert f"]C102{GTIN}3724\x1d400PO-4711" in scanned
    assert "]C14100614141999996420LS115QR" in scanned
    printed = [t.text for t in texts]
    for expected in (
        "FROM",
        "Dockhand Demo DC",
        "GLN 0614141000012",
        "TO",
        "Goods In, Bay 4",
        "Hardware Stores Ltd",
        "PO-4711",
        "CARRIER",
        "DOCKEXPRESS",
        "PALLET FREIGHT",
        "BOL 06141410000000012 PRO DX00000000019",
        f"(02) {GTIN} (37) 24 (400) PO-4711",
        "(00) 3 0614141 000000001 3",
        "PALLET",
    ):
        assert expected in printed, expected


@pytest.mark.parametrize("dpi", [203, 300])
def test_zpl_bars_are_wide_enough_and_inside_the_label(dpi: int) -> None:
    _, barcodes = read(render_logistic_label_zpl(_label(), dpi))
    (sscc,) = [b for b in barcodes if b.scanned() == f"]C100{SSCC}"]
    # GS1 logistic labels: SSCC X-dimension at least 0.495 mm, bars at least 27 mm high
    assert sscc.module / dpi * 25.4 >= 0.495
    assert sscc.height / dpi * 25.4 >= 27
    for b in barcodes:
        assert b.module >= 2
        assert 0 <= b.x < 4 * dpi and b.y >= 0 and b.y + b.height < 6 * dpi


def test_customer_text_cannot_inject_zpl_commands() -> None:
    hostile = replace(STORE, name="^XZ^XA~JA Bobby", line1="~PS^PQ50,0,1,Y")
    zpl = render_logistic_label_zpl(_label(ship_to=hostile, content_text="_5E^FS"))
    names = [cmd[:3] for cmd in commands(zpl.decode())]
    assert names.count("^XA") == 1 and names.count("^XZ") == 1
    assert not any(n.startswith("~") for n in names) and "^PQ" not in names
    assert "^XZ^XA~JA Bobby" in [t.text for t in read(zpl)[0]]


def test_a_carton_label_says_which_carton_of_how_many() -> None:
    texts, _ = read(render_logistic_label_zpl(_label(unit="carton", sequence=(2, 5))))
    assert "CARTON 2 OF 5" in [t.text for t in texts]


# --------------------------------------------------------------------------- bill of lading


def _bol(**changes: object) -> Bol:
    bol = Bol(
        number=make_gsin("0614141", 7),
        ship_date=datetime.date(2026, 11, 26),
        shipper=BolParty(DC, gln="0614141000012"),
        consignee=BolParty(STORE, gln="0614141999996"),
        third_party=BolParty(
            Address(
                "Accounts Payable",
                "2 Finance Street",
                "London",
                "EC1A 1BB",
                "GB",
                company="Freight Pay Ltd",
            ),
            account="FP-778",
        ),
        carrier_name="DockExpress",
        carrier_code="DXP",
        service="Pallet freight",
        freight_terms="third_party",
        orders=(
            BolOrder("PO-4711", "SO-4711", 5, 22_500, True, "Terms NET30"),
            BolOrder("PO-4712", "SO-4712", 2, 9_000, True, "partial shipment: 3 unit(s) short"),
        ),
        units=(
            BolUnit(
                "PLT",
                5,
                47_500,
                "Mixed: 40 units of 3 SKUs",
                sscc=SSCC,
                dims_mm=(1200, 800, 1450),
                freight_class="70",
            ),
            BolUnit(
                "PLT",
                2,
                34_000,
                "24 x MUG-BLK-S Mug black",
                sscc=make_sscc(3, "0614141", 2),
                dims_mm=(1200, 800, 600),
                freight_class="70",
            ),
        ),
        pro_number="DX00000000019",
        trailer_number="TR-88",
        seal_number="S-1234",
        special_instructions="Call 30 minutes ahead. Dock 4 only.",
    )
    return replace(bol, **changes)  # type: ignore[arg-type]


@needs_poppler
def test_the_bill_of_lading_prints_every_party_section_and_signature_block(
    tmp_path: Path,
) -> None:
    text = _pdf_text(render_bill_of_lading_pdf(_bol()), tmp_path)
    for expected in (
        "BILL OF LADING",
        "Date 2026-11-26",
        "BOL number (402) 06141410000000074",
        "SHIP FROM (SHIPPER) CARRIER Dockhand Demo DC 1 Dock Road NN11 8QL Daventry GB",
        "DockExpress (DXP) Service: Pallet freight Trailer number: TR-88",
        "Seal number(s): S-1234 PRO number: DX00000000019 GLN 0614141000012",
        "SHIP TO (CONSIGNEE) THIRD PARTY FREIGHT CHARGES BILL TO",
        "Hardware Stores Ltd Goods In, Bay 4 Unit 7 Retail Park LS11 5QR Leeds GB",
        "Freight Pay Ltd Accounts Payable 2 Finance Street EC1A 1BB London GB",
        "GLN 0614141999996 Freight account FP-778",
        "SPECIAL INSTRUCTIONS FREIGHT CHARGE TERMS",
        "Call 30 minutes ahead. Dock 4 only.",
        "[ ] Prepaid [ ] Collect [X] 3rd party",
        "PO-4711 5 22.5 Y SO-4711 · Terms NET30",
        "PO-4712 2 9.0 Y SO-4712 · partial shipment: 3 unit(s) short",
        "GRAND TOTAL 7 31.5",
        "NMFC # CLASS",
        f"1 PLT 5 CTN 47.5 Mixed: 40 units of 3 SKUs · SSCC {SSCC} · 1200 x 800 x 1450 mm 70",
        "1 PLT 2 CTN 34.0 24 x MUG-BLK-S Mug black",
        "2 PLT 7 CTN 81.5 GRAND TOTAL",
        "SHIPPER SIGNATURE / DATE",
        "TRAILER LOADED / FREIGHT COUNTED",
        "CARRIER SIGNATURE / PICKUP DATE",
        "CONSIGNEE: RECEIVED IN GOOD ORDER, EXCEPT AS NOTED",
    ):
        assert expected in text, expected
    assert text.count(" mm 70 ") == 2  # the freight class on each handling unit


@needs_poppler
def test_the_bol_number_and_pro_scan_back(tmp_path: Path) -> None:
    zbar, zxing = _decode(_raster(render_bill_of_lading_pdf(_bol()), tmp_path, 300))
    gsin = make_gsin("0614141", 7)
    for decoder in (zbar, zxing):
        gs1 = [s for s in decoder if s.startswith("]C1402")]
        assert [_elements(s) for s in gs1] == [{"402": gsin}]
    assert "]C0DX00000000019" in zxing


@needs_poppler
def test_a_bol_without_freight_class_leaves_the_class_empty(tmp_path: Path) -> None:
    units = tuple(replace(u, freight_class=None) for u in _bol().units)
    text = _pdf_text(
        render_bill_of_lading_pdf(_bol(units=units, freight_terms="prepaid", third_party=None)),
        tmp_path,
    )
    assert " mm 70 " not in text
    assert "[X] Prepaid" in text and "(none)" in text


def test_a_bol_refuses_what_it_cannot_print_truthfully() -> None:
    with pytest.raises(ValueError, match="GSIN"):
        render_bill_of_lading_pdf(_bol(number="06141410000000075"))
    with pytest.raises(ValueError, match="third-party"):
        render_bill_of_lading_pdf(_bol(third_party=None))
    with pytest.raises(ValueError, match="handling unit"):
        render_bill_of_lading_pdf(_bol(units=()))
    assert render_bill_of_lading_pdf(_bol()) == render_bill_of_lading_pdf(_bol())
