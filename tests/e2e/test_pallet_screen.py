"""The pallet screen (/ship/pallet) in real Chromium, driven like the floor drives it: a
keyboard-wedge scanner typing codes and Enter with nothing focused.

A dedicated `dockhand serve` (its own SQLite file, so no other test's picks mix in) gets a
B2B order with a PO; the order is picked, packed into two cartons and weighed through the
stations' Socket.IO events. The shipper then scans both cartons onto a pallet, closes it with
its height, sees the pallet's SSCC and the label link (the PDF behind it scans back to that
SSCC), and ships it with a bill of lading."""

from __future__ import annotations

import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from app.domain.sscc import is_valid_sscc
from app.simulate import Station, Tally
from tests.e2e.live import Server, ServerFailed, running_server
from tests.support.b2b_floor import b2b_doc
from tests.support.signin import scan_badge_and_pin

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture(scope="module")
def pallet_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    try:
        with running_server(tmp_path_factory.mktemp("pallet-e2e")) as live:
            yield live
    except ServerFailed as exc:
        pytest.fail(str(exc))


def weighed_b2b_cartons(server: Server, allocation_id: str, cartons: int) -> list[str]:
    """Post a B2B order, then release, pick, pack into ``cartons`` cartons and weigh them."""
    doc = b2b_doc(
        allocation_id,
        [
            {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2},
            {"line_id": "2", "sku": "MUG-BLK-S", "qty": 2},
        ],
    )
    resp = server.post_allocation(doc)
    assert resp.status_code == 202, resp.text
    tally = Tally()
    opened: list[Station] = []

    def station(namespace: str, badge: str) -> Station:
        st = Station(server.base_url, namespace, badge, tally)
        st.connect()
        opened.append(st)
        return st

    try:
        sup = station("/supervisor", "U0001")
        ack = sup.call("build_wave", {"allocation_ids": [allocation_id], "release": True})
        assert ack["ok"], ack
        picker = station("/pick", "U0012")
        while (task := picker.call("next_task", {})["task"]) is not None:
            codes = [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or "T0951"]
            for code in codes:
                reply = picker.call("scan", {"task_id": task["task_id"], "code": code})
                assert reply["ok"], reply
        packer = station("/pack", "U0042")
        order = packer.call("open", {"code": allocation_id})["order"]
        units = [ln["barcode"] for ln in order["lines"] for _ in range(ln["picked"])]
        per = -(-len(units) // cartons)
        codes: list[str] = []
        for start in range(0, len(units), per):
            for code in units[start : start + per]:
                reply = packer.call("scan", {"allocation_id": allocation_id, "code": code})
                assert reply["ok"], reply
            closed = packer.call(
                "close_carton",
                {
                    "allocation_id": allocation_id,
                    "carton_type": "BOX-L",
                    "reason": "other",
                    "note": "e2e: one fixed carton size",
                },
            )
            assert closed["ok"], closed
            weigher = station("/weigh", "U0042")
            reply = weigher.call(
                "weight",
                {
                    "carton": closed["carton"]["code"],
                    "weight_g": closed["carton"]["expected_weight_g"] + 5,
                },
            )
            assert reply["ok"], reply
            codes.append(str(closed["carton"]["code"]))
        return codes
    finally:
        for st in opened:
            st.close()


def settled(page: Page, action: Any) -> None:
    before = int(page.locator("body").get_attribute("data-scans") or "0")
    action()
    page.wait_for_function(
        "n => Number(document.body.dataset.scans) > n && !document.body.dataset.busy",
        arg=before,
        timeout=TIMEOUT_MS,
    )


def wedge(page: Page, code: str) -> None:
    def scan() -> None:
        page.keyboard.type(code)
        page.keyboard.press("Enter")

    settled(page, scan)


def test_the_pallet_screen_builds_a_pallet_from_scanned_cartons_and_shows_its_label(
    pallet_server: Server, browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    allocation_id = f"AL-PAL-{uuid.uuid4().hex[:6].upper()}"
    cartons = weighed_b2b_cartons(pallet_server, allocation_id, 2)
    errors: list[str] = []
    context = browser.new_context(
        base_url=pallet_server.base_url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto("/ship/pallet?station=dock-7")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        scan_badge_and_pin(page, "U0060")
        expect(page.locator("#work")).to_be_visible()
        expect(page.locator("#pallet-idle")).to_be_visible()

        # First carton: a new pallet starts with it
        wedge(page, cartons[0])
        expect(page.locator("#banner")).to_have_attribute("data-state", "ok")
        expect(page.locator("#banner-text")).to_contain_text("New pallet PAL")
        expect(page.locator("#pallet-code")).to_have_text(re.compile(r"^PAL\d{6}$"))
        pallet = page.inner_text("#pallet-code")
        expect(page.locator("#pallet-count")).to_have_text("1")
        expect(page.locator("#pallet-po")).to_have_text(f"PO-{allocation_id}")

        # Second carton joins it; the same carton again is a warning, not a second place
        wedge(page, cartons[1])
        expect(page.locator("#pallet-count")).to_have_text("2")
        expect(page.locator("#pallet-kind")).to_have_text("Mixed")
        expect(page.locator("#pallet-cartons tr")).to_have_count(2)
        wedge(page, cartons[1])
        expect(page.locator("#banner")).to_have_attribute("data-state", "warn")
        expect(page.locator("#banner-text")).to_contain_text("on this pallet already")
        expect(page.locator("#pallet-count")).to_have_text("2")
        page.screenshot(path=str(screenshots / "pallet-building.png"))

        # Close it: the estimate is the weight, the shipper types the height
        expect(page.locator("#close-weight")).not_to_have_value("")
        page.fill("#close-height", "95")
        settled(page, lambda: page.click("#close-button"))
        expect(page.locator("#banner")).to_have_attribute("data-state", "ok")
        expect(page.locator("#closed-box")).to_be_visible()
        expect(page.locator("#pallet-status")).to_have_text("closed")
        sscc = page.inner_text("#pallet-sscc").strip()
        assert is_valid_sscc(sscc), sscc
        link = page.locator("#pallet-label-link")
        expect(link).to_be_visible()
        expect(link).to_have_attribute("href", f"/ship/logistic/{sscc}.pdf")
        page.screenshot(path=str(screenshots / "pallet-closed.png"))

        # The label behind the link scans back to the pallet's SSCC
        pdf = requests.get(pallet_server.url(f"/ship/logistic/{sscc}.pdf"), timeout=10)
        assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
        (tmp_path / "pallet.pdf").write_bytes(pdf.content)
        subprocess.run(
            ["pdftoppm", "-r", "300", "-png", str(tmp_path / "pallet.pdf"), str(tmp_path / "p")],
            check=True,
        )
        with Image.open(next(tmp_path.glob("p-*.png"))) as image:
            assert f"(00){sscc}" in [b.text for b in zxingcpp.read_barcodes(image)]

        # Ready to ship: the bill of lading opens, the pallet is listed with it
        group = page.locator('[data-testid="ready-0"]')
        expect(group).to_contain_text(pallet)
        with context.expect_page() as bol_page:
            settled(page, lambda: group.locator('[data-testid="ship-pallets"]').click())
        expect(page.locator("#banner-text")).to_contain_text("Bill of lading 0614141")
        assert re.search(r"/ship/bol/0614141\d{10}\.pdf$", bol_page.value.url)
        expect(page.locator("#bols li")).to_have_count(1)
        expect(page.locator("#ready-empty")).to_be_visible()
        page.screenshot(path=str(screenshots / "pallet-shipped.png"))
        assert errors == []
    finally:
        context.close()
