"""Random sequences of what a warehouse does to its stock (receipts, moves, put-aways, orders
reserving and cancelling, bad input of every kind), after which the ledger and the stock table
still agree, no invariant is broken and every unit is accounted for; then the same operations
from 32 threads at once, on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.adapters.db.models import Location, Sku, Stock
from app.services import receiving
from app.services.clock import system_clock
from app.services.stock_verify import verify_stock
from tests.support.warehouse import (
    allocation_doc,
    fresh_postgres_db,
    make_app,
    prepare_database,
    require_postgres,
    signed_post,
    uow_of,
)

SKUS = ["CANDLE-BLK-S", "TSHIRT-BLK-S", "MUG-WHT-S"]
BINS = ["A01-01-1", "A01-02-1", "A02-01-1", "A01-01-3", "A02-02-3", "D00-00-1", "Q00-00-1"]
BAD_BINS = ["Z99-99-9", "A01-01-1X", ""]
POLICY = receiving.StockPolicy()

_template: dict[str, Path] = {}


def _fresh_app() -> tuple[Flask, Path]:
    if "db" not in _template:
        base = Path(tempfile.mkdtemp()) / "seeded.db"
        prepare_database(f"sqlite:///{base}")
        _template["db"] = base
    work = Path(tempfile.mkdtemp())
    shutil.copy(_template["db"], work / "d.db")
    return make_app(f"sqlite:///{work / 'd.db'}"), work


def _gtin(app: Flask, sku: str) -> str:
    with uow_of(app)() as tx:
        s = tx.session
        row = s.scalars(select(Sku).where(Sku.sku == sku)).one()
        return next((b.code for b in row.barcodes), sku)


def _snapshot(app: Flask) -> dict[tuple[str, str, str], tuple[int, int]]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(Location.code, Sku.sku, Stock.lot, Stock.on_hand, Stock.allocated)
            .join(Location, Location.id == Stock.location_id)
            .join(Sku, Sku.id == Stock.sku_id)
        ).all()
    return {(c, k, lot): (oh, al) for c, k, lot, oh, al in rows if oh or al}


def _totals(app: Flask) -> dict[str, int]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(Sku.sku, func.sum(Stock.on_hand))
            .join(Sku, Sku.id == Stock.sku_id)
            .where(Sku.sku.in_(SKUS))
            .group_by(Sku.sku)
        ).all()
    return {k: int(v or 0) for k, v in rows}


op = st.one_of(
    st.tuples(
        st.just("receive"),
        st.sampled_from(SKUS),
        st.sampled_from([1, 5, 40, 0, -3, 20_000]),
        st.sampled_from(BINS + BAD_BINS),
    ),
    st.tuples(
        st.just("move"),
        st.sampled_from(SKUS),
        st.sampled_from([1, 7, 30, 500, 0, -1]),
        st.tuples(st.sampled_from(BINS + BAD_BINS[:1]), st.sampled_from(BINS + BAD_BINS[:1])),
    ),
    st.tuples(st.just("order"), st.sampled_from(SKUS), st.integers(1, 60), st.none()),
    st.tuples(st.just("cancel"), st.none(), st.integers(0, 30), st.none()),
)


def _apply(app: Flask, o: tuple[Any, ...], n: int, gtins: dict[str, str], orders: list[str]) -> str:
    kind, sku, qty, where = o
    uow, who = uow_of(app), receiving.Who(actor="U0010", client_scan_id=f"prop-{n}")
    if kind == "receive":
        cmd = receiving.Receive(gtins[sku], qty, where, reference="PO-1")
        return receiving.receive(cmd, who, POLICY, uow, system_clock).result
    if kind == "move":
        src, dst = where
        cmd_m = receiving.Move(src, gtins[sku], qty, dst)
        return receiving.move(cmd_m, who, POLICY, uow, system_clock).result
    client = app.test_client()
    if kind == "order":
        allocation_id = f"AL-P{n}"
        doc = allocation_doc(allocation_id, lines=[{"line_id": "1", "sku": sku, "qty": qty}])
        status = signed_post(client, "/api/v1/allocations", doc).get_json()["status"]
        orders.append(allocation_id)
        return str(status)
    if not orders:
        return "nothing"
    target = orders[qty % len(orders)]
    body = signed_post(client, f"/api/v1/allocations/{target}/cancel", {"reason": "test"})
    return str(body.get_json().get("result"))


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(op, min_size=5, max_size=18))
def test_any_sequence_leaves_ledger_and_stock_in_agreement(ops: list[tuple[Any, ...]]) -> None:
    app, work = _fresh_app()
    try:
        gtins = {k: _gtin(app, k) for k in SKUS}
        orders: list[str] = []
        expected = _totals(app)
        for n, o in enumerate(ops):
            before = _snapshot(app)
            result = _apply(app, o, n, gtins, orders)
            after = _snapshot(app)
            if o[0] == "receive" and result == "receive_ok":
                expected[o[1]] += o[2]
            if o[0] in ("receive", "move") and not result.endswith("_ok"):
                assert after == before, f"refused {o} ({result}) changed stock"
            # Moves, orders and cancels never create or destroy a unit.
            assert _totals(app) == expected, (o, result)
        report = verify_stock(uow_of(app))
        assert report.ok, report.discrepancies
        assert all(oh >= 0 and 0 <= al <= oh for oh, al in _snapshot(app).values())
    finally:
        app.extensions["dockhand"].uow.engine.dispose()
        shutil.rmtree(work, ignore_errors=True)


def _thirty_two_at_once(app: Flask) -> None:
    """32 workers at once: receivers, movers between the same bins, and orders competing
    for what is free. Afterwards every unit is where the ledger says and nothing is below
    zero or over-promised."""
    gtins = {k: _gtin(app, k) for k in SKUS}
    start = _totals(app)
    received: dict[str, int] = dict.fromkeys(SKUS, 0)
    lock = threading.Lock()
    barrier = threading.Barrier(32)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        sku = SKUS[i % len(SKUS)]
        uow = uow_of(app)
        try:
            barrier.wait()
            for j in range(4):
                who = receiving.Who(actor=f"U{10 + i % 20:04d}", client_scan_id=f"c{i}-{j}")
                if i % 4 == 0:
                    cmd = receiving.Receive(gtins[sku], 3, "A01-02-1")
                    if receiving.receive(cmd, who, POLICY, uow, system_clock).ok:
                        with lock:
                            received[sku] += 3
                elif i % 4 == 1:
                    src, dst = ("A01-01-1", "A01-01-3") if j % 2 else ("A01-01-3", "A01-01-1")
                    cmd_m = receiving.Move(src, gtins[sku], 5, dst)
                    receiving.move(cmd_m, who, POLICY, uow, system_clock)
                else:
                    doc = allocation_doc(
                        f"AL-C{i}-{j}", lines=[{"line_id": "1", "sku": sku, "qty": 25}]
                    )
                    signed_post(app.test_client(), "/api/v1/allocations", doc)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    report = verify_stock(uow_of(app))
    assert report.ok, report.discrepancies
    assert all(oh >= 0 and 0 <= al <= oh for oh, al in _snapshot(app).values())
    assert _totals(app) == {k: start[k] + received[k] for k in SKUS}
    assert sum(received.values()) > 0


def test_32_workers_receive_move_and_reserve_at_once_on_sqlite(app: Flask) -> None:
    _thirty_two_at_once(app)


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    require_postgres()
    with fresh_postgres_db() as url:
        prepare_database(url)
        application = make_app(url)
        yield application
        application.extensions["dockhand"].uow.engine.dispose()


@pytest.mark.postgres
def test_32_workers_receive_move_and_reserve_at_once_on_postgresql(pg_app: Flask) -> None:
    _thirty_two_at_once(pg_app)
