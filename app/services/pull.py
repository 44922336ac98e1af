"""Pull mode (oms-v1 section 1): poll the OMS for messages, apply a page in one transaction,
and advance the durable cursor in that same transaction, so a crash replays, never skips."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db import intake_rows as rows
from app.adapters.db.models import InboundReject, SyncState
from app.adapters.db.uow import SessionFactory
from app.adapters.oms.schemas import (
    AllocationIn,
    BadDocument,
    CancelIn,
    HoldIn,
    ReturnIn,
    validate_document,
)
from app.services import cancels, intake, rma
from app.services.clock import Clock
from app.services.errors import ServiceError

CURSOR_KEY = "oms_pull_cursor"

# fetch(cursor, limit) -> {"items": [...], "next_cursor": "..."}; raises PullError.
Fetch = Callable[[str | None, int], dict[str, Any]]


class PullError(Exception):
    """The OMS could not be reached or answered something unusable."""


@dataclass(frozen=True)
class PullResult:
    received: int
    applied: int
    rejected: int
    cursor: str | None


def current_cursor(uow: SessionFactory) -> str | None:
    with uow() as tx:
        row = tx.session.get(SyncState, CURSOR_KEY)
        return row.value if row else None


def pull_once(uow: SessionFactory, fetch: Fetch, clock: Clock, limit: int = 200) -> PullResult:
    cursor = current_cursor(uow)
    page = fetch(cursor, limit)
    items = page.get("items")
    next_cursor = page.get("next_cursor")
    if not isinstance(items, list) or not (next_cursor is None or isinstance(next_cursor, str)):
        raise PullError("the OMS answered without an items list and a next_cursor")
    now = clock()
    applied = rejected = 0
    with uow() as tx:
        s = tx.session
        for item in items:
            if _is_allocation(item):
                # An allocation is refused (invalid, stale, started) before it writes
                # anything: only the ORM path (replacements, rejections, backorders) takes a
                # savepoint, the common case none.
                try:
                    _apply_allocation(s, item["body"], now)
                    applied += 1
                except (BadDocument, ServiceError) as exc:
                    _reject(s, item, exc, now)
                    rejected += 1
                continue
            savepoint = s.begin_nested()
            try:
                _apply(s, item, now)
                savepoint.commit()
                applied += 1
            except (BadDocument, ServiceError, _Unusable) as exc:
                savepoint.rollback()
                _reject(s, item, exc, now)
                rejected += 1
        if next_cursor is not None and next_cursor != cursor:
            row = s.get(SyncState, CURSOR_KEY)
            if row is None:
                s.add(SyncState(key=CURSOR_KEY, value=next_cursor))
            else:
                row.value = next_cursor
        # The page's inventory.changed events (one per SKU) in two statements.
        rows.write_inventory_events(s, datetime.now(UTC))
        tx.commit()
    return PullResult(len(items), applied, rejected, next_cursor or cursor)


class _Unusable(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.errors = [{"field": "kind", "error": message}]


def _body(item: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(item, dict) or not isinstance(item.get("body"), dict):
        raise _Unusable('a message must be {"kind": ..., "body": {...}}')
    return str(item.get("kind")), item["body"]


def _id(item: dict[str, Any]) -> str:
    allocation_id = item["body"].get("allocation_id")
    if not isinstance(allocation_id, str) or not allocation_id:
        raise BadDocument([{"field": "body.allocation_id", "error": "is required"}])
    return allocation_id


def _is_allocation(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and item.get("kind") == "allocation"
        and isinstance(item.get("body"), dict)
    )


def _apply_allocation(s: Session, body: dict[str, Any], now: Any) -> None:
    doc = validate_document(body, AllocationIn)
    result = intake.apply_allocation(s, doc, now, orm_savepoint=True)
    if result.http_status == 409:
        raise ServiceError(result.body.get("detail", "conflict"), "version")


def _apply(s: Session, item: Any, now: Any) -> None:
    kind, body = _body(item)
    if kind == "allocation":
        _apply_allocation(s, body, now)
    elif kind == "cancel":
        cancels.apply_cancel(s, _id(item), validate_document(body, CancelIn), now)
    elif kind == "hold":
        cancels.apply_hold(s, _id(item), validate_document(body, HoldIn), now)
    elif kind == "release":
        cancels.apply_release(s, _id(item), validate_document(body, HoldIn), now)
    elif kind == "return":
        rma.apply_rma(s, validate_document(body, ReturnIn), now)
    else:
        raise _Unusable(f"unknown kind {kind!r}")


def _reject(s: Session, item: Any, exc: Exception, now: Any) -> None:
    errors = getattr(exc, "errors", None) or [
        {"field": getattr(exc, "field", None) or "body", "error": str(exc)}
    ]
    body = item.get("body") if isinstance(item, dict) else None
    s.add(
        InboundReject(
            source="pull",
            kind=str(item.get("kind"))[:20] if isinstance(item, dict) else None,
            reference=str(body.get("allocation_id") or body.get("rma_id"))[:80]
            if isinstance(body, dict)
            else None,
            payload=json.dumps(item)[:20000],
            errors=errors,
            at=now,
        )
    )
