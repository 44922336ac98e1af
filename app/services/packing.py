"""Packers scan a tote, verify every unit by scan, and close it into a recommended carton."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Carton,
    CartonLine,
    PackUnit,
    Sku,
    Tote,
)
from app.adapters.db.uow import SessionFactory
from app.domain.allocations import AllocationStatus
from app.domain.cartons import CartonType, Unit, choose_carton
from app.domain.packing import PackLine, PackOutcome, all_verified, verify_unit
from app.domain.scanning import ScanKind, parse_scan
from app.domain.weighing import expected_weight_g
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, OnHold, ServiceError
from app.services.replies import ScanReply, log_scan, replay
from labels import Address, PackingSlip, PackingSlipLine, render_packing_slip_pdf

PACKABLE = {AllocationStatus.PICKED.value, AllocationStatus.PACKING.value}


@dataclass(frozen=True)
class PackContext:
    cartons: list[CartonType]
    dunnage_g: int


def _allocation_for(s: Any, code: str) -> Allocation:
    parsed = parse_scan(code)
    if parsed.kind is ScanKind.TOTE:
        tote = s.scalars(select(Tote).where(Tote.code == parsed.value)).first()
        if tote is None or tote.allocation_pk is None:
            raise NotFound(f"Tote {parsed.value} is empty: no order is waiting in it.", "tote")
        allocation = s.get(Allocation, tote.allocation_pk)
    else:
        allocation = (
            repo.allocation_by_external_id(s, code)
            or s.scalars(select(Allocation).where(Allocation.order_number == code)).first()
        )
        if allocation is None:
            raise NotFound(f"{code} is not a tote, allocation or order number we know.", "tote")
    assert isinstance(allocation, Allocation)
    if allocation.status == AllocationStatus.HELD.value:
        raise OnHold(
            f"Order {allocation.order_number} is on hold ({'; '.join(allocation.reasons)}). "
            "Do not pack it: put the tote on the exceptions shelf.",
            "tote",
        )
    if allocation.cancel_reason:
        raise Conflict(
            f"Order {allocation.order_number} was cancelled ({allocation.cancel_reason}). "
            "Its units go back to their bins: put the tote on the exceptions shelf.",
            "tote",
        )
    if allocation.status not in PACKABLE:
        raise Conflict(
            f"Order {allocation.order_number} is {allocation.status}, not ready to pack.", "tote"
        )
    return allocation


def _pack_lines(s: Any, allocation: Allocation) -> list[PackLine]:
    counts = dict(
        s.execute(
            select(PackUnit.line_pk, func.count(PackUnit.id))
            .where(PackUnit.allocation_pk == allocation.id)
            .group_by(PackUnit.line_pk)
        ).all()
    )
    lines = []
    for ln in allocation.lines:
        sku = s.get(Sku, ln.sku_id) if ln.sku_id else None
        codes = repo.item_codes(sku) if sku else frozenset({ln.sku})
        # Cancelled units that were picked go back to their bins, not into a carton.
        to_pack = min(ln.picked, ln.qty - ln.cancelled - ln.short)
        lines.append(PackLine(ln.id, ln.sku, codes, to_pack, int(counts.get(ln.id, 0))))
    return lines


def _view(s: Any, allocation: Allocation, ctx: PackContext) -> dict[str, Any]:
    lines = _pack_lines(s, allocation)
    loose = list(
        s.scalars(
            select(PackUnit).where(
                PackUnit.allocation_pk == allocation.id, PackUnit.carton_id.is_(None)
            )
        ).all()
    )
    recommendation = None
    if loose:
        units = _units(s, loose)
        carton = choose_carton(units, ctx.cartons)
        recommendation = (
            {
                "code": carton.code,
                "name": carton.name,
                "inner_mm": list(carton.inner_mm),
                "why": f"cheapest carton that holds all {len(units)} unit(s) "
                f"with room for dunnage (cost {carton.cost_minor / 100:.2f})",
            }
            if carton
            else {"code": None, "why": "no catalog carton fits these units: call a supervisor"}
        )
    cartons = s.scalars(select(Carton).where(Carton.allocation_pk == allocation.id)).all()
    tote = s.scalars(select(Tote).where(Tote.allocation_pk == allocation.id)).first()
    return {
        "allocation_id": allocation.allocation_id,
        "order_number": allocation.order_number,
        "status": allocation.status,
        "tote": tote.code if tote else None,
        "lines": [
            {
                "line_pk": ln.line_pk,
                "sku": ln.sku,
                "barcode": _primary_barcode(s, ln.sku),
                "picked": ln.picked,
                "verified": ln.verified,
            }
            for ln in lines
        ],
        "all_verified": all_verified(lines),
        "loose_units": len(loose),
        "recommendation": recommendation,
        "cartons": [{"code": c.code, "carton_type": c.carton_type} for c in cartons],
        "gift_message": allocation.notes,
    }


def _primary_barcode(s: Any, sku_code: str) -> str:
    sku = repo.sku_by_code(s, sku_code)
    return next((b.code for b in sku.barcodes), sku_code) if sku else sku_code


def _units(s: Any, pack_units: list[PackUnit]) -> list[Unit]:
    units = []
    for pu in pack_units:
        line = s.get(AllocationLine, pu.line_pk)
        sku = s.get(Sku, line.sku_id)
        units.append(Unit(sku.sku, (sku.length_mm, sku.width_mm, sku.height_mm), sku.weight_g))
    return units


def open_order(code: str, uow: SessionFactory, ctx: PackContext) -> dict[str, Any]:
    with uow() as tx:
        allocation = _allocation_for(tx.session, code.strip())
        return _view(tx.session, allocation, ctx)


def scan_unit(
    allocation_id: str,
    raw: str,
    packer: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: PackContext,
    client_scan_id: str | None = None,
    device: str | None = None,
) -> ScanReply:
    now = clock()
    with uow() as tx:
        s = tx.session
        prev = repo.previous_scan(s, client_scan_id)
        allocation = repo.allocation_by_external_id(s, allocation_id, lock=True)
        if allocation is None:
            raise NotFound(f"no allocation {allocation_id}", "allocation_id")
        if prev is not None:
            answer = replay(prev)
            answer.data["order"] = _view(s, allocation, ctx)
            return answer
        parsed = parse_scan(raw)
        if allocation.status not in PACKABLE:
            reply = ScanReply(
                False,
                allocation.status,
                f"Order {allocation.order_number} is {allocation.status}: stop packing it.",
            )
        else:
            verdict = verify_unit(_pack_lines(s, allocation), parsed)
            reply = ScanReply(
                verdict.outcome is PackOutcome.UNIT_OK, verdict.outcome.value, verdict.message
            )
            if verdict.line_pk is not None:
                s.add(PackUnit(allocation_pk=allocation.id, line_pk=verdict.line_pk, at=now))
                if allocation.status == AllocationStatus.PICKED.value:
                    allocation.status = AllocationStatus.PACKING.value
                s.flush()
        log_scan(
            s,
            station="pack",
            raw=raw,
            reply=reply,
            now=now,
            client_scan_id=client_scan_id,
            device=device,
            actor=packer,
            parsed=parsed.to_json(),
            allocation_pk=allocation.id,
        )
        reply.data["order"] = _view(s, allocation, ctx)
        tx.commit()
        return reply


def close_carton(
    allocation_id: str,
    carton_code: str,
    packer: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: PackContext,
) -> dict[str, Any]:
    """The packer scans the carton type from the shelf; the verified units go into it."""
    now = clock()
    code = carton_code.strip().upper()
    carton_type = next((c for c in ctx.cartons if c.code == code), None)
    if carton_type is None:
        known = ", ".join(c.code for c in ctx.cartons)
        raise ServiceError(f"{carton_code!r} is not a carton type ({known})", "carton_type")
    with uow() as tx:
        s = tx.session
        allocation = repo.allocation_by_external_id(s, allocation_id, lock=True)
        if allocation is None:
            raise NotFound(f"no allocation {allocation_id}", "allocation_id")
        if allocation.status not in PACKABLE:
            raise Conflict(f"order is {allocation.status}, cannot pack", "allocation_id")
        loose = list(
            s.scalars(
                select(PackUnit).where(
                    PackUnit.allocation_pk == allocation.id, PackUnit.carton_id.is_(None)
                )
            ).all()
        )
        if not loose:
            raise ServiceError("scan the units before closing a carton", "carton_type")
        units = _units(s, loose)
        if choose_carton(units, [carton_type]) is None:
            raise ServiceError(
                f"these {len(units)} unit(s) do not fit {carton_type.name} ({code})",
                "carton_type",
            )
        number = repo.next_counter(s, "carton")
        carton = Carton(
            code=f"CT{number:06d}",
            allocation_pk=allocation.id,
            carton_type=code,
            status="packed",
            expected_weight_g=expected_weight_g(
                [u.weight_g for u in units], carton_type.tare_g, ctx.dunnage_g
            ),
            length_mm=carton_type.outer_mm[0],
            width_mm=carton_type.outer_mm[1],
            height_mm=carton_type.outer_mm[2],
            packed_by=packer,
            packed_at=now,
        )
        s.add(carton)
        s.flush()
        per_line: dict[int, int] = {}
        for pu in loose:
            pu.carton_id = carton.id
            per_line[pu.line_pk] = per_line.get(pu.line_pk, 0) + 1
        for line_pk, qty in per_line.items():
            carton.lines.append(CartonLine(line_pk=line_pk, qty=qty))
            line = repo.must_get(s, AllocationLine, line_pk)
            line.packed += qty
        s.flush()
        if all(ln.packed >= ln.qty - ln.cancelled - ln.short for ln in allocation.lines):
            allocation.status = AllocationStatus.PACKED.value
            allocation.updated_at = now
            tote = s.scalars(select(Tote).where(Tote.allocation_pk == allocation.id)).first()
            if tote is not None:
                tote.allocation_pk = None  # the tote is empty and goes back to the pickers
            _report_packed(s, allocation, now)
        view = _view(s, allocation, ctx)
        view["carton"] = {
            "code": carton.code,
            "carton_type": code,
            "expected_weight_g": carton.expected_weight_g,
        }
        tx.commit()
        return view


def _report_packed(s: Any, allocation: Allocation, now: Any) -> None:
    cartons = s.scalars(select(Carton).where(Carton.allocation_pk == allocation.id)).all()
    line_ids = {ln.id: ln.line_id for ln in allocation.lines}
    repo.add_event(
        s,
        "allocation.packed",
        allocation,
        {
            "cartons": [
                {
                    "carton_id": c.code,
                    "carton_type": c.carton_type,
                    "weight_g": c.expected_weight_g,
                    "dims_mm": [c.length_mm, c.width_mm, c.height_mm],
                    "lines": [{"line_id": line_ids[cl.line_pk], "qty": cl.qty} for cl in c.lines],
                }
                for c in cartons
            ]
        },
        now,
    )


def packing_slip_pdf(allocation_id: str, uow: SessionFactory, ship_from: Address) -> bytes:
    with uow() as tx:
        s = tx.session
        a = repo.allocation_by_external_id(s, allocation_id)
        if a is None:
            raise NotFound(f"no allocation {allocation_id}", "allocation_id")
        names = {
            sku.sku: sku.name
            for sku in s.scalars(select(Sku).where(Sku.sku.in_([ln.sku for ln in a.lines])))
        }
        to = a.ship_to
        slip = PackingSlip(
            order_number=a.order_number,
            allocation_id=a.allocation_id,
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
            ship_from=ship_from,
            lines=tuple(
                PackingSlipLine(ln.sku, names.get(ln.sku, ln.sku), ln.picked or ln.qty)
                for ln in a.lines
            ),
            gift_message=a.notes,
        )
        return render_packing_slip_pdf(slip)
