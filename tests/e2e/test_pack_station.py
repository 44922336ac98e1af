"""The pack page in real headless Chromium against the real `dockhand serve`: a two-unit order
packed with one wrong scan, the recommendation with its reason and layer diagram, a carton
other than the recommended one asking why, the carton closed, the slip and content label
PDFs, and the order's history page. A second test packs with the browser camera: Chromium's
fake camera plays a video of a barcode, the page sends its frames over Socket.IO, the server
decodes them and verifies the unit.

The order is picked over Socket.IO (the events the pick page sends); the pack page is driven
the way the floor drives it: wedge keystrokes (nothing focused) and taps."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import requests
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from app.simulate import Station, Tally
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.live import Server
from tests.e2e.test_one_order_every_station import (
    DESK,
    Stations,
    expect_banner,
    fetch_pdf,
    sign_in,
    wedge,
)
from tests.support.warehouse import allocation_doc

pytestmark = pytest.mark.e2e

TWO_UNITS = [
    {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1},
    {"line_id": "2", "sku": "MUG-BLK-S", "qty": 1},
]


@pytest.fixture
def stations(browser: Browser, server: Server) -> Iterator[Stations]:
    opened = Stations(browser, server)
    yield opened
    opened.close()


def picked_into_tote(server: Server, **doc: Any) -> tuple[str, str]:
    """A new two-unit allocation picked into a tote of its own: (allocation id, tote)."""
    allocation_id = f"AL-PE2E-{uuid.uuid4().hex[:8].upper()}"
    tote = f"T{uuid.uuid4().int % 900_000 + 100_000}"
    resp = server.post_allocation(allocation_doc(allocation_id, lines=TWO_UNITS, **doc))
    assert resp.status_code == 202, resp.text
    tally = Tally()
    opened: list[Station] = []
    try:
        sup = Station(server.base_url, "/supervisor", "U0001", tally)
        sup.connect()
        opened.append(sup)
        ack = sup.call("build_wave", {"allocation_ids": [allocation_id], "release": True})
        assert ack["ok"], ack
        picker = Station(server.base_url, "/pick", "U0013", tally)
        picker.connect()
        opened.append(picker)
        while (task := picker.call("next_task", {})["task"]) is not None:
            codes = [] if task["location_confirmed"] else [task["location"]]
            codes += [task["barcode"]] * (task["qty"] - task["picked"])
            codes.append(task["tote"] or tote)
            for code in codes:
                reply = picker.call("scan", {"task_id": task["task_id"], "code": code})
                assert reply["ok"], reply
    finally:
        for st in opened:
            st.close()
    return allocation_id, tote


def line_barcodes(page: Page) -> dict[str, str]:
    rows = page.locator("#pack-lines tr")
    return {
        rows.nth(i).get_attribute("data-sku") or "": rows.nth(i).get_attribute("data-barcode") or ""
        for i in range(rows.count())
    }


def test_packing_a_two_unit_order_with_one_wrong_scan(
    server: Server, stations: Stations, screenshots: Path
) -> None:
    allocation_id, tote = picked_into_tote(server, notes="Happy birthday, Ada!")
    pack = stations.open("/pack", DESK)
    sign_in(pack, "U0043")
    wedge(pack, tote)
    expect(pack.locator("#order-number")).to_have_text(f"SO-{allocation_id}")
    expect(pack.locator("#gift-message")).to_contain_text("Happy birthday, Ada!")
    expect(pack.locator("#rec-early")).to_have_text("Box: BOX-M")
    expect(pack.locator("#recommendation")).to_be_hidden()

    wedge(pack, "5000000000000")
    expect_banner(pack, "error", "Wrong item")
    expect(pack.locator("#banner")).to_have_attribute("data-result", "wrong_item")
    expect(pack.locator("#order-progress")).to_have_text("0 / 2 verified")

    codes = line_barcodes(pack)
    wedge(pack, codes["TSHIRT-BLK-S"])
    expect_banner(pack, "ok", "TSHIRT-BLK-S OK")
    expect(pack.locator('#pack-lines tr[data-sku="TSHIRT-BLK-S"]')).to_have_attribute(
        "data-verified", "1"
    )
    wedge(pack, codes["MUG-BLK-S"])
    expect_banner(pack, "ok", "All verified: scan the carton BOX-M")
    expect(pack.locator("#order-progress")).to_have_text("2 / 2 verified")

    rec = pack.locator("#recommendation")
    expect(rec).to_be_visible()
    expect(pack.locator("#rec-code")).to_have_text("BOX-M")
    expect(pack.locator("#rec-why")).to_contain_text("costs least in total")
    expect(pack.locator("#rec-why")).to_contain_text("billable")
    diagram = pack.locator('#rec-diagrams img[data-testid="diagram"]')
    expect(diagram).to_have_count(1)
    expect(diagram).to_be_visible()
    loaded = diagram.evaluate("img => img.complete && img.naturalWidth > 100")
    assert loaded, "the placement diagram did not render"
    expect(diagram).to_have_attribute(
        "alt", "Placement diagram, carton 1 BOX-M: 2 unit(s), layer by layer"
    )
    pack.screenshot(path=str(screenshots / "pack-recommendation.png"), full_page=True)

    # Another carton than the recommended one asks why; the recommended one closes it.
    wedge(pack, "BOX-L")
    expect_banner(pack, "warn", "BOX-L is not the recommended BOX-M")
    expect(pack.locator("#override")).to_be_visible()
    expect(pack.locator('[data-testid="override-out_of_stock"]')).to_be_visible()
    expect(pack.locator("#carton-done")).to_be_hidden()
    wedge(pack, "BOX-M")
    expect(pack.locator("#carton-done")).to_be_visible()
    carton = pack.inner_text("#carton-code").strip()
    expect_banner(pack, "ok", f"Carton {carton} closed")
    expect(pack.locator("#carton-override")).to_be_hidden()
    expect(pack.locator("#order")).to_be_hidden()

    slip = pack.get_attribute("#slip-link", "href")
    assert slip == f"/pack/slip/{allocation_id}.pdf"
    assert fetch_pdf(server, slip).startswith(b"%PDF")
    label = pack.get_attribute("#label-link", "href")
    assert label == f"/pack/carton/{carton}/contents.pdf"
    assert fetch_pdf(server, label).startswith(b"%PDF")
    pack.screenshot(path=str(screenshots / "pack-closed.png"))

    history = stations.open(f"/pack/history/{allocation_id}", DESK, live=False)
    events = history.locator('[data-testid="history-events"] li')
    expect(events.filter(has_text="Wrong item")).to_have_count(1)
    expect(events.filter(has_text=f"Carton {carton} (BOX-M) closed with 2 unit(s)")).to_have_count(
        1
    )
    assert not stations.errors, stations.errors


def test_a_carton_override_needs_a_reason_and_is_recorded(
    server: Server, stations: Stations
) -> None:
    allocation_id, tote = picked_into_tote(server)
    pack = stations.open("/pack", DESK)
    sign_in(pack, "U0044")
    wedge(pack, tote)
    for code in line_barcodes(pack).values():
        wedge(pack, code)
    expect(pack.locator("#recommendation")).to_be_visible()
    wedge(pack, "BOX-L")
    expect(pack.locator("#override")).to_be_visible()
    pack.click('[data-testid="override-other"]')  # "Other" needs a note: no request yet
    expect(pack.locator("#override-note-form")).to_be_visible()
    pack.fill("#override-note", "customer asked for a bigger box")
    settled_before = int(pack.locator("body").get_attribute("data-scans") or "0")
    pack.press("#override-note", "Enter")
    pack.wait_for_function(
        "n => Number(document.body.dataset.scans) > n && !document.body.dataset.busy",
        arg=settled_before,
    )
    expect(pack.locator("#carton-done")).to_be_visible()
    expect(pack.locator("#carton-type")).to_have_text("BOX-L")
    expect(pack.locator("#carton-override")).to_contain_text(
        "Override recorded: BOX-L instead of BOX-M: Other (say why)"
    )
    page = requests.get(server.url(f"/pack/history/{allocation_id}"), timeout=10).text
    assert "BOX-L instead of the recommended BOX-M: Other (say why) (customer asked for a" in page
    assert not stations.errors, stations.errors


# ------------------------------------------------------------------------------ browser camera


def write_y4m(path: Path, bgr: np.ndarray, frames: int = 10) -> None:
    """A still image as a YUV4MPEG2 video: what Chromium's fake camera plays on a loop."""
    h, w = bgr.shape[:2]
    yuv = cv2.cvtColor(bgr, cv2.COLOR_BGR2YUV_I420)
    with path.open("wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            fh.write(b"FRAME\n")
            fh.write(yuv.tobytes())


def test_the_browser_camera_verifies_a_unit_it_sees(
    server: Server, browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    from app.services.seeding import ean13
    from tests.support.pack import photographed, render_ean13

    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    allocation_id, tote = picked_into_tote(server)
    mug = ean13(f"501234{2:06d}")  # MUG-BLK-S is the demo seed's SKU number 2
    jpeg = photographed(render_ean13(mug), seed=4, size=(640, 480))
    video = tmp_path / "mug.y4m"
    write_y4m(video, cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR))
    args = [
        *CHROMIUM_ARGS,
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    chromium = browser.browser_type.launch(executable_path=executable, args=args)
    try:
        context = chromium.new_context(base_url=server.base_url, viewport=DESK)
        context.grant_permissions(["camera"], origin=server.base_url)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/pack")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        sign_in(page, "U0045")
        wedge(page, tote)
        expect(page.locator("#order-number")).to_have_text(f"SO-{allocation_id}")
        assert line_barcodes(page)["MUG-BLK-S"] == mug
        page.click("#camera-toggle")
        expect(page.locator("#camera-panel")).to_have_attribute("data-mode", "browser")
        row = page.locator('#pack-lines tr[data-sku="MUG-BLK-S"]')
        expect(row).to_have_attribute("data-verified", "1", timeout=20_000)
        expect(page.locator("#banner-text")).to_contain_text("Camera: MUG-BLK-S OK")
        expect(page.locator("#camera-codes")).to_contain_text(mug.zfill(14))
        page.screenshot(path=str(screenshots / "pack-camera.png"))
        # Still in view a few frames later: counted once, not again.
        page.wait_for_timeout(1500)
        expect(row).to_have_attribute("data-verified", "1")
        wedge(page, line_barcodes(page)["TSHIRT-BLK-S"])
        expect(page.locator("#recommendation")).to_be_visible()
        wedge(page, page.inner_text("#rec-code").strip())
        expect(page.locator("#carton-done")).to_be_visible()
        # The running camera photographs the carton as it is closed.
        expect(page.locator("#carton-photo")).to_be_visible()
        src = page.get_attribute("#carton-photo-img", "src") or ""
        assert src.startswith("/pack/photos/"), src
        assert requests.get(server.url(src), timeout=10).content[:2] == b"\xff\xd8"
        assert not errors, errors
    finally:
        chromium.close()


def test_a_multi_order_tote_is_sorted_slot_by_slot(
    server: Server, stations: Stations, screenshots: Path
) -> None:
    first, tote = picked_into_tote(server, ship_by="2026-11-26T15:00:00+00:00")
    second, other_tote = picked_into_tote(server, ship_by="2026-11-26T17:00:00+00:00")
    # As a batch pick into one tote leaves the floor: the second order's units are in `tote`.
    engine = create_engine(server.database_url)
    with engine.begin() as conn:
        pk = conn.execute(
            text("SELECT id FROM allocations WHERE allocation_id = :a"), {"a": second}
        ).scalar_one()
        conn.execute(
            text("UPDATE pick_tasks SET tote_code = :t WHERE allocation_pk = :pk"),
            {"t": tote, "pk": pk},
        )
        conn.execute(
            text("UPDATE totes SET allocation_pk = NULL WHERE code = :t"), {"t": other_tote}
        )
    engine.dispose()

    pack = stations.open("/pack", DESK)
    sign_in(pack, "U0044")
    wedge(pack, tote)
    expect(pack.locator("#tote-panel")).to_be_visible()
    slots = pack.locator("#tote-orders li")
    expect(slots).to_have_count(2)
    expect(slots.nth(0)).to_have_attribute("data-allocation-id", first)
    expect(slots.nth(1)).to_have_attribute("data-allocation-id", second)
    mug = line_barcodes(pack)["MUG-BLK-S"]
    wedge(pack, mug)
    expect_banner(pack, "ok", "Slot A: MUG-BLK-S OK")
    expect(pack.locator("#sort-to")).to_have_attribute("data-slot", "A")
    wedge(pack, mug)
    expect_banner(pack, "ok", "Slot B: MUG-BLK-S OK")
    expect(pack.locator("#sort-to")).to_have_attribute("data-slot", "B")
    expect(pack.locator("#order-number")).to_have_text(f"SO-{second}")
    pack.screenshot(path=str(screenshots / "pack-tote.png"))
    wedge(pack, mug)
    expect_banner(pack, "error", "Over-scan")
    shirt = line_barcodes(pack)["TSHIRT-BLK-S"]
    wedge(pack, shirt)
    expect_banner(pack, "ok", "Slot A: TSHIRT-BLK-S OK")
    expect(pack.locator("#recommendation")).to_be_visible()
    expect(pack.locator("#order-number")).to_have_text(f"SO-{first}")
    wedge(pack, pack.inner_text("#rec-code").strip())
    expect(pack.locator("#carton-done")).to_be_visible()
    expect(pack.locator("#carton-order")).to_have_text(f"SO-{first}")
    # The tote now holds the second order alone.
    expect(pack.locator("#tote-panel")).to_be_hidden()
    expect(pack.locator("#order-number")).to_have_text(f"SO-{second}")
    assert not stations.errors, stations.errors
