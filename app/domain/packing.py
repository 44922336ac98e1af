"""Unit-by-unit verification at the pack station: every picked unit is scanned once."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.domain.scanning import ParsedScan


class PackOutcome(Enum):
    UNIT_OK = "unit_ok"
    WRONG_ITEM = "wrong_item"
    OVER_SCAN = "over_scan"


@dataclass(frozen=True)
class PackLine:
    line_pk: int
    sku: str
    codes: frozenset[str]
    picked: int
    verified: int  # scanned at this station and not yet in a carton, plus already packed

    @property
    def remaining(self) -> int:
        return self.picked - self.verified


@dataclass(frozen=True)
class PackVerdict:
    outcome: PackOutcome
    message: str
    line_pk: int | None = None


def verify_unit(lines: list[PackLine], scan: ParsedScan) -> PackVerdict:
    matching = [ln for ln in lines if scan.value in ln.codes or scan.raw in ln.codes]
    if not matching:
        return PackVerdict(PackOutcome.WRONG_ITEM, f"Wrong item: {scan.raw} is not in this order.")
    open_line = next((ln for ln in matching if ln.remaining > 0), None)
    if open_line is None:
        sku = matching[0].sku
        return PackVerdict(
            PackOutcome.OVER_SCAN, f"Over-scan: every {sku} of this order is already verified."
        )
    left = open_line.remaining - 1
    return PackVerdict(
        PackOutcome.UNIT_OK,
        f"{open_line.sku} OK." + (f" {left} more of it." if left else ""),
        open_line.line_pk,
    )


def all_verified(lines: list[PackLine]) -> bool:
    return all(ln.remaining == 0 for ln in lines)
