"""The label renderers produce PDFs whose barcodes really scan and whose text is literal.

Each PDF is rasterised with poppler's ``pdftoppm`` (as a printer would) and the barcodes are
read back with two independent decoders, zbar (pyzbar) and ZXing (zxing-cpp). Text checks use
``pdftotext``; page counts use ``pdfinfo``.
"""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

# Submodule imports on purpose: the venv's editable install currently maps ``labels`` as a
# namespace package (it was installed before labels/__init__.py existed), so under pytest's
# rootdir-less sys.path ``from labels import ...`` would not run labels/__init__.py.
from labels.model import Address, PackingSlip, PackingSlipLine, ShippingLabel
from labels.packing_slip import render_packing_slip_pdf
from labels.shipping_label import render_shipping_label_pdf

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pdftoppm", "pdftotext", "pdfinfo")),
    reason="needs poppler-utils (pdftoppm, pdftotext, pdfinfo)",
)

LABEL_WIDTH_PT = 288.0
LABEL_HEIGHT_PT = 432.0
LABEL_MARGIN_PT = 8.0


# --- helpers: PDF -> PNG -> decoded barcodes / text -------------------------------------------


def _write_pdf(pdf: bytes, tmp_path: Path, stem: str) -> Path:
    path = tmp_path / f"{stem}.pdf"
    path.write_bytes(pdf)
    return path


def _rasterise(pdf: bytes, tmp_path: Path, *, dpi: int = 300, stem: str = "doc") -> list[Path]:
    """Render every page of ``pdf`` to a PNG with ``pdftoppm -r dpi -png``."""
    pdf_path = _write_pdf(pdf, tmp_path, stem)
    prefix = tmp_path / f"{stem}-{dpi}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(pdf_path), str(prefix)],
        check=True,
        capture_output=True,
    )
    pages = sorted(tmp_path.glob(f"{prefix.name}-*.png"))
    assert pages, "pdftoppm produced no pages"
    return pages


def _zbar_code128(png: Path) -> list[str]:
    with Image.open(png) as image:
        return [
            symbol.data.decode("ascii")
            for symbol in pyzbar.decode(image)
            if symbol.type == "CODE128"
        ]


def _zxing_code128(png: Path) -> list[str]:
    with Image.open(png) as image:
        return [
            barcode.text
            for barcode in zxingcpp.read_barcodes(image)
            if barcode.format == zxingcpp.BarcodeFormat.Code128
        ]


def _decoded_by_both(png: Path) -> tuple[list[str], list[str]]:
    return _zbar_code128(png), _zxing_code128(png)


def _pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    """Text of ``pdf`` per ``pdftotext`` (``-layout`` keeps table rows on one line)."""
    pdf_path = _write_pdf(pdf, tmp_path, "text")
    result = subprocess.run(
        ["pdftotext", *(["-layout"] if layout else []), "-enc", "UTF-8", str(pdf_path), "-"],
        check=True,
        capture_output=True,
    )
    return result.stdout.decode("utf-8")


def _pdf_info(pdf: bytes, tmp_path: Path, stem: str = "info") -> dict[str, str]:
    pdf_path = _write_pdf(pdf, tmp_path, stem)
    result = subprocess.run(["pdfinfo", str(pdf_path)], check=True, capture_output=True, text=True)
    info: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition(":")
        info[key.strip()] = value.strip()
    return info


_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>'
)


def _word_boxes(pdf: bytes, tmp_path: Path) -> list[tuple[float, float, float, float, str]]:
    """Bounding boxes of every word pdftotext finds, in points from the top-left corner."""
    pdf_path = _write_pdf(pdf, tmp_path, "bbox")
    result = subprocess.run(
        ["pdftotext", "-bbox", "-enc", "UTF-8", str(pdf_path), "-"],
        check=True,
        capture_output=True,
    )
    return [
        (float(x0), float(y0), float(x1), float(y1), word)
        for x0, y0, x1, y1, word in _WORD.findall(result.stdout.decode("utf-8"))
    ]


# --- fixtures -----------------------------------------------------------------------------------

WAREHOUSE = Address(
    name="Dockhand Fulfilment Centre",
    company="Dockhand Ltd",
    line1="Unit 4, Dock Road",
    line2="Thurrock Park",
    city="Tilbury",
    region="Essex",
    postal_code="RM18 7ND",
    country="GB",
    phone="+44 1375 000000",
)

CUSTOMER = Address(
    name="Zoë Müller",
    line1="Hauptstraße 12",
    line2="3. OG links",
    city="Berlin",
    postal_code="10115",
    country="DE",
    phone="+49 30 1234567",
)


def _label(**changes: object) -> ShippingLabel:
    label = ShippingLabel(
        tracking_number="1Z999AA10123456784",
        carrier="UPS",
        service="Express Saver",
        ship_from=WAREHOUSE,
        ship_to=CUSTOMER,
        weight_g=1245,
        carton_id="CTN-000123",
        order_number="SO-2025-000042",
        reference="PO 7781",
        shipped_on=datetime.date(2025, 3, 14),
    )
    return replace(label, **changes)  # type: ignore[arg-type]


def _slip(line_count: int = 3, **changes: object) -> PackingSlip:
    slip = PackingSlip(
        order_number="SO-2025-000042",
        allocation_id="AL-9001",
        ship_to=CUSTOMER,
        ship_from=WAREHOUSE,
        lines=tuple(
            PackingSlipLine(sku=f"SKU-{i:05d}", name=f"Widget model {i}", qty=i % 4 + 1)
            for i in range(line_count)
        ),
        carton_id="CTN-000123",
    )
    return replace(slip, **changes)  # type: ignore[arg-type]


# --- shipping label -----------------------------------------------------------------------------


def test_shipping_label_is_a_single_4x6_inch_page(tmp_path: Path) -> None:
    pdf = render_shipping_label_pdf(_label())

    assert pdf.startswith(b"%PDF-")
    info = _pdf_info(pdf, tmp_path)
    assert info["Pages"] == "1"
    assert info["Page size"].startswith("288 x 432 pts")


@pytest.mark.parametrize("dpi", [300, 203], ids=["300dpi", "203dpi-thermal"])
def test_shipping_label_tracking_and_carton_barcodes_scan_with_zbar_and_zxing(
    tmp_path: Path, dpi: int
) -> None:
    label = _label()

    (png,) = _rasterise(render_shipping_label_pdf(label), tmp_path, dpi=dpi)
    zbar, zxing = _decoded_by_both(png)

    assert label.tracking_number in zbar
    assert label.tracking_number in zxing
    assert label.carton_id in zbar
    assert label.carton_id in zxing


def test_shipping_label_all_digit_tracking_number_scans(tmp_path: Path) -> None:
    # USPS-style 22-digit number: Code 128 switches to code set C for digit pairs.
    label = _label(tracking_number="9400111899223344556677", carrier="USPS", service="Ground")

    (png,) = _rasterise(render_shipping_label_pdf(label), tmp_path)
    zbar, zxing = _decoded_by_both(png)

    assert label.tracking_number in zbar
    assert label.tracking_number in zxing


def test_shipping_label_prints_human_readable_details(tmp_path: Path) -> None:
    text = _pdf_text(render_shipping_label_pdf(_label()), tmp_path)

    for expected in (
        "1Z999AA10123456784",
        "CTN-000123",
        "SO-2025-000042",
        "PO 7781",
        "UPS",
        "EXPRESS SAVER",
        "1.25 KG",  # 1245 g rounds half up
        "1245 g",
        "2025-03-14",
        "Zoë Müller",
        "Hauptstraße 12",
        "Berlin 10115",
        "Dockhand Fulfilment Centre",
    ):
        assert expected in text


def test_same_shipping_label_renders_byte_identical_pdfs() -> None:
    assert render_shipping_label_pdf(_label()) == render_shipping_label_pdf(_label())


def test_different_tracking_numbers_render_different_pdfs() -> None:
    first = render_shipping_label_pdf(_label())
    second = render_shipping_label_pdf(_label(tracking_number="1Z999AA10123456785"))
    assert first != second


def test_very_long_ship_to_stays_inside_label_and_barcode_still_scans(tmp_path: Path) -> None:
    long_name = ("Bartholomew Featherstonehaugh-Cholmondeley " * 5)[:200]
    unbroken = "X" * 200
    ship_to = replace(
        CUSTOMER,
        name=long_name,
        company=unbroken,
        line1=("Flat 12, The Old Warehouse, 221B Baker Street " * 5)[:200],
        line2=unbroken,
        city="Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch" * 3,
        region="R" * 200,
        country="United Kingdom of Great Britain and Northern Ireland " * 4,
    )
    label = _label(ship_to=ship_to, ship_from=replace(WAREHOUSE, name="W" * 200))
    assert len(ship_to.name) == 200

    pdf = render_shipping_label_pdf(label)

    (png,) = _rasterise(pdf, tmp_path)
    zbar, zxing = _decoded_by_both(png)
    assert label.tracking_number in zbar
    assert label.tracking_number in zxing
    assert label.carton_id in zbar
    assert label.carton_id in zxing

    words = _word_boxes(pdf, tmp_path)
    assert any(word.startswith("Bartholomew") for *_, word in words)
    tolerance = 0.5
    for x0, y0, x1, y1, word in words:
        assert x0 >= LABEL_MARGIN_PT - tolerance, word
        assert y0 >= LABEL_MARGIN_PT - tolerance, word
        assert x1 <= LABEL_WIDTH_PT - LABEL_MARGIN_PT + tolerance, word
        assert y1 <= LABEL_HEIGHT_PT - LABEL_MARGIN_PT + tolerance, word


def test_markup_characters_in_customer_text_print_literally(tmp_path: Path) -> None:
    ship_to = replace(
        CUSTOMER, name="Tom <b>Bold</b> & Jerry", company="Kaffee & Kuchen <GmbH> &amp;"
    )

    pdf = render_shipping_label_pdf(_label(ship_to=ship_to, reference="<i>ref</i> & co"))
    text = _pdf_text(pdf, tmp_path)

    assert "Tom <b>Bold</b> & Jerry" in text
    assert "Kaffee & Kuchen <GmbH> &amp;" in text
    assert "<i>ref</i> & co" in text


def test_characters_outside_the_label_font_are_transliterated(tmp_path: Path) -> None:
    ship_to = replace(CUSTOMER, name="Łukasz Gołębiowski", city="Łódź")

    text = _pdf_text(render_shipping_label_pdf(_label(ship_to=ship_to)), tmp_path)

    assert "Lukasz Golebiowski" in text
    assert "Lódz 10115" in text  # "ó" is in the font's encoding, "Ł" and "ź" are not


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"tracking_number": ""}, "tracking_number must not be empty"),
        ({"tracking_number": "1Z999ÄA1"}, "Code 128 cannot carry"),
        ({"carton_id": "CTN\n1"}, "Code 128 cannot carry"),
        ({"tracking_number": "1Z" * 60}, "too long"),
        ({"weight_g": -1}, "weight_g must not be negative"),
    ],
)
def test_shipping_label_rejects_data_it_cannot_print_correctly(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        render_shipping_label_pdf(_label(**changes))


# --- packing slip -------------------------------------------------------------------------------


def test_packing_slip_order_number_barcode_scans(tmp_path: Path) -> None:
    slip = _slip()

    pages = _rasterise(render_packing_slip_pdf(slip), tmp_path)
    zbar, zxing = _decoded_by_both(pages[0])

    assert slip.order_number in zbar
    assert slip.order_number in zxing


def test_packing_slip_lists_lines_and_total_units(tmp_path: Path) -> None:
    slip = _slip(line_count=3)  # quantities 1, 2, 3

    pdf = render_packing_slip_pdf(slip)
    text = _pdf_text(pdf, tmp_path)

    assert _pdf_info(pdf, tmp_path)["Pages"] == "1"
    assert "SO-2025-000042" in text
    assert "AL-9001" in text
    assert "Zoë Müller" in text
    for line in slip.lines:
        assert line.sku in text
        assert line.name in text
    assert re.search(r"Total units\s+6\n", _pdf_text(pdf, tmp_path, layout=True))


def test_packing_slip_with_80_lines_breaks_across_pages_and_keeps_every_sku(
    tmp_path: Path,
) -> None:
    slip = _slip(line_count=80)

    pdf = render_packing_slip_pdf(slip)
    pages = int(_pdf_info(pdf, tmp_path)["Pages"])
    text = _pdf_text(pdf, tmp_path)

    assert pages > 1
    assert f"Page {pages} of {pages}" in text
    for line in slip.lines:
        assert line.sku in text
    total = sum(line.qty for line in slip.lines)
    assert re.search(rf"Total units\s+{total}\n", _pdf_text(pdf, tmp_path, layout=True))


def test_packing_slip_prints_gift_message_and_notes(tmp_path: Path) -> None:
    slip = _slip(
        gift_message="Happy birthday, Anna!\nLove from <Grandma> & Grandpa",
        notes="Fragile: glassware",
    )

    text = _pdf_text(render_packing_slip_pdf(slip), tmp_path)

    assert "Gift message" in text
    assert "Happy birthday, Anna!" in text
    assert "Love from <Grandma> & Grandpa" in text
    assert "Fragile: glassware" in text


def test_packing_slip_without_gift_message_has_no_gift_box(tmp_path: Path) -> None:
    text = _pdf_text(render_packing_slip_pdf(_slip()), tmp_path)

    assert "Gift message" not in text


def test_packing_slip_prints_markup_characters_literally(tmp_path: Path) -> None:
    slip = _slip(
        ship_to=replace(CUSTOMER, name="Tom <b>Bold</b> & Jerry", country="Trinidad & Tobago"),
        lines=(PackingSlipLine(sku="A&B-<1>", name="Mug <i>large</i> & saucer", qty=2),),
    )

    text = _pdf_text(render_packing_slip_pdf(slip), tmp_path)

    assert "Tom <b>Bold</b> & Jerry" in text
    assert "TRINIDAD & TOBAGO" in text
    assert "A&B-<1>" in text
    assert "Mug <i>large</i> & saucer" in text


def test_same_packing_slip_renders_byte_identical_pdfs() -> None:
    slip = _slip(line_count=80, gift_message="Enjoy!")
    assert render_packing_slip_pdf(slip) == render_packing_slip_pdf(slip)


def test_packing_slip_rejects_negative_quantities() -> None:
    slip = _slip(lines=(PackingSlipLine(sku="SKU-1", name="Widget", qty=-1),))
    with pytest.raises(ValueError, match="must not be negative"):
        render_packing_slip_pdf(slip)
