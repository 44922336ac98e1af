"""Who may work a station: badge plus PIN for floor roles, a password for supervisors and
admins, both stored as argon2 hashes. Repeated failures lock the badge for a while."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db.models import User
from app.adapters.db.models_security import AuditEntry
from app.adapters.db.uow import SessionFactory
from app.adapters.offload import run_blocking
from app.domain.text import msg
from app.services.errors import ServiceError

HASHER = PasswordHasher()
# Verifying against this keeps an unknown badge as slow as a known one.
_DUMMY = HASHER.hash("not-a-pin")
MAX_FAILURES = 5
LOCK_S = 300.0
PRIVILEGED = {"supervisor", "admin"}


@dataclass(frozen=True)
class SignedIn:
    badge: str
    name: str
    role: str
    language: str | None = None  # the person's screen language; None: the station's


class _Failures:
    """Failed sign-ins per badge in this process (a lock survives a page reload, not a
    restart; several workers each count their own)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._log: dict[str, list[float]] = {}

    def attempt(self, badge: str, now: float) -> bool:
        """Count an attempt as a failure until it succeeds (`clear`); False, counting
        nothing, when the badge is locked. Checks run concurrently (off the event loop):
        counted up front, a burst of guesses meets the lock after MAX_FAILURES of them,
        not after all of them were checked."""
        with self._lock:
            recent = [t for t in self._log.get(badge, []) if now - t < LOCK_S]
            self._log[badge] = recent
            if len(recent) >= MAX_FAILURES:
                return False
            recent.append(now)
            return True

    def clear(self, badge: str) -> None:
        with self._lock:
            self._log.pop(badge, None)


FAILURES = _Failures()


def hash_secret(secret: str) -> str:
    return HASHER.hash(secret)


def authenticate(
    badge: str, secret: str, roles: frozenset[str], station: str, uow: SessionFactory
) -> SignedIn:
    now = time.monotonic()
    if not FAILURES.attempt(badge, now):
        raise ServiceError(
            msg(
                "Too many wrong PINs for %(badge)s: wait five minutes or ask a supervisor.",
                badge=badge,
            ),
            "pin",
        )
    # Read outside the one-writer lock, and verify off the event loop: an argon2 check
    # takes about 120 ms, and at the start of a shift a hundred people sign in while the
    # floor is scanning. Inside the writer's transaction it held every scan's commit.
    with uow.reader() as tx:
        found = tx.session.scalars(
            select(User).where(User.badge == badge, User.active.is_(True))
        ).first()
        user = _Account.of(found) if found is not None else None
    ok = _verify(user.pin_hash if user is not None else None, secret)
    if user is None or not ok:
        if user is not None and user.role in PRIVILEGED:
            wrong = msg("Badge %(badge)s and this password do not match.", badge=badge)
        else:
            wrong = msg("Badge %(badge)s and this PIN do not match.", badge=badge)
        raise ServiceError(wrong, "pin")
    FAILURES.clear(badge)  # the right PIN: this attempt and any earlier failures
    if user.role not in roles:
        raise ServiceError(
            msg(
                "%(name)s (%(role)s) may not work the %(station)s station.",
                name=user.name,
                role=user.role,
                station=station,
            ),
            "badge",
        )
    if user.role in PRIVILEGED:
        record(uow, user.badge, "sign_in", {"station": station})
    return SignedIn(user.badge, user.name, user.role, user.language)


@dataclass(frozen=True)
class _Account:
    """What signing in needs of a user, read before the reader's transaction ends."""

    badge: str
    name: str
    role: str
    language: str | None
    pin_hash: str | None

    @classmethod
    def of(cls, u: User) -> _Account:
        return cls(u.badge, u.name, u.role, u.language, u.pin_hash)


def _verify(stored: str | None, secret: str) -> bool:
    """Whether `secret` matches the stored hash; an unknown badge costs a check too."""

    def check() -> bool:
        try:
            return bool(HASHER.verify(stored or _DUMMY, secret or "")) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    return run_blocking(check)


def audit(s: Session, actor: str, action: str, detail: dict[str, Any] | None = None) -> None:
    """Inside the caller's transaction, so the entry and the action commit together."""
    s.add(AuditEntry(actor=actor, action=action, detail=detail))


def record(uow: SessionFactory, actor: str, action: str, detail: dict[str, Any]) -> None:
    with uow() as tx:
        audit(tx.session, actor, action, detail)
        tx.commit()


_SALT = "dockhand-station-sign-in"


def issue_token(signed: SignedIn, secret_key: str) -> str:
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps({"b": signed.badge})


def from_token(
    token: str,
    badge: str,
    roles: frozenset[str],
    station: str,
    uow: SessionFactory,
    secret_key: str,
    max_age_hours: float,
) -> SignedIn | None:
    """The signed-in person from a station token, if it is ours, fresh, for this badge, and
    the person is still active with a role for this station; else None (ask for the PIN)."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=_SALT).loads(
            token, max_age=int(max_age_hours * 3600)
        )
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("b") != badge:
        return None
    with uow() as tx:
        user = tx.session.scalars(
            select(User).where(User.badge == badge, User.active.is_(True))
        ).first()
        if user is None or user.role not in roles:
            return None
        return SignedIn(user.badge, user.name, user.role, user.language)


def set_language(badge: str, language: str | None, uow: SessionFactory) -> str | None:
    """The person's screen language, kept for their next sign-in on any device. The caller
    has checked it is one we speak (or None: follow the station)."""
    with uow() as tx:
        user = tx.session.scalars(select(User).where(User.badge == badge)).first()
        if user is None:
            raise ServiceError(msg("Badge %(badge)s is not registered.", badge=badge), "badge")
        user.language = language
        tx.commit()
        return language
