"""A first shift in real Chromium at 360x640: a new picker signs in, starts a practice wave
from the pick screen, sees the one-line hint and the PRACTICE marker, and works the practice
orders by wedge scans alone; nothing reaches the outbox and the practice stock is put back.
Then a supervisor sees it on the first-shift page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import Server
from tests.support.handheld import (
    TIMEOUT_MS,
    Handhelds,
    database,
    expect_banner,
    settled,
    task_data,
    wedge,
)
from tests.support.signin import scan_badge_and_pin

pytestmark = pytest.mark.e2e

expect.set_options(timeout=TIMEOUT_MS)

TRAINEE = "U0020"  # a picker no other e2e test signs in with: new, and nobody's queue


@pytest.fixture
def handhelds(browser: Browser, server: Server) -> Iterator[Handhelds]:
    opened = Handhelds(browser, server)
    yield opened
    opened.close()
    assert opened.errors == []


def practice_stock(server: Server) -> dict[str, tuple[int, int]]:
    with database(server) as db:
        rows = db.execute(
            "SELECT l.code, s.on_hand, s.allocated FROM stock s "
            "JOIN locations l ON l.id = s.location_id WHERE l.kind = 'practice'"
        ).fetchall()
    return {r["code"]: (r["on_hand"], r["allocated"]) for r in rows}


def hint(page: Page) -> str:
    line = page.locator("#first-shift-hint")
    expect(line).to_be_visible()
    return page.inner_text("#hint-text").strip()


def test_a_new_picker_practises_with_hints_and_the_practice_marker(
    server: Server, handhelds: Handhelds, screenshots: Path
) -> None:
    before = practice_stock(server)
    assert len(before) == 4

    page = handhelds.open(TRAINEE)
    panel = page.locator("#first-shift")
    expect(panel).to_be_visible()
    expect(panel).to_have_attribute("data-state", "new")
    expect(page.locator("#first-shift-status")).to_contain_text("hints are on")
    start = page.locator("#practice-start")
    expect(start).to_be_visible()
    box = start.bounding_box()
    assert box is not None and box["height"] >= 48

    settled(page, start.tap)
    expect_banner(page, "ok", "Practice wave PRACTICE-")
    expect(panel).to_have_attribute("data-state", "practising")
    marker = page.locator("#practice-marker")
    expect(marker).to_be_visible()
    expect(marker).to_contain_text("PRACTICE")
    assert "practising" in (page.get_attribute("body", "class") or "")

    task = task_data(page)
    assert task["location"].startswith("X01-")
    assert hint(page) == "Scan the location label on the shelf edge"
    page.screenshot(path=str(screenshots / "first-shift-practice-pick.png"))

    # The first practice order: location, one unit, a tote; each step with its own hint.
    wedge(page, task["location"])
    expect_banner(page, "ok", "Location confirmed", "location_ok")
    assert hint(page) == "Scan the item's barcode, then put it in the tote"
    wedge(page, task["barcode"])
    expect_banner(page, "ok", "Item OK", "item_ok")
    assert hint(page) == "Take an empty tote, put the items in and scan the tote's label"
    wedge(page, "T9920")
    expect_banner(page, "ok", "Task done", "tote_ok")

    # The rest of the practice wave, by scan alone; a wrong item on the way is just feedback.
    totes = iter(["T9921", "T9922", "T9923"])
    wrong_done = False
    for _ in range(10):
        if page.locator("#no-work").is_visible():
            break
        expect(page.locator("#task")).to_be_visible()
        expect(marker).to_be_visible()
        task = task_data(page)
        wedge(page, task["location"])
        if not wrong_done:
            wedge(page, "4006381333931")
            expect_banner(page, "error", "Wrong item", "wrong_item")
            wrong_done = True
        for _ in range(int(task["picked"]), int(task["qty"])):
            wedge(page, task["barcode"])
        expect(page.locator("#task")).to_have_attribute("data-stage", "tote")
        wedge(page, task["tote"] or next(totes))
        expect_banner(page, "ok", "Task done", "tote_ok")
    expect(page.locator("#no-work")).to_be_visible()
    expect(marker).to_be_hidden()

    # How it went; the practice items go back on their shelf, in the ledger too.
    expect(panel).to_have_attribute("data-state", "practice-over")
    expect(page.locator("#first-shift-status")).to_contain_text("Practice done")
    expect(page.locator("#practice-summary")).to_contain_text("3 of 3 practice orders picked")
    expect(page.locator("#practice-summary")).to_contain_text("1 wrong scans")
    expect(page.locator("#practice-done")).to_be_visible()
    page.screenshot(path=str(screenshots / "first-shift-practice-done.png"))
    assert practice_stock(server) == before
    with database(server) as db:
        practice_events = db.execute(
            "SELECT count(*) FROM outbox WHERE allocation_id LIKE 'PRACTICE-%' "
            "OR body LIKE '%PRACTICE-%'"
        ).fetchone()[0]
        stations = {
            r[0]
            for r in db.execute(
                "SELECT DISTINCT s.station FROM scan_log s JOIN allocations a "
                "ON a.id = s.allocation_pk WHERE a.practice AND s.actor = ?",
                (TRAINEE,),
            )
        }
    assert practice_events == 0
    assert stations == {"practice_pick"}


def test_the_supervisor_sees_new_people_and_their_practice(
    server: Server, browser: Browser, screenshots: Path
) -> None:
    context = browser.new_context(base_url=server.base_url, viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/first-shift")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        scan_badge_and_pin(page, "U0001")
        row = page.locator(f'#people tr[data-badge="{TRAINEE}"]')
        expect(row).to_be_visible()
        expect(row).to_have_attribute("data-new", "true")
        expect(page.locator("#rules")).to_contain_text("10 pick tasks")
        mark = page.locator(f'[data-testid="mark-{TRAINEE}"]')
        settled(page, mark.click)
        expect_banner(page, "ok", "marked experienced")
        expect(row).to_have_attribute("data-marked", "true")
        page.screenshot(path=str(screenshots / "first-shift-supervisor.png"))
        settled(page, page.locator(f'[data-testid="unmark-{TRAINEE}"]').click)
        expect(row).to_have_attribute("data-marked", "false")

        # On the dashboard the practice's scans are named as practice, apart from the real
        # stations' (the scan log's station `practice_pick` was shown as it is spelt).
        with database(server) as db:
            if not db.execute("SELECT 1 FROM scan_log WHERE station = 'practice_pick'").fetchone():
                db.execute(  # this test run alone: the practice above made none
                    "INSERT INTO scan_log (station, actor, raw, result, at) "
                    "VALUES ('practice_pick', ?, 'X01-01-1', 'location_ok', datetime('now'))",
                    (TRAINEE,),
                )
                db.commit()
        page.goto("/supervisor")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        # Signed in already (the first-shift page's sign-in carried over) or asked to: wait
        # for one of the two before looking, or the sign-in box may not be shown yet.
        either = page.locator('#signin:visible, #user[data-badge="U0001"]')
        expect(either.first).to_be_visible()
        if page.locator("#signin").is_visible():
            scan_badge_and_pin(page, "U0001")
        scans = page.locator("#scans")
        expect(scans).to_contain_text("Practice pick")
        expect(scans).not_to_contain_text("practice_pick")
        assert errors == []
    finally:
        context.close()


def test_pack_practice_on_the_real_pack_screen(
    server: Server, browser: Browser, screenshots: Path
) -> None:
    """Practice totes at the pack bench: the marker, a hint per step, a practice carton that
    never reaches weighing. The admin's badge: no other e2e test packs with it."""
    from tests.e2e.test_one_order_every_station import Stations, sign_in
    from tests.e2e.test_one_order_every_station import wedge as desk_wedge

    before = practice_stock(server)
    stations = Stations(browser, server)
    try:
        pack = stations.open("/pack")
        sign_in(pack, "U0002")
        expect(pack.locator("#first-shift")).to_have_attribute("data-state", "new")
        assert hint(pack) == "Scan the label on the tote to open its order"
        settled(pack, pack.locator("#practice-start").click)
        expect_banner(pack, "ok", "Scan a tote to start")
        status = pack.inner_text("#first-shift-status")
        totes = status.split("Practice totes: ", 1)[1].rstrip(".").split(", ")
        assert len(totes) == 3 and all(t.startswith("T99") for t in totes)
        for n, tote in enumerate(totes):
            desk_wedge(pack, tote)
            expect(pack.locator("#practice-marker")).to_be_visible()
            assert hint(pack) == "Scan each item into the carton"
            rows = pack.locator("#pack-lines tr")
            for i in range(rows.count()):
                row = rows.nth(i)
                for _ in range(int(row.get_attribute("data-picked") or "0")):
                    desk_wedge(pack, row.get_attribute("data-barcode") or "")
            assert hint(pack).startswith("Close the carton and print the slip")
            if n == 0:
                pack.screenshot(path=str(screenshots / "first-shift-practice-pack.png"))
            settled(pack, pack.locator("#confirm-carton").click)
            expect(pack.locator("#carton-done")).to_be_visible()
        expect(pack.locator("#first-shift")).to_have_attribute("data-state", "practice-over")
        expect(pack.locator("#practice-summary")).to_contain_text("3 of 3 practice orders packed")
        expect(pack.locator("#practice-marker")).to_be_hidden()
        settled(pack, pack.locator("#practice-done").click)
        expect(pack.locator("#practice-done")).to_be_hidden()
        assert stations.errors == []
    finally:
        stations.close()
    assert practice_stock(server) == before
    with database(server) as db:
        cartons = {
            r[0]
            for r in db.execute(
                "SELECT c.status FROM cartons c JOIN allocations a ON a.id = c.allocation_pk "
                "WHERE a.practice AND c.packed_by = 'U0002'"
            )
        }
        weigh_queue = db.execute(
            "SELECT count(*) FROM cartons c JOIN allocations a ON a.id = c.allocation_pk "
            "WHERE a.practice AND c.status = 'packed'"
        ).fetchone()[0]
    assert cartons == {"practice"} and weigh_queue == 0
