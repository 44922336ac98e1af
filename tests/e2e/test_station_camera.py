"""The camera saved on the set-up page, opened by the pick and pack pages in real Chromium.

Chromium's fake capture offers two cameras here (``device-count=2``); the default one is
the first. The test saves the second for a station (through the set-up page's socket API, as
an admin), opens the page with ``?station=``, and checks from the page that getUserMedia was
asked for exactly that device id and that the running track is that device. Then it saves a
camera this browser does not have: the page opens the default camera and says so."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import socketio
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.live import Server
from tests.e2e.test_one_order_every_station import DESK
from tests.e2e.test_one_order_every_station import sign_in as desk_sign_in
from tests.support.handheld import (
    HANDHELD,
    TIMEOUT_MS,
    expect_banner,
    release_order,
    task_data,
    wedge,
)
from tests.support.handheld import sign_in as handheld_sign_in

pytestmark = pytest.mark.e2e

expect.set_options(timeout=TIMEOUT_MS)

# Every getUserMedia call's video constraints, as the page asked them.
GUM_PROBE = """
(() => {
  window.__gum = [];
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const original = md.getUserMedia.bind(md);
  md.getUserMedia = (constraints) => {
    window.__gum.push(JSON.parse(JSON.stringify(constraints && constraints.video || null)));
    return original(constraints);
  };
})();
"""

CAMERAS_JS = """async () => {
  const s = await navigator.mediaDevices.getUserMedia({ video: true, audio: false });
  s.getTracks().forEach((t) => t.stop());
  const all = await navigator.mediaDevices.enumerateDevices();
  return all
    .filter((d) => d.kind === "videoinput")
    .map((d) => ({ id: d.deviceId, label: d.label }));
}"""

TRACK_JS = """() => {
  const v = document.querySelector("#camera-video");
  const track = v.srcObject && v.srcObject.getVideoTracks()[0];
  return track ? track.getSettings().deviceId : null;
}"""


@pytest.fixture
def chromium(browser: Browser) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("Debian's chromium is not installed")
    launched = browser.browser_type.launch(
        executable_path=executable,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream=device-count=2",
        ],
    )
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def admin(server: Server) -> Iterator[socketio.Client]:
    sio = socketio.Client()
    sio.connect(server.base_url, namespaces=["/setup"], transports=["websocket"], wait_timeout=10)
    ack = sio.call("sign_in", {"badge": "U0002", "pin": "1234"}, namespace="/setup", timeout=10)
    assert ack["ok"], ack
    try:
        yield sio
    finally:
        sio.disconnect()


def save_camera(admin: socketio.Client, station: str, camera: dict[str, str] | None) -> None:
    listed = admin.call("stations", {}, namespace="/setup", timeout=10)
    new = station not in {s["id"] for s in listed["stations"]}
    changes: dict[str, Any] = {"camera": camera}
    if new:
        changes["name"] = station
    ack = admin.call(
        "save", {"station": station, "new": new, "changes": changes}, namespace="/setup", timeout=10
    )
    assert ack["ok"], ack


def context_for(chromium: Browser, server: Server, **options: Any) -> BrowserContext:
    context = chromium.new_context(base_url=server.base_url, **options)
    context.grant_permissions(["camera"], origin=server.base_url)
    context.add_init_script(GUM_PROBE)
    return context


def cameras(page: Page) -> list[dict[str, str]]:
    found: list[dict[str, str]] = page.evaluate(CAMERAS_JS)
    assert len(found) == 2, found
    return found


def watch_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


def test_the_pick_page_opens_the_saved_camera_and_says_when_it_is_not_there(
    chromium: Browser, server: Server, admin: socketio.Client
) -> None:
    # The camera button belongs to a task: one unit to pick, finished by wedge at the end.
    release_order(server, [{"line_id": "1", "sku": "NOTEBOOK-WHT-S", "qty": 1}], "SCAM")
    context = context_for(chromium, server, viewport=HANDHELD, has_touch=True, is_mobile=True)
    try:
        page = context.new_page()
        errors = watch_errors(page)
        page.goto("/pick?station=pick-cam")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        handheld_sign_in(page, "U0028")
        first, second = cameras(page)

        # Nothing saved: the default (rear, here the first) camera, no note.
        page.click("#camera-button")
        video = page.locator("#camera-video")
        expect(video).to_have_attribute("data-camera", "default")
        assert page.evaluate(TRACK_JS) == first["id"]
        page.click("#camera-close")

        save_camera(admin, "pick-cam", {"label": second["label"], "device_id": second["id"]})
        page.evaluate("window.__gum = []")
        page.click("#camera-button")
        expect(video).to_have_attribute("data-camera", "saved")
        asked = page.evaluate("window.__gum")
        assert asked[0]["deviceId"] == {"exact": second["id"]}, asked
        assert page.evaluate(TRACK_JS) == second["id"]
        expect(page.locator("#camera-status")).not_to_contain_text("not on this device")
        page.click("#camera-close")

        # Another browser profile's id for a camera this handheld does not have.
        save_camera(admin, "pick-cam", {"label": "Dock cam 9", "device_id": "f" * 64})
        page.click("#camera-button")
        expect(video).to_have_attribute("data-camera", "fallback")
        expect(page.locator("#camera-status")).to_contain_text(
            "The camera saved for this station (Dock cam 9) is not on this device: using the "
            "default camera."
        )
        assert page.evaluate(TRACK_JS) == first["id"]
        page.click("#camera-close")

        # Same camera, but this browser knows it under another id: found by its label.
        save_camera(admin, "pick-cam", {"label": second["label"], "device_id": "e" * 64})
        page.click("#camera-button")
        expect(video).to_have_attribute("data-camera", "saved")
        assert page.evaluate(TRACK_JS) == second["id"]
        page.click("#camera-close")

        task = task_data(page)
        wedge(page, task["location"])
        wedge(page, task["barcode"])
        wedge(page, "T2031")
        expect_banner(page, "ok", "Task done", "tote_ok")
        assert errors == []
    finally:
        save_camera(admin, "pick-cam", None)
        context.close()


def test_the_pack_page_opens_the_saved_camera_of_its_bench(
    chromium: Browser, server: Server, admin: socketio.Client
) -> None:
    context = context_for(chromium, server, viewport=DESK)
    try:
        page = context.new_page()
        errors = watch_errors(page)
        page.goto("/pack?station=pack-cam")
        expect(page.locator("#conn")).to_have_attribute("data-state", "online")
        _, second = cameras(page)
        save_camera(admin, "pack-cam", {"label": second["label"], "device_id": second["id"]})
        desk_sign_in(page, "U0045")  # the page asks for the bench's cameras on sign-in

        page.click("#camera-toggle")
        expect(page.locator("#camera-panel")).to_have_attribute("data-mode", "browser")
        expect(page.locator("#camera-video")).to_have_attribute("data-camera", "saved")
        asked = page.evaluate("window.__gum")
        assert asked[-1]["deviceId"] == {"exact": second["id"]}, asked
        assert page.evaluate(TRACK_JS) == second["id"]
        page.click("#camera-toggle")

        # Changed on the set-up page while the page is open: the next start uses it.
        save_camera(admin, "pack-cam", {"label": "Bench cam 2", "device_id": "f" * 64})
        page.click("#camera-toggle")
        expect(page.locator("#camera-video")).to_have_attribute("data-camera", "fallback")
        expect(page.locator("#camera-status")).to_contain_text(
            "(Bench cam 2) is not on this device: using the default camera."
        )
        assert errors == []
    finally:
        save_camera(admin, "pack-cam", None)
        context.close()
