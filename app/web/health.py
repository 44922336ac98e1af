from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text

from app.container import container

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> tuple[Response, int]:
    c = container()
    try:
        with c.uow() as tx:
            tx.session.execute(text("SELECT 1"))
        db = "ok"
    except Exception as exc:  # the point is to report it, not to raise
        db = f"error: {exc.__class__.__name__}"
    ok = db == "ok"
    return jsonify({"status": "ok" if ok else "degraded", "database": db}), 200 if ok else 503
