"""The /count namespace (the blind-count handheld) and /count_review (supervisors): see
docs/counts.md and docs/station-protocol.md. Nothing sent on /count ever carries the system's
figures; the review namespace only admits supervisors and admins."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import session
from flask_socketio import join_room, leave_room

from app.adapters.count_config import CountConfig, load_count_config
from app.domain.text import msg
from app.services import counts
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field

log = logging.getLogger(__name__)

REVIEW_NAMESPACE = "/count_review"
REVIEW_ROOM = "count_review"
ENTRIES = frozenset({"scan", "keyed", "inject", "camera", "form", "keypad", "button"})


def _meta(payload: Any, counter: str) -> counts.CountMeta:
    entry = text_field(payload, "entry", 16, required=False) or None
    return counts.CountMeta(
        counter=counter,
        client_scan_id=text_field(payload, "client_scan_id", 64, required=False) or None,
        device=text_field(payload, "device", 64, required=False) or None,
        entry=entry if entry in ENTRIES else None,
    )


def _notify_reviewers() -> None:
    """A nudge to the supervisors' review pages (no figures in it: they ask for them)."""
    from app import socketio

    socketio.emit("changed", {}, to=REVIEW_ROOM, namespace=REVIEW_NAMESPACE)


class _CountConfigMixin:
    @property
    def cfg(self) -> CountConfig:
        c = self.c  # type: ignore[attr-defined]
        return load_count_config(Path(c.settings.config_dir))


class CountNamespace(_CountConfigMixin, StationNamespace):
    station = "count"
    roles = frozenset({"picker", "counter", "supervisor", "admin"})

    def on_sign_in(self, payload: Any) -> Ack:
        ack = super().on_sign_in(payload)
        if ack.get("ok"):
            try:
                counts.here(ack["user"]["badge"], self.c.uow, self.c.clock)
            except Exception:  # presence only steers recounts: never fail a sign-in on it
                log.exception("count: presence not recorded")
        return ack

    def on_sign_out(self, payload: Any) -> Ack:
        badge = session.get("badge")
        if badge:
            try:
                counts.sign_out(str(badge), self.c.uow)
            except Exception:
                log.exception("count: sign-out not recorded")
        return super().on_sign_out(payload)

    def on_disconnect(self, reason: Any = None) -> None:
        badge = session.get("badge")
        if badge:
            try:
                counts.gone(str(badge), self.c.uow)
            except Exception:
                log.exception("count: presence not cleared")

    @acked
    def on_here(self, payload: Any) -> Ack:
        counts.here(self.user(), self.c.uow, self.c.clock)
        return {"ok": True}

    @acked
    def on_next_task(self, payload: Any) -> Ack:
        task = counts.next_task(self.user(), self.c.uow, self.c.clock, self.cfg)
        return {"ok": True, "task": task}

    @acked
    def on_scan(self, payload: Any) -> Ack:
        counter = self.user()
        reply = counts.record_scan(
            int_field(payload, "task_id"),
            text_field(payload, "code", 400),
            _meta(payload, counter),
            self.c.uow,
            self.c.clock,
            self.cfg,
        )
        if reply.result == "count_ok":
            self._after_count()
        return reply.to_json()

    @acked
    def on_quantity(self, payload: Any) -> Ack:
        counter = self.user()
        reply = counts.set_quantity(
            int_field(payload, "task_id"),
            text_field(payload, "item", 64),
            text_field(payload, "lot", 40, required=False),
            int_field(payload, "qty"),
            _meta(payload, counter),
            self.c.uow,
            self.c.clock,
            self.cfg,
        )
        return reply.to_json()

    @acked
    def on_confirm(self, payload: Any) -> Ack:
        counter = self.user()
        empty = payload.get("empty", False) if isinstance(payload, dict) else False
        if not isinstance(empty, bool):
            raise ServiceError(msg("empty must be true or false"), "empty")
        reply = counts.confirm(
            int_field(payload, "task_id"),
            empty,
            _meta(payload, counter),
            self.c.uow,
            self.c.clock,
            self.cfg,
        )
        if reply.result == "count_ok":
            self._after_count()
        return reply.to_json()

    @acked
    def on_skip(self, payload: Any) -> Ack:
        counter = self.user()
        reply = counts.skip(
            int_field(payload, "task_id"), _meta(payload, counter), self.c.uow, self.c.clock
        )
        return reply.to_json()

    def _after_count(self) -> None:
        Changes.mark()
        try:
            _notify_reviewers()
        except Exception:
            log.exception("count: review pages not notified")


class CountReviewNamespace(_CountConfigMixin, StationNamespace):
    station = "count review"
    roles = frozenset({"supervisor", "admin"})

    def on_sign_in(self, payload: Any) -> Ack:
        ack = super().on_sign_in(payload)
        if ack.get("ok"):
            join_room(REVIEW_ROOM)
        return ack

    def on_sign_out(self, payload: Any) -> Ack:
        leave_room(REVIEW_ROOM)
        return super().on_sign_out(payload)

    @acked
    def on_reviews(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, **counts.review_list(self.c.uow, self.cfg)}

    @acked
    def on_approve(self, payload: Any) -> Ack:
        badge = self.user()
        result = counts.approve(
            int_field(payload, "task_id"),
            text_field(payload, "reason_code", 24),
            text_field(payload, "note", 200, required=False),
            badge,
            self.c.uow,
            self.c.clock,
            self.cfg,
        )
        Changes.mark()
        _notify_reviewers()
        return {"ok": True, **result}

    @acked
    def on_reject(self, payload: Any) -> Ack:
        badge = self.user()
        result = counts.reject(
            int_field(payload, "task_id"),
            text_field(payload, "note", 200, required=False),
            badge,
            self.c.uow,
            self.c.clock,
        )
        _notify_reviewers()
        return {"ok": True, **result}

    @acked
    def on_request(self, payload: Any) -> Ack:
        badge = self.user()
        result = counts.request_counts(
            badge,
            self.c.uow,
            self.c.clock,
            location=text_field(payload, "location", 40, required=False) or None,
            aisle=text_field(payload, "aisle", 8, required=False) or None,
            sku=text_field(payload, "sku", 64, required=False) or None,
            assign_to=text_field(payload, "assign_to", 40, required=False) or None,
        )
        _notify_reviewers()
        return {"ok": True, **result}
