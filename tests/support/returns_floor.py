"""Helpers for the returns tests: a shipped order, its RMA, a returns station client, photos."""

from __future__ import annotations

import io
import json
import random
from typing import Any

from flask import Flask
from PIL import Image
from sqlalchemy import select

from app.adapters.db.models import Location, OutboxEvent, Sku, Stock
from tests.support.warehouse import allocation_doc, signed_post, socket_client, uow_of
from tests.test_support import work_one_order

NS = "/returns"
SHIRT = "TSHIRT-BLK-S"
MUG = "MUG-BLK-S"


def jpeg(width: int = 320, height: int = 240, seed: int = 1) -> bytes:
    """A real JPEG with some texture (a flat colour compresses below any real photo)."""
    rng = random.Random(seed)
    img = Image.new("RGB", (width, height))
    img.putdata(
        [
            ((x * 7 + rng.randrange(40)) % 256, (y * 5) % 256, (x * y) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    return out.getvalue()


def shipped_order(app: Flask, allocation_id: str = "AL-1") -> dict[str, Any]:
    """AL-1: 2 × TSHIRT-BLK-S (line 1) and 1 × MUG-BLK-S (line 2), shipped."""
    resp = signed_post(app.test_client(), "/api/v1/allocations", allocation_doc(allocation_id))
    assert resp.status_code == 202, resp.get_json()
    return work_one_order(app, allocation_id)


def post_rma(
    app: Flask,
    rma_id: str = "RMA-1",
    lines: list[dict[str, Any]] | None = None,
    allocation_id: str | None = "AL-1",
    order_number: str | None = "SO-AL-1",
) -> dict[str, Any]:
    doc = {
        "rma_id": rma_id,
        "allocation_id": allocation_id,
        "order_number": order_number,
        "lines": lines
        if lines is not None
        else [
            {"line_id": "1", "sku": SHIRT, "qty": 2, "reason": "too small"},
            {"line_id": "2", "sku": MUG, "qty": 1, "reason": "arrived broken"},
        ],
    }
    resp = signed_post(app.test_client(), "/api/v1/returns", doc)
    assert resp.status_code in (200, 202), resp.get_json()
    body: dict[str, Any] = resp.get_json()
    return body


def station(app: Flask, badge: str = "U0040") -> Any:
    return socket_client(app, NS, badge)


def call(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace=NS, callback=True)
    return ack


def barcode(app: Flask, sku: str) -> str:
    with uow_of(app)() as tx:
        row = tx.session.scalars(select(Sku).where(Sku.sku == sku)).one()
        return row.barcodes[0].code


def scan(client: Any, receipt: str, code: str, **extra: Any) -> dict[str, Any]:
    return call(client, "scan", {"receipt": receipt, "code": code, **extra})


def photo(client: Any, unit_id: int, seed: int = 1, **extra: Any) -> dict[str, Any]:
    return call(
        client, "photo", {"unit_id": unit_id, "jpeg": jpeg(seed=seed), "source": "camera", **extra}
    )


def events(app: Flask, type_: str | None = None) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        rows = tx.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        out = [json.loads(e.body) for e in rows]
    return [e for e in out if type_ is None or e["type"] == type_]


def stock_at(app: Flask, location: str, sku: str) -> tuple[int, int]:
    """(on hand, allocated) of one SKU in one location."""
    with uow_of(app)() as tx:
        s = tx.session
        row = s.execute(
            select(Stock.on_hand, Stock.allocated)
            .join(Location, Location.id == Stock.location_id)
            .join(Sku, Sku.id == Stock.sku_id)
            .where(Location.code == location, Sku.sku == sku)
        ).first()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def available(app: Flask, sku: str) -> int:
    with uow_of(app)() as tx:
        s = tx.session
        rows = s.execute(
            select(Stock.on_hand, Stock.allocated)
            .join(Sku, Sku.id == Stock.sku_id)
            .where(Sku.sku == sku)
        ).all()
    return sum(int(a) - int(b) for a, b in rows)


def grade_resellable(
    client: Any, receipt: str, code: str, reason: str = "R-UNOPENED"
) -> dict[str, Any]:
    """Scan an item, grade it resellable and scan the suggested bin: back in stock."""
    item = scan(client, receipt, code)
    assert item["ok"], item
    graded = scan(client, receipt, reason)
    assert graded["ok"], graded
    bin_ = graded["receipt"]["current"]["suggested_location"]
    put = scan(client, receipt, bin_)
    assert put["ok"], put
    return put
