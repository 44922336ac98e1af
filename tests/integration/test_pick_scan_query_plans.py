"""Every statement of the common pick scan (app/adapters/db/pick_rows.py) finds its rows
through an index: none reads a whole table. A table scan there costs every scan of every
handheld in proportion to the table (totes, the scan log and the ledger grow all day)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from app.adapters.db import pick_rows
from app.adapters.db.engine import make_engine
from app.adapters.db.prepared import Prepared
from tests.support.warehouse import prepare_database

STATEMENTS = sorted(n for n, v in vars(pick_rows).items() if isinstance(v, Prepared))


def test_the_module_has_statements_to_check() -> None:
    assert {"_TASK", "_MOVE", "_FACE", "_TASK_PICKED"} <= set(STATEMENTS)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('plans')) / 'w.db'}"
    prepare_database(url)
    eng = make_engine(url)
    yield eng
    eng.dispose()


@pytest.mark.parametrize("name", STATEMENTS)
def test_no_table_scan(engine, name: str) -> None:  # type: ignore[no-untyped-def]
    compiled = getattr(pick_rows, name).compiled(sqlite.dialect())
    with engine.connect() as conn:
        cur = conn.connection.cursor()
        params = [1] * compiled.sql.count("?")
        plan = [row[3] for row in cur.execute("EXPLAIN QUERY PLAN " + compiled.sql, params)]
    scans = [step for step in plan if step.startswith("SCAN ")]
    assert not scans, f"{name} reads a whole table: {scans} (plan: {plan})"
