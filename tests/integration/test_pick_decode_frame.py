"""Camera frames from handhelds without BarcodeDetector, read by the server's decoder through
`decode_frame` on /pick: a JPEG of a real EAN-13 comes back as its GTIN, which picks."""

from __future__ import annotations

import io
from typing import Any

import barcode
from barcode.writer import ImageWriter
from flask import Flask
from PIL import Image

from tests.support.warehouse import allocation_doc, signed_post, socket_client
from tests.test_support import release


def jpeg_of_ean13(digits12: str) -> bytes:
    png = io.BytesIO()
    barcode.get("ean13", digits12, writer=ImageWriter()).write(png)
    frame = Image.new("RGB", (960, 540), "white")  # a camera frame with the label in it
    label = Image.open(io.BytesIO(png.getvalue())).convert("RGB")
    frame.paste(label, (200, 120))
    out = io.BytesIO()
    frame.save(out, "JPEG", quality=75)
    return out.getvalue()


def emit(client: Any, event: str, payload: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/pick", callback=True)
    return ack


def test_a_camera_frame_is_read_by_the_server_and_the_code_picks(app: Flask) -> None:
    doc = allocation_doc(lines=[{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1}])
    signed_post(app.test_client(), "/api/v1/allocations", doc)
    release(app, "AL-1")
    picker = socket_client(app, "/pick", "U0010")
    task = emit(picker, "next_task", {})["task"]
    assert task["barcode"] == "5012340000003"

    ack = emit(picker, "decode_frame", {"image": jpeg_of_ean13("501234000000")})
    assert ack["ok"], ack
    [code] = ack["codes"]
    assert code == {"text": "5012340000003", "format": "ean13", "gtin14": "05012340000003"}

    emit(picker, "scan", {"task_id": task["task_id"], "code": task["location"]})
    picked = emit(
        picker, "scan", {"task_id": task["task_id"], "code": code["gtin14"], "entry": "camera"}
    )
    assert picked["ok"] and picked["result"] == "item_ok"


def test_a_frame_with_no_barcode_reads_nothing(app: Flask) -> None:
    picker = socket_client(app, "/pick", "U0010")
    blank = io.BytesIO()
    Image.new("RGB", (320, 240), "gray").save(blank, "JPEG")
    ack = emit(picker, "decode_frame", {"image": blank.getvalue()})
    assert ack == {"ok": True, "codes": []}


def test_frames_that_are_not_images_or_too_big_are_refused_by_field(app: Flask) -> None:
    picker = socket_client(app, "/pick", "U0010")
    for payload in ({"image": "not bytes"}, {}, {"image": b""}):
        ack = emit(picker, "decode_frame", payload)
        assert ack["ok"] is False and ack["field"] == "image", ack
    garbage = emit(picker, "decode_frame", {"image": b"\x00\x01 not a jpeg"})
    assert garbage["ok"] is False and garbage["field"] == "image"
    huge = emit(picker, "decode_frame", {"image": b"\xff" * 2_000_001})
    assert huge["ok"] is False and "larger than" in huge["message"]


def test_decode_frame_needs_a_signed_in_picker(app: Flask) -> None:
    from app import socketio

    client = socketio.test_client(app, namespace="/pick")
    ack = client.emit("decode_frame", {"image": b"x"}, namespace="/pick", callback=True)
    assert ack["ok"] is False and ack["field"] == "badge"
