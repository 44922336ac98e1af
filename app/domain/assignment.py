"""Which task a picker gets next.

A picker finishes the cart (batch) they have claimed, stop by stop in route order. With
nothing claimed, they get the first stop of an unclaimed batch: in their zones (when they
have any), the most urgent wave first (higher priority, then the earlier pickup), and among
equally urgent batches the one whose first stop is nearest to where the picker stands.

The database side guarantees that a batch, and so a task, is never handed to two pickers:
candidate batches are read with SKIP LOCKED on PostgreSQL and under the single writer on
SQLite, and the claim is written in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.domain.routing import Geometry, Point


@dataclass(frozen=True)
class Candidate:
    task_id: int
    batch_id: int
    wave_id: int
    sequence: int
    zone: str
    point: Point
    wave_priority: int = 0
    pickup_at: datetime | None = None
    claimed_by: str | None = None  # the batch's picker, if claimed


@dataclass(frozen=True)
class Picker:
    badge: str
    zones: frozenset[str] = frozenset()  # empty: any zone
    here: Point | None = None  # where the last scan was; None: at the depot


@dataclass(frozen=True)
class Choice:
    task_id: int
    batch_id: int
    claims_batch: bool  # True when the picker starts a new batch with this task
    distance_mm: int


def choose(picker: Picker, candidates: Iterable[Candidate], geo: Geometry) -> Choice | None:
    here = picker.here or geo.depot
    own: Candidate | None = None
    firsts: dict[int, Candidate] = {}
    for c in candidates:
        if c.claimed_by == picker.badge:
            if own is None or (c.sequence, c.task_id) < (own.sequence, own.task_id):
                own = c
            continue
        if c.claimed_by is not None:
            continue  # another picker's cart
        if picker.zones and c.zone not in picker.zones:
            continue
        first = firsts.get(c.batch_id)
        if first is None or (c.sequence, c.task_id) < (first.sequence, first.task_id):
            firsts[c.batch_id] = c
    if own is not None:
        return Choice(own.task_id, own.batch_id, False, geo.distance(here, own.point))
    if not firsts:
        return None

    def rank(c: Candidate) -> tuple[object, ...]:
        pickup = c.pickup_at.timestamp() if c.pickup_at else float("inf")
        return (-c.wave_priority, pickup, geo.distance(here, c.point), c.wave_id, c.batch_id)

    best = min(firsts.values(), key=rank)
    return Choice(best.task_id, best.batch_id, True, geo.distance(here, best.point))
