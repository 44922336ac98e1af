"""The returns station page in real headless Chromium against the real `dockhand serve`:
a shipped order comes back with one resellable and one damaged unit. The parcel is found by
the tracking number we shipped it with; the resellable unit is photographed through the file
input fallback and put away by a bin scan; the damaged one is refused until photographed with
the browser camera (Chromium's fake capture device), then goes to quarantine. Everything is
driven with wedge keystrokes except the two photo actions."""

from __future__ import annotations

import io
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from PIL import Image
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, select

from app.adapters.db.models import OutboxEvent
from app.domain.signing import signed_headers
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.live import Server
from tests.e2e.test_one_order_every_station import (
    TIMEOUT_MS,
    Stations,
    click,
    expect_banner,
    sign_in,
    wedge,
)
from tests.support.warehouse import allocation_doc

pytestmark = pytest.mark.e2e

SHIRT, MUG = "TSHIRT-BLK-S", "MUG-BLK-S"
FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


class Floor:
    """Station clients over real Socket.IO, as the pages and `dockhand simulate` talk."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.clients: list[socketio.Client] = []

    def station(self, namespace: str, badge: str) -> Any:
        sio = socketio.Client(reconnection=False)
        sio.connect(
            self.server.base_url, namespaces=[namespace], transports=["websocket"], wait_timeout=10
        )
        self.clients.append(sio)
        ack = sio.call("sign_in", {"badge": badge, "pin": "1234"}, namespace=namespace, timeout=15)
        assert ack["ok"], ack

        def call(event: str, payload: dict[str, Any]) -> dict[str, Any]:
            answer: dict[str, Any] = sio.call(event, payload, namespace=namespace, timeout=15)
            return answer

        return call

    def close(self) -> None:
        for sio in self.clients:
            sio.disconnect()


def ship_one_order(server: Server, allocation_id: str) -> dict[str, Any]:
    """The walking skeleton's path (tests.test_support.work_one_order) over real sockets."""
    resp = server.post_allocation(allocation_doc(allocation_id))
    assert resp.status_code == 202, resp.text
    floor = Floor(server)
    try:
        sup = floor.station("/supervisor", "U0001")
        built = sup("build_wave", {"allocation_ids": [allocation_id], "release": True})
        assert built["ok"], built
        pick = floor.station("/pick", "U0029")
        tote = f"T{int(time.time() * 1000) % 900000 + 100000}"
        for _ in range(20):
            task = pick("next_task", {})["task"]
            if task is None:
                break
            codes = [task["location"]] + [task["barcode"]] * (task["qty"] - task["picked"])
            for code in [*codes, task["tote"] or tote]:
                reply = pick("scan", {"task_id": task["task_id"], "code": code})
                assert reply["ok"], reply
        pack = floor.station("/pack", "U0045")
        order = pack("open", {"code": allocation_id})
        assert order["ok"], order
        reply: dict[str, Any] = {}
        for line in order["order"]["lines"]:
            for _ in range(line["picked"] - line["verified"]):
                reply = pack("scan", {"allocation_id": allocation_id, "code": line["barcode"]})
                assert reply["ok"], reply
        carton_type = reply["order"]["recommendation"]["code"]
        closed = pack("close_carton", {"allocation_id": allocation_id, "carton_type": carton_type})
        assert closed["ok"], closed
        carton = closed["carton"]
        weigh = floor.station("/weigh", "U0045")
        weighed = weigh(
            "weight", {"carton": carton["code"], "weight_g": carton["expected_weight_g"]}
        )
        assert weighed["ok"], weighed
        ship = floor.station("/ship", "U0063")
        assert ship("open", {"code": carton["code"]})["ok"]
        shipped: dict[str, Any] = ship("ship", {"carton": carton["code"]})
        assert shipped["ok"], shipped
        return shipped
    finally:
        floor.close()


def signed_post(server: Server, path: str, doc: dict[str, Any]) -> requests.Response:
    body = json.dumps(doc).encode()
    headers = {
        "Content-Type": "application/json",
        **signed_headers(server.secret, body, time.time()),
    }
    return requests.post(server.url(path), data=body, headers=headers, timeout=10)


def barcode_of(server: Server, sku: str) -> str:
    items = server.get_signed(f"/api/v1/inventory?sku={sku}").json()["items"]
    assert items, sku
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            row = conn.exec_driver_sql(
                "SELECT b.code FROM barcodes b JOIN skus s ON s.id = b.sku_id WHERE s.sku = ?",
                (sku,),
            ).first()
    finally:
        engine.dispose()
    assert row is not None
    return str(row[0])


def outbox(server: Server, type_: str) -> list[dict[str, Any]]:
    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            bodies = conn.execute(
                select(OutboxEvent.body).where(OutboxEvent.type == type_).order_by(OutboxEvent.id)
            ).scalars()
            return [json.loads(b) for b in bodies]
    finally:
        engine.dispose()


def location_stock(server: Server, sku: str) -> dict[str, tuple[int, int]]:
    item = server.get_signed(f"/api/v1/inventory?sku={sku}&locations=1").json()["items"][0]
    return {loc["location"]: (loc["on_hand"], loc["allocated"]) for loc in item["locations"]}


@pytest.fixture
def camera_browser(browser: Browser) -> Iterator[Browser]:
    """Chromium with its fake capture device: getUserMedia gets a moving test pattern."""
    launched = browser.browser_type.launch(
        executable_path=shutil.which("chromium"), args=[*CHROMIUM_ARGS, *FAKE_CAMERA]
    )
    try:
        yield launched
    finally:
        launched.close()


def a_photo_file(tmp_path: Path) -> Path:
    img = Image.new("RGB", (2400, 1800))
    img.putdata([((x // 8) % 256, (y // 8) % 256, 128) for y in range(1800) for x in range(2400)])
    path = tmp_path / "shirt.jpg"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=90)
    path.write_bytes(out.getvalue())
    return path


def test_return_with_one_resellable_and_one_damaged_unit_in_chromium(
    server: Server, camera_browser: Browser, screenshots: Path, tmp_path: Path
) -> None:
    allocation_id = f"AL-RET-{uuid.uuid4().hex[:8].upper()}"
    rma_id = f"RMA-{uuid.uuid4().hex[:8].upper()}"
    shipped = ship_one_order(server, allocation_id)
    tracking = shipped["carton"]["tracking_number"]
    rma = {
        "rma_id": rma_id,
        "allocation_id": allocation_id,
        "order_number": f"SO-{allocation_id}",
        "lines": [
            {"line_id": "1", "sku": SHIRT, "qty": 1, "reason": "changed mind"},
            {"line_id": "2", "sku": MUG, "qty": 1, "reason": "arrived chipped"},
        ],
    }
    assert signed_post(server, "/api/v1/returns", rma).status_code == 202
    shirt, mug = barcode_of(server, SHIRT), barcode_of(server, MUG)
    before_shirt = location_stock(server, SHIRT)
    before_mug = location_stock(server, MUG)

    stations = Stations(camera_browser, server)
    try:
        page = stations.open("/returns")
        page.context.grant_permissions(["camera"])
        run_the_return(page, tracking, rma_id, shirt, mug, tmp_path, screenshots)
    finally:
        stations.close()
    assert stations.errors == []

    after_shirt = location_stock(server, SHIRT)
    [bin_] = [loc for loc, stock in after_shirt.items() if stock != before_shirt.get(loc)]
    assert after_shirt[bin_][0] == before_shirt[bin_][0] + 1  # back in stock at once
    after_mug = location_stock(server, MUG)
    assert after_mug["Q00-00-1"][0] - before_mug.get("Q00-00-1", (0, 0))[0] == 1
    assert after_mug["Q00-00-1"][0] == after_mug["Q00-00-1"][1]  # never available

    [event] = [e for e in outbox(server, "return.received") if e["data"]["rma_id"] == rma_id]
    assert event["allocation_id"] == allocation_id
    lines = {ln["sku"]: ln for ln in event["data"]["lines"]}
    assert (lines[SHIRT]["grade"], lines[SHIRT]["restocked_qty"]) == ("resellable", 1)
    assert (lines[MUG]["grade"], lines[MUG]["restocked_qty"]) == ("damaged", 0)
    assert len(lines[SHIRT]["photos"]) == 1 and len(lines[MUG]["photos"]) == 1
    for url in (lines[SHIRT]["photos"][0], lines[MUG]["photos"][0]):
        photo = server.get_signed(url)
        assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/jpeg"
        with Image.open(io.BytesIO(photo.content)) as img:
            assert img.format == "JPEG" and max(img.size) <= 1600
    changed = [e["data"]["sku"] for e in outbox(server, "inventory.changed")]
    assert SHIRT in changed


def run_the_return(
    page: Page,
    tracking: str,
    rma_id: str,
    shirt: str,
    mug: str,
    tmp_path: Path,
    screenshots: Path,
) -> None:
    sign_in(page, "U0045")
    expect(page.locator("#idle")).to_contain_text("Scan a returned parcel")

    # The parcel, by the tracking number of our own shipment.
    wedge(page, tracking)
    expect_banner(page, "ok", f"Return {rma_id}")
    receipt = page.locator("#receipt")
    expect(receipt).to_have_attribute("data-stage", "item")
    expect(page.locator("#receipt-title")).to_have_text(f"Return {rma_id}")
    expect(page.locator("#authorized tr")).to_have_count(2)

    # Unit 1: the shirt, resellable; a photo through the file input, then its bin.
    wedge(page, shirt)
    expect_banner(page, "ok", "unit 1 of 1 authorized")
    expect(receipt).to_have_attribute("data-stage", "grade")
    expect(page.locator("#unit-sku")).to_have_text(SHIRT)
    page.set_input_files("#photo-file", str(a_photo_file(tmp_path)))
    expect(page.locator("#photos")).to_have_attribute("data-count", "1")
    expect_banner(page, "ok", "Photo saved")
    click(page, '.reason[data-reason="R-UNOPENED"]')
    expect_banner(page, "ok", "Resellable")
    expect(receipt).to_have_attribute("data-stage", "put_away")
    bin_ = page.inner_text("#put-away-location").strip()
    assert bin_ and bin_[0] == "A", bin_
    wrong = "Q00-00-1"
    wedge(page, wrong)
    expect_banner(page, "error", "Wrong location")
    wedge(page, bin_)
    expect_banner(page, "ok", "back in stock")
    expect(receipt).to_have_attribute("data-stage", "item")
    expect(page.locator('#units tr[data-status="restocked"]')).to_have_count(1)

    # Unit 2: the mug, damaged; refused without a photo, then the camera.
    wedge(page, mug)
    expect(receipt).to_have_attribute("data-stage", "grade")
    expect(page.locator("#unit-sku")).to_have_text(MUG)
    wedge(page, "R-DEFECT")
    expect_banner(page, "error", "Take a photo first")
    expect(page.locator("#take-photo")).to_be_visible(timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => (document.querySelector('#camera-video') || {}).videoWidth > 0",
        timeout=TIMEOUT_MS,
    )
    wedge(page, "CMD-PHOTO")  # the bench card's photo barcode: the same as the button
    expect(page.locator("#photos")).to_have_attribute("data-count", "1")
    expect(page.locator("#photos img")).to_have_count(1)
    page.wait_for_function(
        "() => (document.querySelector('#photos img') || {}).naturalWidth > 0",
        timeout=TIMEOUT_MS,
    )
    page.screenshot(path=str(screenshots / "returns-grade.png"), full_page=True)
    wedge(page, "R-DEFECT")
    expect_banner(page, "ok", "quarantine Q00-00-1")
    expect(page.locator('#units tr[data-status="quarantined"]')).to_have_count(1)
    expect(page.locator("#camera-video")).to_be_hidden()  # gone with the grade step

    click(page, "#close-button")
    expect_banner(page, "ok", f"Return {rma_id} closed")
    expect(page.locator("#closed")).to_be_visible()
    expect(page.locator("#closed-text")).to_contain_text("1 back in stock")
    expect(page.locator('#closed-units li[data-status="restocked"]')).to_contain_text(bin_)
    expect(page.locator('#closed-units li[data-status="quarantined"]')).to_contain_text(MUG)
    expect(receipt).to_be_hidden()
    page.wait_for_function("() => !document.querySelector('#camera-video').srcObject")
    page.screenshot(path=str(screenshots / "returns-done.png"), full_page=True)


def test_parcel_without_authorization_goes_to_the_review_queue_from_the_page(
    server: Server, browser: Browser
) -> None:
    parcel = f"PARCEL-{uuid.uuid4().hex[:6].upper()}"
    stations = Stations(browser, server)
    try:
        page = stations.open("/returns")
        sign_in(page, "U0001")
        wedge(page, parcel)
        expect_banner(page, "warn", "No open return authorization")
        expect(page.locator("#no-auth")).to_be_visible()
        wedge(page, "CMD-REVIEW")
        expect_banner(page, "warn", "Review")
        expect(page.locator("#receipt-tag")).to_contain_text("No authorization")
        expect(page.locator("#resolve")).to_be_visible()  # a supervisor may link an RMA
        code = page.inner_text("#receipt-code").strip()
        expect(page.locator(f'#review-list [data-code="{code}"]')).to_be_visible()
    finally:
        stations.close()
    assert stations.errors == []
