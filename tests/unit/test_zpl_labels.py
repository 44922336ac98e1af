"""Label templates of the ship station, each proved against the data it was given:

- ZPL (shipping label, return label): every ^BC field read back the way the printer reads
  it, GS1 content parsed with biip, every text field un-hexed and compared;
- PDF (return label, manifest): rasterised with pdftoppm and decoded with zbar and ZXing,
  GS1 barcodes parsed with biip; the manifest CSV parsed back.
"""

from __future__ import annotations

import csv
import datetime
import io
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import biip
import pytest
import zxingcpp
from PIL import Image
from pyzbar import pyzbar

from labels.manifest import CSV_HEADER, render_manifest_csv, render_manifest_pdf
from labels.model import Address, Manifest, ManifestLine, ReturnLabel, ShippingLabel
from labels.return_label import render_return_label_pdf, render_return_label_zpl
from labels.shipping_label_zpl import render_shipping_label_zpl
from tests.support.zpl_reader import commands, read

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="needs poppler-utils (pdftoppm)"
)

DOCK = Address(
    name="Dockhand Returns",
    line1="1 Dock Road",
    city="Daventry",
    postal_code="NN11 8QL",
    country="GB",
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
        tracking_number="DX00000000422",
        carrier="DockExpress",
        service="Standard",
        ship_from=DOCK,
        ship_to=CUSTOMER,
        weight_g=1245,
        carton_id="CT000123",
        order_number="SO-2026-42",
        reference="AL-42",
        shipped_on=datetime.date(2026, 11, 26),
    )
    return replace(label, **changes)  # type: ignore[arg-type]


def _return(**changes: object) -> ReturnLabel:
    label = ReturnLabel(
        rma_id="RMA-000123",
        tracking_number="1Z999AA10123456784",
        carrier="DockExpress",
        service="Return",
        customer=CUSTOMER,
        return_to=DOCK,
        order_number="SO-2026-42",
        weight_g=900,
        issued_on=datetime.date(2026, 11, 26),
    )
    return replace(label, **changes)  # type: ignore[arg-type]


def _gs1(scanned: str) -> dict[str, str]:
    parsed = biip.parse(scanned)
    assert parsed.gs1_message is not None, parsed
    return {e.ai.ai: e.value for e in parsed.gs1_message.element_strings}


# --- ZPL shipping label ----------------------------------------------------------------------


@pytest.mark.parametrize("dpi", [203, 300])
def test_zpl_shipping_label_barcodes_carry_tracking_carton_and_gs1_ship_to(dpi: int) -> None:
    zpl = render_shipping_label_zpl(_label(), dpi)
    _, barcodes = read(zpl)

    scanned = [b.scanned() for b in barcodes]
    assert "DX00000000422" in scanned
    assert "CT000123" in scanned
    (gs1,) = [b for b in barcodes if b.is_gs1]
    assert _gs1(gs1.scanned()) == {"421": "27610115"}  # Germany 276, postal code 10115
    for b in barcodes:
        assert b.module >= 2  # at least 2 dots: 9.8 mil at 203 dpi
        assert b.x >= 0 and b.x < 4 * dpi and 0 <= b.y < 6 * dpi


def test_zpl_shipping_label_prints_the_addresses_and_details() -> None:
    texts, _ = read(render_shipping_label_zpl(_label()))
    printed = [t.text for t in texts]
    for expected in (
        "Zoë Müller",
        "Hauptstraße 12",
        "Berlin 10115",
        "DE",
        "1.25 KG",
        "2026-11-26",
        "DX00000000422",
        "SO-2026-42",
        "AL-42",
        "DE 10115",
    ):
        assert expected in printed
    assert any(t.reverse and t.text == "DOCKEXPRESS" for t in texts)  # white on the banner


def test_zpl_shipping_label_is_one_format_whatever_the_address_says() -> None:
    hostile = replace(CUSTOMER, name="^XZ^XA~JA Bobby", line1="~PS^PQ50,0,1,Y", city="_5E_7E")
    zpl = render_shipping_label_zpl(_label(ship_to=hostile))
    names = [cmd[:3] for cmd in commands(zpl.decode())]

    assert names.count("^XA") == 1 and names.count("^XZ") == 1
    assert not any(n.startswith("~") for n in names)
    assert "^PQ" not in names
    printed = [t.text for t in read(zpl)[0]]
    assert "^XZ^XA~JA Bobby" in printed
    assert "~PS^PQ50,0,1,Y" in printed
    assert any(t.startswith("_5E_7E") for t in printed)  # the escape character itself too


def test_zpl_shipping_label_is_deterministic() -> None:
    assert render_shipping_label_zpl(_label()) == render_shipping_label_zpl(_label())


def test_zpl_long_address_is_cut_not_overflowing() -> None:
    long = replace(CUSTOMER, name="Bartholomew Featherstonehaugh " * 8, line1="X" * 300)
    texts, barcodes = read(render_shipping_label_zpl(_label(ship_to=long)))
    assert any(t.text.endswith("...") for t in texts)
    assert {b.scanned() for b in barcodes} >= {"DX00000000422", "CT000123"}


def test_zpl_shipping_label_refuses_what_the_pdf_refuses() -> None:
    with pytest.raises(ValueError):
        render_shipping_label_zpl(_label(tracking_number=""))
    with pytest.raises(ValueError):
        render_shipping_label_zpl(_label(weight_g=-1))
    with pytest.raises(ValueError, match="cannot carry"):
        render_shipping_label_zpl(_label(carton_id="CT\t1"))


def test_a_country_without_a_numeric_code_gets_no_routing_barcode() -> None:
    _, barcodes = read(render_shipping_label_zpl(_label(ship_to=replace(CUSTOMER, country="ZZ"))))
    assert not any(b.is_gs1 for b in barcodes)


# --- return label ----------------------------------------------------------------------------


def test_zpl_return_label_barcodes_are_tracking_rma_and_gs1_dock_postal_code() -> None:
    texts, barcodes = read(render_return_label_zpl(_return()))
    scanned = [b.scanned() for b in barcodes]
    assert "1Z999AA10123456784" in scanned and "RMA-000123" in scanned
    (gs1,) = [b for b in barcodes if b.is_gs1]
    assert _gs1(gs1.scanned()) == {"421": "826NN118QL"}
    printed = [t.text for t in texts]
    assert "RETURN" in printed and "Dockhand Returns" in printed and "Zoë Müller" in printed


def _raster(pdf: bytes, tmp_path: Path, dpi: int = 300) -> list[Path]:
    src = tmp_path / "doc.pdf"
    src.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", str(src), str(tmp_path / "page")],
        check=True,
        capture_output=True,
    )
    return sorted(tmp_path.glob("page-*.png"))


def _decode(png: Path) -> tuple[list[str], list[tuple[str, str]]]:
    with Image.open(png) as image:
        zbar = [s.data.decode("ascii") for s in pyzbar.decode(image) if s.type == "CODE128"]
        zxing = [(b.text, b.symbology_identifier) for b in zxingcpp.read_barcodes(image)]
    return zbar, zxing


@needs_poppler
@pytest.mark.parametrize("dpi", [300, 203])
def test_pdf_return_label_scans_with_zbar_and_zxing_and_parses_as_gs1(
    tmp_path: Path, dpi: int
) -> None:
    (png,) = _raster(render_return_label_pdf(_return()), tmp_path, dpi)
    zbar, zxing = _decode(png)

    for value in ("1Z999AA10123456784", "RMA-000123"):
        assert value in zbar
        assert (value, "]C0") in zxing
    # ZXing reports GS1-128 as symbology ]C1 and shows AIs in brackets; zbar gives the data
    gs1 = [text for text, sym in zxing if sym == "]C1"]
    assert gs1 == ["(421)826NN118QL"]
    assert _gs1("]C1" + "421826NN118QL") == {"421": "826NN118QL"}
    assert "421826NN118QL" in zbar


def test_pdf_return_label_is_deterministic_and_refuses_bad_ids() -> None:
    assert render_return_label_pdf(_return()) == render_return_label_pdf(_return())
    with pytest.raises(ValueError):
        render_return_label_pdf(_return(rma_id="RMA\n1"))


# --- manifest --------------------------------------------------------------------------------


def _manifest(cartons: int) -> Manifest:
    return Manifest(
        manifest_id="MF-DXP-20261126",
        carrier="DXP",
        carrier_name="DockExpress",
        ship_day=datetime.date(2026, 11, 26),
        closed_at=datetime.datetime(2026, 11, 26, 17, 5, tzinfo=datetime.UTC),
        closed_by="U0060",
        ship_from=DOCK,
        lines=tuple(
            ManifestLine(
                tracking_number=f"DX{i:010d}{i % 10}",
                carton_id=f"CT{i:06d}",
                order_number=f"SO-{i}" if i != 3 else "=HYPERLINK(1)",
                service="DXP-STD",
                weight_g=1_000 + i,
                country="GB",
                postal_code="SW1Y 4JH",
            )
            for i in range(cartons)
        ),
    )


@needs_poppler
def test_manifest_pdf_number_scans_and_lists_every_carton_with_totals(tmp_path: Path) -> None:
    manifest = _manifest(70)
    pdf = render_manifest_pdf(manifest)
    pages = _raster(pdf, tmp_path, 200)
    assert len(pages) >= 2  # 70 rows break across pages
    zbar, zxing = _decode(pages[0])
    assert "MF-DXP-20261126" in zbar and ("MF-DXP-20261126", "]C0") in zxing
    src = tmp_path / "m.pdf"
    src.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", str(src), "-"], check=True, capture_output=True
    ).stdout.decode()
    for line in manifest.lines:
        assert line.tracking_number in text
    assert "70 cartons" in text
    total_kg = f"{manifest.total_weight_g / 1000:.3f}"
    assert total_kg in text


def test_manifest_csv_has_one_row_per_carton_and_defuses_formulas() -> None:
    manifest = _manifest(5)
    rows = list(csv.reader(io.StringIO(render_manifest_csv(manifest).decode("utf-8"))))
    assert tuple(rows[0]) == CSV_HEADER
    assert len(rows) == 6
    assert [r[3] for r in rows[1:]] == [line.tracking_number for line in manifest.lines]
    assert sum(int(r[-1]) for r in rows[1:]) == manifest.total_weight_g
    assert rows[4][5] == "'=HYPERLINK(1)"
