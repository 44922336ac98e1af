"""The stock-alert sweep runs every couple of seconds beside the intake and the scans: when
nothing moved it must not stand in their way (app/services/stock_alerts.py)."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import pytest
from flask import Flask

from app.services.clock import system_clock
from app.services.stock_alerts import AlertWatch
from tests.support.warehouse import (
    allocation_doc,
    signed_post,
    uow_of,
)


def _sweep_in_thread(app: Flask, watch: AlertWatch) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []
    t = threading.Thread(target=lambda: out.append(watch.sweep(uow_of(app), system_clock)))
    t.start()
    return t, out


def test_an_idle_sweep_does_not_wait_for_a_writer_holding_the_database(
    app: Flask, sqlite_url: str
) -> None:
    watch = AlertWatch(default_threshold=5)
    assert watch.sweep(uow_of(app), system_clock) == []  # the first looks at every SKU
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing: the write lock is taken
    try:
        t, out = _sweep_in_thread(app, watch)
        t.join(10)  # a sweep that wanted the lock would wait out the 30 s busy timeout
        assert not t.is_alive()
        assert out == [None]  # nothing moved, nothing new to show
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_sweep_over_moved_stock_with_no_alert_to_change_does_not_wait_for_a_writer(
    app: Flask, sqlite_url: str
) -> None:
    """Under load stock moves between every two sweeps; checking it must not take the write
    lock unless an alert changes (it held it 7-20 ms every two seconds, all scans waiting)."""
    watch = AlertWatch(default_threshold=5)
    assert watch.sweep(uow_of(app), system_clock) == []
    doc = allocation_doc("AL-MOVED", lines=[{"line_id": "1", "sku": "MUG-BLK-S", "qty": 1}])
    assert signed_post(app.test_client(), "/api/v1/allocations", doc).status_code == 202
    other = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        t, out = _sweep_in_thread(app, watch)
        t.join(10)
        assert not t.is_alive()
        assert out == [None]  # checked, not low: nothing new to show
    finally:
        other.execute("ROLLBACK")
        other.close()
    # The stock it looked at is behind it: the next sweep has nothing to check.
    watch.default_threshold = 1_000_000
    assert watch.sweep(uow_of(app), system_clock) is None


def stock_that_moved_is_checked_after_an_idle_sweep(app: Flask) -> None:
    watch = AlertWatch(default_threshold=5)
    assert watch.sweep(uow_of(app), system_clock) == []
    assert watch.sweep(uow_of(app), system_clock) is None  # idle
    doc = allocation_doc("AL-LOW", lines=[{"line_id": "1", "sku": "MUG-BLK-S", "qty": 1}])
    assert signed_post(app.test_client(), "/api/v1/allocations", doc).status_code == 202
    watch.default_threshold = 1_000_000  # every SKU low now; only the one that moved is seen
    alerts = watch.sweep(uow_of(app), system_clock)
    assert alerts is not None
    assert [(a["kind"], a["sku"]) for a in alerts] == [("low_stock", "MUG-BLK-S")]
    assert watch.sweep(uow_of(app), system_clock) is None  # the same alert: nothing to push


def test_stock_that_moved_is_still_checked_after_an_idle_sweep(app: Flask) -> None:
    stock_that_moved_is_checked_after_an_idle_sweep(app)


@pytest.mark.postgres
def test_stock_that_moved_is_still_checked_after_an_idle_sweep_on_postgresql(
    postgres_app: Flask,
) -> None:
    stock_that_moved_is_checked_after_an_idle_sweep(postgres_app)
