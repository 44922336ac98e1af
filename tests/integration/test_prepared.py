"""Prepared statements (app/adapters/db/prepared.py) write what they are given: the datetime
processor remembers the last value it converted (every job of a group transaction writes the
same `now`), and a scan's time must never come out as the one written before it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Table, select

from app.adapters.db.models import ScanLog
from app.adapters.db.prepared import Cursor, Insert
from app.adapters.db.uow import SessionFactory

LOG = Insert(cast(Table, ScanLog.__table__))


@pytest.fixture
def uow(empty_uow: SessionFactory) -> SessionFactory:
    return empty_uow


def test_each_row_keeps_its_own_time(uow: SessionFactory) -> None:
    now = datetime(2026, 11, 26, 21, 30, 15, 123456, tzinfo=UTC)
    same_instant_other_object = now + timedelta(0)
    times = [
        now,
        now,  # the batch's now again
        now + timedelta(microseconds=1),
        same_instant_other_object,
        now - timedelta(days=1),
        now,
    ]
    with uow() as tx:
        cur = Cursor(tx.session)
        try:
            for i, at in enumerate(times):
                cur.executemany(
                    LOG,
                    [
                        {
                            "client_scan_id": f"t{i}",
                            "station": "pick",
                            "raw": "x",
                            "result": "ok",
                            "at": at,
                        }
                    ],
                )
        finally:
            cur.close()
        tx.commit()
    with uow.reader() as tx:
        got = tx.session.execute(
            select(ScanLog.client_scan_id, ScanLog.at).order_by(ScanLog.id)
        ).all()
    assert [cid for cid, _at in got] == [f"t{i}" for i in range(len(times))]
    assert [at.replace(tzinfo=UTC) if at.tzinfo is None else at for _c, at in got] == times


def test_json_reads_back_as_it_was_written(uow: SessionFactory) -> None:
    """The scan log's `parsed`: written by orjson where it can, by the json module where it
    cannot (app/adapters/fast_json.py); either way the same value comes back."""
    values = [
        {"kind": "item", "value": "00012345678905", "lot": None, "qty": 2},
        {"kind": "item", "value": "café 取货", "ais": {"01": "00012345678905", "10": "L1"}},
        [1, 2.5, True, None],
        {"big": 2**70},  # past 64 bits: SQLAlchemy's writer
        None,
    ]
    with uow() as tx:
        cur = Cursor(tx.session)
        try:
            for i, parsed in enumerate(values):
                row = {"client_scan_id": f"j{i}", "station": "pick", "raw": "x", "result": "ok"}
                cur.executemany(LOG, [row | {"parsed": parsed, "at": datetime.now(UTC)}])
        finally:
            cur.close()
        tx.commit()
    with uow.reader() as tx:
        got = tx.session.scalars(select(ScanLog.parsed).order_by(ScanLog.id)).all()
    assert got == values
