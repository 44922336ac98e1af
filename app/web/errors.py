"""Errors as JSON with the field and the reason; never a stack trace to the client."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from app.services.errors import ServiceError

log = logging.getLogger(__name__)


def register_errors(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError):  # type: ignore[no-untyped-def]
        body = {"error": exc.code, "detail": exc.message}
        if exc.field:
            body["errors"] = [{"field": exc.field, "error": exc.message}]  # type: ignore[assignment]
        return jsonify(body), exc.http_status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        return jsonify({"error": exc.name.lower().replace(" ", "_"), "detail": exc.description}), (
            exc.code or 500
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # type: ignore[no-untyped-def]
        log.exception("unhandled error on %s %s", request.method, request.path)
        return jsonify({"error": "server_error", "detail": "unexpected error, logged"}), 500
