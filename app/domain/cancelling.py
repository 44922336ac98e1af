"""How a cancel request splits into units released from bins, units put back, and units
that cannot be cancelled because they have shipped (oms-v1 2.2)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class LineUnits:
    line_id: str
    qty: int
    picked: int
    short: int
    shipped: int
    cancelled: int
    put_back: int  # picked units already on their way back to a bin

    @property
    def unpicked(self) -> int:
        """Still reserved in a bin: ordered, not picked, not short, not cancelled."""
        return max(0, self.qty - self.cancelled - self.picked - self.short + self.put_back)

    @property
    def in_hand(self) -> int:
        """Picked (in a tote or an unshipped carton) and not already being put back."""
        return max(0, self.picked - self.shipped - self.put_back)


@dataclass(frozen=True)
class LineCancel:
    line_id: str
    requested: int
    release: int  # unpicked units whose reservation is released
    put_back: int  # picked units that go back to a bin
    refused: int  # shipped (or otherwise gone) units

    @property
    def cancelled(self) -> int:
        return self.release + self.put_back


class CancelResult(Enum):
    CANCELLED = "cancelled"
    PARTIALLY_CANCELLED = "partially_cancelled"
    REJECTED = "rejected"


def plan_line(units: LineUnits, requested: int) -> LineCancel:
    release = min(requested, units.unpicked)
    put_back = min(requested - release, units.in_hand)
    return LineCancel(units.line_id, requested, release, put_back, requested - release - put_back)


def overall(plans: list[LineCancel], lines_left_after: int) -> CancelResult:
    """`lines_left_after`: units of the allocation that will still ship after this cancel."""
    if not any(p.cancelled for p in plans):
        return CancelResult.REJECTED
    if lines_left_after == 0 and not any(p.refused for p in plans):
        return CancelResult.CANCELLED
    return CancelResult.PARTIALLY_CANCELLED
