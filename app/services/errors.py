"""Failures a person or the OMS can act on. Each carries the field and a plain reason."""

from __future__ import annotations


class ServiceError(Exception):
    """A request that cannot be carried out; nothing was changed."""

    code = "invalid"
    http_status = 422

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def to_json(self) -> dict[str, object]:
        return {"ok": False, "error": self.code, "message": self.message, "field": self.field}


class NotFound(ServiceError):
    code = "not_found"
    http_status = 404


class Conflict(ServiceError):
    code = "conflict"
    http_status = 409


class OnHold(ServiceError):
    code = "on_hold"
    http_status = 409
