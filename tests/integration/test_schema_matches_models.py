"""The schema the migrations build is the schema the models describe: a model change without
its migration (or the reverse) fails here, on SQLite and on PostgreSQL."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

import app.adapters.db as db_pkg
from app.adapters.db.engine import normalise_url
from app.adapters.db.migrate import upgrade
from app.adapters.db.models import Base
from tests.support.warehouse import fresh_postgres_db


def _all_models() -> None:
    for mod in pkgutil.iter_modules(db_pkg.__path__):
        if mod.name.startswith("models"):
            importlib.import_module(f"app.adapters.db.{mod.name}")


def _differences(url: str) -> list[Any]:
    _all_models()
    upgrade(url)
    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": False})
            diffs = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    # Alembic's own bookkeeping table is not a model.
    return [d for d in diffs if "alembic_version" not in repr(d)]


def test_migrations_build_the_models_schema_on_sqlite(tmp_path: Path) -> None:
    assert _differences(f"sqlite:///{tmp_path / 'schema.db'}") == []


@pytest.mark.postgres
def test_migrations_build_the_models_schema_on_postgresql() -> None:
    with fresh_postgres_db() as url:
        assert _differences(url) == []
