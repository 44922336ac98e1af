"""The stock handheld in real Chromium at 360x640, driven like a Zebra handheld: DataWedge
keystroke scans with nothing focused, quantities typed on the keyboard. Receive a GS1-labelled
lot into the receiving dock (with a PO number), then put it away into a reserve bin; a wrong
location and an expired lot are refused in red and book nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.live import Server
from tests.support.handheld import (
    FEEDBACK_PROBE,
    HANDHELD,
    TIMEOUT_MS,
    database,
    expect_banner,
    settled,
    wedge,
)
from tests.support.signin import scan_badge_and_pin

pytestmark = pytest.mark.e2e

expect.set_options(timeout=TIMEOUT_MS)

SKU = "BOTTLE-RED-S"  # no other end-to-end test touches it
BADGE = "U0024"


@pytest.fixture
def handheld(browser: Browser, server: Server) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        base_url=server.base_url, viewport=HANDHELD, has_touch=True, is_mobile=True
    )
    context.add_init_script(FEEDBACK_PROBE)
    errors: list[str] = []
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/stock")
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    yield page
    context.close()
    assert errors == []


def typed(page: Page, text: str) -> None:
    """A person typing on the handheld's keyboard (slower than a scanner), then Enter."""

    def keys() -> None:
        page.keyboard.type(text, delay=120)
        page.keyboard.press("Enter")

    settled(page, keys)


def one(server: Server, sql: str, *args: Any) -> Any:
    with database(server) as db:
        row = db.execute(sql, args).fetchone()
    return row[0] if row else None


def ledger(server: Server, sku: str) -> list[tuple[str, str, int, str | None, str | None]]:
    with database(server) as db:
        rows = db.execute(
            "SELECT m.reason, l.code, m.on_hand_delta, m.reference, m.actor "
            "FROM stock_movements m JOIN locations l ON l.id = m.location_id "
            "JOIN skus s ON s.id = m.sku_id WHERE s.sku = ? ORDER BY m.id",
            (sku,),
        ).fetchall()
    return [tuple(r) for r in rows]


def test_receive_a_lot_and_put_it_away_by_scan(server: Server, handheld: Page) -> None:
    page = handheld
    gtin = one(
        server,
        "SELECT b.code FROM barcodes b JOIN skus s ON s.id = b.sku_id WHERE s.sku = ?",
        SKU,
    )
    dock = one(server, "SELECT code FROM locations WHERE kind = 'receiving' ORDER BY code")
    shelf = one(
        server,
        "SELECT code FROM locations WHERE kind = 'reserve' AND id NOT IN "
        "(SELECT location_id FROM stock WHERE on_hand > 0) ORDER BY code DESC",
    )
    assert gtin and shelf
    dock = dock or one(
        server,
        "SELECT code FROM locations WHERE kind = 'reserve' AND code != ? AND id NOT IN "
        "(SELECT location_id FROM stock WHERE on_hand > 0) ORDER BY code",
        shelf,
    )
    expiry = date.today() + timedelta(days=500)
    label = f"(01){gtin.zfill(14)}(17){expiry:%y%m%d}(10)E2E1"
    before = ledger(server, SKU)

    expect(page.locator("#signin")).to_be_visible()
    scan_badge_and_pin(page, BADGE)
    expect(page.locator("#user")).to_have_attribute("data-badge", BADGE)
    flow = page.locator("#flow")
    expect(flow).to_have_attribute("data-mode", "receive")
    expect(flow).to_have_attribute("data-stage", "item")

    # An expired lot is refused at the first scan, with its own tone.
    expired = f"(01){gtin.zfill(14)}(17){date.today() - timedelta(days=3):%y%m%d}(10)OLD"
    wedge(page, expired)
    expect_banner(page, "error", "expired on", "expired")
    expect(page.locator("#banner-icon")).to_have_text("✖")
    expect(flow).to_have_attribute("data-stage", "item")

    # Receive: the label, the same label again (one more), then 12 typed as the quantity.
    wedge(page, label)
    expect_banner(page, "ok", f"{SKU}: 1 in hand", "item_ok")
    expect(page.locator("#item-lot")).to_contain_text("Lot E2E1")
    wedge(page, label)
    expect(flow).to_have_attribute("data-qty", "2")
    typed(page, "12")
    expect(flow).to_have_attribute("data-qty", "12")
    page.locator("#reference").click()
    page.keyboard.type("PO-77")
    page.keyboard.press("Enter")

    # A location that does not exist: red, the error tone, and nothing booked.
    wedge(page, "Z99-99-9")
    expect_banner(page, "error", "Location Z99-99-9 does not exist", "unknown_location")
    assert ledger(server, SKU) == before
    expect(flow).to_have_attribute("data-qty", "12")

    wedge(page, dock)
    expect_banner(page, "ok", f"Received 12 × {SKU} (lot E2E1) into {dock}.", "tote_ok")
    expect(page.locator("#last")).to_contain_text(f"Received 12 × {SKU}")
    expect(flow).to_have_attribute("data-stage", "item")

    # Put away: from the dock, the item, 12 typed, into the reserve bin.
    settled(page, lambda: page.locator("#mode-move").click())
    expect(flow).to_have_attribute("data-mode", "move")
    wedge(page, dock)
    expect_banner(page, "ok", f"{dock}: {SKU} (E2E1): 12 free", "location_ok")
    wedge(page, label)
    expect(flow).to_have_attribute("data-stage", "to")
    typed(page, "13")
    expect_banner(page, "error", "more than the 12 there are")
    expect(flow).to_have_attribute("data-qty", "1")
    typed(page, "12")
    wedge(page, shelf)
    expect_banner(page, "ok", f"Moved 12 × {SKU} from {dock} to {shelf}.", "tote_ok")

    booked = ledger(server, SKU)[len(before) :]
    assert booked == [
        ("receipt", dock, 12, "PO-77", BADGE),
        ("move", dock, -12, f"{dock}>{shelf}", BADGE),
        ("move", shelf, 12, f"{dock}>{shelf}", BADGE),
    ]
    with database(server) as db:
        lot = db.execute(
            "SELECT st.lot, st.expires_on, st.on_hand FROM stock st "
            "JOIN locations l ON l.id = st.location_id WHERE l.code = ?",
            (shelf,),
        ).fetchone()
    assert (lot[0], lot[1][:10], lot[2]) == ("E2E1", expiry.isoformat(), 12)
