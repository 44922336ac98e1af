"""Camera verification at the pack station, with the real decoder (zxing-cpp, zbar, OpenCV):
barcodes rendered and "photographed" (perspective, uneven light, blur, noise, JPEG), real
phone photos from the shared benchmark set, browser frames over Socket.IO, and station
cameras read by OpenCV from an MJPEG stream, a snapshot URL and an image file served or kept
on this machine."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.cameras import CameraConfig, load_station_cameras
from app.adapters.db.models import Barcode, ScanLog, Sku
from app.adapters.db.models_pack import PackPhoto
from app.services.pack_photos import GONE_AFTER_S
from stations.pack import camera_hub
from tests.support.pack import (
    FakeCamera,
    blank_desk,
    camera_server,
    emit,
    gtin_of,
    packer,
    photographed,
    picked_order,
    render_ean13,
)
from tests.support.warehouse import uow_of

pytest.importorskip("zxingcpp")
pytest.importorskip("barcode")

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "bench" / "barcodes"
ORDER = [
    {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2},
    {"line_id": "2", "sku": "MUG-BLK-S", "qty": 1},
]


@pytest.fixture(autouse=True)
def cameras_let_go(app: Flask) -> Any:
    yield
    camera_hub(app).close()


@pytest.fixture
def order(app: Flask) -> Any:
    picked_order(app, "AL-CAM", ORDER, "T0401")
    client = packer(app)
    assert emit(client, "open", {"code": "T0401"})["ok"]
    return client


def frame(client: Any, jpeg: bytes, frame_id: str | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = {"allocation_id": "AL-CAM", "image": jpeg}
    if frame_id:
        payload["frame_id"] = frame_id
    return emit(client, "frame", payload)


def test_a_photographed_unit_in_a_browser_frame_is_verified_once(app: Flask, order: Any) -> None:
    shirt = photographed(render_ean13(gtin_of(app, "TSHIRT-BLK-S")))
    first = frame(order, shirt, "f-1")
    assert first["ok"], first
    [result] = first["results"]
    assert (result["result"], result["ok"]) == ("unit_ok", True)
    assert result["code"] == gtin_of(app, "TSHIRT-BLK-S").zfill(14)
    assert first["order"]["lines"][0]["verified"] == 1
    # The same unit still under the camera: no second scan.
    still = frame(order, shirt, "f-2")
    assert still["results"] == [] and still["in_view"] == [result["code"]]
    # Put down out of view, then the second shirt comes.
    assert frame(order, blank_desk(), "f-3")["results"] == []
    time.sleep(GONE_AFTER_S + 0.2)
    second = frame(order, photographed(render_ean13(gtin_of(app, "TSHIRT-BLK-S")), seed=11))
    assert [r["result"] for r in second["results"]] == ["unit_ok"]
    assert second["order"]["lines"][0]["verified"] == 2
    with uow_of(app)() as tx:
        logged = tx.session.scalars(
            select(ScanLog).where(ScanLog.station == "pack").order_by(ScanLog.id)
        ).all()
        assert [(r.result, r.device) for r in logged] == [("unit_ok", "camera")] * 2


def test_a_wrong_item_in_view_is_flagged(app: Flask, order: Any) -> None:
    lamp = photographed(render_ean13(gtin_of(app, "LAMP-BLK-S")), seed=3)
    answer = frame(order, lamp)
    [result] = answer["results"]
    assert result["result"] == "wrong_item" and result["ok"] is False
    assert "is not in this order" in result["message"]


def test_a_retried_frame_does_not_count_its_unit_twice(app: Flask, order: Any) -> None:
    mug = photographed(render_ean13(gtin_of(app, "MUG-BLK-S")), seed=5)
    assert [r["result"] for r in frame(order, mug, "same")["results"]] == ["unit_ok"]
    time.sleep(GONE_AFTER_S + 0.2)  # even once the view has forgotten it
    again = frame(order, mug, "same")
    assert [r["replayed"] for r in again["results"]] == [True]
    assert again["order"]["lines"][1]["verified"] == 1


def test_frames_that_are_not_images_are_refused(order: Any) -> None:
    bad = frame(order, b"not a jpeg at all")
    assert bad["ok"] is False and bad["field"] == "image"
    missing = emit(order, "frame", {"allocation_id": "AL-CAM"})
    assert missing["ok"] is False and missing["field"] == "image"


def _real_ean13_photo() -> tuple[Path, str]:
    manifest = SHARED / "manifest.json"
    if not manifest.exists():
        pytest.skip(f"the shared barcode photos are not at {SHARED}")
    from app.adapters.decoding import decode_image

    for entry in json.loads(manifest.read_text()):
        if entry["format"] != "ean13" or entry["kind"] != "photo":
            continue
        path = SHARED / entry["file"]
        found = decode_image(str(path))
        if found and found[0].text == entry["expected"]:
            return path, entry["expected"]
    pytest.skip("no EAN-13 photo in the shared set decodes")


def test_a_real_phone_photo_of_a_unit_verifies_it(app: Flask) -> None:
    path, gtin = _real_ean13_photo()
    with uow_of(app)() as tx:  # the photographed product is this SKU's alternate barcode
        sku = tx.session.scalars(select(Sku).where(Sku.sku == "MUG-BLK-S")).one()
        tx.session.add(Barcode(code=gtin, kind="alt", sku_id=sku.id))
        tx.commit()
    picked_order(app, "AL-CAM", ORDER, "T0401")
    client = packer(app)
    assert emit(client, "open", {"code": "T0401"})["ok"]
    answer = frame(client, path.read_bytes())
    assert [r["result"] for r in answer["results"]] == ["unit_ok"], answer
    assert answer["order"]["lines"][1]["verified"] == 1


# ------------------------------------------------------------------------------ station cameras


def use_camera(app: Flask, config: CameraConfig) -> None:
    hub = camera_hub(app)
    hub.configs[config.station] = config
    old = hub._cameras.pop(config.station, None)
    if old is not None:
        old.close(2.0)


def test_stations_toml_camera_tables_are_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "stations.toml"
    path.write_text(
        "[stations.PACK-1]\nname = 'Pack 1'\n"
        "[stations.PACK-1.camera]\nurl = 'http://user:secret@10.0.0.5:8080/video.mjpg'\n"
        "name = 'Bench 1 overhead'\n"
        "[stations.PACK-2.camera]\ndevice = 0\nwidth = 1280\nheight = 720\n"
        "[stations.WEIGH-1.scale]\ndriver = 'manual'\n"
    )
    cameras = load_station_cameras(path)
    assert sorted(cameras) == ["PACK-1", "PACK-2"]
    assert cameras["PACK-1"].describe() == "http://10.0.0.5:8080"  # no password shown
    assert (cameras["PACK-2"].kind, cameras["PACK-2"].width) == ("device", 1280)
    path.write_text("[stations.PACK-1.camera]\ndevice = 0\nurl = 'http://x/y'\n")
    with pytest.raises(ValueError, match="exactly one of"):
        load_station_cameras(path)


def test_the_station_camera_reads_an_mjpeg_stream_scans_and_photographs(
    app: Flask, order: Any
) -> None:
    cam = FakeCamera(blank_desk())
    with camera_server(cam) as base:
        use_camera(app, CameraConfig("PACK-T", "url", f"{base}/video.mjpg", name="Bench cam"))
        info = emit(order, "camera", {"station": "PACK-T"})
        assert info["camera"]["name"] == "Bench cam"
        assert info["camera"]["source"] == base
        assert emit(order, "camera", {"station": "PACK-NONE"})["camera"] is None
        look = emit(
            order, "look", {"station": "PACK-T", "allocation_id": "AL-CAM", "preview": True}
        )
        assert look["ok"], look
        assert look["results"] == [] and look["preview"][:2] == b"\xff\xd8"
        cam.jpeg = photographed(render_ean13(gtin_of(app, "MUG-BLK-S")), seed=9)
        deadline = time.monotonic() + 10
        while True:  # the stream catches up within a frame or two
            look = emit(order, "look", {"station": "PACK-T", "allocation_id": "AL-CAM"})
            if look["results"] or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert [r["result"] for r in look["results"]] == ["unit_ok"], look
        assert look["order"]["lines"][1]["verified"] == 1
        photo = emit(
            order, "photo", {"allocation_id": "AL-CAM", "source": "station", "station": "PACK-T"}
        )
        assert photo["ok"], photo
        body = photo["photo"]
        mug = gtin_of(app, "MUG-BLK-S")
        assert mug in [c["text"] for c in body["codes_seen"]]
        assert body["carton"] is None  # no carton yet: it goes with the next one closed
    web = app.test_client()
    served = web.get(body["url"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"
    assert hashlib.sha256(served.data).hexdigest() == body["sha256"]


def test_closing_at_a_station_with_a_camera_photographs_the_carton(
    app: Flask, order: Any, tmp_path: Path
) -> None:
    still = tmp_path / "bench.jpg"
    still.write_bytes(photographed(render_ean13(gtin_of(app, "TSHIRT-BLK-S"))))
    use_camera(app, CameraConfig("PACK-F", "file", str(still)))
    lines = emit(order, "open", {"code": "AL-CAM"})["order"]["lines"]
    for line in lines:
        for _ in range(line["picked"]):
            assert emit(order, "scan", {"allocation_id": "AL-CAM", "code": line["barcode"]})["ok"]
    closed = emit(
        order,
        "close_carton",
        {"allocation_id": "AL-CAM", "carton_type": "BOX-M", "station": "PACK-F"},
    )
    assert closed["ok"], closed
    assert closed["photo"]["carton"] == closed["carton"]["code"]
    assert closed["photo"]["source"] == "station"
    with uow_of(app)() as tx:
        [row] = tx.session.scalars(select(PackPhoto)).all()
        assert row.camera == "PACK-F camera" and row.taken_by == "U0040"


def test_a_snapshot_url_camera_gives_a_frame_per_request(app: Flask, order: Any) -> None:
    cam = FakeCamera(photographed(render_ean13(gtin_of(app, "MUG-BLK-S")), seed=2))
    with camera_server(cam) as base:
        use_camera(app, CameraConfig("PACK-S", "snapshot_url", f"{base}/snapshot.jpg"))
        look = emit(order, "look", {"station": "PACK-S", "allocation_id": "AL-CAM"})
        assert [r["result"] for r in look["results"]] == ["unit_ok"], look
        assert cam.requests == 1


def test_a_camera_that_does_not_answer_is_a_clear_error(app: Flask, order: Any) -> None:
    use_camera(app, CameraConfig("PACK-X", "url", "http://127.0.0.1:9/video.mjpg", timeout_s=1.5))
    look = emit(order, "look", {"station": "PACK-X", "allocation_id": "AL-CAM"})
    assert look["ok"] is False and look["field"] == "camera"
    assert "cannot open http://127.0.0.1:9" in look["message"]
    nothing = emit(order, "look", {"station": "PACK-NONE"})
    assert nothing["ok"] is False and "has no camera" in nothing["message"]
