"""Helpers for the pack station tests: orders picked into a given tote through the real
stations, a packer's socket, rendered and "photographed" barcodes, a loopback camera."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import cv2
import numpy as np
from flask import Flask
from sqlalchemy import select, update

from app.adapters.db.models import PickTask, Sku, Tote
from tests.support.warehouse import allocation_doc, signed_post, socket_client, uow_of

NS = "/pack"


def picked_order(
    app: Flask,
    allocation_id: str,
    lines: list[dict[str, Any]],
    tote: str,
    **doc: Any,
) -> None:
    """Post the allocation, release it in its own wave and pick every task into `tote`."""
    resp = signed_post(
        app.test_client(), "/api/v1/allocations", allocation_doc(allocation_id, lines=lines, **doc)
    )
    assert resp.status_code == 202, resp.get_json()
    sup = socket_client(app, "/supervisor", "U0001")
    ack = sup.emit(
        "build_wave",
        {"allocation_ids": [allocation_id], "release": True},
        namespace="/supervisor",
        callback=True,
    )
    assert ack["ok"], ack
    picker = socket_client(app, "/pick", "U0010")
    while True:
        ack = picker.emit("next_task", {}, namespace="/pick", callback=True)
        assert ack["ok"], ack
        task = ack["task"]
        if task is None:
            break
        for code in [task["location"]] + [task["barcode"]] * task["qty"] + [task["tote"] or tote]:
            reply = picker.emit(
                "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
            )
            assert reply["ok"], reply


def into_one_tote(app: Flask, allocation_id: str, tote: str) -> None:
    """Leave the floor as a batch pick into one tote would: the order's units were put in
    `tote` (which already holds another order), and its own tote is free again."""
    from app.adapters.db.models import Allocation

    with uow_of(app)() as tx:
        s = tx.session
        a = s.scalars(select(Allocation).where(Allocation.allocation_id == allocation_id)).one()
        s.execute(update(PickTask).where(PickTask.allocation_pk == a.id).values(tote_code=tote))
        s.execute(update(Tote).where(Tote.allocation_pk == a.id).values(allocation_pk=None))
        tx.commit()


def packer(app: Flask, badge: str = "U0040") -> Any:
    return socket_client(app, NS, badge)


def emit(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace=NS, callback=True)
    return ack


def gtin_of(app: Flask, sku: str) -> str:
    with uow_of(app)() as tx:
        row = tx.session.scalars(select(Sku).where(Sku.sku == sku)).one()
        return row.barcodes[0].code


def verify_all(client: Any, order: dict[str, Any]) -> dict[str, Any]:
    """Scan every unit still to verify; returns the last answer's order."""
    for line in order["lines"]:
        for _ in range(line["picked"] - line["verified"]):
            reply = emit(
                client, "scan", {"allocation_id": order["allocation_id"], "code": line["barcode"]}
            )
            assert reply["ok"], reply
            order = reply["order"]
    return order


# ------------------------------------------------------------------------------ images


def render_ean13(code: str, module_mm: float = 0.33) -> np.ndarray:
    """An EAN-13 label as python-barcode draws it (300 dpi), grey."""
    import barcode
    from barcode.writer import ImageWriter

    bc = barcode.get_barcode_class("ean13")(code[:12], writer=ImageWriter())
    buf = io.BytesIO()
    bc.write(buf, options={"module_width": module_mm, "module_height": 12.0, "dpi": 300})
    img = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert img is not None
    return img


def photographed(label: np.ndarray, seed: int = 7, size: tuple[int, int] = (960, 540)) -> bytes:
    """The label as a bench camera sees it: on a cardboard-coloured desk, turned and tilted in
    perspective, unevenly lit, a little out of focus, with sensor noise, saved as a JPEG."""
    rng = np.random.default_rng(seed)
    w, h = size
    scene = np.full((h, w, 3), (120, 150, 175), np.uint8)  # kraft-brown bench (BGR)
    lh, lw = label.shape[:2]
    scale = min(0.6 * w / lw, 0.6 * h / lh)
    cx, cy = w / 2 + rng.uniform(-40, 40), h / 2 + rng.uniform(-30, 30)
    hw, hh = lw * scale / 2, lh * scale / 2
    skew = rng.uniform(-0.08, 0.08) * hw
    dst = np.float32(
        [
            [cx - hw + skew, cy - hh],
            [cx + hw + skew * 0.3, cy - hh * 0.92],
            [cx + hw - skew * 0.2, cy + hh * 1.05],
            [cx - hw - skew, cy + hh],
        ]
    )
    src = np.float32([[0, 0], [lw, 0], [lw, lh], [0, lh]])
    m = cv2.getPerspectiveTransform(src, dst)
    colour = cv2.cvtColor(label, cv2.COLOR_GRAY2BGR)
    warped = cv2.warpPerspective(colour, m, (w, h), borderValue=(0, 0, 0))
    mask = cv2.warpPerspective(np.full((lh, lw), 255, np.uint8), m, (w, h))
    scene[mask > 0] = warped[mask > 0]
    ramp = np.linspace(0.75, 1.1, w, dtype=np.float32)[None, :, None]
    lit = np.clip(scene.astype(np.float32) * ramp, 0, 255)
    blurred = cv2.GaussianBlur(lit, (0, 0), 1.1)
    noisy = np.clip(blurred + rng.normal(0, 4, blurred.shape), 0, 255).astype(np.uint8)
    ok, jpeg = cv2.imencode(".jpg", noisy, [int(cv2.IMWRITE_JPEG_QUALITY), 80])
    assert ok
    return bytes(jpeg.tobytes())


def blank_desk(size: tuple[int, int] = (640, 360)) -> bytes:
    w, h = size
    ok, jpeg = cv2.imencode(".jpg", np.full((h, w, 3), (120, 150, 175), np.uint8))
    assert ok
    return bytes(jpeg.tobytes())


# ------------------------------------------------------------------------------ a camera


class FakeCamera:
    """What the loopback camera shows now: the test swaps the JPEG as the bench changes."""

    def __init__(self, jpeg: bytes) -> None:
        self.jpeg = jpeg
        self.requests = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def camera_server(camera: FakeCamera, fps: float = 15.0) -> Iterator[str]:
    """An IP camera on 127.0.0.1: `/video.mjpg` (multipart MJPEG stream, what OpenCV opens
    through FFmpeg) and `/snapshot.jpg` (one still per request). Yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # the name http.server calls
            camera.requests += 1
            if self.path.startswith("/snapshot.jpg"):
                body = camera.jpeg
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if not self.path.startswith("/video.mjpg"):
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
            self.end_headers()
            try:
                while not stop.is_set():
                    body = camera.jpeg
                    self.wfile.write(
                        b"--frame\r\nContent-Type: image/jpeg\r\n"
                        + f"Content-Length: {len(body)}\r\n\r\n".encode()
                        + body
                        + b"\r\n"
                    )
                    self.wfile.flush()
                    time.sleep(1 / fps)
            except (BrokenPipeError, ConnectionResetError):
                pass

    stop = threading.Event()
    port = _free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def wait_for(check: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
