"""What every station namespace shares: payload checks, sign-in by badge, error acks."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from flask import session
from flask_socketio import Namespace
from sqlalchemy import select

from app.adapters.db.models import User
from app.adapters.translations import normalize
from app.container import Container, container
from app.domain.scanning import ScanKind, parse_scan
from app.domain.text import msg
from app.services import auth
from app.services.errors import ServiceError
from app.web.i18n import SESSION_KEY as LANG_KEY
from app.web.i18n import current_language, localize_ack
from app.web.metrics import observe

log = logging.getLogger(__name__)

Ack = dict[str, Any]


def text_field(payload: Any, name: str, max_len: int = 200, required: bool = True) -> str:
    if not isinstance(payload, dict):
        raise ServiceError(msg("the message must be a JSON object"), "payload")
    value = payload.get(name)
    if value is None or value == "":
        if required:
            raise ServiceError(msg("%(name)s is required", name=name), name)
        return ""
    if not isinstance(value, str):
        raise ServiceError(msg("%(name)s must be text", name=name), name)
    value = value.strip()
    if len(value) > max_len:
        raise ServiceError(
            msg("%(name)s is longer than %(max)s characters", name=name, max=max_len), name
        )
    return value


def _language_field(payload: Any) -> str | None:
    """An optional "language" in a payload: one we speak, else a field error."""
    raw = payload.get("language") if isinstance(payload, dict) else None
    if raw is None or raw == "":
        return None
    found = normalize(raw)
    if found is None or found != raw:
        raise ServiceError(msg("Choose one of the languages offered."), "language")
    return found


def int_field(payload: Any, name: str) -> int:
    if not isinstance(payload, dict):
        raise ServiceError(msg("the message must be a JSON object"), "payload")
    value = payload.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ServiceError(msg("%(name)s must be a whole number", name=name), name)
    if not -(2**31) < value < 2**31:  # the database's integers are 32-bit
        raise ServiceError(msg("%(name)s is out of range", name=name), name)
    return value


def acked(handler: Callable[..., Ack]) -> Callable[..., Ack]:
    """The handler's return value is the client's acknowledgement, also for failures."""

    @functools.wraps(handler)
    def wrapper(self: StationNamespace, payload: Any = None) -> Ack:
        started = time.perf_counter()
        try:
            ack = handler(self, payload)
        except ServiceError as exc:
            ack = exc.to_json()
        except Exception:
            log.exception("station %s: %s failed", self.namespace, handler.__name__)
            ack = {
                "ok": False,
                "error": "server_error",
                "message": msg("Something went wrong on the server. Nothing was saved. Try again."),
            }
        result = str(ack.get("result") or ("ok" if ack.get("ok") else ack.get("error")))
        observe(
            self.namespace,
            handler.__name__.removeprefix("on_"),
            result,
            time.perf_counter() - started,
        )
        # Sentences leave in the signed-in person's language (English ids in the logs).
        return cast(Ack, localize_ack(ack, _language()))

    return wrapper


STATION_LANG_KEY = "station_lang"


def _language() -> str:
    """The signed-in person's language, else the station's (its cookie or Accept-Language,
    fixed for the connection: worked out once per socket session, not on every scan)."""
    chosen = normalize(session.get(LANG_KEY))
    if chosen:
        return chosen
    station = session.get(STATION_LANG_KEY)
    if not isinstance(station, str):
        station = session[STATION_LANG_KEY] = current_language()
    return station


class Changes:
    """Marks the floor as changed; a background task pushes one dashboard snapshot per tick."""

    dirty = threading.Event()

    @classmethod
    def mark(cls) -> None:
        cls.dirty.set()


class StationNamespace(Namespace):  # type: ignore[misc]
    station = "station"
    roles: frozenset[str] = frozenset({"picker", "packer", "shipper", "supervisor", "admin"})

    @property
    def c(self) -> Container:
        return container()

    def user(self) -> str:
        badge = session.get("badge")
        if not badge:
            raise ServiceError(msg("Scan your badge to sign in first."), "badge")
        return str(badge)

    @acked
    def on_sign_in(self, payload: Any) -> Ack:
        """Badge plus PIN (floor roles) or password (supervisors, admins); the answer carries a
        station token so that a reconnect or a page reload signs in again without the PIN."""
        raw = text_field(payload, "badge", 40)
        parsed = parse_scan(raw)
        if parsed.kind is not ScanKind.BADGE:
            raise ServiceError(
                msg("%(code)s is not a badge. Badges look like U0001.", code=raw), "badge"
            )
        token = text_field(payload, "token", 400, required=False)
        pin = text_field(payload, "pin", 128, required=False)
        settings = self.c.settings
        signed: auth.SignedIn | None = None
        if token:
            signed = auth.from_token(
                token,
                parsed.value,
                self.roles,
                self.station,
                self.c.uow,
                settings.secret_key,
                settings.station_session_hours,
            )
        if signed is None:
            if not pin:
                with self.c.uow() as tx:
                    known = tx.session.scalars(
                        select(User.role).where(User.badge == parsed.value, User.active.is_(True))
                    ).first()
                if known is None:
                    raise ServiceError(
                        msg("Badge %(badge)s is not registered.", badge=parsed.value), "badge"
                    )
                if known in auth.PRIVILEGED:
                    ask = msg("Enter your password for %(badge)s.", badge=parsed.value)
                else:
                    ask = msg("Enter your PIN for %(badge)s.", badge=parsed.value)
                raise ServiceError(ask, "pin")
            signed = auth.authenticate(parsed.value, pin, self.roles, self.station, self.c.uow)
        language = signed.language
        chosen = _language_field(payload)
        if chosen is not None and chosen != language:
            # Picked on the sign-in screen: kept for this person's next sign-in anywhere.
            language = auth.set_language(signed.badge, chosen, self.c.uow)
        session["badge"] = signed.badge
        if language:
            session[LANG_KEY] = language
        else:
            session.pop(LANG_KEY, None)  # the station's language (cookie, Accept-Language)
        return {
            "ok": True,
            "user": {
                "badge": signed.badge,
                "name": signed.name,
                "role": signed.role,
                "language": language,
            },
            "token": auth.issue_token(signed, settings.secret_key),
        }

    @acked
    def on_set_language(self, payload: Any) -> Ack:
        """The language button: saved on the signed-in person, used from now on."""
        badge = self.user()
        chosen = _language_field(payload)
        if chosen is None:
            raise ServiceError(msg("Choose one of the languages offered."), "language")
        auth.set_language(badge, chosen, self.c.uow)
        session[LANG_KEY] = chosen
        return {"ok": True, "language": chosen}

    @acked
    def on_sign_out(self, payload: Any) -> Ack:
        session.pop("badge", None)
        session.pop(LANG_KEY, None)
        return {"ok": True}
