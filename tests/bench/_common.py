"""Shared set-up for benchmarks: a seeded SQLite warehouse with deep stock, a live server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from sqlalchemy import select

from app.adapters.db import repositories as repo
from app.adapters.db.engine import make_engine
from app.adapters.db.models import Stock
from app.adapters.db.uow import SessionFactory
from tests.support.warehouse import prepare_database

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def deep_stock_warehouse(url: str, units_per_bin: int = 100_000, skus: int = 200) -> None:
    """Seed, then receive enough stock that no benchmark order is ever backordered."""
    prepare_database(url, skus=skus)
    uow = SessionFactory(make_engine(url))
    with uow() as tx:
        for stock in tx.session.scalars(select(Stock)).all():
            repo.move_stock(
                tx.session,
                stock,
                on_hand_delta=units_per_bin,
                reason="receipt",
                reference="bench",
                actor="bench",
                now=datetime.now(UTC),
            )
        tx.session.info.pop("available_changed", None)
        tx.commit()
    uow.engine.dispose()


class LiveServer:
    def __init__(
        self,
        url: str,
        secret: str,
        extra_env: dict[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
        env.update(
            {"DOCKHAND_DATABASE_URL": url, "DOCKHAND_OMS_SECRET": secret, **(extra_env or {})}
        )
        self.proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "app.cli", "serve", "--port", str(self.port)),
                *(("--workers", str(workers)) if workers > 1 else ()),
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
