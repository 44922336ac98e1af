"""Allocation lifecycle rules from the OMS contract (oms-v1 sections 2.1 and 2.5)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class AllocationStatus(str, Enum):
    ACCEPTED = "accepted"
    HELD = "held"
    REJECTED = "rejected"
    BACKORDERED = "backordered"
    RELEASED = "released"
    PICKING = "picking"
    PICKED = "picked"
    PACKING = "packing"
    PACKED = "packed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


# Statuses that stop every action on an order's pick tasks, with the reason (a hold, a cancel).
STOPPED = frozenset({AllocationStatus.HELD.value, AllocationStatus.CANCELLED.value})

# Statuses in which a higher version may still replace the allocation.
REPLACEABLE = {
    AllocationStatus.ACCEPTED,
    AllocationStatus.HELD,
    AllocationStatus.REJECTED,
    AllocationStatus.BACKORDERED,
    AllocationStatus.RELEASED,
}


class VersionDecision(Enum):
    NEW = "new"
    DUPLICATE = "duplicate"
    REPLACE = "replace"
    STALE = "stale"
    STARTED = "started"


def decide_version(
    existing_version: int | None, incoming_version: int, any_line_started: bool
) -> VersionDecision:
    if existing_version is None:
        return VersionDecision.NEW
    if incoming_version == existing_version:
        return VersionDecision.DUPLICATE
    if incoming_version < existing_version:
        return VersionDecision.STALE
    if any_line_started:
        return VersionDecision.STARTED
    return VersionDecision.REPLACE


@dataclass(frozen=True)
class LineDemand:
    line_id: str
    sku: str
    qty: int
    known_sku: bool
    available: int


@dataclass(frozen=True)
class IntakeVerdict:
    status: AllocationStatus
    reasons: tuple[str, ...]


def judge_intake(lines: list[LineDemand], credit_hold: bool) -> IntakeVerdict:
    """Unknown SKUs reject the allocation; stock that cannot cover a line backorders it.
    Either way the allocation is kept and the reason reported upstream."""
    unknown = [f"line {d.line_id}: unknown SKU {d.sku}" for d in lines if not d.known_sku]
    if unknown:
        return IntakeVerdict(AllocationStatus.REJECTED, tuple(unknown))
    short = [
        f"line {d.line_id}: {d.sku} needs {d.qty}, {d.available} available"
        for d in lines
        if d.available < d.qty
    ]
    if short:
        return IntakeVerdict(AllocationStatus.BACKORDERED, tuple(short))
    if credit_hold:
        return IntakeVerdict(AllocationStatus.HELD, ("b2b credit not approved",))
    return IntakeVerdict(AllocationStatus.ACCEPTED, ())
