"""Photos of packed cartons as evidence: stored as files with their SHA-256, kept with the
carton, shown in the order's history, checked when served."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import Carton
from app.adapters.db.models_pack import PackPhoto
from stations.pack import pack_context
from tests.support.pack import (
    emit,
    gtin_of,
    packer,
    photographed,
    picked_order,
    render_ean13,
    verify_all,
)
from tests.support.warehouse import uow_of

ORDER = [
    {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2},
    {"line_id": "2", "sku": "MUG-BLK-S", "qty": 1},
]


@pytest.fixture
def verified(app: Flask) -> Any:
    picked_order(app, "AL-PH", ORDER, "T0501")
    client = packer(app)
    ack = emit(client, "open", {"code": "T0501"})
    verify_all(client, ack["order"])
    return client


def photo(client: Any, jpeg: bytes, **extra: Any) -> dict[str, Any]:
    return emit(client, "photo", {"allocation_id": "AL-PH", "jpeg": jpeg, **extra})


def test_photos_live_beside_the_sqlite_file_by_default(app: Flask, sqlite_url: str) -> None:
    folder = pack_context(app).photo_dir
    assert folder == (Path(sqlite_url.removeprefix("sqlite:///")).parent / "photos" / "pack")


def test_a_photo_taken_before_closing_goes_with_the_carton(app: Flask, verified: Any) -> None:
    jpeg = photographed(render_ean13(gtin_of(app, "MUG-BLK-S")))
    taken = photo(verified, jpeg, client_photo_id="p-1")
    assert taken["ok"], taken
    assert taken["photo"]["carton"] is None
    assert taken["message"] == "Photo kept with the next carton closed."
    assert gtin_of(app, "MUG-BLK-S") in [c["text"] for c in taken["photo"]["codes_seen"]]
    again = photo(verified, jpeg, client_photo_id="p-1")  # a retry after a lost answer
    assert again["photo"]["id"] == taken["photo"]["id"]
    closed = emit(verified, "close_carton", {"allocation_id": "AL-PH", "carton_type": "BOX-M"})
    assert closed["ok"]
    code = closed["carton"]["code"]
    with uow_of(app)() as tx:
        s = tx.session
        [row] = s.scalars(select(PackPhoto)).all()
        carton = s.scalars(select(Carton).where(Carton.code == code)).one()
        assert row.carton_id == carton.id
        assert row.sha256 == hashlib.sha256(jpeg).hexdigest() and row.size_bytes == len(jpeg)
        stored = pack_context(app).photo_dir / row.path
        assert stored.read_bytes() == jpeg
    assert closed["order"]["cartons"][0]["photos"] == 1
    # After closing, a photo without a carton code goes with the carton just closed.
    later = photo(verified, photographed(render_ean13(gtin_of(app, "TSHIRT-BLK-S"))))
    assert later["photo"]["carton"] == code
    named = photo(verified, jpeg, carton=code)
    assert named["photo"]["carton"] == code


def test_the_history_shows_the_photos_and_what_happened(app: Flask, verified: Any) -> None:
    closed = emit(verified, "close_carton", {"allocation_id": "AL-PH", "carton_type": "BOX-M"})
    code = closed["carton"]["code"]
    taken = photo(verified, photographed(render_ean13(gtin_of(app, "MUG-BLK-S"))), carton=code)
    history = emit(verified, "history", {"allocation_id": "AL-PH"})["history"]
    assert [p["carton"] for p in history["photos"]] == [code]
    kinds = [e["kind"] for e in history["events"]]
    assert kinds == ["scan", "scan", "scan", "carton", "photo"]
    page = app.test_client().get("/pack/history/AL-PH")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'src="{taken["photo"]["url"]}"' in html
    assert taken["photo"]["sha256"] in html
    assert f"Carton {code} (BOX-M) closed with 3 unit(s)" in html
    assert app.test_client().get("/pack/history/NOPE").status_code == 404


def test_a_photo_changed_on_disk_is_refused_not_served(app: Flask, verified: Any) -> None:
    taken = photo(verified, photographed(render_ean13(gtin_of(app, "MUG-BLK-S"))))
    web = app.test_client()
    assert web.get(taken["photo"]["url"]).status_code == 200
    with uow_of(app)() as tx:
        row = tx.session.get(PackPhoto, taken["photo"]["id"])
        path = pack_context(app).photo_dir / row.path
    path.write_bytes(path.read_bytes() + b"edited")
    assert web.get(taken["photo"]["url"]).status_code == 409
    assert web.get("/pack/photos/999.jpg").status_code == 404


def test_what_is_not_a_jpeg_photo_is_refused(verified: Any) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 500
    assert photo(verified, png)["message"] == "Photos are stored as JPEG: this is not one."
    assert photo(verified, b"\xff\xd8" + b"0" * 500)["message"] == (
        "That is not a readable JPEG photo."
    )
    assert photo(verified, b"")["field"] == "jpeg"
    other = emit(verified, "photo", {"allocation_id": "AL-NOPE", "jpeg": b"x" * 10})
    assert other["ok"] is False
