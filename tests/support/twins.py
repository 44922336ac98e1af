"""Two identical warehouses side by side, for tests that run one story two ways (a fast path
and the ORM path) and compare every answer and row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask

from tests.support.warehouse import fresh_postgres_db, make_app, prepare_database


def _dispose(apps: tuple[Flask, Flask]) -> None:
    for a in apps:
        a.extensions["dockhand"].uow.engine.dispose()


@contextmanager
def twin_sqlite_apps(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    """The prepared SQLite database of `sqlite_url` and a byte-for-byte copy of it."""
    copy = tmp_path / "twin.db"
    copy.write_bytes(Path(sqlite_url.removeprefix("sqlite:///")).read_bytes())
    apps = (make_app(sqlite_url), make_app(f"sqlite:///{copy}"))
    try:
        yield apps
    finally:
        _dispose(apps)


@contextmanager
def twin_postgres_apps() -> Iterator[tuple[Flask, Flask]]:
    """Two fresh PostgreSQL databases, seeded alike."""
    with fresh_postgres_db() as first, fresh_postgres_db() as second:
        prepare_database(first)
        prepare_database(second)
        apps = (make_app(first), make_app(second))
        try:
            yield apps
        finally:
            _dispose(apps)
