"""The OpenAPI 3.1 document of the inbound OMS API, built from the very pydantic models that
validate requests, so the document cannot drift from the code."""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Blueprint, Response, jsonify
from pydantic.json_schema import models_json_schema

from app.adapters.oms.schemas import AllocationIn, CancelIn, HoldIn, ReturnIn

docs = Blueprint("openapi", __name__)

_ERRORS = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "error": {"type": "string"}},
                "required": ["field", "error"],
            },
        },
    },
    "required": ["error"],
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _responses(ok: dict[str, Any], *extra: int) -> dict[str, Any]:
    out: dict[str, Any] = dict(ok)
    out["401"] = {"description": "missing, wrong or stale signature", **_json(_ERRORS)}
    for code in extra:
        reason = {404: "unknown allocation", 409: "version conflict", 422: "invalid body"}[code]
        out[str(code)] = {"description": reason, **_json(_ERRORS)}
    return out


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


@cache
def openapi_document() -> dict[str, Any]:
    _, defs = models_json_schema(
        [(m, "validation") for m in (AllocationIn, CancelIn, HoldIn, ReturnIn)],
        ref_template="#/components/schemas/{model}",
    )
    components = defs.get("$defs", {})
    allocation_path = {
        "name": "allocation_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
    }
    status_body = {"type": "object", "properties": {"status": {"type": "string"}}}
    result_body = {
        "type": "object",
        "properties": {"result": {"type": "string"}, "detail": {"type": "string"}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dockhand OMS API",
            "version": "1",
            "description": "Inbound side of shared/contracts/oms-v1.md. Every request is signed: "
            "X-Timestamp (Unix seconds) and X-Signature: v1=HMAC-SHA256(secret, "
            "timestamp + '.' + raw body); GETs sign an empty body.",
        },
        "components": {
            "schemas": components,
            "securitySchemes": {
                "timestamp": {"type": "apiKey", "in": "header", "name": "X-Timestamp"},
                "signature": {"type": "apiKey", "in": "header", "name": "X-Signature"},
            },
        },
        "security": [{"timestamp": [], "signature": []}],
        "paths": {
            "/api/v1/allocations": {
                "post": {
                    "operationId": "postAllocation",
                    "requestBody": {"required": True, **_json(_ref("AllocationIn"))},
                    "responses": _responses(
                        {
                            "200": {"description": "duplicate", **_json(status_body)},
                            "202": {"description": "stored", **_json(status_body)},
                        },
                        409,
                        422,
                    ),
                }
            },
            "/api/v1/allocations/{allocation_id}": {
                "get": {
                    "operationId": "getAllocation",
                    "parameters": [allocation_path],
                    "responses": _responses(
                        {"200": {"description": "state", **_json({"type": "object"})}}, 404
                    ),
                }
            },
            **{
                f"/api/v1/allocations/{{allocation_id}}/{verb}": {
                    "post": {
                        "operationId": f"{verb}Allocation",
                        "parameters": [allocation_path],
                        "requestBody": {"required": False, **_json(_ref(model))},
                        "responses": _responses(
                            {"200": {"description": verb, **_json(result_body)}}, 404, 409, 422
                        ),
                    }
                }
                for verb, model in (
                    ("cancel", "CancelIn"),
                    ("hold", "HoldIn"),
                    ("release", "HoldIn"),
                )
            },
            "/api/v1/returns": {
                "post": {
                    "operationId": "postReturn",
                    "requestBody": {"required": True, **_json(_ref("ReturnIn"))},
                    "responses": _responses(
                        {
                            "200": {"description": "duplicate", **_json(status_body)},
                            "202": {"description": "stored", **_json(status_body)},
                        },
                        422,
                    ),
                }
            },
            "/api/v1/inventory": {
                "get": {
                    "operationId": "getInventory",
                    "parameters": [
                        {"name": "sku", "in": "query", "schema": {"type": "string"}},
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                        },
                        {
                            "name": "locations",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["0", "1"]},
                        },
                    ],
                    "responses": _responses(
                        {"200": {"description": "stock", **_json({"type": "object"})}}, 422
                    ),
                }
            },
        },
    }


@docs.get("/api/openapi.json")
def openapi_json() -> Response:
    return jsonify(openapi_document())
