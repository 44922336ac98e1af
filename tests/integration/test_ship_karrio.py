"""The karrio adapter against karrio's own offline "generic" carrier (runs where the optional
extra is installed: pip install '.[karrio]' karrio.generic; skipped otherwise)."""

from __future__ import annotations

import pytest

from app.domain.carriers import CarrierError, LabelRequest, PostalAddress, RateRequest
from app.domain.rating import Carrier, Service

pytest.importorskip("karrio.mappers.generic", reason="karrio and karrio.generic not installed")

from app.adapters.carriers.karrio_carrier import KarrioCarrier

CARRIER = Carrier(
    "GEN",
    "Generic",
    "GN",
    {"*": 1},
    (Service("GEN", "standard_service", "Standard", "standard", 2, 5_000, ()),),
)
SETTINGS = {
    "carrier_name": "generic",
    "carrier_id": "custom-carrier",
    "custom_carrier_name": "custom_carrier",
    "display_name": "Custom",
    "services": [
        {
            "service_name": "Standard Service",
            "service_code": "standard_service",
            "currency": "GBP",
            "zones": [{"rate": 7.5}],
        }
    ],
}
ADA = PostalAddress("Ada Lovelace", "12 St James's Square", "London", "SW1Y 4JH", "GB")


def test_rates_come_back_in_minor_units_for_configured_services() -> None:
    quotes = KarrioCarrier(CARRIER, SETTINGS).rate(
        RateRequest(ADA, ADA, "standard", 1_200, (300, 200, 100))
    )
    assert [(q.service, q.price_minor, q.currency) for q in quotes] == [
        ("standard_service", 750, "GBP")
    ]


def test_buying_a_label_returns_the_tracking_number_and_the_carriers_zpl() -> None:
    bought = KarrioCarrier(CARRIER, SETTINGS).buy_label(
        LabelRequest("GEN", "standard_service", "CT000001", ADA, ADA, 1_200, (300, 200, 100))
    )
    assert bought.tracking_number == "CT000001"  # the generic carrier uses our reference
    assert bought.document is not None and bought.document.startswith(b"^XA")
    assert bought.document_format == "zpl"


def test_a_carrier_that_cannot_void_says_so() -> None:
    gateway = KarrioCarrier(CARRIER, SETTINGS)
    bought = gateway.buy_label(
        LabelRequest("GEN", "standard_service", "CT000002", ADA, ADA, 1_200, (300, 200, 100))
    )
    with pytest.raises(CarrierError):
        gateway.void(bought)
