"""Real carriers through karrio (optional: ``pip install .[karrio]`` plus the carrier's
``karrio.<name>`` extension). Without karrio installed this module still imports; building a
:class:`KarrioCarrier` then raises :class:`CarrierError` saying what to install.

The gateway settings are karrio's own (``carrier_name`` plus that carrier's credentials) and
come from the environment (see :mod:`app.adapters.carriers.config`). Units: karrio takes kg
and cm; our grams and millimetres are converted here and nowhere else.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.domain.carriers import (
    CarrierError,
    LabelRequest,
    PostalAddress,
    PurchasedLabel,
    RateRequest,
    TrackingEvent,
    TrackingState,
    TrackingStatus,
    VoidOutcome,
)
from app.domain.rating import Carrier, Quote

try:  # an optional extra: the table-rate carriers never need it
    import karrio.sdk as karrio_sdk
    from karrio.core import models as karrio_models
except ImportError:  # pragma: no cover - exercised only without the extra
    karrio_sdk = None
    karrio_models = None


def available() -> bool:
    return karrio_sdk is not None


def _minor(amount: Any) -> int:
    return int((Decimal(str(amount or 0)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _address(a: PostalAddress) -> dict[str, Any]:
    return {
        "person_name": a.name,
        "company_name": a.company,
        "address_line1": a.line1,
        "address_line2": a.line2,
        "city": a.city,
        "state_code": a.region,
        "postal_code": a.postal_code,
        "country_code": a.country,
        "phone_number": a.phone,
        "email": a.email,
    }


def _parcel(weight_g: int, dims_mm: tuple[int, int, int], reference: str | None) -> dict[str, Any]:
    length, width, height = dims_mm
    parcel: dict[str, Any] = {
        "weight": weight_g / 1000,
        "weight_unit": "KG",
        "length": length / 10,
        "width": width / 10,
        "height": height / 10,
        "dimension_unit": "CM",
    }
    if reference:
        parcel["reference_number"] = reference
    return parcel


def _messages(messages: Any) -> str:
    return "; ".join(str(getattr(m, "message", m)) for m in messages or []) or "no answer"


_STATES = {
    "delivered": TrackingState.DELIVERED,
    "in_transit": TrackingState.IN_TRANSIT,
    "out_for_delivery": TrackingState.OUT_FOR_DELIVERY,
    "pending": TrackingState.LABEL_CREATED,
    "delivery_failed": TrackingState.EXCEPTION,
    "on_hold": TrackingState.EXCEPTION,
}


class KarrioCarrier:
    offline = False  # every call goes to the carrier

    def __init__(self, carrier: Carrier, settings: dict[str, Any]) -> None:
        if karrio_sdk is None:
            raise CarrierError(
                f"{carrier.code} is configured for karrio, which is not installed: "
                "pip install '.[karrio]' and the carrier's karrio extension"
            )
        self.carrier = carrier
        self.code = carrier.code
        config = dict(settings)
        self.carrier_name = str(config.pop("carrier_name"))
        try:
            self.gateway = karrio_sdk.gateway[self.carrier_name].create(config)
        except Exception as exc:  # karrio raises its own types per carrier
            raise CarrierError(f"karrio could not set up {self.carrier_name}: {exc}") from exc

    def rate(self, request: RateRequest) -> list[Quote]:
        assert karrio_models is not None
        rate_request = karrio_models.RateRequest(
            shipper=_address(request.ship_from),
            recipient=_address(request.ship_to),
            parcels=[_parcel(request.weight_g, request.dims_mm, None)],
            services=[],
        )
        try:
            rates, messages = karrio_sdk.Rating.fetch(rate_request).from_(self.gateway).parse()
        except Exception as exc:
            raise CarrierError(f"{self.code} rating failed: {exc}", retryable=True) from exc
        if not rates and messages:
            raise CarrierError(f"{self.code} rating failed: {_messages(messages)}")
        found = []
        known = {s.code: s for s in self.carrier.services}
        for rate in rates:
            service = known.get(str(rate.service))
            if service is None:
                continue  # a service we have not configured (level, pickups) is not offered
            found.append(
                Quote(
                    carrier=self.code,
                    service=service.code,
                    service_name=service.name,
                    price_minor=_minor(rate.total_charge),
                    currency=str(rate.currency or service.currency),
                    billable_g=request.weight_g,
                    transit_days=int(rate.transit_days or service.transit_days),
                    base_minor=_minor(rate.total_charge),
                )
            )
        return found

    def buy_label(self, request: LabelRequest) -> PurchasedLabel:
        assert karrio_models is not None
        shipment_request = karrio_models.ShipmentRequest(
            service=request.service,
            shipper=_address(request.ship_from),
            recipient=_address(request.ship_to),
            parcels=[_parcel(request.weight_g, request.dims_mm, request.reference)],
            label_type="ZPL",
            reference=request.reference,
        )
        try:
            shipment, messages = (
                karrio_sdk.Shipment.create(shipment_request).from_(self.gateway).parse()
            )
        except Exception as exc:
            # Not retryable: the carrier may have sold the label before the error.
            raise CarrierError(f"{self.code} label purchase failed: {exc}") from exc
        if shipment is None or not shipment.tracking_number:
            raise CarrierError(f"{self.code} sold no label: {_messages(messages)}")
        document = None
        label_b64 = getattr(getattr(shipment, "docs", None), "label", None)
        if label_b64:
            try:
                document = base64.b64decode(label_b64)
            except ValueError:
                document = None
        return PurchasedLabel(
            tracking_number=str(shipment.tracking_number),
            carrier=self.code,
            service=request.service,
            carrier_reference=str(shipment.shipment_identifier or shipment.tracking_number),
            document=document,
            document_format=str(shipment.label_type or "ZPL").lower() if document else None,
        )

    def void(self, label: PurchasedLabel) -> VoidOutcome:
        assert karrio_models is not None
        cancel = karrio_models.ShipmentCancelRequest(
            shipment_identifier=label.carrier_reference or label.tracking_number
        )
        try:
            done, messages = karrio_sdk.Shipment.cancel(cancel).from_(self.gateway).parse()
        except Exception as exc:
            raise CarrierError(f"{self.code} cannot void labels here: {exc}") from exc
        if done is not None and getattr(done, "success", False):
            return VoidOutcome.VOIDED
        raise CarrierError(f"{self.code} refused the void: {_messages(messages)}")

    def track(self, tracking_number: str) -> TrackingStatus:
        assert karrio_models is not None
        request = karrio_models.TrackingRequest(tracking_numbers=[tracking_number])
        try:
            details, messages = karrio_sdk.Tracking.fetch(request).from_(self.gateway).parse()
        except Exception as exc:
            raise CarrierError(f"{self.code} tracking failed: {exc}", retryable=True) from exc
        if not details:
            raise CarrierError(
                f"{self.code} knows nothing of {tracking_number}: {_messages(messages)}"
            )
        found = details[0]
        state = (
            TrackingState.DELIVERED
            if found.delivered
            else _STATES.get(str(getattr(found, "status", "") or ""), TrackingState.IN_TRANSIT)
        )
        events = tuple(
            TrackingEvent(
                at=_event_time(e),
                state=state,
                description=str(e.description or e.code or ""),
                location=e.location,
            )
            for e in found.events or []
        )
        return TrackingStatus(tracking_number, state, events)


def _event_time(event: Any) -> datetime:
    text = f"{event.date or ''} {event.time or ''}".strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return datetime.fromtimestamp(0, UTC)
