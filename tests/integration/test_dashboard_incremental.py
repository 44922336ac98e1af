"""The dashboard reads the busy tables incrementally (only rows added since the last
snapshot) and still shows exactly what reading everything again shows: after more picks and
scans, as the clock moves (across midnight, and back), when a transaction with a lower id
commits late, and when the database is emptied under it. On SQLite and on PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from app.adapters.db.engine import is_sqlite, make_engine
from app.adapters.db.models import ScanLog, Stock, StockMovement
from app.adapters.db.uow import SessionFactory
from app.services import dashboard
from app.services.waves import default_config
from tests.support.warehouse import fresh_postgres_db, prepare_database

CFG = default_config()
# 23:20 local on the site's calendar: the run crosses midnight.
START = datetime(2026, 3, 2, 23, 20, tzinfo=CFG.calendar.tz)
PEOPLE = ["U0010", "U0011", "U0012", "U0013", None]
SCANS = [
    ("pack", "unit_ok"),
    ("pack", "unit_ok"),
    ("weigh", "weight_ok"),
    ("pick", "location_wrong"),
    ("pack", "item_wrong"),
    ("weigh", "weight_out_of_tolerance"),
    ("pick", "item_ok"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def uow(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[SessionFactory]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'dash.db'}"
        prepare_database(url, skus=5)
        factory = SessionFactory(make_engine(url))
        yield factory
        factory.engine.dispose()
        return
    with fresh_postgres_db() as url:
        prepare_database(url, skus=5)
        factory = SessionFactory(make_engine(url))
        yield factory
        factory.engine.dispose()


class Floor:
    def __init__(self, uow: SessionFactory, seed: int = 7) -> None:
        self.uow = uow
        self.rng = random.Random(seed)
        with uow() as tx:
            stock = tx.session.scalars(select(Stock).limit(1)).one()
            self.stock = (stock.id, stock.sku_id, stock.location_id)

    def rows(self, now: datetime, picks: int, scans: int) -> list[Any]:
        """Events in the last 100 minutes, mostly recent, some with gaps over a break."""
        out: list[Any] = []
        sid, kid, lid = self.stock
        for _ in range(picks):
            at = now - timedelta(seconds=self.rng.choice([1, 5, 30, 200, 400, 3000, 6000]))
            at -= timedelta(microseconds=self.rng.randrange(1_000_000))
            out.append(
                StockMovement(
                    stock_id=sid,
                    sku_id=kid,
                    location_id=lid,
                    on_hand_delta=-self.rng.randint(1, 3),
                    allocated_delta=0,
                    reason=self.rng.choice(["pick", "pick", "pick", "receipt"]),
                    actor=self.rng.choice(PEOPLE),
                    at=at,
                )
            )
        for _ in range(scans):
            station, result = self.rng.choice(SCANS)
            at = now - timedelta(seconds=self.rng.choice([1, 20, 200, 400, 3000, 6000]))
            out.append(
                ScanLog(
                    station=station,
                    actor=self.rng.choice(PEOPLE),
                    raw=f"R{self.rng.randrange(10**6)}",
                    result=result,
                    at=at,
                )
            )
        return out

    def add(self, now: datetime, picks: int = 40, scans: int = 40) -> None:
        with self.uow() as tx:
            tx.session.add_all(self.rows(now, picks, scans))
            tx.session.commit()


def same(uow: SessionFactory, now: datetime) -> dict[str, Any]:
    clock: Callable[[], datetime] = lambda: now  # noqa: E731
    live = dashboard.snapshot(uow, clock=clock, config=CFG)
    scratch = dashboard.snapshot(uow, clock=clock, config=CFG, scratch=True)
    assert live == scratch
    return live


def test_incremental_snapshots_equal_reading_everything_again(uow: SessionFactory) -> None:
    dashboard.forget(uow)
    floor = Floor(uow)
    now = START
    floor.add(now, 300, 300)
    first = same(uow, now)
    assert first["stations"]["pick"]["units_last_hour"] > 0
    assert first["exceptions"]["mis_scans"] > 0
    for _ in range(8):  # 23:20 to 00:16: across midnight, windows expiring
        now += timedelta(minutes=7, seconds=13)
        floor.add(now)
        snap = same(uow, now)
    assert snap["pickers"] and any(p["units_last_hour"] for p in snap["pickers"])
    # The clock steps back a little (two snapshots racing), then a lot.
    same(uow, now - timedelta(seconds=40))
    same(uow, now)
    same(uow, now - timedelta(hours=3))
    same(uow, now)


def test_rows_committed_out_of_id_order_are_counted(uow: SessionFactory) -> None:
    dashboard.forget(uow)
    floor = Floor(uow, seed=11)
    now = START + timedelta(hours=1)
    floor.add(now)
    same(uow, now)
    with uow() as tx:
        top_move = tx.session.scalar(select(func.max(StockMovement.id))) or 0
        top_scan = tx.session.scalar(select(func.max(ScanLog.id))) or 0
    late = floor.rows(now, 10, 10)
    early = floor.rows(now, 10, 10)
    # The late transaction took the lower ids; the other commits first.
    for i, row in enumerate([r for r in late if isinstance(r, StockMovement)]):
        row.id = top_move + 1 + i
    for i, row in enumerate([r for r in late if isinstance(r, ScanLog)]):
        row.id = top_scan + 1 + i
    for i, row in enumerate([r for r in early if isinstance(r, StockMovement)]):
        row.id = top_move + 100 + i
    for i, row in enumerate([r for r in early if isinstance(r, ScanLog)]):
        row.id = top_scan + 100 + i
    with uow() as tx:
        tx.session.add_all(early)
        tx.session.commit()
    same(uow, now + timedelta(seconds=1))
    with uow() as tx:
        tx.session.add_all(late)
        tx.session.commit()
    same(uow, now + timedelta(seconds=2))


@pytest.mark.postgres
def test_a_late_commit_on_postgresql_is_counted(uow: SessionFactory) -> None:
    if is_sqlite(uow.engine):
        pytest.skip("one writer at a time on SQLite")
    dashboard.forget(uow)
    floor = Floor(uow, seed=5)
    now = START + timedelta(hours=2)
    floor.add(now)
    same(uow, now)
    slow = uow.maker()
    try:
        slow.add_all(floor.rows(now, 20, 20))
        slow.flush()  # takes its ids now, commits later
        floor.add(now, 20, 20)
        same(uow, now + timedelta(seconds=1))
        slow.commit()
    finally:
        slow.close()
    snap = same(uow, now + timedelta(seconds=2))
    assert snap["stations"]["pick"]["units_last_hour"] > 0


def test_an_emptied_database_is_read_again(uow: SessionFactory) -> None:
    dashboard.forget(uow)
    floor = Floor(uow, seed=3)
    now = START
    floor.add(now, 100, 100)
    same(uow, now)
    with uow() as tx:
        tx.session.execute(delete(ScanLog))
        tx.session.execute(delete(StockMovement).where(StockMovement.reason == "pick"))
        tx.session.commit()
    floor.add(now, 5, 5)  # on SQLite these take the deleted rows' ids again
    snap = same(uow, now + timedelta(seconds=1))
    assert sum(snap["scans"].values()) == 5
