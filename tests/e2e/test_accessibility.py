"""Accessibility checked in Debian Chromium, not hoped for (docs/accessibility.md).

- axe-core over every HTML page of the app (the list comes from the URL map, so a new page
  is checked the day it lands), before sign-in and signed in, and over the main states of
  each station (a task showing, a wrong scan, a carton recommended, quotes, a return
  being graded...): no violation of impact serious or critical.
- Touch targets: every visible button, input, select, summary and button-like link is at
  least 48 × 48 CSS px at 360 × 640 (inline links inside a sentence are exempt).
- The scan-result banner never speaks by colour alone: ok, error and warning each carry
  their own icon and a sentence, on pick and on pack, driven by good and bad scans.
- Handheld text is readable at arm's length at 360 × 640 (no text under 14 px, the
  location and the banner much larger).
- Screenshots of every station (360 × 640 for handheld pages, 1280 × 800 for desks) go to
  docs/screenshots/ with DOCKHAND_SCREENSHOTS=1, else to test-artifacts/a11y/.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, ViewportSize, expect
from playwright.sync_api import Error as PlaywrightError

from app.domain.signing import signed_headers
from app.simulate import Station, Tally
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.live import REPO, Server, dockhand
from tests.support.accessibility import (
    BANNER_ICONS,
    DESK,
    HANDHELD,
    Finding,
    Route,
    Sample,
    axe_engine_version,
    axe_findings,
    banner_signals,
    font_px,
    html_routes,
    report,
    serious,
    shoot,
    small_targets,
    small_text,
)
from tests.support.handheld import database
from tests.support.signin import enter_pin_if_asked, scan_badge_and_pin
from tests.support.warehouse import allocation_doc

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)

SUPERVISOR = "U0001"
ADMIN = "U0002"
# Badges of their own, so no other e2e test shares a picker's queue or a packer's order.
PICKER, PACK_PICKER, WEIGH_PICKER, SHIP_PICKER, RETURN_PICKER = (
    "U0014",
    "U0015",
    "U0016",
    "U0017",
    "U0019",
)
PACKER = "U0043"
SHIPPER = "U0061"
RETURNS_CLERK = "U0045"
FLOOR_HAND = "U0018"  # a picker for the generic look at handheld pages other than /pick
# Who signs in on a page in the generic signed-in check, by the longest matching path prefix;
# a page not listed (a new one) is opened by the admin.
BADGE_FOR = {
    "/supervisor": SUPERVISOR,
    "/pack": PACKER,
    "/weigh": PACKER,
    "/ship": SHIPPER,
    "/returns": RETURNS_CLERK,
    "/reports": SUPERVISOR,
    "/count": FLOOR_HAND,
    "/count/review": SUPERVISOR,
    "/stock": FLOOR_HAND,
    "/first-shift": SUPERVISOR,
}
# Signing in here claims work (the handheld asks for its next task), which would take a task
# from another test's order: its signed-in states are checked by the pick test below instead.
SIGNED_IN_ELSEWHERE = {"/pick": "test_pick_handheld_states"}
# Pages a picker reads on a 4-inch handheld (the ones that exist are checked for text size).
HANDHELD_PAGES = ("/pick", "/stock", "/count")
# What every station must have; the URL map may hold more (new pages are checked too).
KNOWN_PAGES = {"/", "/supervisor", "/pick", "/pack", "/weigh", "/ship", "/ship/pallet"}
KNOWN_PAGES |= {"/returns", "/reports"}


# ---------------------------------------------------------------- the live floor


def post_signed(server: Server, path: str, doc: dict[str, Any]) -> requests.Response:
    body = json.dumps(doc).encode()
    headers = {"Content-Type": "application/json"}
    headers.update(signed_headers(server.secret, body, time.time()))
    return requests.post(server.url(path), data=body, headers=headers, timeout=10)


def new_allocation(server: Server, tag: str, lines: list[dict[str, Any]] | None = None) -> str:
    allocation_id = f"AL-A11Y-{tag}-{uuid.uuid4().hex[:6].upper()}"
    doc = (
        allocation_doc(allocation_id)
        if lines is None
        else allocation_doc(allocation_id, lines=lines)
    )
    resp = server.post_allocation(doc)
    assert resp.status_code == 202 and resp.json()["status"] == "accepted", resp.text
    return allocation_id


def cancel(server: Server, allocation_id: str) -> None:
    """Leave nothing waiting: another test's 'build wave' would take it."""
    resp = post_signed(
        server, f"/api/v1/allocations/{allocation_id}/cancel", {"reason": "a11y test done"}
    )
    assert resp.status_code == 200, resp.text


def barcode_of(server: Server, sku: str) -> str:
    with database(server) as db:
        row = db.execute(
            "SELECT b.code FROM barcodes b JOIN skus s ON s.id = b.sku_id WHERE s.sku = ?",
            (sku,),
        ).fetchone()
    assert row is not None, sku
    return str(row["code"])


@contextmanager
def stations(server: Server) -> Iterator[Callable[[str, str], Station]]:
    opened: list[Station] = []
    tally = Tally()

    def station(namespace: str, badge: str) -> Station:
        st = Station(server.base_url, namespace, badge, tally)
        st.connect()
        opened.append(st)
        return st

    try:
        yield station
    finally:
        for st in opened:
            st.close()


def release(server: Server, allocation_id: str) -> None:
    with stations(server) as station:
        ack = station("/supervisor", SUPERVISOR).call(
            "build_wave", {"allocation_ids": [allocation_id], "release": True}
        )
        assert ack["ok"], ack


def picked(server: Server, tag: str, picker: str, tote: str) -> str:
    """A new order, released and picked whole into `tote` through the stations' events."""
    allocation_id = new_allocation(server, tag)
    release(server, allocation_id)
    with stations(server) as station:
        hand = station("/pick", picker)
        while (task := hand.call("next_task", {})["task"]) is not None:
            codes = [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or tote]
            for code in codes:
                reply = hand.call("scan", {"task_id": task["task_id"], "code": code})
                assert reply["ok"], reply
    return allocation_id


def packed(server: Server, tag: str, picker: str, tote: str) -> dict[str, Any]:
    """...and packed into its recommended carton: the carton as the pack station answered."""
    allocation_id = picked(server, tag, picker, tote)
    with stations(server) as station:
        packer = station("/pack", PACKER)
        order = packer.call("open", {"code": tote})["order"]
        assert order["allocation_id"] == allocation_id, order
        reply: dict[str, Any] = {}
        for line in order["lines"]:
            for _ in range(line["picked"] - line.get("verified", 0)):
                reply = packer.call(
                    "scan", {"allocation_id": allocation_id, "code": line["barcode"]}
                )
                assert reply["ok"], reply
        closed = packer.call(
            "close_carton",
            {
                "allocation_id": allocation_id,
                "carton_type": reply["order"]["recommendation"]["code"],
            },
        )
        assert closed["ok"], closed
    return {**closed["carton"], "allocation_id": allocation_id}


def weighed(server: Server, tag: str, picker: str, tote: str) -> dict[str, Any]:
    """...and weighed: ready to ship."""
    carton = packed(server, tag, picker, tote)
    with stations(server) as station:
        reply = station("/weigh", PACKER).call(
            "weight", {"carton": carton["code"], "weight_g": carton["expected_weight_g"] + 5}
        )
        assert reply["ok"], reply
    return carton


# ---------------------------------------------------------------- pages in Chromium


class Pages:
    """Browser contexts for the test (closed at the end) and the JavaScript errors seen."""

    def __init__(self, browser: Browser, server: Server) -> None:
        self.browser = browser
        self.server = server
        self.contexts: list[Any] = []
        self.errors: list[str] = []

    def open(self, path: str, viewport: ViewportSize, handheld: bool = False) -> Page:
        context = self.browser.new_context(
            base_url=self.server.base_url,
            viewport=viewport,
            has_touch=handheld,
            is_mobile=handheld,
            reduced_motion="reduce",
        )
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda exc: self.errors.append(f"{path}: {exc}"))
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(path)
        if page.locator("#conn").count():  # a station page: wait for its connection
            expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        return page

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def pages(browser: Browser, server: Server) -> Iterator[Pages]:
    opened = Pages(browser, server)
    yield opened
    opened.close()
    assert opened.errors == []


class Checks:
    """Findings gathered over a test's states, asserted together at the end so one run shows
    every problem of a station, not only the first."""

    def __init__(self) -> None:
        self.axe: list[Finding] = []
        self.minor: list[Finding] = []
        self.targets: list[str] = []
        self.text: list[str] = []
        self.unreached: list[str] = []

    @contextmanager
    def reaching(self, path: str, state: str) -> Iterator[None]:
        """One page of many: a page that cannot be brought to the state is a problem to
        report with the others, not a reason to stop checking the rest."""
        try:
            yield
        except (AssertionError, PlaywrightError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            self.unreached.append(f"{path} ({state}): {first}")

    def axe_run(self, page: Page, where: str) -> None:
        found = axe_findings(page, where)
        failing = serious(found)
        self.axe += failing
        self.minor += [f for f in found if f not in failing]

    def at_handheld(self, page: Page, where: str, text: bool = False) -> None:
        """Touch targets (and text sizes) at 360 × 640; the page's viewport is put back."""
        before = page.viewport_size
        page.set_viewport_size(HANDHELD)
        try:
            page.wait_for_timeout(50)  # one layout pass
            self.targets += [f"{where}: {t}" for t in small_targets(page)]
            if text:
                self.text += [f"{where}: {t}" for t in small_text(page)]
        finally:
            if before and before != HANDHELD:
                page.set_viewport_size(before)

    def check(self, page: Page, where: str, text: bool = False) -> None:
        self.axe_run(page, where)
        self.at_handheld(page, where, text)

    def assert_clean(self) -> None:
        if self.minor:  # shown with -rA or on failure; not a failure (docs/accessibility.md)
            print("axe findings below serious:\n" + report(self.minor))
        problems = []
        if self.axe:
            problems.append(f"axe-core, serious or critical:\n{report(self.axe)}")
        if self.targets:
            problems.append("touch targets under 48 × 48 px:\n  " + "\n  ".join(self.targets))
        if self.text:
            problems.append("text under 14 px on a handheld:\n  " + "\n  ".join(self.text))
        if self.unreached:
            problems.append("pages that could not be checked:\n  " + "\n  ".join(self.unreached))
        assert not problems, "\n\n".join(problems)


def settled(page: Page, action: Callable[[], None]) -> None:
    before = int(page.locator("body").get_attribute("data-scans") or "0")
    action()
    page.wait_for_function(
        "n => Number(document.body.dataset.scans) > n && !document.body.dataset.busy",
        arg=before,
        timeout=TIMEOUT_MS,
    )


def wedge(page: Page, code: str) -> None:
    """A keyboard-wedge scan: the code typed at scanner speed and Enter, nothing focused."""

    def scan() -> None:
        page.keyboard.type(code)
        page.keyboard.press("Enter")

    settled(page, scan)


def click(page: Page, selector: str) -> None:
    settled(page, lambda: page.click(selector))


def sign_in(page: Page, badge: str) -> None:
    expect(page.locator("#signin")).to_be_visible()
    scan_badge_and_pin(page, badge)
    expect(page.locator("#user")).to_have_attribute("data-badge", badge)
    expect(page.locator("#work")).to_be_visible()


def expect_result(page: Page, state: str, text: str) -> dict[str, Any]:
    """The banner in `state` with `text`, and never by colour alone: its own icon, drawn large
    enough to see, and a sentence in large type."""
    banner = page.locator("#banner")
    expect(banner).to_have_attribute("data-state", state)
    expect(banner).to_contain_text(text)
    signals = banner_signals(page)
    assert signals["icon"] == BANNER_ICONS[state], signals
    assert signals["icon_drawn"], f"the {state} icon is not visible: {signals}"
    assert len(signals["text"]) >= 4, signals
    assert signals["text_px"] >= 18, f"banner text too small to read at arm's length: {signals}"
    return signals


def distinct_without_colour(seen: dict[str, dict[str, Any]]) -> None:
    """ok, error and warning differ by icon (and text), not only by background colour."""
    assert set(seen) == {"ok", "error", "warn"}, seen
    icons = {state: s["icon"] for state, s in seen.items()}
    assert len(set(icons.values())) == 3, icons


# ---------------------------------------------------------------- every page, generically


def _history_sample(server: Server) -> str:
    allocation_id = new_allocation(server, "HIST")
    cancel(server, allocation_id)
    return f"/pack/history/{allocation_id}"


# Pages whose URL has an argument: a real example each (a new one must be added here).
SAMPLES: dict[str, Sample] = {
    "/weigh/<station_id>": lambda server: "/weigh/WEIGH-2",
    "/pack/history/<allocation_id>": _history_sample,
}


@pytest.fixture(scope="module")
def routes(server: Server) -> list[Route]:
    found, skipped, missing = html_routes(server, SAMPLES)
    print("pages checked:", ", ".join(r.path for r in found))
    print("not pages:\n  " + "\n  ".join(skipped))
    assert not missing, (
        "pages with URL arguments and no sample in SAMPLES of tests/e2e/test_accessibility.py "
        f"(add one so axe checks them): {missing}"
    )
    return found


def test_the_page_list_comes_from_the_url_map_and_holds_every_station(
    routes: list[Route],
) -> None:
    paths = {r.path for r in routes}
    assert paths >= KNOWN_PAGES, KNOWN_PAGES - paths
    assert any(r.rule == "/pack/history/<allocation_id>" for r in routes)
    assert not {"/healthz", "/metrics", "/api/openapi.json", "/sw.js"} & paths


def badge_for(path: str) -> str:
    prefixes = [p for p in BADGE_FOR if path == p or path.startswith(p + "/")]
    return BADGE_FOR[max(prefixes, key=len)] if prefixes else ADMIN


def test_every_page_before_sign_in(routes: list[Route], pages: Pages) -> None:
    checks = Checks()
    for route in routes:
        with checks.reaching(route.path, "before sign-in"):
            page = pages.open(route.path, HANDHELD, handheld=True)
            checks.check(page, f"{route.path} (360 × 640, before sign-in)")
            page.set_viewport_size(DESK)
            checks.axe_run(page, f"{route.path} (1280 × 800, before sign-in)")
            if route.path == "/":
                shoot(page, "home", ARTIFACTS)
        pages.close()
    page = pages.open("/", DESK)
    version = axe_engine_version(page)
    print(f"axe-core {version}")
    assert version.startswith("4."), version
    checks.assert_clean()


def test_every_page_signed_in(routes: list[Route], pages: Pages) -> None:
    checks = Checks()
    for route in routes:
        if route.path in SIGNED_IN_ELSEWHERE:
            continue
        badge = badge_for(route.path)
        with checks.reaching(route.path, f"signed in as {badge}"):
            page = pages.open(route.path, HANDHELD, handheld=True)
            if page.locator("#signin").count() == 0:  # no sign-in here (home, history)
                pages.close()
                continue
            try:
                sign_in(page, badge)
            except (AssertionError, PlaywrightError) as exc:
                said = " ".join(page.locator("#banner").all_inner_texts()) or "(no banner)"
                body = page.evaluate("() => ({...document.body.dataset})")
                raise AssertionError(
                    f"sign-in as {badge} did not finish ({type(exc).__name__}); the banner "
                    f"says {said!r}; page state {body} (is the badge in BADGE_FOR right?)"
                ) from exc
            handheld = route.path in HANDHELD_PAGES
            checks.check(page, f"{route.path} (360 × 640, signed in)", text=handheld)
            if handheld:
                shoot(page, route.path.strip("/").replace("/", "-"), ARTIFACTS)
            page.set_viewport_size(DESK)
            checks.axe_run(page, f"{route.path} (1280 × 800, signed in)")
        pages.close()
    checks.assert_clean()


# ---------------------------------------------------------------- station by station


def test_pick_handheld_states(server: Server, pages: Pages) -> None:
    """The handheld at 360 × 640: a task showing, a wrong location, a good one, the keypad and
    the short-pick sheet, a scan with no work; the banner's three kinds of result."""
    allocation_id = new_allocation(
        server, "PICK", [{"line_id": "1", "sku": "HOODIE-RED-S", "qty": 2}]
    )
    release(server, allocation_id)
    checks = Checks()
    seen: dict[str, dict[str, Any]] = {}
    page = pages.open("/pick", HANDHELD, handheld=True)
    sign_in(page, PICKER)
    task = page.locator("#task")
    expect(task).to_be_visible()
    expect(task).to_have_attribute("data-stage", "location")
    checks.check(page, "/pick (task: scan location)", text=True)
    assert font_px(page, "#task-location") >= 28, "the location must read from arm's length"
    if page.locator("#first-shift").is_visible():
        # A new picker sees first-shift hints (checked just now); the README's picture shows
        # the everyday screen: a supervisor marks this picker experienced.
        with stations(server) as station:
            ack = station("/first-shift", SUPERVISOR).call(
                "mark", {"badge": PICKER, "experienced": True}
            )
            assert ack["ok"], ack
        page.reload()
        enter_pin_if_asked(page, PICKER)
        expect(page.locator("#user")).to_have_attribute("data-badge", PICKER)
        expect(task).to_have_attribute("data-stage", "location")
        expect(page.locator("#first-shift")).to_be_hidden()

    location = page.inner_text("#task-location").strip()
    wedge(page, "A01-01-1" if location != "A01-01-1" else "A01-01-2")
    seen["error"] = expect_result(page, "error", "Wrong location")
    checks.check(page, "/pick (wrong location)", text=True)

    wedge(page, location)
    seen["ok"] = expect_result(page, "ok", "Location confirmed")
    expect(task).to_have_attribute("data-stage", "item")
    checks.check(page, "/pick (task: scan item)", text=True)
    shoot(page, "pick", ARTIFACTS)

    barcode = task.get_attribute("data-barcode") or ""
    wedge(page, barcode)
    expect_result(page, "ok", "Item OK")
    page.click("#qty-button")
    expect(page.locator("#keypad")).to_be_visible()
    checks.check(page, "/pick (quantity keypad)", text=True)
    page.click("#keypad-cancel")
    expect(page.locator("#keypad")).to_be_hidden()
    page.click("#short-button")
    expect(page.locator("#short-sheet")).to_be_visible()
    checks.check(page, "/pick (short-pick reasons)", text=True)
    page.click("#short-cancel")
    expect(page.locator("#short-sheet")).to_be_hidden()

    while page.locator("#task").is_visible():  # finish: leave no task for other tests
        stage = task.get_attribute("data-stage")
        if stage == "location":
            wedge(page, page.inner_text("#task-location").strip())
        elif stage == "item":
            wedge(page, task.get_attribute("data-barcode") or "")
        else:
            wedge(page, task.get_attribute("data-tote") or "T0714")
            page.wait_for_selector("#task:not([hidden]), #no-work:not([hidden])")
    expect(page.locator("#no-work")).to_be_visible()
    checks.check(page, "/pick (no work)", text=True)
    wedge(page, barcode)
    seen["warn"] = expect_result(page, "warn", "No task right now")
    checks.check(page, "/pick (scan with no task)", text=True)
    distinct_without_colour(seen)
    checks.assert_clean()


def test_pack_station_states(server: Server, pages: Pages) -> None:
    """Pack at 1280 × 800 (and its targets at 360 × 640): the queue, a scan before a tote, a
    wrong item, good units, the carton recommended, the carton closed, the order's history."""
    tote = "T0715"
    allocation_id = picked(server, "PACK", PACK_PICKER, tote)
    checks = Checks()
    seen: dict[str, dict[str, Any]] = {}
    page = pages.open("/pack", DESK)
    sign_in(page, PACKER)
    expect(page.locator(f'#pack-queue [data-code="{tote}"]')).to_be_visible()
    checks.check(page, "/pack (queue)")

    wedge(page, "BOX-S")  # a carton before any tote
    seen["warn"] = expect_result(page, "warn", "Scan a tote first")
    wedge(page, tote)
    expect(page.locator("#order-number")).to_have_text(f"SO-{allocation_id}")
    checks.check(page, "/pack (order open)")
    wedge(page, "5000000000000")
    seen["error"] = expect_result(page, "error", "Wrong item")
    checks.check(page, "/pack (wrong item)")

    rows = page.locator("#pack-lines tr")
    units: list[str] = []
    for i in range(rows.count()):
        row = rows.nth(i)
        todo = int(row.get_attribute("data-picked") or 0) - int(
            row.get_attribute("data-verified") or 0
        )
        units += [row.get_attribute("data-barcode") or ""] * todo
    for code in units:
        wedge(page, code)
        seen["ok"] = expect_result(page, "ok", "OK")
    expect(page.locator("#recommendation")).to_be_visible()
    checks.check(page, "/pack (carton recommended)")
    shoot(page, "pack", ARTIFACTS)
    distinct_without_colour(seen)

    wedge(page, page.inner_text("#rec-code").strip())
    expect(page.locator("#carton-done")).to_be_visible()
    checks.check(page, "/pack (carton closed)")

    history = pages.open(f"/pack/history/{allocation_id}", DESK)
    expect(history.locator("[data-testid=history-page]")).to_be_visible()
    checks.check(history, "/pack/history (a packed order)")
    checks.assert_clean()


def test_weigh_station_states(server: Server, pages: Pages) -> None:
    carton = packed(server, "WEIGH", WEIGH_PICKER, "T0716")
    checks = Checks()
    page = pages.open("/weigh", DESK)
    sign_in(page, PACKER)
    checks.check(page, "/weigh (queue)")
    wedge(page, carton["code"])
    expect(page.locator("#carton-code")).to_have_text(carton["code"])
    checks.check(page, "/weigh (carton on the scale)")
    shoot(page, "weigh", ARTIFACTS)
    expected_g = int(page.get_attribute("#expected-weight", "data-grams") or 0)
    page.fill("#weight-input", str(expected_g + 5000))
    click(page, "#record-weight")
    expect_result(page, "error", "Weight check failed")
    checks.check(page, "/weigh (weight check failed)")
    page.fill("#weight-input", str(expected_g))
    click(page, "#record-weight")
    expect_result(page, "ok", "Weight OK")
    checks.check(page, "/weigh (weighed)")
    checks.assert_clean()


def test_ship_station_states(server: Server, pages: Pages) -> None:
    carton = weighed(server, "SHIP", SHIP_PICKER, "T0717")["code"]
    checks = Checks()
    page = pages.open("/ship", DESK)
    sign_in(page, SHIPPER)
    wedge(page, carton)
    expect(page.locator("#carton-code")).to_have_text(carton)
    expect(page.locator("#quotes tr.row-recommended")).to_have_count(1)
    checks.check(page, "/ship (quotes)")
    shoot(page, "ship", ARTIFACTS)
    click(page, "#ship-button")
    expect_result(page, "ok", "Tracking")
    checks.check(page, "/ship (shipped, label ready)")
    checks.assert_clean()


def test_returns_station_states(server: Server, pages: Pages) -> None:
    carton = weighed(server, "RET", RETURN_PICKER, "T0719")
    allocation_id = carton["allocation_id"]
    with stations(server) as station:
        shipper = station("/ship", SHIPPER)
        assert shipper.call("open", {"code": carton["code"]})["ok"]
        shipped = shipper.call("ship", {"carton": carton["code"]})
        assert shipped["ok"], shipped
    tracking = shipped["carton"]["tracking_number"]
    rma_id = f"RMA-A11Y-{uuid.uuid4().hex[:6].upper()}"
    rma = {
        "rma_id": rma_id,
        "allocation_id": allocation_id,
        "order_number": f"SO-{allocation_id}",
        "lines": [
            {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1, "reason": "too small"},
            {"line_id": "2", "sku": "MUG-BLK-S", "qty": 1, "reason": "arrived chipped"},
        ],
    }
    checks = Checks()
    page = pages.open("/returns", DESK)
    sign_in(page, RETURNS_CLERK)
    wedge(page, tracking)  # before the OMS sent the authorization
    expect_result(page, "warn", "No open return authorization")
    expect(page.locator("#no-auth")).to_be_visible()
    checks.check(page, "/returns (no authorization)")
    page.click("#no-auth-cancel")
    assert post_signed(server, "/api/v1/returns", rma).status_code == 202
    wedge(page, tracking)
    expect_result(page, "ok", f"Return {rma_id}")
    expect(page.locator("#receipt")).to_have_attribute("data-stage", "item")
    checks.check(page, "/returns (parcel open)")
    wedge(page, barcode_of(server, "TSHIRT-BLK-S"))
    expect(page.locator("#receipt")).to_have_attribute("data-stage", "grade")
    checks.check(page, "/returns (grading a unit)")
    shoot(page, "returns", ARTIFACTS)
    checks.assert_clean()


def test_supervisor_states(server: Server, pages: Pages) -> None:
    waiting = new_allocation(server, "SUP")
    checks = Checks()
    try:
        page = pages.open("/supervisor", DESK)
        sign_in(page, SUPERVISOR)
        expect(page.locator(f'#waiting tr[data-allocation="{waiting}"]')).to_be_visible()
        checks.check(page, "/supervisor (dashboard)")
        shoot(page, "supervisor", ARTIFACTS)
        page.click("summary:has-text('Wave options')")
        checks.check(page, "/supervisor (wave options open)")
    finally:
        cancel(server, waiting)
    checks.assert_clean()


def test_reports_states(server: Server, pages: Pages) -> None:
    # Today's rollups from the cron command rather than the page's button: a busy machine can
    # take longer than the page waits for an answer.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
    env["DOCKHAND_DATABASE_URL"] = server.database_url
    done = subprocess.run(
        dockhand("reports", "refresh"),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    checks = Checks()
    page = pages.open("/reports", DESK)
    sign_in(page, SUPERVISOR)
    page.wait_for_function("() => Object.keys(window.dockhandReports.charts).length > 0")
    checks.check(page, "/reports (on-time report)")
    shoot(page, "reports", ARTIFACTS)
    checks.assert_clean()
