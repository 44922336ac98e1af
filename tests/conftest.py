from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from app.adapters.db.engine import make_engine
from app.adapters.db.migrate import upgrade
from app.adapters.db.uow import SessionFactory
from tests.support.warehouse import fresh_postgres_db, make_app, prepare_database

# One seeded SQLite file per session, copied per test: seeding takes a second, a copy a few ms.
_TEMPLATE: dict[str, Path] = {}


@pytest.fixture
def sqlite_url(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    if "db" not in _TEMPLATE:
        base = tmp_path_factory.mktemp("template") / "seeded.db"
        prepare_database(f"sqlite:///{base}")
        _TEMPLATE["db"] = base
    target = tmp_path / "dockhand.db"
    target.write_bytes(_TEMPLATE["db"].read_bytes())
    return f"sqlite:///{target}"


@pytest.fixture
def app(sqlite_url: str) -> Iterator[Flask]:
    application = make_app(sqlite_url)
    yield application
    application.extensions["dockhand"].uow.engine.dispose()


@pytest.fixture
def postgres_app() -> Iterator[Flask]:
    """The same seeded warehouse on a fresh database of the test PostgreSQL (skips with the
    reason when there is none; CI has one)."""
    with fresh_postgres_db() as url:
        prepare_database(url)
        application = make_app(url)
        try:
            yield application
        finally:
            application.extensions["dockhand"].uow.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_uow(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[SessionFactory]:
    """A migrated, empty database, SQLite then PostgreSQL: for the database adapters."""
    if request.param == "sqlite":
        upgrade(sqlite_url)
        factory = SessionFactory(make_engine(sqlite_url))
        yield factory
        factory.engine.dispose()
        return
    with fresh_postgres_db() as url:
        upgrade(url)
        factory = SessionFactory(make_engine(url))
        yield factory
        factory.engine.dispose()
