"""The OMS-facing HTTP API (shared/contracts/oms-v1.md). Every request is signed."""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, Response, jsonify, request

from app.adapters.oms.schemas import (
    BadDocument,
    CancelIn,
    HoldIn,
    ReturnIn,
    parse_allocation,
    parse_document,
)
from app.container import container
from app.domain.signing import check
from app.services import cancels, intake, inventory, rma
from app.services.intake_batch import batcher_for

api = Blueprint("api", __name__, url_prefix="/api/v1")


@api.before_request
def _verify_signature() -> tuple[Response, int] | None:
    c = container()
    secret = c.settings.oms_secret
    if not secret:
        return jsonify(
            {"error": "not_configured", "detail": "DOCKHAND_OMS_SECRET is not set on this server"}
        ), 401
    problem = check(
        secret,
        request.headers.get("X-Timestamp"),
        request.headers.get("X-Signature"),
        request.get_data(cache=True),
        time.time(),
    )
    if problem is not None:
        return jsonify({"error": "bad_signature", "detail": problem.value}), 401
    return None


@api.post("/allocations")
def post_allocation() -> tuple[Response, int]:
    c = container()
    try:
        doc = parse_allocation(request.get_data(cache=True))
    except BadDocument as bad:
        return _invalid(bad)
    # Shared commits: every webhook that arrived meanwhile is made durable by one fsync, and
    # the allocations among them share one job of the writer (app/services/intake_batch.py).
    result = batcher_for(c.writer).apply(doc)
    return jsonify(result.body), result.http_status


@api.get("/allocations/<allocation_id>")
def get_allocation(allocation_id: str) -> tuple[Response, int]:
    return jsonify(intake.allocation_state(allocation_id, container().uow)), 200


@api.get("/inventory")
def get_inventory() -> tuple[Response, int]:
    args: dict[str, Any] = request.args
    try:
        limit = int(args.get("limit", inventory.PAGE))
    except ValueError:
        return jsonify(
            {"error": "invalid", "errors": [{"field": "limit", "error": "must be an integer"}]}
        ), 422
    page = inventory.inventory_page(
        container().uow,
        sku=args.get("sku"),
        cursor=args.get("cursor"),
        limit=limit,
        with_locations=args.get("locations") in ("1", "true"),
    )
    return jsonify(page), 200


def _invalid(bad: BadDocument) -> tuple[Response, int]:
    return jsonify({"error": "invalid", "errors": bad.errors}), 422


@api.post("/allocations/<allocation_id>/cancel")
def cancel(allocation_id: str) -> tuple[Response, int]:
    c = container()
    try:
        doc = parse_document(request.get_data(cache=True), CancelIn)
    except BadDocument as bad:
        return _invalid(bad)
    return jsonify(cancels.cancel_allocation(allocation_id, doc, c.uow, c.clock)), 200


@api.post("/allocations/<allocation_id>/hold")
def hold(allocation_id: str) -> tuple[Response, int]:
    c = container()
    try:
        doc = parse_document(request.get_data(cache=True), HoldIn)
    except BadDocument as bad:
        return _invalid(bad)
    return jsonify(cancels.hold_allocation(allocation_id, doc, c.uow, c.clock)), 200


@api.post("/allocations/<allocation_id>/release")
def release(allocation_id: str) -> tuple[Response, int]:
    c = container()
    try:
        doc = parse_document(request.get_data(cache=True), HoldIn)
    except BadDocument as bad:
        return _invalid(bad)
    return jsonify(cancels.release_allocation(allocation_id, doc, c.uow, c.clock)), 200


@api.post("/returns")
def post_return() -> tuple[Response, int]:
    c = container()
    try:
        doc = parse_document(request.get_data(cache=True), ReturnIn)
    except BadDocument as bad:
        return _invalid(bad)
    status, body = rma.receive_rma(doc, c.uow, c.clock)
    return jsonify(body), status
