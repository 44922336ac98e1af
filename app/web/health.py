"""`GET /healthz`: the database answers a query and, when configured, the message queue
answers a PING. 503 when either does not, with which one in the body."""

from __future__ import annotations

import os

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from app.container import container

health = Blueprint("health", __name__)


def _database() -> str:
    try:
        with container().uow() as tx:
            tx.session.execute(text("SELECT 1"))
        return "ok"
    except Exception as exc:  # the point is to report it, not to raise
        return f"error: {exc.__class__.__name__}"


def _queue() -> str:
    url = container().settings.message_queue
    if not url:
        return "not configured"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
        return "ok"
    except Exception as exc:
        return f"error: {exc.__class__.__name__}"


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    db, queue = _database(), _queue()
    ok = db == "ok" and not queue.startswith("error")
    body = {
        "status": "ok" if ok else "degraded",
        "database": db,
        "message_queue": queue,
        "worker_pid": os.getpid(),
    }
    return jsonify(body), 200 if ok else 503
