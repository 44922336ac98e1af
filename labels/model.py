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
