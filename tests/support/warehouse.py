"""A real database (SQLite file or PostgreSQL), migrated and seeded, and an app on top."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app, socketio
from app.adapters.config_files import load_layout
from app.adapters.db.engine import make_engine
from app.adapters.db.migrate import upgrade
from app.adapters.db.uow import SessionFactory
from app.container import container
from app.domain.signing import signed_headers
from app.services.clock import system_clock
from app.services.seeding import seed_demo
from app.settings import load_settings

SECRET = "test-secret-" + "x" * 20
POSTGRES_URL = os.environ.get(
    "DOCKHAND_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("DOCKHAND_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CONFIG = Path(__file__).resolve().parents[2] / "config"


def postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}"


def require_postgres() -> None:
    why = postgres_available()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests: {why}")
        pytest.skip(why)


@contextmanager
def fresh_postgres_db() -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards."""
    require_postgres()
    name = f"dockhand_t_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare_database(url: str, skus: int = 30) -> None:
    upgrade(url)
    uow = SessionFactory(make_engine(url))
    seed_demo(uow, load_layout(CONFIG / "warehouse.toml"), system_clock, sku_count=skus)
    uow.engine.dispose()


def make_app(url: str, **overrides: Any) -> Flask:
    settings = load_settings(
        env={},
        database_url=url,
        oms_secret=SECRET,
        async_mode="threading",
        run_background=False,
        **overrides,
    )
    return create_app(settings)


def signed_post(client: FlaskClient, path: str, doc: Any, secret: str = SECRET) -> Any:
    body = json.dumps(doc).encode()
    return client.post(
        path,
        data=body,
        headers={"Content-Type": "application/json", **signed_headers(secret, body, time.time())},
    )


def post_allocation_to(base_url: str, doc: Any, secret: str = SECRET) -> Any:
    """A signed allocation POST to a live server (a `dockhand serve` process)."""
    import requests

    body = json.dumps(doc).encode()
    return requests.post(
        base_url + "/api/v1/allocations",
        data=body,
        timeout=10,
        headers={"Content-Type": "application/json", **signed_headers(secret, body, time.time())},
    )


def signed_get(client: FlaskClient, path: str, secret: str = SECRET) -> Any:
    return client.get(path, headers=signed_headers(secret, b"", time.time()))


def allocation_doc(allocation_id: str = "AL-1", version: int = 1, **over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "allocation_id": allocation_id,
        "version": version,
        "order_number": "SO-" + allocation_id,
        "channel": "shopify",
        "type": "b2c",
        "priority": 5,
        "placed_at": "2026-11-26T09:14:00+00:00",
        "ship_by": "2026-11-26T17:00:00+00:00",
        "service_level": "standard",
        "ship_to": {
            "name": "Ada Lovelace",
            "company": None,
            "line1": "12 St James's Square",
            "line2": None,
            "city": "London",
            "region": None,
            "postal_code": "SW1Y 4JH",
            "country": "GB",
            "phone": "+44 20 7946 0000",
            "email": "ada@example.com",
        },
        "lines": [
            {"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 2},
            {"line_id": "2", "sku": "MUG-BLK-S", "qty": 1},
        ],
        "b2b": None,
        "notes": None,
    }
    doc.update(over)
    return doc


def socket_client(app: Flask, namespace: str, badge: str) -> Any:
    flask_client = app.test_client()
    client = socketio.test_client(app, namespace=namespace, flask_test_client=flask_client)
    ack = client.emit(
        "sign_in", {"badge": badge, "pin": "1234"}, namespace=namespace, callback=True
    )
    assert ack["ok"], ack
    return client


def uow_of(app: Flask) -> SessionFactory:
    return container(app).uow
