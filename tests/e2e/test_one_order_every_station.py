"""One allocation through every station page in real headless Chromium, driven the way the
floor drives it: a keyboard-wedge scanner typing codes followed by Enter, nothing focused."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import Server
from tests.support.signin import scan_badge_and_pin
from tests.support.warehouse import allocation_doc

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 10_000
DESK = {"width": 1280, "height": 800}
HANDHELD = {"width": 360, "height": 640}

expect.set_options(timeout=TIMEOUT_MS)


class Stations:
    """Opens station pages (one browser context each) and collects their JavaScript errors."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def open(
        self, path: str, viewport: dict[str, int] = DESK, live: bool = True, **options: Any
    ) -> Page:
        context = self.browser.new_context(
            base_url=self.server.base_url, viewport=viewport, **options
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: self.errors.append(f"{path}: {exc}"))
        page.on(
            "console",
            lambda msg: self.errors.append(f"{path}: {msg.text}") if msg.type == "error" else None,
        )
        page.goto(path)
        if live:  # a station page: wait for its Socket.IO connection
            expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def stations(browser: Browser, server: Server) -> Iterator[Stations]:
    opened = Stations(browser, server)
    yield opened
    opened.close()


def settled(page: Page, action: Callable[[], None]) -> None:
    """Run an action (scan, click) and wait until the page has fully handled it."""
    before = int(page.locator("body").get_attribute("data-scans") or "0")
    action()
    page.wait_for_function(
        "n => Number(document.body.dataset.scans) > n && !document.body.dataset.busy",
        arg=before,
        timeout=TIMEOUT_MS,
    )


def wedge(page: Page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code, then Enter."""

    def scan() -> None:
        page.keyboard.type(code)
        page.keyboard.press("Enter")

    settled(page, scan)


def click(page: Page, selector: str) -> None:
    settled(page, lambda: page.click(selector))


def expect_banner(page: Page, state: str, text: str) -> None:
    banner = page.locator("#banner")
    expect(banner).to_have_attribute("data-state", state)
    expect(banner).to_contain_text(text)
    icon = {"ok": "✔", "error": "✖", "warn": "⚠"}[state]
    expect(page.locator("#banner-icon")).to_have_text(icon)  # never colour alone


def sign_in(page: Page, badge: str) -> None:
    expect(page.locator("#signin")).to_be_visible()
    expect(page.locator("#signin")).to_contain_text("Scan your badge")
    scan_badge_and_pin(page, badge)
    expect_banner(page, "ok", "Signed in")
    expect(page.locator("#user")).to_have_attribute("data-badge", badge)
    expect(page.locator("#work")).to_be_visible()


def fetch_pdf(server: Server, href: str | None) -> bytes:
    assert href and href.startswith("/"), href
    resp = requests.get(server.url(href), timeout=10)
    assert resp.status_code == 200, resp.text[:200]
    assert resp.headers["Content-Type"].startswith("application/pdf")
    return resp.content


def test_one_order_travels_through_every_station_page(
    server: Server, stations: Stations, screenshots: Path
) -> None:
    allocation_id = f"AL-E2E-{uuid.uuid4().hex[:8].upper()}"
    order_number = f"SO-{allocation_id}"
    resp = server.post_allocation(allocation_doc(allocation_id))
    assert resp.status_code == 202, resp.text

    home_page = stations.open("/", live=False)
    for station in ("supervisor", "pick", "pack", "weigh", "ship"):
        expect(home_page.locator(f"#tile-{station}")).to_have_count(1)
    expect(home_page.locator("#tile-pick")).to_contain_text("Pick")
    home_page.screenshot(path=str(screenshots / "home.png"))

    # Supervisor: sign in, see the order waiting, build and release a wave.
    sup = stations.open("/supervisor")
    sign_in(sup, "U0001")
    expect(sup.locator(f'#waiting tr[data-allocation="{allocation_id}"]')).to_be_visible()
    # Other tests share this server: count from what was shipped before this order.
    shipped_before = int(
        sup.locator('#counts [data-status="shipped"]').get_attribute("data-count") or 0
    )
    click(sup, "#build-wave")
    expect_banner(sup, "ok", "released")
    wave_code = re.search(r"Wave (W\d+)", sup.inner_text("#banner-text"))
    assert wave_code, sup.inner_text("#banner-text")
    wave_row = sup.locator(f'#waves tr[data-wave="{wave_code.group(1)}"]')
    expect(wave_row).to_have_attribute("data-status", "released")
    expect(sup.locator(f'#waiting tr[data-allocation="{allocation_id}"]')).to_have_count(0)

    # Pick on a handheld: a wrong location first, then location, item × qty, tote per task.
    pick = stations.open("/pick", HANDHELD, has_touch=True, is_mobile=True)
    sign_in(pick, "U0010")
    task = pick.locator("#task")
    tasks_done = 0
    while True:
        pick.wait_for_selector("#task:not([hidden]), #no-work:not([hidden])")
        if pick.locator("#no-work").is_visible():
            break
        location = pick.inner_text("#task-location").strip()
        barcode = task.get_attribute("data-barcode") or ""
        assert barcode and pick.inner_text("#task-barcode").strip() == barcode
        qty = int(task.get_attribute("data-qty") or 0)
        picked = int(task.get_attribute("data-picked") or 0)
        tote = task.get_attribute("data-tote") or "T0001"
        expect(task).to_have_attribute("data-stage", "location")
        expect(pick.locator("#task-stage")).to_contain_text("Scan location")
        if tasks_done == 0:
            wrong = "A01-01-1" if location != "A01-01-1" else "A01-01-2"
            wedge(pick, wrong)
            expect_banner(pick, "error", "Wrong location")
            expect(task).to_have_attribute("data-stage", "location")
        wedge(pick, location)
        expect_banner(pick, "ok", "Location confirmed")
        expect(task).to_have_attribute("data-stage", "item")
        expect(pick.locator("#task-stage")).to_contain_text("Scan item")
        if tasks_done == 0:
            pick.screenshot(path=str(screenshots / "pick.png"))
        for _ in range(picked, qty):
            wedge(pick, barcode)
            expect_banner(pick, "ok", "Item OK")
        expect(task).to_have_attribute("data-stage", "tote")
        expect(pick.locator("#task-stage")).to_contain_text("Scan")
        wedge(pick, tote)
        expect_banner(pick, "ok", "Task done")
        tasks_done += 1
        assert tasks_done < 20, "the picker never ran out of work"
    expect(pick.locator("#no-work")).to_contain_text("No work right now")
    assert tasks_done >= 2  # two order lines, at least one task each

    # Pack: open the tote, a wrong item, then every unit, then the recommended carton.
    pack = stations.open("/pack")
    sign_in(pack, "U0040")
    expect(pack.locator('#pack-queue [data-code="T0001"]')).to_be_visible()
    wedge(pack, "T0001")
    expect(pack.locator("#order-number")).to_have_text(order_number)
    wedge(pack, "5000000000000")
    expect_banner(pack, "error", "Wrong item")
    rows = pack.locator("#pack-lines tr")
    expect(rows).to_have_count(2)
    units = []
    for i in range(rows.count()):
        row = rows.nth(i)
        picked = int(row.get_attribute("data-picked") or 0)
        verified = int(row.get_attribute("data-verified") or 0)
        units += [row.get_attribute("data-barcode") or ""] * (picked - verified)
    assert len(units) == 3, units
    expect(pack.locator("#recommendation")).to_be_hidden()
    for code in units:
        wedge(pack, code)
        expect_banner(pack, "ok", "OK")
    expect(pack.locator("#order-progress")).to_have_text("3 / 3 verified")
    expect(pack.locator("#recommendation")).to_be_visible()
    carton_type = pack.inner_text("#rec-code").strip()
    assert carton_type.startswith("BOX-"), carton_type
    expect(pack.locator("#recommendation")).to_contain_text(f"Scan the carton {carton_type}")
    pack.screenshot(path=str(screenshots / "pack.png"))
    wedge(pack, carton_type)
    expect(pack.locator("#carton-done")).to_be_visible()
    carton = pack.inner_text("#carton-code").strip()
    assert re.fullmatch(r"CT\d{6,}", carton), carton
    expect_banner(pack, "ok", f"Carton {carton} closed")
    slip = pack.get_attribute("#slip-link", "href")
    assert slip == f"/pack/slip/{allocation_id}.pdf"
    assert fetch_pdf(server, slip).startswith(b"%PDF")

    # Weigh: 5 kg too heavy is blocked; the expected weight passes.
    weigh = stations.open("/weigh")
    sign_in(weigh, "U0040")
    expect(weigh.locator(f'#weigh-queue [data-code="{carton}"]')).to_be_visible()
    wedge(weigh, carton)
    expect(weigh.locator("#carton-code")).to_have_text(carton)
    expected_g = int(weigh.get_attribute("#expected-weight", "data-grams") or 0)
    assert expected_g > 0
    weigh.fill("#weight-input", str(expected_g + 5000))
    click(weigh, "#record-weight")
    expect_banner(weigh, "error", "Weight check failed")
    expect(weigh.locator("#weigh-blocked")).to_be_visible()
    expect(weigh.locator("#carton-panel")).to_have_attribute("data-status", "packed")
    weigh.screenshot(path=str(screenshots / "weigh.png"))
    weigh.fill("#weight-input", str(expected_g))
    click(weigh, "#record-weight")
    expect_banner(weigh, "ok", "Weight OK")
    expect(weigh.locator("#weigh-last")).to_contain_text(carton)
    expect(weigh.locator(f'#weigh-queue [data-code="{carton}"]')).to_have_count(0)

    # Ship: scan the carton, see the recommended quote, ship, fetch the label.
    ship = stations.open("/ship")
    sign_in(ship, "U0060")
    wedge(ship, carton)
    expect(ship.locator("#carton-code")).to_have_text(carton)
    expect(ship.locator("#blocked")).to_be_hidden()
    expect(ship.locator("#quotes tr.row-recommended")).to_have_count(1)
    expect(ship.locator("#quotes tr.row-recommended input[type=radio]")).to_be_checked()
    ship.screenshot(path=str(screenshots / "ship.png"))
    click(ship, "#ship-button")
    expect_banner(ship, "ok", "Tracking")
    expect(ship.locator("#tracking-number")).to_have_text(re.compile(r"^(DX|PP)\w+$"))
    tracking = ship.inner_text("#tracking-number").strip()
    label = ship.get_attribute("#label-link", "href")
    assert label == f"/ship/label/{carton}.pdf"
    assert fetch_pdf(server, label).startswith(b"%PDF")
    ship.screenshot(path=str(screenshots / "ship-done.png"))

    state = server.get_signed(f"/api/v1/allocations/{allocation_id}")
    assert state.status_code == 200, state.text
    body = state.json()
    assert body["status"] == "shipped"
    assert body["shipments"][0]["cartons"][0]["tracking_number"] == tracking

    # The supervisor page, untouched since the wave, was kept current by server pushes.
    expect(sup.locator('#counts [data-status="shipped"]')).to_have_attribute(
        "data-count", str(shipped_before + 1)
    )
    expect(wave_row).to_have_attribute("data-status", "done")
    sup.screenshot(path=str(screenshots / "supervisor.png"), full_page=True)

    assert stations.errors == []
