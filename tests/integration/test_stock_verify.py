"""`dockhand stock verify` tells a stock table that agrees with its ledger from one that
does not, and says which bin and by how much."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flask import Flask
from sqlalchemy import select, text, update

from app.adapters.db.models import Location, Sku, Stock
from app.services.stock_verify import verify_stock
from tests.support.warehouse import allocation_doc, signed_post, uow_of
from tests.test_support import work_one_order_to_picking


def _dockhand_stock_verify(url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DOCKHAND_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "stock", "verify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def test_a_worked_floor_agrees_with_its_ledger(app: Flask, sqlite_url: str) -> None:
    client = app.test_client()
    doc = allocation_doc("AL-V1", lines=[{"line_id": "1", "sku": "CANDLE-BLK-S", "qty": 3}])
    assert signed_post(client, "/api/v1/allocations", doc).status_code in (200, 201, 202)
    work_one_order_to_picking(app, "AL-V1")  # reserved, released, one unit picked
    report = verify_stock(uow_of(app))
    assert report.ok, report.discrepancies
    assert report.allocated == 2  # 3 reserved, 1 of them picked
    done = _dockhand_stock_verify(sqlite_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stock agrees with the ledger" in done.stdout


def test_a_bin_changed_behind_the_ledgers_back_is_named(app: Flask, sqlite_url: str) -> None:
    uow = uow_of(app)
    with uow() as tx:
        s = tx.session
        stock_id, code, sku = s.execute(
            select(Stock.id, Location.code, Sku.sku)
            .join(Location, Location.id == Stock.location_id)
            .join(Sku, Sku.id == Stock.sku_id)
            .where(Location.kind == "pick", Stock.on_hand > 5)
            .order_by(Stock.id)
            .limit(1)
        ).one()
        on_hand = s.scalar(select(Stock.on_hand).where(Stock.id == stock_id))
        # Someone "fixes" a count with SQL instead of a counted adjustment.
        s.execute(update(Stock).where(Stock.id == stock_id).values(on_hand=Stock.on_hand - 2))
        tx.commit()
    report = verify_stock(uow)
    assert not report.ok
    [d] = report.discrepancies
    assert (d.location, d.sku, d.table, d.expected) == (code, sku, on_hand - 2, on_hand)
    done = _dockhand_stock_verify(sqlite_url)
    assert done.returncode == 1
    assert f"MISMATCH {code} {sku}" in done.stdout
    assert "STOCK DOES NOT AGREE" in done.stdout


def test_an_allocation_without_a_reservation_is_reported(app: Flask) -> None:
    uow = uow_of(app)
    with uow() as tx:
        # Allocated in the table and in the ledger, but promised to no order line.
        stock_id, location_id, sku_id = tx.session.execute(
            select(Stock.id, Stock.location_id, Stock.sku_id)
            .join(Location, Location.id == Stock.location_id)
            .where(Location.kind == "pick", Stock.on_hand > 0)
            .limit(1)
        ).one()
        tx.session.execute(
            text("UPDATE stock SET allocated = allocated + 1 WHERE id = :i"), {"i": stock_id}
        )
        tx.session.execute(
            text(
                "INSERT INTO stock_movements (stock_id, sku_id, location_id, on_hand_delta,"
                " allocated_delta, reason, at) VALUES (:s, :k, :l, 0, 1, 'reserve', :at)"
            ),
            {"s": stock_id, "k": sku_id, "l": location_id, "at": "2026-11-26 10:00:00"},
        )
        tx.commit()
    [d] = verify_stock(uow).discrepancies
    assert d.problem == "allocated differs from reservations"
    assert (d.table, d.expected) == (1, 0)
