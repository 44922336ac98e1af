"""What a carrier does for the ship station: rate, buy a label, void it, track it.

A table-rate carrier (configuration only) and real carriers (through karrio) both implement
:class:`CarrierGateway`; the shipping service only talks to this interface. A gateway whose
``offline`` is true makes no outside call when it buys a label (it issues the number from
our own counter), so the purchase can happen inside the database transaction that stores
it. A gateway that calls out is used in two steps: a purchase intent is committed first, the
label bought, then stored; see :mod:`app.services.shipping`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.domain.rating import Quote


class CarrierError(Exception):
    """The carrier refused or could not be reached; ``retryable`` when trying later may work."""

    def __init__(self, message: str, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class PostalAddress:
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    company: str | None = None
    line2: str | None = None
    region: str | None = None
    phone: str | None = None
    email: str | None = None


@dataclass(frozen=True)
class RateRequest:
    ship_from: PostalAddress
    ship_to: PostalAddress
    service_level: str
    weight_g: int
    dims_mm: tuple[int, int, int]


@dataclass(frozen=True)
class LabelRequest:
    carrier: str
    service: str
    reference: str  # our carton code: the carrier's parcel reference
    ship_from: PostalAddress
    ship_to: PostalAddress
    weight_g: int
    dims_mm: tuple[int, int, int]
    serial: int = 0  # from our counter, for carriers whose numbers we issue


@dataclass(frozen=True)
class PurchasedLabel:
    tracking_number: str
    carrier: str
    service: str
    price_minor: int | None = None
    currency: str | None = None
    carrier_reference: str | None = None  # the carrier's shipment id, needed to void
    document: bytes | None = None  # the carrier's own label, when it sends one
    document_format: str | None = None  # "pdf" or "zpl"


class VoidOutcome(StrEnum):
    VOIDED = "voided"
    ALREADY_VOID = "already_void"
    TOO_LATE = "too_late"  # collected or scanned by the carrier: cannot be voided any more


class TrackingState(StrEnum):
    UNKNOWN = "unknown"
    LABEL_CREATED = "label_created"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    EXCEPTION = "exception"


@dataclass(frozen=True)
class TrackingEvent:
    at: datetime
    state: TrackingState
    description: str
    location: str | None = None


@dataclass(frozen=True)
class TrackingStatus:
    tracking_number: str
    state: TrackingState
    events: tuple[TrackingEvent, ...] = field(default_factory=tuple)


class CarrierGateway(Protocol):
    code: str
    offline: bool

    def rate(self, request: RateRequest) -> list[Quote]: ...

    def buy_label(self, request: LabelRequest) -> PurchasedLabel: ...

    def void(self, label: PurchasedLabel) -> VoidOutcome: ...

    def track(self, tracking_number: str) -> TrackingStatus: ...
