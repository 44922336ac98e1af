"""Station set-up driven in real Chromium against the real gevent server: an administrator
adds a station, points its printer at a TCP printer listener on loopback and presses Test
print (the listener receives the label), saves it, sets its scale to a socat virtual serial
port with an MT-SICS scale on the far end and sees the live reading on the page, checks the
scanner test with a wedge scan, and forgets the station again."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.live import Server
from tests.support.serial_pair import MtSicsScale, socat_pair
from tests.support.shipping import fake_printer
from tests.support.signin import scan_badge_and_pin
from tests.support.zpl_reader import read

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 10_000
STATION = "E2E-SETUP"
expect.set_options(timeout=TIMEOUT_MS)


def test_an_admin_sets_up_a_printer_and_a_serial_scale_from_the_browser(
    server: Server, browser: Browser, tmp_path: Path, screenshots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(server.url("/setup"))
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
        scan_badge_and_pin(page, "U0002")
        expect(page.get_by_test_id("station-list")).to_contain_text("WEIGH-1")
        expect(page.get_by_test_id("read-only")).to_be_hidden()

        page.get_by_test_id("add-station").locator("summary").click()
        page.get_by_test_id("add-id").fill(STATION)
        page.get_by_test_id("add-name").fill("Bench e2e")
        page.get_by_test_id("add-submit").click()
        expect(page.get_by_test_id("station-title")).to_have_text("Bench e2e")
        expect(page.get_by_test_id("printer-source")).to_have_text("Not set")

        with (
            fake_printer() as printer,
            socat_pair(tmp_path) as pair,
            MtSicsScale(pair.scale, grams=842) as device,
        ):
            # The printer: try it before saving; the real listener gets the label.
            page.get_by_test_id("printer-host").fill("127.0.0.1")
            page.get_by_test_id("printer-port").fill(str(printer.port))
            page.get_by_test_id("test-print").click()
            result = page.get_by_test_id("printer-result")
            expect(result).to_have_attribute("data-state", "ok")
            expect(result).to_contain_text(f"Test label sent to ZPL 127.0.0.1:{printer.port}")
            expect(page.get_by_test_id("banner")).to_have_attribute("data-state", "ok")
            (job,) = printer.wait_for(1)
            texts, barcodes = read(job)
            assert "Dockhand test print" in [t.text for t in texts]
            assert [b.scanned() for b in barcodes] == [f"TEST-{STATION}"]
            page.get_by_test_id("save-printer").click()
            expect(page.get_by_test_id("printer-source")).to_have_text("Saved here")

            # A bad port is refused in red and saves nothing.
            page.get_by_test_id("printer-port").fill("70000")
            page.get_by_test_id("save-printer").click()
            expect(page.get_by_test_id("banner")).to_have_attribute("data-state", "error")
            expect(page.get_by_test_id("banner")).to_contain_text("between 1 and 65535")
            expect(page.get_by_test_id(f"station-{STATION}")).to_contain_text(
                f"127.0.0.1:{printer.port}"
            )

            # The scale: the virtual serial port; the live reading appears on the page.
            page.get_by_test_id("scale-driver").select_option("serial")
            page.get_by_test_id("scale-port").fill(pair.host)
            page.get_by_test_id("scale-protocol").select_option("mt-sics")
            page.get_by_test_id("scale-baudrate").select_option("9600")
            page.get_by_test_id("save-scale").click()
            expect(page.get_by_test_id("scale-source")).to_have_text("Saved here")
            expect(page.get_by_test_id("live-weight")).to_have_attribute("data-grams", "842")
            expect(page.get_by_test_id("live-box")).to_have_attribute("data-state", "stable")
            assert b"SI" in device.commands
            device.grams = 1203.0
            expect(page.get_by_test_id("live-weight")).to_have_attribute("data-grams", "1203")
            expect(page.get_by_test_id("live-weight")).to_have_text("1.20 kg")
            expect(page.get_by_test_id("live-box")).to_have_attribute("data-state", "stable")
            page.screenshot(path=str(screenshots / "setup-station.png"), full_page=True)

            # The scanner test: a wedge scan of the sheet's Code 128.
            page.get_by_test_id("scanner-test").locator("h2").click()
            page.keyboard.type("DOCKHAND-TEST")
            page.keyboard.press("Enter")
            expect(page.get_by_test_id("scan-test-code128")).to_have_attribute("data-state", "ok")

            page.get_by_test_id("remove-station").click()
            expect(page.get_by_test_id("station-list")).not_to_contain_text(STATION)
            time.sleep(0.3)  # the reader lets go of the port before socat goes away
    finally:
        context.close()


def y4m_of_qr(path: Path, text: str, frames: int = 5) -> None:
    """A short 640x480 YUV4MPEG2 video of a QR code on paper: Chromium's fake camera."""
    qr = np.array(
        zxingcpp.write_barcode_to_image(
            zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode), scale=8
        )
    )
    frame = Image.new("RGB", (640, 480), (235, 235, 230))
    frame.paste(
        Image.fromarray(qr).convert("RGB"), ((640 - qr.shape[1]) // 2, (480 - qr.shape[0]) // 2)
    )
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)


@pytest.fixture
def camera_browser(browser: Browser, tmp_path: Path) -> Iterator[Browser]:
    video = tmp_path / "tote.y4m"
    y4m_of_qr(video, "T0042")
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


def test_the_camera_preview_decodes_a_frame_on_the_server_and_is_saved(
    camera_browser: Browser, server: Server
) -> None:
    context = camera_browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    try:
        page.goto(server.url("/setup"))
        expect(page.get_by_test_id("connection")).to_have_attribute("data-state", "online")
        scan_badge_and_pin(page, "U0002")
        page.get_by_test_id("station-WEIGH-1").click()
        expect(page.get_by_test_id("station-title")).to_have_text("Weigh 1")
        page.get_by_test_id("camera-start").click()
        expect(page.get_by_test_id("camera-video")).to_be_visible()
        expect(page.get_by_test_id("camera-decode")).to_be_enabled()
        page.wait_for_function(
            "document.querySelector('[data-testid=camera-video]').videoWidth > 0"
        )
        page.get_by_test_id("camera-decode").click()
        result = page.get_by_test_id("camera-result")
        expect(result).to_have_attribute("data-state", "ok")
        expect(result).to_contain_text("Read 'T0042' (qrcode) through the server's decoder.")
        page.get_by_test_id("camera-save").click()
        expect(page.get_by_test_id("camera-source")).to_have_text("Saved here")
        expect(page.get_by_test_id("station-WEIGH-1")).to_contain_text("camera:")
        page.get_by_test_id("reset-camera").click()
        expect(page.get_by_test_id("camera-source")).to_have_text("Not set")
        page.get_by_test_id("remove-station").click()
        expect(page.get_by_test_id("banner")).to_contain_text("back to config/stations.toml")
    finally:
        context.close()
