"""Camera scanning on a handheld without a scanner, in real Chromium: a fake camera shows a
printed EAN-13; Linux Chromium has no BarcodeDetector, so the page sends JPEG frames to the
server's decoder (`decode_frame`) and the code it reads picks the unit."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import barcode
import pytest
from barcode.writer import ImageWriter
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.live import Server
from tests.support.handheld import (
    TIMEOUT_MS,
    Handhelds,
    allocation_state,
    expect_banner,
    release_order,
    scan_log,
    task_data,
    wedge,
)

pytestmark = pytest.mark.e2e

expect.set_options(timeout=TIMEOUT_MS)


def y4m_of_barcode(path: Path, digits12: str, frames: int = 5) -> None:
    """A short 640x480 video (YUV4MPEG2, 4:2:0) of an EAN-13 label: Chromium's fake camera."""
    png = io.BytesIO()
    barcode.get("ean13", digits12, writer=ImageWriter()).write(png)
    label = Image.open(io.BytesIO(png.getvalue())).convert("RGB")
    frame = Image.new("RGB", (640, 480), (235, 235, 230))
    frame.paste(label, ((640 - label.width) // 2, (480 - label.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (320, 240)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)


@pytest.fixture
def camera_browser(browser: Browser, tmp_path: Path) -> Iterator[Browser]:
    video = tmp_path / "label.y4m"
    y4m_of_barcode(video, "501234000016")  # EAN-13 5012340000164: NOTEBOOK-WHT-S
    launched = browser.browser_type.launch(
        executable_path=shutil.which("chromium"),
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        yield launched
    finally:
        launched.close()


def test_a_handheld_without_a_scanner_picks_by_camera(
    camera_browser: Browser, server: Server, tmp_path: Path
) -> None:
    # NOTEBOOK-WHT-S carries 5012340000164: the fake camera shows exactly that label.
    allocation_id = release_order(
        server, [{"line_id": "1", "sku": "NOTEBOOK-WHT-S", "qty": 1}], "CAM"
    )
    handhelds = Handhelds(camera_browser, server)
    try:
        page = handhelds.open("U0028", permissions=["camera"])
        task = task_data(page)
        assert task["barcode"] == "5012340000164"
        wedge(page, task["location"])
        expect_banner(page, "ok", "Location confirmed")

        page.click("#camera-button")
        expect(page.locator("#camera")).to_be_visible()
        expect(page.locator("#camera-video")).to_have_attribute("data-decoder", "server")
        # The server reads a frame, the page delivers the code as a camera scan.
        expect(page.locator("#task")).to_have_attribute("data-picked", "1")
        expect_banner(page, "ok", "Item OK: 1 of 1", "item_ok")
        page.click("#camera-close")
        expect(page.locator("#camera")).to_be_hidden()
        wedge(page, "T2018")
        expect_banner(page, "ok", "Task done", "tote_ok")

        log: list[dict[str, Any]] = scan_log(server, allocation_id)
        camera = [r for r in log if r["parsed"]["entry"] == "camera"]
        assert [(r["raw"], r["result"]) for r in camera] == [("05012340000164", "item_ok")]
        assert allocation_state(server, allocation_id)["status"] == "picked"
        assert handhelds.errors == []
    finally:
        handhelds.close()
