"""Sends the outbox to the OMS: at least once, in order per allocation, with backoff.

The database transaction is never held across the HTTP call: read a batch, close, post,
then record each outcome in a short transaction of its own.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.adapters.db.models import OutboxEvent
from app.adapters.db.uow import SessionFactory
from app.domain.events import backoff_s
from app.services.clock import Clock
from app.services.errors import NotFound

# post(event_id, body) -> None on success, or an error text to record.
Poster = Callable[[str, str], str | None]


@dataclass(frozen=True)
class OutboxPolicy:
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float


def dispatch_due(
    uow: SessionFactory,
    post: Poster,
    policy: OutboxPolicy,
    clock: Clock,
    rng: random.Random | None = None,
    batch: int = 100,
) -> int:
    """Send what is due; returns how many were delivered."""
    rng = rng or random.Random()
    now = clock()
    with uow() as tx:
        s = tx.session
        blocked = set(
            s.scalars(
                select(OutboxEvent.stream_key).where(OutboxEvent.status == "dead").distinct()
            ).all()
        )
        pending = s.execute(
            select(
                OutboxEvent.id,
                OutboxEvent.event_id,
                OutboxEvent.stream_key,
                OutboxEvent.body,
                OutboxEvent.next_attempt_at,
            )
            .where(OutboxEvent.status == "pending")
            .order_by(OutboxEvent.id)
            .limit(batch)
        ).all()
    delivered = 0
    for pk, event_id, key, body, due in pending:
        if key in blocked:
            continue
        if due > now:
            blocked.add(key)  # a later event of the same stream must wait its turn
            continue
        error = post(event_id, body)
        with uow() as tx:
            ev = tx.session.get(OutboxEvent, pk)
            assert ev is not None
            ev.attempts += 1
            if error is None:
                ev.status = "sent"
                ev.sent_at = clock()
                ev.last_error = None
                delivered += 1
            else:
                ev.last_error = error[:400]
                blocked.add(key)
                if ev.attempts >= policy.max_attempts:
                    ev.status = "dead"
                else:
                    delay = backoff_s(
                        ev.attempts, policy.backoff_base_s, policy.backoff_max_s, rng.random()
                    )
                    ev.next_attempt_at = clock() + timedelta(seconds=delay)
            tx.commit()
    return delivered


def backlog(uow: SessionFactory) -> dict[str, Any]:
    with uow() as tx:
        rows = dict(
            tx.session.execute(
                select(OutboxEvent.status, func.count(OutboxEvent.id)).group_by(OutboxEvent.status)
            ).all()
        )
        oldest = tx.session.scalar(
            select(func.min(OutboxEvent.created_at)).where(OutboxEvent.status == "pending")
        )
        last_error = tx.session.scalar(
            select(OutboxEvent.last_error)
            .where(OutboxEvent.status != "sent", OutboxEvent.last_error.is_not(None))
            .order_by(OutboxEvent.id.desc())
            .limit(1)
        )
    return {
        "pending": int(rows.get("pending", 0)),
        "dead": int(rows.get("dead", 0)),
        "sent": int(rows.get("sent", 0)),
        "oldest_pending": oldest.isoformat() if oldest else None,
        "last_error": last_error,
    }


def retry_dead(event_id: str | None, uow: SessionFactory, clock: Clock) -> int:
    """A supervisor sends dead-lettered events again (one, or all when event_id is None)."""
    with uow() as tx:
        stmt = select(OutboxEvent).where(OutboxEvent.status == "dead")
        if event_id:
            stmt = stmt.where(OutboxEvent.event_id == event_id)
        events = tx.session.scalars(stmt).all()
        if event_id and not events:
            raise NotFound(f"no dead-lettered event {event_id}", "event_id")
        for ev in events:
            ev.status = "pending"
            ev.attempts = 0
            ev.next_attempt_at = clock()
        tx.commit()
        return len(events)
