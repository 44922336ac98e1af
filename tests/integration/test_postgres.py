"""The same floor on real PostgreSQL: the whole path, and stock invariants under concurrency."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.support.warehouse import (
    allocation_doc,
    fresh_postgres_db,
    make_app,
    prepare_database,
    signed_get,
    signed_post,
)
from tests.test_support import floor_totals, race_for_one_sku, work_one_order

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app() -> Iterator[Flask]:
    with fresh_postgres_db() as url:
        prepare_database(url)
        application = make_app(url)
        yield application
        application.extensions["dockhand"].uow.engine.dispose()


def test_one_order_ships_on_postgresql(pg_app: Flask) -> None:
    client = pg_app.test_client()
    assert signed_post(client, "/api/v1/allocations", allocation_doc()).status_code == 202
    shipped = work_one_order(pg_app)
    state = signed_get(client, "/api/v1/allocations/AL-1").get_json()
    assert state["status"] == "shipped"
    assert (
        state["shipments"][0]["cartons"][0]["tracking_number"]
        == shipped["carton"]["tracking_number"]
    )
    totals = floor_totals(pg_app)
    assert totals["on_hand"] == totals["ledger_on_hand"]
    assert totals["allocated"] == totals["ledger_allocated"] == 0


def test_32_concurrent_allocations_never_oversell_one_sku(pg_app: Flask) -> None:
    race_for_one_sku(pg_app, workers=32)


def test_the_dashboard_reads_on_postgresql(pg_app: Flask) -> None:
    from app.services import dashboard

    client = pg_app.test_client()
    assert signed_post(client, "/api/v1/allocations", allocation_doc()).status_code == 202
    work_one_order(pg_app)
    snap = dashboard.snapshot(pg_app.extensions["dockhand"].uow)
    assert snap["allocations"] == {"shipped": 1}
    assert sum(snap["throughput"]["picked_units"]) == 3
