"""The ship station rates a weighed carton, issues its tracking number once and prints the label."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, AllocationLine, Carton, Shipment
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus
from app.domain.rating import Carrier, Quote, quotes, tracking_number
from app.services.clock import Clock
from app.services.errors import Conflict, ServiceError
from app.services.weighing import _carton, _check_not_held, carton_view
from labels import Address, ShippingLabel, render_shipping_label_pdf


@dataclass(frozen=True)
class ShipContext:
    carriers: list[Carrier]
    ship_from: Address


def _quotes(s: Any, carton: Carton, ctx: ShipContext) -> list[Quote]:
    allocation = s.get(Allocation, carton.allocation_pk)
    weight = carton.weight_g or carton.expected_weight_g
    return quotes(
        ctx.carriers,
        allocation.ship_to.get("country", ""),
        allocation.service_level,
        weight,
        (carton.length_mm, carton.width_mm, carton.height_mm),
    )


def _quote_json(q: Quote) -> dict[str, Any]:
    return {
        "carrier": q.carrier,
        "service": q.service,
        "service_name": q.service_name,
        "price_minor": q.price_minor,
        "currency": q.currency,
        "billable_g": q.billable_g,
        "transit_days": q.transit_days,
    }


def rate_carton(code: str, uow: SessionFactory, ctx: ShipContext) -> dict[str, Any]:
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip())
        _check_not_held(s, carton)
        view = carton_view(s, carton)
        found = _quotes(s, carton, ctx)
        view["quotes"] = [_quote_json(q) for q in found]
        view["recommended"] = _quote_json(found[0]) if found else None
        if carton.status == "packed":
            view["blocked"] = "Weigh this carton first: no label before a weight check."
        elif not found:
            view["blocked"] = "No carrier service covers this destination and weight."
        return view


def ship_carton(
    code: str,
    service_code: str | None,
    shipper: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ShipContext,
) -> dict[str, Any]:
    """Idempotent: a carton that already has a tracking number keeps it (a retry re-prints)."""
    now = clock()
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip(), lock=True)
        if carton.tracking_number:
            view = carton_view(s, carton)
            view["reprint"] = True
            return view
        _check_not_held(s, carton)
        if carton.status != "weighed" or carton.weight_g is None:
            raise Conflict(
                f"Carton {carton.code} has not passed the weight check: weigh it first.", "carton"
            )
        found = _quotes(s, carton, ctx)
        if service_code:
            chosen = next((q for q in found if q.service == service_code), None)
            if chosen is None:
                raise ServiceError(
                    f"{service_code} cannot carry this carton at its service level", "service"
                )
        elif found:
            chosen = found[0]
        else:
            raise ServiceError("no carrier service covers this destination and weight", "service")
        carrier = next(c for c in ctx.carriers if c.code == chosen.carrier)
        serial = repo.next_counter(s, f"tracking:{carrier.code}")
        carton.tracking_number = tracking_number(carrier.tracking_prefix, serial)
        carton.carrier = chosen.carrier
        carton.service = chosen.service
        carton.rate_minor = chosen.price_minor
        carton.status = "shipped"
        carton.shipped_at = now
        allocation = repo.must_get(s, Allocation, carton.allocation_pk)
        shipment = s.scalars(
            select(Shipment).where(
                Shipment.allocation_pk == allocation.id,
                Shipment.carrier == chosen.carrier,
                Shipment.service == chosen.service,
            )
        ).first()
        if shipment is None:
            shipment = Shipment(
                allocation_pk=allocation.id,
                carrier=chosen.carrier,
                service=chosen.service,
                shipped_at=now,
            )
            s.add(shipment)
            s.flush()
        carton.shipment_id = shipment.id
        for cl in carton.lines:
            line = repo.must_get(s, AllocationLine, cl.line_pk)
            line.shipped += cl.qty
        s.flush()
        _maybe_shipped(s, allocation, now)
        view = carton_view(s, carton)
        tx.commit()
        return view


def _maybe_shipped(s: Any, allocation: Allocation, now: Any) -> None:
    if allocation.status != AllocationStatus.PACKED.value:
        return
    cartons = s.scalars(select(Carton).where(Carton.allocation_pk == allocation.id)).all()
    if not cartons or any(c.status != "shipped" for c in cartons):
        return
    allocation.status = AllocationStatus.SHIPPED.value
    allocation.updated_at = now
    first = cartons[0]
    repo.add_event(
        s,
        "allocation.shipped",
        allocation,
        {
            "carrier": first.carrier,
            "service": first.service,
            "shipped_at": now.isoformat(),
            "cartons": [
                {
                    "carton_id": c.code,
                    "tracking_number": c.tracking_number,
                    "weight_g": c.weight_g,
                    "carrier": c.carrier,
                    "service": c.service,
                }
                for c in cartons
            ],
            "lines": [{"line_id": ln.line_id, "qty": ln.shipped} for ln in allocation.lines],
        },
        now,
    )


def label_pdf(code: str, uow: SessionFactory, ctx: ShipContext) -> bytes:
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip())
        if not carton.tracking_number:
            raise Conflict(f"Carton {carton.code} has no label yet: ship it first.", "carton")
        allocation = repo.must_get(s, Allocation, carton.allocation_pk)
        to = allocation.ship_to
        label = ShippingLabel(
            tracking_number=carton.tracking_number,
            carrier=carton.carrier or "",
            service=carton.service or "",
            ship_from=ctx.ship_from,
            ship_to=Address(
                name=to.get("name", ""),
                company=to.get("company"),
                line1=to.get("line1", ""),
                line2=to.get("line2"),
                city=to.get("city", ""),
                region=to.get("region"),
                postal_code=to.get("postal_code", ""),
                country=to.get("country", ""),
                phone=to.get("phone"),
            ),
            weight_g=carton.weight_g or carton.expected_weight_g,
            carton_id=carton.code,
            order_number=allocation.order_number,
            shipped_on=carton.shipped_at.date() if carton.shipped_at else None,
        )
        return render_shipping_label_pdf(label)
