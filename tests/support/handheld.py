"""The handheld pick page in Chromium at 360x640, driven like a Zebra handheld: DataWedge
keystroke bursts ending in Enter with nothing focused, IME-style injected text, or a person
typing. Also: a released order on the live server, and the server's SQLite file for checks."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.simulate import Station, Tally
from tests.e2e.live import Server
from tests.support.signin import scan_badge_and_pin
from tests.support.warehouse import allocation_doc

TIMEOUT_MS = 10_000
HANDHELD = {"width": 360, "height": 640}

# Feedback timing, measured in the page: from the Enter key that ends a scan to the banner's
# next change (its data-seq attribute), with performance.now().
FEEDBACK_PROBE = """
window.__feedback = [];
window.addEventListener("keydown", (e) => {
  if (e.key === "Enter") window.__enterAt = performance.now();
}, true);
document.addEventListener("DOMContentLoaded", () => {
  const banner = document.getElementById("banner");
  if (!banner) return;
  new MutationObserver(() => {
    if (window.__enterAt == null) return;
    window.__feedback.push({
      ms: performance.now() - window.__enterAt,
      state: banner.dataset.state,
      result: banner.dataset.result || "",
    });
    window.__enterAt = null;
  }).observe(banner, { attributes: true, attributeFilter: ["data-seq"] });
});
"""


class Handhelds:
    """Opens handheld pages (a browser context each) and collects their JavaScript errors."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    def open(self, badge: str | None = None, **options: Any) -> Page:
        context = self.browser.new_context(
            base_url=self.server.base_url,
            viewport=HANDHELD,
            has_touch=True,
            is_mobile=True,
            **options,
        )
        context.add_init_script(FEEDBACK_PROBE)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: self.errors.append(msg.text) if msg.type == "error" else None,
        )
        page.goto("/pick")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        if badge:
            sign_in(page, badge)
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()


def settled(page: Page, action: Any, count: int = 1) -> None:
    """Run an action and wait until the page has handled `count` more scans or actions."""
    before = int(page.locator("body").get_attribute("data-scans") or "0")
    action()
    page.wait_for_function(
        "n => Number(document.body.dataset.scans) >= n && !document.body.dataset.busy",
        arg=before + count,
        timeout=TIMEOUT_MS,
    )


def wedge(page: Page, code: str) -> None:
    """A DataWedge keystroke scan: the code typed at scanner speed, then Enter."""

    def scan() -> None:
        page.keyboard.type(code)
        page.keyboard.press("Enter")

    settled(page, scan)


def expect_banner(page: Page, state: str, text: str, result: str | None = None) -> None:
    banner = page.locator("#banner")
    expect(banner).to_have_attribute("data-state", state)
    expect(banner).to_contain_text(text)
    if result is not None:
        expect(banner).to_have_attribute("data-result", result)


def sign_in(page: Page, badge: str) -> None:
    expect(page.locator("#signin")).to_be_visible()
    scan_badge_and_pin(page, badge)
    expect(page.locator("#user")).to_have_attribute("data-badge", badge)
    page.wait_for_selector("#task:not([hidden]), #no-work:not([hidden])")


def task_data(page: Page) -> dict[str, str]:
    card = page.locator("#task")
    expect(card).to_be_visible()
    return {
        key: card.get_attribute(f"data-{key}") or ""
        for key in ("task-id", "stage", "qty", "picked", "tote", "barcode")
    } | {"location": page.inner_text("#task-location").strip()}


def feedback(page: Page) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate("window.__feedback")
    return found


def release_order(server: Server, lines: list[dict[str, Any]], tag: str = "HH") -> str:
    """A new allocation on the live server, waved and released by a supervisor."""
    allocation_id = f"AL-{tag}-{uuid.uuid4().hex[:8].upper()}"
    resp = server.post_allocation(allocation_doc(allocation_id, lines=lines))
    assert resp.status_code == 202, resp.text
    assert resp.json()["status"] == "accepted", resp.text
    sup = Station(server.base_url, "/supervisor", "U0001", Tally())
    sup.connect()
    try:
        ack = sup.call("build_wave", {"allocation_ids": [allocation_id], "release": True})
        assert ack["ok"], ack
    finally:
        sup.close()
    return allocation_id


def allocation_state(server: Server, allocation_id: str) -> dict[str, Any]:
    resp = server.get_signed(f"/api/v1/allocations/{allocation_id}")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


@contextmanager
def database(server: Server) -> Iterator[sqlite3.Connection]:
    """The live server's SQLite file (WAL: readers and one short writer live side by side)."""
    path = Path(server.database_url.removeprefix("sqlite:///"))
    conn = sqlite3.connect(path, timeout=10)
    conn.row_factory = sqlite3.Row
    try:
        yield conn
    finally:
        conn.close()


def scan_log(server: Server, allocation_id: str) -> list[dict[str, Any]]:
    with database(server) as db:
        rows = db.execute(
            "SELECT s.client_scan_id, s.raw, s.result, s.parsed, s.actor FROM scan_log s "
            "JOIN allocations a ON a.id = s.allocation_pk WHERE a.allocation_id = ? "
            "ORDER BY s.id",
            (allocation_id,),
        ).fetchall()
    return [dict(r) | {"parsed": json.loads(r["parsed"] or "null")} for r in rows]


def gtin14(code: str) -> str:
    return code.zfill(14)
