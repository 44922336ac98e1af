"""The labels page in headless Chromium: a supervisor signs in with the wedge scanner and
opens the tote, location and badge sheets; each is a PDF whose barcodes scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from stdnum.iso7064 import mod_37_36

from tests.e2e.live import Server
from tests.support import pdf_barcodes as pdf
from tests.support.signin import scan_badge_and_pin

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000


def test_a_supervisor_prints_tote_location_and_badge_sheets(
    browser: Browser, server: Server, tmp_path: Path, screenshots: Path
) -> None:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto("/labels")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        scan_badge_and_pin(page, "U0001")
        button = page.get_by_test_id("print-totes")
        expect(button).to_be_enabled()
        page.get_by_test_id("totes-from").fill("41")
        page.get_by_test_id("totes-to").fill("44")
        page.locator("#form-totes input[value=letter]").check()
        with context.expect_page() as opened:
            button.click()
        tab = opened.value
        tab.wait_for_load_state()
        url = tab.url
        assert "/labels/totes.pdf?" in url and "token=" in url and "paper=letter" in url
        sheet = context.request.get(url)
        assert sheet.headers["content-type"] == "application/pdf"
        found = sorted(
            code
            for page_codes, _ in pdf.code128_by_page(sheet.body(), tmp_path)
            for code in page_codes
        )
        assert found == sorted(
            f"T{n:06d}" + mod_37_36.calc_check_digit(f"T{n:06d}") for n in range(41, 45)
        )
        tab.close()

        # The aisle list follows the zone; the location sheet of one aisle, without arrows.
        page.get_by_test_id("locations-zone").select_option("A")
        page.get_by_test_id("locations-aisle").select_option("2")
        page.locator("#form-locations input[name=arrows]").uncheck()
        with context.expect_page() as opened:
            page.get_by_test_id("print-locations").click()
        tab = opened.value
        tab.wait_for_load_state()
        assert "aisle=2" in tab.url and "arrows=0" in tab.url
        sheet = context.request.get(tab.url)
        codes = [c for p, _ in pdf.code128_by_page(sheet.body(), tmp_path) for c in p]
        assert len(codes) == 36 and all(c.startswith("A02-") for c in codes)
        tab.close()

        with context.expect_page() as opened:
            page.get_by_test_id("print-badges").click()
        tab = opened.value
        tab.wait_for_load_state()
        sheet = context.request.get(tab.url)
        assert "Sam Supervisor" in pdf.text(sheet.body(), tmp_path)
        page.screenshot(path=str(screenshots / "labels-page.png"), full_page=True)
        assert errors == []
    finally:
        context.close()
