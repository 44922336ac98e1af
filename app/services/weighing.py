"""The weigh station compares a carton's measured weight with what its contents should weigh.

A weight comes from the station's scale (`capture_weight`: only once the stable-reading rule
holds) or is typed (`record_weight` with `manual_roles`: only by the roles the station allows).
Within tolerance the carton is `weighed` and may get a label; outside it stays `packed`, which
the ship station refuses, and a QC exception opens (app.services.weight_qc).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import select

from app.adapters.db.models import Allocation, Carton
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus
from app.domain.scanning import parse_scan
from app.domain.text import join, msg
from app.domain.weighing import (
    Capture,
    CaptureRefused,
    Tolerance,
    TolerancePolicy,
    blind_to_unit_g,
    check_weight,
    validate_reading,
)
from app.services import weight_qc
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, OnHold, ServiceError
from app.services.replies import ScanReply, log_scan
from app.services.weight_qc import WeighContext

__all__ = [
    "WeighContext",
    "capture_weight",
    "carton_view",
    "open_carton",
    "record_weight",
    "weigh_queue",
    "weigh_view",
]


class NotStable(ServiceError):
    """The scale has no weight to give yet (moving, empty, faulty, or the last carton's)."""

    code = "not_stable"

    def __init__(self, message: str, field: str | None, result: str) -> None:
        super().__init__(message, field)
        self.result = result

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "result": self.result}


def _carton(s: Any, code: str, lock: bool = False) -> Carton:
    parsed = parse_scan(code)
    stmt = select(Carton).where(Carton.code == parsed.value)
    if lock:
        stmt = stmt.with_for_update()
    carton: Carton | None = s.scalars(stmt).first()
    if carton is None:
        raise NotFound(
            msg("%(code)s is not a carton we know. Scan the carton label (CT…).", code=code),
            "carton",
        )
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
            msg(
                "Order %(order_number)s is on hold (%(items)s). Set the carton aside.",
                order_number=allocation.order_number,
                items="; ".join(allocation.reasons),
            ),
            "carton",
        )
    if carton.status == "voided":
        raise Conflict(
            msg("Carton %(code)s was voided: its order changed. Unpack it.", code=carton.code),
            "carton",
        )
    if allocation.status == AllocationStatus.CANCELLED.value or allocation.cancel_reason:
        raise Conflict(
            msg(
                "Order %(order_number)s was cancelled. Set it aside.",
                order_number=allocation.order_number,
            ),
            "carton",
        )


def _context(tolerance: Tolerance | WeighContext) -> WeighContext:
    if isinstance(tolerance, WeighContext):
        return tolerance
    return WeighContext(TolerancePolicy(tolerance))


def weigh_view(s: Any, carton: Carton, ctx: WeighContext | Tolerance) -> dict[str, Any]:
    """The carton as the weigh page shows it: contents, tolerance and any QC exception."""
    context = _context(ctx)
    view = carton_view(s, carton)
    lines = weight_qc.contents(s, carton)
    rule = context.policy.rule_for(carton.carton_type, [c.sku for c in lines])
    tolerance = rule.tolerance if rule else context.policy.default
    allowed = tolerance.allowed_g(carton.expected_weight_g)
    blind = blind_to_unit_g(allowed, [c.unit_weight_g or 0 for c in lines])
    view.update(
        lines=[
            {
                "sku": c.sku,
                "name": c.name,
                "qty": c.qty,
                "unit_weight_g": c.unit_weight_g,
                "barcode": c.barcode,
            }
            for c in lines
        ],
        allowed_g=allowed,
        tolerance=rule.describe() if rule else "default",
        blind_to_unit_g=blind,
        exception=weight_qc.exception_json(weight_qc.open_exception(s, carton)),
    )
    return view


def open_carton(
    code: str, uow: SessionFactory, ctx: WeighContext | Tolerance | None = None
) -> dict[str, Any]:
    with uow() as tx:
        carton = _carton(tx.session, code.strip())
        _check_not_held(tx.session, carton)
        if ctx is None:
            return carton_view(tx.session, carton)
        return weigh_view(tx.session, carton, ctx)


def weigh_queue(uow: SessionFactory, limit: int = 50) -> list[dict[str, Any]]:
    """Packed cartons waiting for a weight, oldest first; `qc` marks an open exception."""
    from app.adapters.db.models_weigh import WeighException

    with uow() as tx:
        open_qc = (
            select(WeighException.id)
            .where(WeighException.carton_id == Carton.id, WeighException.status == "open")
            .exists()
        )
        rows = tx.session.execute(
            select(Carton.code, Carton.carton_type, Allocation.order_number, open_qc)
            .join(Allocation, Allocation.id == Carton.allocation_pk)
            .where(Carton.status == "packed", Allocation.status != AllocationStatus.HELD.value)
            .order_by(Carton.id)
            .limit(limit)
        ).all()
        return [
            {"carton": c, "carton_type": t, "order_number": o, "qc": bool(q)} for c, t, o, q in rows
        ]


def record_weight(
    code: str,
    measured_g: object,
    weigher: str,
    source: str,
    uow: SessionFactory,
    clock: Clock,
    tolerance: Tolerance | WeighContext,
    *,
    station: str = "",
    manual_roles: frozenset[str] | None = None,
) -> ScanReply:
    """Check a weight against the carton's contents. `manual_roles`: the weight was typed,
    and only these roles may type one at this station."""
    problem = validate_reading(measured_g)
    if problem:
        raise ServiceError(problem, "weight_g")
    assert isinstance(measured_g, int)
    ctx = _context(tolerance)
    now = clock()
    with uow() as tx:
        s = tx.session
        if manual_roles is not None and weight_qc.role_of(s, weigher) not in manual_roles:
            raise weight_qc.Forbidden(
                msg(
                    "Weights come from the scale at %(value)s: put the carton on "
                    "the scale. Typing a weight needs a supervisor.",
                    value=station or "this station",
                ),
                "weight_g",
            )
        carton = _carton(s, code.strip(), lock=True)
        _check_not_held(s, carton)
        if carton.status == "shipped":
            raise Conflict(msg("Carton %(code)s has already shipped.", code=carton.code), "carton")
        skus = [c.sku for c in weight_qc.contents(s, carton)]
        verdict = check_weight(
            carton.expected_weight_g,
            measured_g,
            ctx.policy.for_carton(carton.carton_type, skus),
        )
        if verdict.ok:
            carton.weight_g = measured_g
            carton.status = "weighed"
            carton.weighed_at = now
            exc = weight_qc.weight_passed(s, carton, station=station, actor=weigher, now=now)
            proposal = weight_qc.observe(s, carton, measured_g, ctx.learning, now)
        else:
            if carton.status == "weighed":
                # A second weighing that disagrees takes the carton's clearance away.
                carton.status = "packed"
                carton.weight_g = None
                carton.weighed_at = None
            exc = weight_qc.weight_failed(
                s, carton, verdict, station=station, actor=weigher, now=now
            )
            proposal = None
        weight_qc.audit(
            s,
            "weight",
            actor=weigher,
            station=station or None,
            now=now,
            carton=carton,
            exception=exc,
            detail={
                "measured_g": measured_g,
                "expected_g": verdict.expected_g,
                "allowed_g": verdict.allowed_g,
                "ok": verdict.ok,
                "source": source,
            },
        )
        message = verdict.message
        if not verdict.ok:
            message = join(
                [
                    message,
                    msg(
                        "No label until it is fixed: re-verify by scan, repack, or call a "
                        "supervisor."
                    ),
                ]
            )
        reply = ScanReply(
            verdict.ok,
            "weight_ok" if verdict.ok else "weight_out_of_tolerance",
            message,
            {
                "expected_g": verdict.expected_g,
                "measured_g": measured_g,
                "allowed_g": verdict.allowed_g,
                "qc_changed": exc is not None or proposal is not None,
            },
        )
        log_scan(
            s,
            station="weigh",
            raw=f"{carton.code} {measured_g}g ({source}{' @' + station if station else ''})",
            reply=reply,
            now=now,
            actor=weigher,
            allocation_pk=carton.allocation_pk,
        )
        reply.data["carton"] = weigh_view(s, carton, ctx)
        reply.data["exception"] = reply.data["carton"]["exception"]
        tx.commit()
        return reply


class ScaleSource(Protocol):
    """What capture needs from the scale hub."""

    def take(self, station_id: str, carton: str) -> Capture: ...

    def captured(self, station_id: str, carton: str, placement: int) -> None: ...


def capture_weight(
    station_id: str,
    code: str,
    weigher: str,
    scales: ScaleSource,
    uow: SessionFactory,
    clock: Clock,
    ctx: WeighContext,
) -> ScanReply:
    """Record the weight the station's scale has settled on (the stable-reading rule)."""
    carton_code = parse_scan(code.strip()).value
    try:
        taken = scales.take(station_id, carton_code)
    except CaptureRefused as refused:
        raise NotStable(refused.message, "weight_g", refused.reason.value) from None
    reply = record_weight(
        carton_code, taken.weight_g, weigher, "scale", uow, clock, ctx, station=station_id
    )
    scales.captured(station_id, carton_code, taken.placement)
    reply.data["placement"] = taken.placement
    return reply
