"""Carrier gateways: the table-rate carrier from config/carriers.toml, and real carriers through
karrio when it is installed (`pip install .[karrio]`)."""

from __future__ import annotations

from app.adapters.carriers.table_rate import TableRateCarrier
from app.domain.carriers import CarrierGateway
from app.domain.rating import Carrier


def build_gateways(
    carriers: list[Carrier], karrio_settings: dict[str, dict[str, object]] | None = None
) -> dict[str, CarrierGateway]:
    """One gateway per configured carrier: karrio for those with karrio settings, else the
    table rates."""
    gateways: dict[str, CarrierGateway] = {}
    for carrier in carriers:
        settings = (karrio_settings or {}).get(carrier.code)
        if settings is not None:
            from app.adapters.carriers.karrio_carrier import KarrioCarrier

            gateways[carrier.code] = KarrioCarrier(carrier, settings)
        else:
            gateways[carrier.code] = TableRateCarrier(carrier)
    return gateways


__all__ = ["TableRateCarrier", "build_gateways"]
