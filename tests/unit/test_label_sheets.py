"""Label sheets (labels/sheets.py): every barcode on every page scans back to the code and
its check character, on A4 and on US Letter; the text is large; badges never carry a PIN."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4, letter
from stdnum.iso7064 import mod_37_36

from labels.sheets import (
    BadgeLabel,
    LocationLabel,
    ToteLabel,
    render_badge_sheet,
    render_location_sheet,
    render_tote_sheet,
)
from tests.support import pdf_barcodes as pdf

pytestmark = pytest.mark.skipif(
    any(shutil.which(tool) is None for tool in ("pdftoppm", "pdftotext", "pdfinfo")),
    reason="needs poppler-utils (pdftoppm, pdftotext, pdfinfo)",
)


def payload(code: str) -> str:
    """Independent of app.domain.codes: the code, then stdnum's check over it sans dashes."""
    return code + mod_37_36.calc_check_digit(code.replace("-", ""))


def assert_scans_page_by_page(
    sheet: bytes, expected: list[str], per_page: int, tmp_path: Path
) -> None:
    pages = pdf.code128_by_page(sheet, tmp_path)
    assert len(pages) == -(-len(expected) // per_page)
    for i, (zbar, zxing) in enumerate(pages):
        wanted = sorted(expected[i * per_page : (i + 1) * per_page])
        assert zbar == wanted, f"page {i + 1} (zbar)"
        assert zxing == wanted, f"page {i + 1} (zxing)"


LOCATIONS = [
    LocationLabel(f"A03-{bay:02d}-{level}", f"Zone A · aisle 3 · bay {bay} · level {level}", arrow)
    for bay in range(1, 9)
    for level, arrow in ((1, "down"), (2, "up"), (3, "up"))
] + [
    LocationLabel("B11-01-1-2", "Zone B · aisle 11 · bay 1 · level 1 · position 2", "down"),
    LocationLabel("P00-00-1", "Pack benches"),
]


@pytest.mark.parametrize(("paper", "size", "per_page"), [("a4", A4, 14), ("letter", letter, 12)])
def test_location_labels_scan_as_code_and_check_character(
    paper: str, size: tuple[float, float], per_page: int, tmp_path: Path
) -> None:
    sheet = render_location_sheet(LOCATIONS, paper)
    assert pdf.page_size_pt(sheet, tmp_path) == pytest.approx(size, abs=0.5)
    expected = [payload(label.code) for label in LOCATIONS]
    assert "A03-07-2K" in expected
    assert_scans_page_by_page(sheet, expected, per_page, tmp_path)


def test_location_codes_are_printed_large_enough_to_read_at_arms_length(tmp_path: Path) -> None:
    heights = pdf.word_heights(render_location_sheet(LOCATIONS, "a4"), tmp_path)
    # pdftotext's box is about the font size; 28 pt capitals are about 10 mm tall.
    for label in LOCATIONS:
        assert heights[label.code] >= 28, label.code
    assert "check" in heights and heights["check"] < 12  # the check character, small


@pytest.mark.parametrize(("paper", "per_page"), [("a4", 8), ("letter", 8)])
def test_tote_labels_scan_and_show_the_number_in_big_type(
    paper: str, per_page: int, tmp_path: Path
) -> None:
    totes = [ToteLabel(f"T{n:06d}") for n in range(1, 12)]
    sheet = render_tote_sheet(totes, paper)
    assert_scans_page_by_page(sheet, [payload(t.code) for t in totes], per_page, tmp_path)
    heights = pdf.word_heights(sheet, tmp_path)
    assert all(heights[t.code] >= 40 for t in totes)


@pytest.mark.parametrize(("paper", "per_page"), [("a4", 10), ("letter", 8)])
def test_badges_scan_as_the_badge_code_and_show_name_and_role(
    paper: str, per_page: int, tmp_path: Path
) -> None:
    badges = [BadgeLabel(f"U{10 + i:04d}", f"Picker {i + 1}", "picker") for i in range(11)]
    badges.append(BadgeLabel("U0001", "Zoë Łukasiewicz-Müller", "supervisor"))
    sheet = render_badge_sheet(badges, paper)
    assert_scans_page_by_page(sheet, [b.badge for b in badges], per_page, tmp_path)
    text = pdf.text(sheet, tmp_path)
    assert "Picker 11" in text and "PICKER" in text and "SUPERVISOR" in text
    assert "Zoë Lukasiewicz-Müller" in text  # transliterated where the font has no glyph


def test_sheets_are_deterministic_and_refuse_what_they_cannot_print() -> None:
    assert render_tote_sheet([ToteLabel("T000001")]) == render_tote_sheet([ToteLabel("T000001")])
    with pytest.raises(ValueError, match="not a location or tote code"):
        render_tote_sheet([ToteLabel("T0001")])  # four digits: no room for a check character
    with pytest.raises(ValueError, match="not a location or tote code"):
        render_location_sheet([LocationLabel("B12-40-11")])
    with pytest.raises(ValueError, match="paper"):
        render_tote_sheet([ToteLabel("T000001")], "a3")
    with pytest.raises(ValueError, match="at least one label"):
        render_badge_sheet([])
