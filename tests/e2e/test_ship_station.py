"""The ship station page in real Chromium: from a weighed carton to a printed label.

A dedicated `dockhand serve` runs with a config folder whose stations.toml gives station
`ship-e2e` a ZPL printer: a TCP listener on 127.0.0.1 that keeps every job and answers ~HS.
The carton is made weighed through the real stations' Socket.IO events (as the simulated
floor does); the shipper then works the page with wedge keystrokes and taps: sees the
recommendation and the alternatives, overrides with a reason, ships, sees "printed", reprints,
voids and re-ships, and closes the carrier's day. The printed ZPL is read back and the PDF
label rasterised and decoded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from app.simulate import Station, Tally
from tests.e2e.live import REPO, dockhand, free_port, tail
from tests.support.shipping import FakePrinter, fake_printer
from tests.support.signin import scan_badge_and_pin
from tests.support.warehouse import allocation_doc
from tests.support.zpl_reader import read

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 10_000
SECRET = "e2e-ship-" + "z" * 24
expect.set_options(timeout=TIMEOUT_MS)


class ShipServer:
    def __init__(self, base_url: str, printer: FakePrinter) -> None:
        self.base_url = base_url
        self.printer = printer

    def post_allocation(self, doc: dict[str, Any]) -> requests.Response:
        import json
        import time

        from app.domain.signing import signed_headers

        body = json.dumps(doc).encode()
        headers = {"Content-Type": "application/json", **signed_headers(SECRET, body, time.time())}
        return requests.post(f"{self.base_url}/api/v1/allocations", data=body, headers=headers)


@pytest.fixture(scope="module")
def ship_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShipServer]:
    folder = tmp_path_factory.mktemp("ship-e2e")
    config = folder / "config"
    shutil.copytree(REPO / "config", config)
    with fake_printer() as printer:
        stations = config / "stations.toml"
        existing = stations.read_text() if stations.exists() else ""
        stations.write_text(
            existing + f"\n[stations.ship-e2e.printer]\nkind = 'zpl'\nhost = '127.0.0.1'\n"
            f"port = {printer.port}\nname = 'Zebra e2e'\ntimeout_s = 2\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
        env.update(
            DOCKHAND_DATABASE_URL=f"sqlite:///{folder / 'dockhand.db'}",
            DOCKHAND_CONFIG_DIR=str(config),
        )
        for args in (("db", "upgrade"), ("seed", "--demo", "--skus", "30")):
            done = subprocess.run(
                dockhand(*args), cwd=REPO, env=env, capture_output=True, text=True, timeout=120
            )
            assert done.returncode == 0, done.stderr
        env["DOCKHAND_OMS_SECRET"] = SECRET
        port = free_port()
        log = folder / "server.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                dockhand("serve", "--host", "127.0.0.1", "--port", str(port)),
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                if proc.poll() is not None:
                    pytest.fail(f"dockhand serve exited:\n{tail(log)}")
                try:
                    if requests.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                import time

                time.sleep(0.1)
            yield ShipServer(base, printer)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def weighed_carton(server: ShipServer, allocation_id: str, tote: str) -> str:
    """Release, pick, pack and weigh one order through the stations' Socket.IO events."""
    ship_by = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0).isoformat()
    resp = server.post_allocation(allocation_doc(allocation_id, ship_by=ship_by))
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
        picker = station("/pick", "U0011")
        while (task := picker.call("next_task", {})["task"]) is not None:
            codes = [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or tote]
            for code in codes:
                reply = picker.call("scan", {"task_id": task["task_id"], "code": code})
                assert reply["ok"], reply
        packer = station("/pack", "U0041")
        order = packer.call("open", {"code": allocation_id})["order"]
        for line in order["lines"]:
            for _ in range(line["picked"]):
                reply = packer.call(
                    "scan", {"allocation_id": allocation_id, "code": line["barcode"]}
                )
                assert reply["ok"], reply
        carton = packer.call(
            "close_carton",
            {
                "allocation_id": allocation_id,
                "carton_type": reply["order"]["recommendation"]["code"],
            },
        )["carton"]
        weigher = station("/weigh", "U0041")
        reply = weigher.call(
            "weight", {"carton": carton["code"], "weight_g": carton["expected_weight_g"] + 5}
        )
        assert reply["ok"], reply
        return str(carton["code"])
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


def test_a_weighed_carton_becomes_a_printed_label_at_the_ship_station(
    ship_server: ShipServer, browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    suffix = uuid.uuid4().hex[:6].upper()
    carton = weighed_carton(ship_server, f"AL-SHIP-{suffix}", "T0901")
    errors: list[str] = []
    context = browser.new_context(
        base_url=ship_server.base_url, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        page.goto("/ship?station=ship-e2e")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        scan_badge_and_pin(page, "U0060")
        expect(page.locator("#work")).to_be_visible()
        # The printer answered ~HS from the listener
        expect(page.locator("#printer")).to_have_attribute("data-state", "ready")
        expect(page.locator("#printer-name")).to_have_text("Zebra e2e")

        # Scan the carton: the recommendation first, alternatives with their reasons
        wedge(page, carton)
        expect(page.locator("#carton-code")).to_have_text(carton)
        expect(page.locator("#quotes tr.row-recommended")).to_have_count(1)
        expect(page.locator("#quotes tr.row-recommended input")).to_be_checked()
        expect(page.locator("#quotes tr")).to_have_count(4)
        expect(page.locator('#quotes tr[data-service="PPL-48"] .why')).to_contain_text("below 90 %")
        expect(page.locator("#override")).to_be_hidden()

        # Choose the unreliable cheaper service anyway: the reason is asked for
        page.click('#quotes tr[data-service="PPL-48"]')
        expect(page.locator("#override")).to_be_visible()
        page.screenshot(path=str(screenshots / "ship-override.png"))
        page.click('input[name="override-reason"][value="customer_request"]')
        settled(page, lambda: page.click("#ship-button"))
        expect(page.locator("#banner")).to_have_attribute("data-state", "ok")
        expect(page.locator("#banner-text")).to_contain_text("printed on Zebra e2e")
        tracking = page.inner_text("#tracking-number").strip()
        assert tracking.startswith("PP")
        expect(page.locator("#print-result")).to_contain_text("Printed on Zebra e2e")
        expect(page.locator('#closeout li[data-carrier="PPL"]')).to_contain_text("1 carton ·")
        page.screenshot(path=str(screenshots / "ship-printed.png"))

        # The printer got one ZPL label whose barcode is the tracking number
        (job,) = ship_server.printer.wait_for(1)
        _, barcodes = read(job)
        assert tracking in [b.scanned() for b in barcodes]
        assert carton in [b.scanned() for b in barcodes]

        # Reprint: the same bytes again
        settled(page, lambda: page.click("#reprint-button"))
        expect(page.locator("#banner-text")).to_contain_text("Reprint")
        jobs = ship_server.printer.wait_for(2)
        assert len(jobs) == 2 and jobs[1] == jobs[0]

        # The PDF label behind the link scans too
        href = page.get_attribute("#label-link", "href")
        pdf = requests.get(ship_server.base_url + str(href), timeout=10).content
        (tmp_path / "label.pdf").write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", "300", "-png", str(tmp_path / "label.pdf"), str(tmp_path / "l")],
            check=True,
        )
        with Image.open(next(tmp_path.glob("l-*.png"))) as image:
            assert tracking in [b.text for b in zxingcpp.read_barcodes(image)]

        # Void it (wrong service after all) and ship with the recommendation
        wedge(page, carton)
        expect(page.locator("#label-actions")).to_be_visible()
        page.click("#void-button")
        page.select_option("#void-reason", "wrong service")
        settled(page, lambda: page.click("#void-confirm"))
        expect(page.locator("#banner")).to_have_attribute("data-state", "warn")
        expect(page.locator("#banner-text")).to_contain_text(f"Label {tracking} voided")
        expect(page.locator("#quotes tr.row-recommended input")).to_be_checked()
        wedge(page, carton)  # the same carton scanned again confirms: ship
        second = page.inner_text("#tracking-number").strip()
        assert second and second != tracking
        assert len(ship_server.printer.wait_for(3)) == 3

        # End of day: close the carrier that took it; the manifest is offered
        carrier = page.inner_text("#shipped-service").split(" · ")[0]
        button = page.locator(f'[data-testid="close-{carrier}"]')
        expect(button).to_be_enabled()
        with context.expect_page() as manifest_page:
            settled(page, button.click)
        expect(page.locator(f'#closeout li[data-carrier="{carrier}"]')).to_contain_text("MF-")
        assert "/ship/manifest/MF-" in manifest_page.value.url
        assert errors == []
    finally:
        context.close()
