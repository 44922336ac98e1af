"""The weigh station page in real headless Chromium against the real `dockhand serve`: a
server-side simulated scale's readings appear live, a mis-packed carton is blocked and cannot
get a label at the ship station, a scale that never settles says so, a supervisor releases the
carton with a reason (audited), and zero and tare work from the page.

The carton is picked and packed over Socket.IO (the same events the pages send); the weigh
and ship pages are driven the way the floor drives them: wedge keystrokes and taps."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from app.simulate import Station, Tally
from tests.e2e.live import Server
from tests.e2e.test_one_order_every_station import (
    DESK,
    Stations,
    click,
    expect_banner,
    sign_in,
    wedge,
)
from tests.support.signin import scan_badge_and_pin
from tests.support.warehouse import allocation_doc

pytestmark = pytest.mark.e2e

SLOW_MS = 15_000  # the "not stable" message appears only after not_stable_after_s (5 s)


@pytest.fixture
def stations(browser: Browser, server: Server) -> Iterator[Stations]:
    opened = Stations(browser, server)
    yield opened
    opened.close()


def packed_carton(server: Server) -> dict[str, Any]:
    """A new allocation picked and packed through the station events; its carton."""
    allocation_id = f"AL-WE2E-{uuid.uuid4().hex[:8].upper()}"
    resp = server.post_allocation(allocation_doc(allocation_id))
    assert resp.status_code == 202, resp.text
    tally = Tally()
    opened: list[Station] = []

    def connect(namespace: str, badge: str) -> Station:
        st = Station(server.base_url, namespace, badge, tally)
        st.connect()
        opened.append(st)
        return st

    try:
        sup = connect("/supervisor", "U0001")
        ack = sup.call("build_wave", {"allocation_ids": [allocation_id], "release": True})
        assert ack["ok"], ack
        picker = connect("/pick", "U0012")
        while True:
            task = picker.call("next_task", {})["task"]
            if task is None:
                break
            codes = [] if task["location_confirmed"] else [task["location"]]
            codes += [task["barcode"]] * (task["qty"] - task["picked"])
            codes.append(task["tote"] or "T0901")
            for code in codes:
                reply = picker.call("scan", {"task_id": task["task_id"], "code": code})
                assert reply["ok"], reply
        packer = connect("/pack", "U0042")
        order = packer.call("open", {"code": allocation_id})["order"]
        reply: dict[str, Any] = {}
        for line in order["lines"]:
            for _ in range(line["picked"]):
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
        carton: dict[str, Any] = closed["carton"]
        return carton
    finally:
        for st in opened:
            st.close()


def live_grams(page: Page) -> int:
    return int(page.get_attribute("#live-weight", "data-grams") or "0")


def test_weigh_page_shows_the_live_scale_and_a_mispacked_carton_gets_no_label(
    server: Server, stations: Stations, screenshots: Path
) -> None:
    carton = packed_carton(server)
    code, expected_g = carton["code"], carton["expected_weight_g"]

    weigh = stations.open("/weigh/WEIGH-2", DESK)
    expect(weigh.locator("#station-label")).to_have_text("Weigh 2")
    sign_in(weigh, "U0041")
    # The simulated scale is read on the server and pushed to this station's room.
    expect(weigh.locator("#scale-panel")).to_have_attribute("data-state", "stable")
    expect(weigh.locator("#live-status")).to_have_text("Stable: the scale is empty.")
    expect(weigh.locator("#live-icon")).to_have_text("✔")

    wedge(weigh, code)
    expect(weigh.locator("#carton-code")).to_have_text(code)
    expect(weigh.locator("#expected-weight")).to_have_attribute("data-grams", str(expected_g))
    expect(weigh.locator("#weight-form")).to_be_hidden()  # a packer may not type a weight here
    expect(weigh.locator("#manual-locked")).to_be_visible()

    # One unit too many goes on the scale: it moves, settles, and the server takes the weight.
    weigh.click("#simulator summary")
    weigh.click("#sim-heavy")
    expect_banner(weigh, "error", "Weight check failed")
    live_g = live_grams(weigh)
    assert live_g > expected_g + 100, (live_g, expected_g)
    expect(weigh.locator("#live-weight")).to_have_attribute("data-stable", "true")
    expect(weigh.locator("#carton-panel")).to_have_attribute("data-status", "packed")
    expect(weigh.locator("#weigh-blocked")).to_be_visible()
    expect(weigh.locator("#qc-panel")).to_be_visible()
    expect(weigh.locator("#measured-weight")).to_have_class(re.compile(r"\bbad\b"))
    weigh.screenshot(path=str(screenshots / "weigh-blocked.png"), full_page=True)

    # The ship station refuses it.
    ship = stations.open("/ship", DESK)
    sign_in(ship, "U0060")
    wedge(ship, code)
    expect(ship.locator("#carton-code")).to_have_text(code)
    expect(ship.locator("#blocked")).to_be_visible()
    expect(ship.locator("#blocked-text")).to_contain_text("Weigh this carton first")
    expect(ship.locator("#ship-button")).to_be_disabled()
    ship.screenshot(path=str(screenshots / "ship-blocked.png"))

    # A scale that never settles says so plainly, and gives no weight.
    weigh.click("#sim-shaky")
    expect(weigh.locator("#live-status")).to_contain_text("Not stable for", timeout=SLOW_MS)
    expect(weigh.locator("#scale-panel")).to_have_attribute("data-state", "unstable")
    expect(weigh.locator("#live-icon")).to_have_text("✖")
    expect_banner(weigh, "warn", "Not stable for")
    weigh.screenshot(path=str(screenshots / "weigh-not-stable.png"))

    # The packer cannot override; a supervisor scans their badge here and releases it.
    click(weigh, "#qc-override")
    expect(weigh.locator("#qc-need-supervisor")).to_be_visible()
    expect(weigh.locator("#override-form")).to_be_hidden()
    scan_badge_and_pin(weigh, "U0001")
    expect(weigh.locator("#user")).to_have_attribute("data-badge", "U0001")
    expect(weigh.locator(f'#qc-exceptions tr[data-carton="{code}"]')).to_be_visible()
    expect(weigh.locator("#carton-code")).to_have_text(code)
    click(weigh, "#qc-override")
    expect(weigh.locator("#override-form")).to_be_visible()
    weigh.select_option("#override-reason", "packaging")
    weigh.fill("#override-note", "double-walled carton used today")
    click(weigh, "#override-submit")
    expect_banner(weigh, "ok", "Override recorded")
    expect(weigh.locator("#weigh-last")).to_contain_text(code)
    expect(weigh.locator(f'#qc-exceptions tr[data-carton="{code}"]')).to_have_count(0)

    ship = stations.open("/ship", DESK)  # a fresh look: the carton is cleared now
    sign_in(ship, "U0060")
    wedge(ship, code)
    expect(ship.locator("#carton-code")).to_have_text(code)
    expect(ship.locator("#blocked")).to_be_hidden()
    expect(ship.locator("#ship-button")).to_be_enabled()

    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            actor, detail = conn.execute(
                text(
                    "SELECT a.actor, a.detail FROM weigh_audit a JOIN cartons c"
                    " ON c.id = a.carton_id WHERE c.code = :code AND a.action = 'override'"
                ),
                {"code": code},
            ).one()
    finally:
        engine.dispose()
    assert actor == "U0001" and '"packaging"' in detail and "double-walled" in detail

    # Zero and tare from the page: a tote on the scale, tare it, clear it, empty, zero.
    click(weigh, "#sim-carton")  # no carton open: the simulator puts 1 kg on
    expect(weigh.locator("#scale-panel")).to_have_attribute("data-state", "stable")
    expect(weigh.locator("#live-weight")).to_have_attribute(
        "data-grams", re.compile(r"^(99\d|100\d)$")
    )
    click(weigh, "#tare-button")
    expect_banner(weigh, "ok", "weights now exclude it")
    expect(weigh.locator("#tare-tag")).to_be_visible()
    expect(weigh.locator("#live-weight")).to_have_attribute("data-grams", re.compile(r"^-?\d$"))
    click(weigh, "#clear-tare-button")
    expect(weigh.locator("#tare-tag")).to_be_hidden()
    click(weigh, "#sim-off")
    expect(weigh.locator("#live-status")).to_have_text("Stable: the scale is empty.")
    click(weigh, "#zero-button")
    expect_banner(weigh, "ok", "Zeroed.")

    assert stations.errors == []
