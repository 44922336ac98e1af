"""An offline stretch on the handheld, in real Chromium: the browser loses its network, the
picker keeps scanning (and even reloads the page, served by the service worker), the scans
wait in IndexedDB, and back online they are replayed in order and applied exactly once; the
reconciliation screen shows what the server made of them and what changed meanwhile."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import Server
from tests.support.handheld import (
    TIMEOUT_MS,
    Handhelds,
    allocation_state,
    database,
    expect_banner,
    release_order,
    scan_log,
    task_data,
    wedge,
)

pytestmark = pytest.mark.e2e

expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def handhelds(browser: Browser, server: Server) -> Iterator[Handhelds]:
    opened = Handhelds(browser, server)
    yield opened
    opened.close()
    # Chromium reports failed fetches of an offline page as console errors: not ours.
    ours = [e for e in opened.errors if "net::ERR_INTERNET_DISCONNECTED" not in e]
    assert ours == []


def go_offline(page: Page) -> None:
    page.context.set_offline(True)
    # The page drops its Socket.IO connection itself on the browser's `offline` event (a
    # dead websocket would otherwise linger until Socket.IO's ping timeout).
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")


def go_online(page: Page) -> None:
    page.context.set_offline(False)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")


def queued(page: Page) -> int:
    return int(page.locator("#queue-status").get_attribute("data-count") or "0")


def wait_for_service_worker(page: Page) -> None:
    page.wait_for_function("navigator.serviceWorker.ready.then(() => true)", timeout=TIMEOUT_MS)
    # The first load is not controlled yet; one reload puts the page under the worker.
    if not page.evaluate("Boolean(navigator.serviceWorker.controller)"):
        page.reload()
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        page.wait_for_selector("#task:not([hidden])")
    assert page.evaluate("Boolean(navigator.serviceWorker.controller)")


def test_offline_scans_are_queued_replayed_in_order_and_applied_exactly_once(
    server: Server, handhelds: Handhelds, screenshots: Path
) -> None:
    allocation_id = release_order(
        server, [{"line_id": "1", "sku": "SPEAKER-WHT-S", "qty": 3}], "OFF"
    )
    page = handhelds.open("U0026")
    wait_for_service_worker(page)
    task = task_data(page)
    wedge(page, task["location"])
    expect_banner(page, "ok", "Location confirmed", "location_ok")

    go_offline(page)
    wedge(page, task["barcode"])
    expect_banner(page, "ok", "Item OK: 1 of 3. 2 more. (saved offline)", "item_ok")
    wedge(page, "5012340000201")  # the wrong item: judged on the handheld, queued for the log
    expect_banner(page, "error", "Wrong item", "wrong_item")
    wedge(page, task["barcode"])
    expect(page.locator("#task")).to_have_attribute("data-picked", "2")
    assert queued(page) == 3

    # The page reloads with no network, from the service worker's cache, with the task and
    # the queue it had...
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(page.locator("#task")).to_have_attribute("data-picked", "2")
    expect(page.locator("#queue-status")).to_have_attribute("data-count", "3")
    # ...and so does the app started afresh after a battery swap (a new tab: no session).
    context = page.context
    page.close()
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    response = page.goto("/pick")
    assert response is not None and response.from_service_worker
    expect(page.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(page.locator("#user")).to_have_attribute("data-badge", "U0026")
    expect(page.locator("#task")).to_be_visible()
    expect(page.locator("#task")).to_have_attribute("data-picked", "2")
    expect(page.locator("#queue-status")).to_have_attribute("data-count", "3")
    wedge(page, task["barcode"])
    expect_banner(page, "ok", "Item OK: 3 of 3. Scan the tote.", "item_ok")
    wedge(page, "T2016")
    expect_banner(page, "ok", "Put in tote. Task done.", "tote_ok")
    expect(page.locator("#task-stage")).to_contain_text("next task comes when back online")
    assert queued(page) == 5
    page.screenshot(path=str(screenshots / "handheld-offline.png"))

    # Nothing reached the server meanwhile.
    assert allocation_state(server, allocation_id)["lines"][0]["picked"] == 0

    go_online(page)
    reconcile = page.locator("#reconcile")
    expect(reconcile).to_be_visible()
    expect(reconcile).to_have_attribute("data-scans", "5")
    expect(reconcile).to_have_attribute("data-differ", "0")
    expect(page.locator("#reconcile-summary")).to_contain_text("5 offline scans sent: 4 applied")
    rows = page.locator("#reconcile-scans li")
    expect(rows).to_have_count(5)
    assert [rows.nth(i).get_attribute("data-result") for i in range(5)] == [
        "item_ok",
        "wrong_item",
        "item_ok",
        "item_ok",
        "tote_ok",
    ]
    expect(page.locator("#queue-status")).to_be_hidden()
    page.screenshot(path=str(screenshots / "handheld-reconcile.png"))
    page.click("#reconcile-continue")
    expect(page.locator("#no-work")).to_be_visible()

    # Applied once, in order: the server's view and its scan log agree with the handheld.
    state = allocation_state(server, allocation_id)
    assert state["status"] == "picked"
    assert state["lines"][0]["picked"] == 3
    log = scan_log(server, allocation_id)
    offline = [r for r in log if r["parsed"].get("queued")]
    assert [r["result"] for r in offline] == [
        "item_ok",
        "wrong_item",
        "item_ok",
        "item_ok",
        "tote_ok",
    ]
    assert len({r["client_scan_id"] for r in offline}) == 5
    assert all(r["parsed"]["scanned_at"] for r in offline)

    # Replaying the whole queue again (a lost answer, a second reconnect) changes nothing.
    page.evaluate("() => window.dockhandPick.queued()")  # empty: every scan was answered
    assert page.evaluate("async () => (await window.dockhandPick.queued()).length") == 0
    with database(server) as db:
        (units,) = db.execute(
            "SELECT COALESCE(SUM(qty), 0) FROM pick_units u JOIN allocations a "
            "ON a.id = u.allocation_pk WHERE a.allocation_id = ?",
            (allocation_id,),
        ).fetchone()
    assert units == 3


def test_a_cancel_made_while_offline_is_shown_and_nothing_the_picker_did_is_lost(
    server: Server, handhelds: Handhelds
) -> None:
    allocation_id = release_order(
        server, [{"line_id": "1", "sku": "CANDLE-RED-S", "qty": 2}], "OFFC"
    )
    page = handhelds.open("U0027")
    task = task_data(page)
    wedge(page, task["location"])
    wedge(page, task["barcode"])
    expect(page.locator("#task")).to_have_attribute("data-picked", "1")

    go_offline(page)
    wedge(page, task["barcode"])
    wedge(page, "T2017")
    assert queued(page) == 2

    body = json.dumps({"reason": "customer changed their mind"}).encode()
    resp = post_signed(server, f"/api/v1/allocations/{allocation_id}/cancel", body)
    assert resp.status_code == 200, resp.text

    go_online(page)
    reconcile = page.locator("#reconcile")
    expect(reconcile).to_be_visible()
    expect(page.locator("#reconcile-changes li")).to_have_count(1)
    change = page.locator("#reconcile-changes li").first
    expect(change).to_have_attribute("data-change", "cancelled")
    expect(change).to_contain_text("cancelled")
    rows = page.locator("#reconcile-scans li")
    expect(rows).to_have_count(2)
    # The handheld said OK; the server refused both: shown side by side, in order.
    for i in range(2):
        expect(rows.nth(i)).to_have_attribute("data-result", "cancelled")
        expect(rows.nth(i)).to_have_attribute("data-match", "false")
        expect(rows.nth(i)).to_contain_text("The handheld said")
    expect_banner(page, "warn", "Back online")

    log = scan_log(server, allocation_id)
    results = Counter(r["result"] for r in log if r["parsed"].get("queued"))
    assert results == {"cancelled": 2}  # logged, with the raw codes, not applied
    state = allocation_state(server, allocation_id)
    assert state["lines"][0]["picked"] == 1  # the unit picked online goes back (put-back)


def post_signed(server: Server, path: str, body: bytes) -> object:
    import requests

    from app.domain.signing import signed_headers

    headers = {"Content-Type": "application/json"}
    headers.update(signed_headers(server.secret, body, time.time()))
    return requests.post(server.url(path), data=body, headers=headers, timeout=10)
