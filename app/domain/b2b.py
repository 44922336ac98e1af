"""B2B rules: terms carried by the allocation's ``b2b`` block, partial intake, complete
shipments, what a pallet holds, freight classes. Pure: the services apply the verdicts."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from app.domain.allocations import AllocationStatus, IntakeVerdict, LineDemand
from app.domain.text import msg

# NMFC freight classes (US LTL); a bill of lading prints the class only when one was given.
FREIGHT_CLASSES = (
    "50", "55", "60", "65", "70", "77.5", "85", "92.5", "100", "110", "125", "150", "175",
    "200", "250", "300", "400", "500",
)  # fmt: skip

FREIGHT_TERMS = ("prepaid", "collect", "third_party")


@dataclass(frozen=True)
class B2BTerms:
    """The allocation's ``b2b`` block as the warehouse uses it."""

    po_number: str | None = None
    allow_partial: bool = False
    palletize: bool = False
    credit_approved: bool = True
    payment_terms: str | None = None
    ship_to_gln: str | None = None
    bill_to: Mapping[str, Any] | None = None  # third party that pays the freight
    freight_class: str | None = None
    freight_terms: str | None = None
    # Written by the warehouse, not the OMS:
    short_at_intake: Mapping[str, int] = field(default_factory=dict)
    incomplete_hold: bool = False

    @classmethod
    def of(cls, block: Mapping[str, Any] | None) -> B2BTerms:
        b = block or {}
        bill_to = b.get("bill_to")
        return cls(
            po_number=b.get("po_number") or None,
            allow_partial=bool(b.get("allow_partial", False)),
            palletize=bool(b.get("palletize", False)),
            credit_approved=bool(b.get("credit_approved", True)),
            payment_terms=b.get("payment_terms") or None,
            ship_to_gln=b.get("ship_to_gln") or None,
            bill_to=bill_to if isinstance(bill_to, Mapping) else None,
            freight_class=b.get("freight_class") or None,
            freight_terms=b.get("freight_terms") or None,
            short_at_intake={str(k): int(v) for k, v in (b.get("short_at_intake") or {}).items()},
            incomplete_hold=bool(b.get("incomplete_hold", False)),
        )

    @property
    def terms_for_freight(self) -> str:
        """Who pays the carrier: the OMS's word, else third party when a bill-to is given,
        else prepaid (we pay and invoice)."""
        if self.freight_terms in FREIGHT_TERMS:
            return self.freight_terms
        return "third_party" if self.bill_to else "prepaid"


def check_freight_class(value: str | None) -> str | None:
    """A freight class from the NMFC list, or None; ``ValueError`` for anything else."""
    text = (value or "").strip()
    if not text:
        return None
    if text not in FREIGHT_CLASSES:
        raise ValueError(f"freight class {text!r} is not one of {', '.join(FREIGHT_CLASSES)}")
    return text


# --------------------------------------------------------------------------- intake


def partial_intake(
    lines: list[LineDemand], credit_hold: bool
) -> tuple[IntakeVerdict, dict[str, int]]:
    """``allow_partial``: take what the stock covers, report the rest short. Returns the
    verdict and how many units to reserve per line id. Nothing available at all is still a
    backorder (there is nothing to ship); unknown SKUs still reject."""
    unknown = [f"line {d.line_id}: unknown SKU {d.sku}" for d in lines if not d.known_sku]
    if unknown:
        return IntakeVerdict(AllocationStatus.REJECTED, tuple(unknown)), {}
    take = {d.line_id: max(0, min(d.qty, d.available)) for d in lines}
    if not any(take.values()):
        reasons = tuple(f"line {d.line_id}: {d.sku} needs {d.qty}, 0 available" for d in lines)
        return IntakeVerdict(AllocationStatus.BACKORDERED, reasons), {}
    reasons = tuple(
        f"line {d.line_id}: {d.sku} short by {d.qty - take[d.line_id]} "
        f"({take[d.line_id]} of {d.qty} available): partial shipment allowed"
        for d in lines
        if take[d.line_id] < d.qty
    )
    if credit_hold:
        reasons = ("b2b credit not approved", *reasons)
        return IntakeVerdict(AllocationStatus.HELD, reasons), take
    return IntakeVerdict(AllocationStatus.ACCEPTED, reasons), take


# --------------------------------------------------------------------------- shipping


@dataclass(frozen=True)
class LineProgress:
    line_id: str
    sku: str
    qty: int
    cancelled: int
    short: int
    packed: int
    shipped: int

    @property
    def wanted(self) -> int:
        return self.qty - self.cancelled

    @property
    def missing(self) -> int:
        """Units that will not come: short at intake or at picking."""
        return max(0, min(self.short, self.wanted))


class CompleteVerdict(Enum):
    SHIP = "ship"
    NOT_PACKED = "not_packed"  # units still to pack: the order is not ready
    HOLD = "hold"  # units missing and the customer takes no partial shipment


def judge_complete(
    terms: B2BTerms, lines: Iterable[LineProgress], consented: bool
) -> tuple[CompleteVerdict, str]:
    """May the order's cartons leave now? An order that allows partial shipments always
    may (what is missing was reported short). One that does not must be complete: every
    wanted unit packed. ``consented``: the OMS released the hold this rule placed, which is
    its consent to ship what is there."""
    progress = list(lines)
    if terms.allow_partial or consented:
        return CompleteVerdict.SHIP, ""
    missing = [p for p in progress if p.missing]
    if missing:
        parts = ", ".join(f"line {p.line_id} {p.sku} short {p.missing}" for p in missing)
        po = f"PO {terms.po_number}" if terms.po_number else "this B2B order"
        return CompleteVerdict.HOLD, f"{po} does not allow partial shipment: {parts}"
    unpacked = sum(max(0, p.wanted - p.packed) for p in progress)
    if unpacked:
        return (
            CompleteVerdict.NOT_PACKED,
            f"the order ships complete: {unpacked} unit(s) still to pack",
        )
    return CompleteVerdict.SHIP, ""


def short_lines(lines: Iterable[LineProgress]) -> list[dict[str, Any]]:
    """What a (partial) shipment leaves behind, per line."""
    return [
        {
            "line_id": p.line_id,
            "ordered": p.qty,
            "cancelled": p.cancelled,
            "shipped": p.shipped,
            "short_qty": p.wanted - p.shipped,
        }
        for p in lines
        if p.wanted > p.shipped
    ]


# --------------------------------------------------------------------------- pallets


class PalletKind(Enum):
    SINGLE_SKU = "single_sku"
    MIXED = "mixed"


@dataclass(frozen=True)
class ContentLine:
    sku: str
    gtin: str | None  # GTIN-14 of the trade item, when it has one
    qty: int


@dataclass(frozen=True)
class Contents:
    kind: PalletKind
    units: int
    skus: int
    gtin: str | None = None  # AI 02: only for a single-SKU unit whose item has a GTIN
    count: int | None = None  # AI 37: the number of those trade items

    def description(self) -> str:
        if self.kind is PalletKind.SINGLE_SKU:
            return f"{self.units} units, one SKU"
        return msg("%(units)s units, %(skus)s SKUs (mixed)", units=self.units, skus=self.skus)


def contents_of(lines: Iterable[ContentLine]) -> Contents:
    """A logistic unit holding one SKU is single-SKU: its label may carry AI 02 (GTIN of the
    contained trade items) with AI 37 (their count). Anything else is mixed and carries
    neither (GS1 General Specifications 3.2: AI 02 only for identical trade items)."""
    totals: dict[str, int] = {}
    gtins: dict[str, str | None] = {}
    for line in lines:
        if line.qty <= 0:
            continue
        totals[line.sku] = totals.get(line.sku, 0) + line.qty
        gtins.setdefault(line.sku, line.gtin)
    units = sum(totals.values())
    if len(totals) == 1:
        (sku,) = totals
        gtin = gtins[sku]
        return Contents(
            PalletKind.SINGLE_SKU,
            units,
            1,
            gtin=gtin,
            count=units if gtin else None,
        )
    return Contents(PalletKind.MIXED, units, len(totals))


def consignee_key(ship_to: Mapping[str, Any], gln: str | None) -> str:
    """Cartons of one consignee may share a pallet: same GLN (when given) and address."""
    fields = ("name", "company", "line1", "line2", "city", "postal_code", "country")
    normalised = {k: " ".join(str(ship_to.get(k) or "").upper().split()) for k in fields}
    normalised["gln"] = gln or ""
    blob = json.dumps(normalised, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:40]


def pallet_gross_estimate_g(carton_weights_g: Iterable[int], tare_g: int) -> int:
    return tare_g + sum(carton_weights_g)


def check_pallet_measures(
    weight_g: int, height_mm: int, cartons_g: int, max_weight_g: int, max_height_mm: int
) -> None:
    """``ValueError`` with the reason when a typed pallet weight or height cannot be right."""
    if height_mm <= 0:
        raise ValueError("the pallet height must be more than 0 mm")
    if height_mm > max_height_mm:
        raise ValueError(f"{height_mm} mm is higher than a pallet may be ({max_height_mm} mm)")
    if weight_g < cartons_g:
        raise ValueError(
            f"{weight_g} g is less than its cartons weigh ({cartons_g} g): weigh it again"
        )
    if weight_g > max_weight_g:
        raise ValueError(f"{weight_g} g is more than a pallet may weigh ({max_weight_g} g)")
