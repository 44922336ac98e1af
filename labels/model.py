"""Plain, immutable data handed to the label renderers.

The renderers never look anything up: everything printed on a label or a packing slip
comes from these objects, so callers (Flask views, workers, tests) build them from their
own data and get PDF bytes back.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address as printed on labels (one field per printed line part)."""

    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    company: str | None = None
    line2: str | None = None
    region: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ShippingLabel:
    """Everything printed on a 4x6 inch carrier label for one carton."""

    tracking_number: str
    carrier: str
    service: str
    ship_from: Address
    ship_to: Address
    weight_g: int
    carton_id: str
    order_number: str
    reference: str | None = None
    shipped_on: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class PackingSlipLine:
    """One order line on a packing slip."""

    sku: str
    name: str
    qty: int


@dataclass(frozen=True, slots=True)
class PackingSlip:
    """The document packed into the carton with the goods."""

    order_number: str
    allocation_id: str
    ship_to: Address
    ship_from: Address
    lines: tuple[PackingSlipLine, ...]
    carton_id: str | None = None
    gift_message: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class ReturnLabel:
    """A prepaid return label the customer sticks on the parcel they send back."""

    rma_id: str
    tracking_number: str
    carrier: str
    service: str
    customer: Address  # where the parcel comes from
    return_to: Address  # the warehouse's returns dock
    order_number: str | None = None
    weight_g: int | None = None
    issued_on: datetime.date | None = None


@dataclass(frozen=True, slots=True)
class ManifestLine:
    """One carton handed to the carrier."""

    tracking_number: str
    carton_id: str
    order_number: str
    service: str
    weight_g: int
    country: str
    postal_code: str


@dataclass(frozen=True, slots=True)
class Manifest:
    """The end-of-day close-out for one carrier: every carton its driver takes."""

    manifest_id: str
    carrier: str
    carrier_name: str
    ship_day: datetime.date
    closed_at: datetime.datetime
    closed_by: str
    ship_from: Address
    lines: tuple[ManifestLine, ...]

    @property
    def total_weight_g(self) -> int:
        return sum(line.weight_g for line in self.lines)
