"""The supervisor dashboard in real Chromium stays live while simulated pickers work: orders
posted to the real server, a wave built and released from the page, then `dockhand simulate`
pickers (Socket.IO clients in another process) pick it, and the page's numbers move without
a reload."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import REPO, Server
from tests.e2e.test_one_order_every_station import Stations, click, expect_banner, sign_in
from tests.support.metrics import counter_total
from tests.support.warehouse import allocation_doc

pytestmark = pytest.mark.e2e

SKUS = ["TSHIRT-BLK-S", "MUG-BLK-S", "CAP-BLK-S", "SOCKS-BLK-S", "NOTEBOOK-BLK-S"]


def number(page: Page, selector: str) -> int:
    return int(page.inner_text(selector).strip() or "0")


def snapshots_asked(server: Server) -> float:
    """The supervisors' `snapshot` calls so far (each holds up the server's scans)."""
    text = requests.get(server.url("/metrics"), timeout=10).text
    return counter_total(text, "dockhand_station_events_total", event="snapshot")


def test_dashboard_numbers_move_while_simulated_pickers_work(
    server: Server, browser: Browser, screenshots: Path
) -> None:
    stations = Stations(browser, server)
    try:
        tag = uuid.uuid4().hex[:6].upper()
        for i in range(12):
            lines = [
                {"line_id": str(k + 1), "sku": SKUS[(i + k) % len(SKUS)], "qty": 1}
                for k in range(1 + i % 2)
            ]
            resp = server.post_allocation(allocation_doc(f"AL-DASH-{tag}-{i}", lines=lines))
            assert resp.status_code == 202, resp.text

        sup = stations.open("/supervisor")
        sign_in(sup, "U0001")
        sup.click(".wave-options summary")
        sup.select_option("#wave-strategy", "batch")
        sup.fill("#wave-max", "12")
        click(sup, "#build-wave")
        expect_banner(sup, "ok", "released")
        expect(sup.locator('#station-rates [data-station="pick"]')).to_be_visible()
        picked_before = number(sup, "#picked-today")
        pick_queue_before = int(
            sup.locator('#station-rates [data-station="pick"]').get_attribute("data-queue") or "0"
        )
        assert pick_queue_before > 0

        asked_before = snapshots_asked(server)
        sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.cli",
                "simulate",
                "--url",
                server.base_url,
                "--pickers",
                "2",
                "--minutes",
                "0.5",
                "--no-supervisor",
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            # While they work, the page (never reloaded) shows units picked going up, a
            # picker's rate, and tasks done in the wave.
            deadline = time.monotonic() + 40
            moved = False
            while time.monotonic() < deadline and not moved:
                time.sleep(1)
                moved = (
                    number(sup, "#picked-today") > picked_before
                    and sup.locator("#pickers tr[data-picker]").count() > 0
                )
            assert moved, "the dashboard did not move while pickers worked"
            expect(sup.locator('#station-rates [data-station="pick"]')).not_to_have_attribute(
                "data-rate", "0"
            )
            rates = [
                float(row.get_attribute("data-rate") or "0")
                for row in sup.locator("#pickers tr[data-picker]").all()
            ]
            assert max(rates) > 0, rates
            out, err = sim.communicate(timeout=90)
        finally:
            if sim.poll() is None:
                sim.kill()
        assert sim.returncode == 0, err[-2000:]
        # Pushes came every second of the run: the page's fallback poll (every 15 s) did not
        # ask for snapshots meanwhile (one at most, at the run's edges).
        assert snapshots_asked(server) - asked_before <= 1
        report = json.loads(out.strip().splitlines()[-1])
        assert report["tasks_done"] > 0, report
        # Numbers kept moving to the end of the run.
        expect(sup.locator("#picked-today")).not_to_have_text(str(picked_before))
        done = sup.locator("#waves tr[data-wave]").first.get_attribute("data-tasks-done")
        assert int(done or "0") > 0
        sup.screenshot(path=str(screenshots / "supervisor-live.png"), full_page=True)
        assert not stations.errors, stations.errors
    finally:
        stations.close()
