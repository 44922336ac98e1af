"""First shift on the wire (docs/station-protocol.md, docs/first-shift.md).

- ``FirstShiftEvents``: mixed into the pick and pack namespaces. ``first_shift`` (is this
  person new, their practice), ``start_practice`` and ``end_practice`` for the signed-in
  person at that station.
- ``pick_hints`` / ``pack_hints``: put under ``@acked`` on a pick or pack handler, they add the
  practice flag and the one-line hint to the task or order in its answer.
- ``FirstShiftNamespace`` (``/first-shift``): the supervisors' page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from flask import session

from app.adapters.db.uow import SessionFactory
from app.container import Container
from app.domain.first_shift import StationKind
from app.domain.text import msg
from app.services import first_shift, practice
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, text_field

log = logging.getLogger(__name__)


def rules(c: Container) -> first_shift.FirstShiftRules:
    return _rules(c.settings.first_shift_pick_tasks, c.settings.first_shift_pack_orders)


@functools.lru_cache(maxsize=16)
def _rules(pick_tasks: int, pack_orders: int) -> first_shift.FirstShiftRules:
    return first_shift.FirstShiftRules(pick_tasks, pack_orders)


def practice_rules(c: Container) -> practice.PracticeRules:
    return practice.PracticeRules(orders=c.settings.practice_orders)


Handler = Callable[[Any, Any], Ack]
Decorate = Callable[[Ack, str, SessionFactory, first_shift.FirstShiftRules], Ack]


def _with(decorate: Decorate) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def wrapper(self: StationNamespace, payload: Any = None) -> Ack:
            ack = handler(self, payload)
            badge = session.get("badge")
            if not badge or not isinstance(ack, dict):
                return ack
            try:
                c = self.c
                return decorate(ack, str(badge), c.uow, rules(c))
            except Exception:
                # The action itself is done and committed: a missing hint must not turn its
                # answer into an error (the handheld would resend a scan that counted).
                log.exception("first shift: no hint for %s", handler.__name__)
                return ack

        return wrapper

    return decorator


pick_hints = _with(first_shift.with_pick_hints)
pack_hints = _with(first_shift.with_pack_hint)


class FirstShiftEvents(StationNamespace):
    """The signed-in person's own first shift at this station (pick or pack): a base of the
    pick and pack namespaces."""

    def _kind(self) -> StationKind:
        return StationKind(self.station)

    def _status(self, badge: str) -> dict[str, Any]:
        return first_shift.status(badge, self._kind(), self.c.uow, self.c.clock, rules(self.c))

    @acked
    def on_first_shift(self, payload: Any) -> Ack:
        return {"ok": True, "first_shift": self._status(self.user())}

    @acked
    def on_start_practice(self, payload: Any) -> Ack:
        badge = self.user()
        run = practice.start(
            badge, self.station, badge, self.c.uow, self.c.clock, practice_rules(self.c)
        )
        Changes.mark()
        return {
            "ok": True,
            "first_shift": self._status(badge),
            "message": _started(run),
        }

    @acked
    def on_end_practice(self, payload: Any) -> Ack:
        badge = self.user()
        run = practice.end(badge, badge, self.c.uow, self.c.clock)
        Changes.mark()
        return {
            "ok": True,
            "first_shift": self._status(badge),
            "message": msg("Practice over: the practice stock is back on its shelf.")
            if run is not None
            else msg("No practice running."),
        }


def _started(run: dict[str, Any]) -> str:
    if run["kind"] == StationKind.PACK.value:
        return msg(
            "Practice wave %(wave)s: %(orders)s orders in totes %(totes)s. Scan a tote to start.",
            wave=run["wave"],
            orders=run["orders"],
            totes=", ".join(run["totes"]),
        )
    return msg(
        "Practice wave %(wave)s: %(orders)s orders, %(units)s units. Nothing here is a real order.",
        wave=run["wave"],
        orders=run["orders"],
        units=run["units"],
    )


def _badge(payload: Any) -> str:
    return text_field(payload, "badge", 40).upper()


class FirstShiftNamespace(StationNamespace):
    """Supervisors: who is new, marks, practice waves for anyone."""

    station = "first-shift"
    roles = frozenset({"supervisor", "admin"})

    @acked
    def on_people(self, payload: Any) -> Ack:
        self.user()
        r = rules(self.c)
        return {
            "ok": True,
            "people": first_shift.people(self.c.uow, self.c.clock, r),
            "rules": {
                "pick_tasks": r.pick_tasks,
                "pack_orders": r.pack_orders,
                "practice_orders": self.c.settings.practice_orders,
            },
        }

    @acked
    def on_mark(self, payload: Any) -> Ack:
        by = self.user()
        badge = _badge(payload)
        experienced = payload.get("experienced") if isinstance(payload, dict) else None
        if not isinstance(experienced, bool):
            raise ServiceError(msg("experienced must be true or false"), "experienced")
        first_shift.mark(badge, experienced, by, self.c.uow, self.c.clock)
        message = (
            msg("%(badge)s is marked experienced: no more hints.", badge=badge)
            if experienced
            else msg("%(badge)s is no longer marked: hints while still new.", badge=badge)
        )
        return {"ok": True, "message": message}

    @acked
    def on_start_practice(self, payload: Any) -> Ack:
        by = self.user()
        badge = _badge(payload)
        kind = text_field(payload, "kind", 8)
        run = practice.start(badge, kind, by, self.c.uow, self.c.clock, practice_rules(self.c))
        Changes.mark()
        return {"ok": True, "practice": run, "message": _started(run)}

    @acked
    def on_end_practice(self, payload: Any) -> Ack:
        by = self.user()
        badge = _badge(payload)
        run = practice.end(badge, by, self.c.uow, self.c.clock)
        if run is None:
            raise ServiceError(msg("%(badge)s has no practice to end.", badge=badge), "badge")
        Changes.mark()
        return {
            "ok": True,
            "practice": run,
            "message": msg("Practice of %(badge)s ended: its stock is back.", badge=badge),
        }
