"""A carrier that exists only as configuration: table rates, and tracking numbers issued from
our own counter (prefix + 10-digit serial + Luhn check digit)."""

from __future__ import annotations

from app.domain.carriers import (
    CarrierError,
    LabelRequest,
    PurchasedLabel,
    RateRequest,
    TrackingState,
    TrackingStatus,
    VoidOutcome,
)
from app.domain.rating import Carrier, Quote, quotes, tracking_number


class TableRateCarrier:
    offline = True  # buying a label calls nobody: it can happen inside our transaction

    def __init__(self, carrier: Carrier) -> None:
        self.carrier = carrier
        self.code = carrier.code

    def rate(self, request: RateRequest) -> list[Quote]:
        return quotes(
            [self.carrier],
            request.ship_to.country,
            request.service_level,
            request.weight_g,
            request.dims_mm,
            postal_code=request.ship_to.postal_code,
        )

    def buy_label(self, request: LabelRequest) -> PurchasedLabel:
        if request.serial <= 0:
            raise CarrierError(f"{self.code}: a table-rate label needs a serial from the counter")
        if not any(s.code == request.service for s in self.carrier.services):
            raise CarrierError(f"{self.code} has no service {request.service}")
        return PurchasedLabel(
            tracking_number=tracking_number(self.carrier.tracking_prefix, request.serial),
            carrier=self.code,
            service=request.service,
        )

    def void(self, label: PurchasedLabel) -> VoidOutcome:
        return VoidOutcome.VOIDED  # nobody else knows the number: voiding is ours alone

    def track(self, tracking_number: str) -> TrackingStatus:
        return TrackingStatus(tracking_number, TrackingState.LABEL_CREATED)
