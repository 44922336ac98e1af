"""The weigh station compares a carton's measured weight with what its contents should weigh."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.adapters.db.models import Allocation, Carton
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus
from app.domain.scanning import parse_scan
from app.domain.weighing import Tolerance, check_weight, validate_reading
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, OnHold, ServiceError
from app.services.replies import ScanReply, log_scan


def _carton(s: Any, code: str, lock: bool = False) -> Carton:
    parsed = parse_scan(code)
    stmt = select(Carton).where(Carton.code == parsed.value)
    if lock:
        stmt = stmt.with_for_update()
    carton: Carton | None = s.scalars(stmt).first()
    if carton is None:
        raise NotFound(f"{code} is not a carton we know. Scan the carton label (CT…).", "carton")
    return carton


def carton_view(s: Any, carton: Carton) -> dict[str, Any]:
    allocation = s.get(Allocation, carton.allocation_pk)
    return {
        "carton": carton.code,
        "carton_type": carton.carton_type,
        "status": carton.status,
        "expected_weight_g": carton.expected_weight_g,
        "weight_g": carton.weight_g,
        "dims_mm": [carton.length_mm, carton.width_mm, carton.height_mm],
        "allocation_id": allocation.allocation_id,
        "order_number": allocation.order_number,
        "service_level": allocation.service_level,
        "country": allocation.ship_to.get("country"),
        "tracking_number": carton.tracking_number,
        "carrier": carton.carrier,
        "service": carton.service,
    }


def _check_not_held(s: Any, carton: Carton) -> None:
    allocation = s.get(Allocation, carton.allocation_pk)
    if allocation.status == AllocationStatus.HELD.value:
        raise OnHold(
            f"Order {allocation.order_number} is on hold ({'; '.join(allocation.reasons)}). "
            "Set the carton aside.",
            "carton",
        )
    if carton.status == "voided":
        raise Conflict(f"Carton {carton.code} was voided: its order changed. Unpack it.", "carton")
    if allocation.status == AllocationStatus.CANCELLED.value or allocation.cancel_reason:
        raise Conflict(f"Order {allocation.order_number} was cancelled. Set it aside.", "carton")


def open_carton(code: str, uow: SessionFactory) -> dict[str, Any]:
    with uow() as tx:
        carton = _carton(tx.session, code.strip())
        _check_not_held(tx.session, carton)
        return carton_view(tx.session, carton)


def record_weight(
    code: str,
    measured_g: object,
    weigher: str,
    source: str,
    uow: SessionFactory,
    clock: Clock,
    tolerance: Tolerance,
) -> ScanReply:
    problem = validate_reading(measured_g)
    if problem:
        raise ServiceError(problem, "weight_g")
    assert isinstance(measured_g, int)
    now = clock()
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip(), lock=True)
        _check_not_held(s, carton)
        if carton.status == "shipped":
            raise Conflict(f"Carton {carton.code} has already shipped.", "carton")
        verdict = check_weight(carton.expected_weight_g, measured_g, tolerance)
        if verdict.ok:
            carton.weight_g = measured_g
            carton.status = "weighed"
            carton.weighed_at = now
        reply = ScanReply(
            verdict.ok,
            "weight_ok" if verdict.ok else "weight_out_of_tolerance",
            verdict.message,
            {
                "expected_g": verdict.expected_g,
                "measured_g": measured_g,
                "allowed_g": verdict.allowed_g,
            },
        )
        log_scan(
            s,
            station="weigh",
            raw=f"{carton.code} {measured_g}g ({source})",
            reply=reply,
            now=now,
            actor=weigher,
            allocation_pk=carton.allocation_pk,
        )
        reply.data["carton"] = carton_view(s, carton)
        tx.commit()
        return reply
