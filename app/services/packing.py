"""Packers scan a tote, verify every unit by scan, and close it into the recommended carton.

The recommendation (`app.domain.carton_choice`) is the lowest total cost of carton plus carrier
rate for the order's destination and service level, with every unit placed by the 3D
cartonizer; the page shows why, and a layer-by-layer diagram. A packer may close another
carton type: that is recorded as an override with its reason. Each closed carton keeps its
placements (`pack_carton_plans`), so the content label, the history and a later dispute can
show what went where.

A tote picked for several orders is sorted here: each unit scanned is assigned to the most
urgent order of the tote that still needs it, and the page says which slot it goes to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Carton,
    CartonLine,
    PackUnit,
    PickTask,
    PutBackTask,
    ScanLog,
    Sku,
    Tote,
)
from app.adapters.db.models_pack import CartonPlan, PackOverride, PackPhoto
from app.adapters.db.uow import SessionFactory
from app.adapters.translations import language_for_country, translator
from app.domain.allocations import AllocationStatus
from app.domain.carton_choice import (
    CartonChoice,
    Destination,
    choose_cartons,
    packing_carton,
    rate_carton,
    upright_matcher,
)
from app.domain.cartonization import Item, cartonize
from app.domain.cartons import CartonType, Unit
from app.domain.pack_diagram import DiagramUnit, render_pack_diagram_svg
from app.domain.packing import (
    NOT_GIVEN,
    OVERRIDE_REASONS,
    PackLine,
    PackOutcome,
    ToteOrder,
    all_verified,
    override_reason,
    slot_name,
    sort_unit,
    verify_unit,
)
from app.domain.rating import Carrier
from app.domain.scanning import ScanKind, check_failed_message, parse_scan
from app.domain.text import msg
from app.domain.weighing import expected_weight_g
from app.services import practice_stock
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, OnHold, ServiceError
from app.services.replies import ScanReply, log_scan, replay
from labels import Address, PackingSlip, PackingSlipLine, render_packing_slip_pdf
from labels.carton_content_label import CartonContents, ContentLine, render_carton_content_pdf

PACKABLE = {AllocationStatus.PICKED.value, AllocationStatus.PACKING.value}
_MEMO_LIMIT = 512


@dataclass(frozen=True)
class PackContext:
    cartons: list[CartonType]
    dunnage_g: int
    carriers: Sequence[Carrier] = ()
    this_way_up: tuple[str, ...] = ()  # SKU patterns that must stay upright in a carton
    photo_dir: Path | None = None
    # Recommendations by (units, destination): every scan of an order re-renders its view.
    memo: dict[Any, CartonChoice] = field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


# ------------------------------------------------------------------------------ finding


def _blocked(allocation: Allocation) -> dict[str, str] | None:
    """Why this order must not be packed now, in the packer's words; None when it may."""
    if allocation.status == AllocationStatus.HELD.value:
        return {
            "kind": "on_hold",
            "message": msg(
                "Order %(order_number)s is on hold (%(value)s). Do not pack "
                "it: put its units on the exceptions shelf.",
                order_number=allocation.order_number,
                value="; ".join(str(r) for r in allocation.reasons) or msg("no reason given"),
            ),
        }
    if allocation.cancel_reason or allocation.status == AllocationStatus.CANCELLED.value:
        return {
            "kind": "cancelled",
            "message": msg(
                "Order %(order_number)s was cancelled (%(value)s). Its units "
                "go back to their bins: put them on the put-back shelf.",
                order_number=allocation.order_number,
                value=allocation.cancel_reason or msg("by the OMS"),
            ),
        }
    if allocation.status not in PACKABLE:
        return {
            "kind": "not_ready",
            "message": msg(
                "Order %(order_number)s is %(status)s, not ready to pack.",
                order_number=allocation.order_number,
                status=allocation.status,
            ),
        }
    return None


def _raise_blocked(allocation: Allocation, field_name: str) -> None:
    blocked = _blocked(allocation)
    if blocked is None:
        return
    if blocked["kind"] == "on_hold":
        raise OnHold(blocked["message"], field_name)
    raise Conflict(blocked["message"], field_name)


def _tote_allocations(s: Session, code: str) -> list[Allocation]:
    """The orders whose units are in this tote: the tote's order, plus any other order picked
    into it that is still waiting to be packed (or stopped there by a hold or a cancel). Most
    urgent first: the order units are sorted to."""
    tote = s.scalars(select(Tote).where(Tote.code == code)).first()
    pks: set[int] = set()
    if tote is not None and tote.allocation_pk is not None:
        pks.add(tote.allocation_pk)
    picked_into = s.scalars(
        select(PickTask.allocation_pk)
        .join(Allocation, Allocation.id == PickTask.allocation_pk)
        .where(
            PickTask.tote_code == code,
            PickTask.picked_qty > 0,
            Allocation.status.in_([*PACKABLE, AllocationStatus.HELD.value]),
        )
        .distinct()
    ).all()
    for pk in picked_into:
        a = s.get(Allocation, pk)
        if a is None:
            continue
        if a.status == AllocationStatus.HELD.value and a.held_from not in PACKABLE:
            continue
        pks.add(pk)
    found = [a for pk in pks if (a := s.get(Allocation, pk)) is not None]
    return sorted(
        found,
        key=lambda a: (
            a.ship_by is None,
            a.ship_by or datetime.min,
            a.priority,
            a.id,
        ),
    )


def _allocation_for(s: Session, code: str) -> Allocation:
    parsed = parse_scan(code)
    if parsed.kind is ScanKind.CHECK_FAILED:
        raise ServiceError(check_failed_message(parsed), "tote")
    if parsed.kind is ScanKind.TOTE:
        found = _tote_allocations(s, parsed.value)
        if not found:
            raise NotFound(
                msg("Tote %(value)s is empty: no order is waiting in it.", value=parsed.value),
                "tote",
            )
        allocation = found[0]
    else:
        allocation_or_none = (
            repo.allocation_by_external_id(s, code)
            or s.scalars(select(Allocation).where(Allocation.order_number == code)).first()
        )
        if allocation_or_none is None:
            raise NotFound(
                msg("%(code)s is not a tote, allocation or order number we know.", code=code),
                "tote",
            )
        allocation = allocation_or_none
    _raise_blocked(allocation, "tote")
    return allocation


# ------------------------------------------------------------------------------ lines and units


def _put_back_done(s: Session, line_pk: int) -> int:
    return int(
        s.scalar(
            select(func.coalesce(func.sum(PutBackTask.done_qty), 0)).where(
                PutBackTask.line_pk == line_pk
            )
        )
        or 0
    )


def _to_pack(ln: AllocationLine) -> int:
    # Cancelled units that were picked go back to their bins, not into a carton.
    return max(0, min(ln.picked, ln.qty - ln.cancelled - ln.short))


def _pack_lines(s: Session, allocation: Allocation) -> list[PackLine]:
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
        to_pack = _to_pack(ln)
        in_tote_cancelled = 0
        if ln.cancelled and ln.picked > to_pack:
            in_tote_cancelled = max(0, ln.picked - to_pack - _put_back_done(s, ln.id))
        lines.append(
            PackLine(
                ln.id,
                ln.sku,
                codes,
                to_pack,
                int(counts.get(ln.id, 0)),
                ordered=ln.qty,
                short=ln.short,
                cancelled_in_tote=in_tote_cancelled,
            )
        )
    return lines


def _unit_of(sku: Sku) -> Unit:
    return Unit(sku.sku, (sku.length_mm, sku.width_mm, sku.height_mm), sku.weight_g)


def _units(s: Session, pack_units: Sequence[PackUnit]) -> list[Unit]:
    units = []
    for pu in pack_units:
        line = repo.must_get(s, AllocationLine, pu.line_pk)
        sku = s.get(Sku, line.sku_id) if line.sku_id else None
        if sku is None:
            raise Conflict(
                msg("SKU %(sku)s has no master data: no size to pack by", sku=line.sku), "sku"
            )
        units.append(_unit_of(sku))
    return units


def _remaining_units(s: Session, allocation: Allocation) -> list[Unit]:
    """Units of the order still to go into a carton, verified or not."""
    units = []
    for ln in allocation.lines:
        left = _to_pack(ln) - ln.packed
        sku = s.get(Sku, ln.sku_id) if ln.sku_id else None
        if left > 0 and sku is not None:
            units.extend([_unit_of(sku)] * left)
    return units


def _loose(s: Session, allocation: Allocation) -> list[PackUnit]:
    return list(
        s.scalars(
            select(PackUnit)
            .where(PackUnit.allocation_pk == allocation.id, PackUnit.carton_id.is_(None))
            .order_by(PackUnit.id)
        ).all()
    )


def _destination(allocation: Allocation) -> Destination:
    to = allocation.ship_to or {}
    return Destination(
        str(to.get("country") or ""),
        allocation.service_level,
        str(to.get("postal_code") or ""),
    )


# ------------------------------------------------------------------------------ recommendation


def recommend(units: Sequence[Unit], destination: Destination, ctx: PackContext) -> CartonChoice:
    """The carton choice for these units, remembered per (units, destination)."""
    key = (tuple(sorted((u.sku, u.dims_mm, u.weight_g) for u in units)), destination)
    hit = ctx.memo.get(key)
    if hit is None:
        hit = choose_cartons(
            units,
            ctx.cartons,
            ctx.carriers,
            destination,
            dunnage_g=ctx.dunnage_g,
            upright=upright_matcher(ctx.this_way_up),
        )
        if len(ctx.memo) >= _MEMO_LIMIT:
            ctx.memo.clear()
        ctx.memo[key] = hit
    return hit


def _diagram(code: str, inner_mm: tuple[int, int, int], placements: Sequence[Any]) -> str:
    units = [
        DiagramUnit(str(p["sku"]), _triple(p["pos_mm"]), _triple(p["dims_mm"])) for p in placements
    ]
    return render_pack_diagram_svg(code, inner_mm, units)


def _triple(value: Any) -> tuple[int, int, int]:
    a, b, c = (int(v) for v in value)
    return (a, b, c)


def _recommendation_json(choice: CartonChoice) -> dict[str, Any]:
    body = choice.to_json()
    cartons: list[dict[str, Any]] = body["cartons"]  # type: ignore[assignment]
    for i, c in enumerate(cartons):
        c["index"] = i + 1
        c["diagram_svg"] = _diagram(c["code"], _triple(c["inner_mm"]), c["placements"])
    first = cartons[0] if cartons else None
    body.update(
        {
            "code": first["code"] if first else None,
            "name": first["name"] if first else None,
            "inner_mm": first["inner_mm"] if first else None,
            "label": choice.chosen.label if choice.chosen else None,
            "total_minor": choice.chosen.total_minor if choice.chosen else None,
        }
    )
    if first is None and not choice.unfit:
        body["why"] = msg("No catalog carton fits these units: call a supervisor.")
    return body


# ------------------------------------------------------------------------------ views


def _primary_barcode(s: Session, sku_code: str) -> str:
    sku = repo.sku_by_code(s, sku_code)
    return next((b.code for b in sku.barcodes), sku_code) if sku else sku_code


def _notices(lines: Sequence[PackLine]) -> list[dict[str, str]]:
    out = []
    for ln in lines:
        if ln.short:
            out.append(
                {
                    "kind": "missing",
                    "sku": ln.sku,
                    "message": msg(
                        "%(short)s × %(sku)s missing: short at picking, not in the "
                        "tote. The slip shows only what ships.",
                        short=ln.short,
                        sku=ln.sku,
                    ),
                }
            )
        if ln.cancelled_in_tote:
            out.append(
                {
                    "kind": "cancelled_units",
                    "sku": ln.sku,
                    "message": msg(
                        "%(cancelled_in_tote)s × %(sku)s cancelled: take them out of "
                        "the tote and put them on the put-back shelf.",
                        cancelled_in_tote=ln.cancelled_in_tote,
                        sku=ln.sku,
                    ),
                }
            )
    return out


def _view(s: Session, allocation: Allocation, ctx: PackContext) -> dict[str, Any]:
    lines = _pack_lines(s, allocation)
    loose = _loose(s, allocation)
    blocked = _blocked(allocation)
    remaining = _remaining_units(s, allocation) if blocked is None else []
    recommendation = None
    if remaining:
        recommendation = _recommendation_json(recommend(remaining, _destination(allocation), ctx))
    cartons = s.scalars(
        select(Carton).where(Carton.allocation_pk == allocation.id).order_by(Carton.id)
    ).all()
    photo_counts = dict(
        s.execute(
            select(PackPhoto.carton_id, func.count(PackPhoto.id))
            .where(PackPhoto.allocation_pk == allocation.id)
            .group_by(PackPhoto.carton_id)
        ).all()
    )
    tote = s.scalars(select(Tote).where(Tote.allocation_pk == allocation.id)).first()
    names = {
        sku.sku: sku.name
        for sku in s.scalars(select(Sku).where(Sku.sku.in_([ln.sku for ln in lines])))
    }
    by_pk = {ln.id: ln for ln in allocation.lines}
    return {
        "allocation_id": allocation.allocation_id,
        "order_number": allocation.order_number,
        "status": allocation.status,
        "blocked": blocked,
        "tote": tote.code if tote else None,
        "service_level": allocation.service_level,
        "ship_to_country": (allocation.ship_to or {}).get("country"),
        "lines": [
            {
                "line_pk": ln.line_pk,
                "sku": ln.sku,
                "name": names.get(ln.sku, ln.sku),
                "barcode": _primary_barcode(s, ln.sku),
                "ordered": ln.ordered,
                "picked": ln.picked,
                "verified": ln.verified,
                "packed": by_pk[ln.line_pk].packed,
                "short": ln.short,
                "cancelled": by_pk[ln.line_pk].cancelled,
                "cancelled_in_tote": ln.cancelled_in_tote,
            }
            for ln in lines
        ],
        "notices": _notices(lines),
        "all_verified": all_verified(lines),
        "loose_units": len(loose),
        "recommendation": recommendation,
        "override_reasons": [r.to_json() for r in OVERRIDE_REASONS],
        "cartons": [
            {
                "code": c.code,
                "carton_type": c.carton_type,
                "status": c.status,
                "expected_weight_g": c.expected_weight_g,
                "units": sum(cl.qty for cl in c.lines),
                "photos": int(photo_counts.get(c.id, 0)),
                "label_url": f"/pack/carton/{c.code}/contents.pdf",
                "diagram_url": f"/pack/carton/{c.code}/diagram.svg",
            }
            for c in cartons
        ],
        "photos_waiting": int(photo_counts.get(None, 0)),
        "gift_message": allocation.notes,
        "slip_url": f"/pack/slip/{allocation.allocation_id}.pdf",
        "history_url": f"/pack/history/{allocation.allocation_id}",
        "practice": allocation.practice,
    }


def _tote_view(s: Session, code: str, allocations: Sequence[Allocation]) -> dict[str, Any]:
    orders = []
    for i, a in enumerate(allocations):
        lines = _pack_lines(s, a)
        orders.append(
            {
                "slot": slot_name(i),
                "allocation_id": a.allocation_id,
                "order_number": a.order_number,
                "status": a.status,
                "blocked": _blocked(a),
                "units": sum(ln.picked for ln in lines),
                "verified": sum(min(ln.verified, ln.picked) for ln in lines),
                "all_verified": all_verified(lines),
            }
        )
    return {"code": code, "orders": orders, "multi": len(orders) > 1}


def open_order(code: str, uow: SessionFactory, ctx: PackContext) -> dict[str, Any]:
    with uow() as tx:
        allocation = _allocation_for(tx.session, code.strip())
        return _view(tx.session, allocation, ctx)


def open_code(code: str, uow: SessionFactory, ctx: PackContext) -> dict[str, Any]:
    """A tote, allocation id or order number: `{order, tote}`. A tote holding several orders
    gives its sorting view (`tote.multi`) and the first order that may be packed (or None)."""
    code = code.strip()
    with uow() as tx:
        s = tx.session
        parsed = parse_scan(code)
        if parsed.kind is ScanKind.TOTE:
            found = _tote_allocations(s, parsed.value)
            if len(found) > 1:
                packable = next((a for a in found if _blocked(a) is None), None)
                return {
                    "order": _view(s, packable, ctx) if packable else None,
                    "tote": _tote_view(s, parsed.value, found),
                }
        allocation = _allocation_for(s, code)
        return {"order": _view(s, allocation, ctx), "tote": None}


# ------------------------------------------------------------------------------ scanning


def _scan_result(blocked: dict[str, str]) -> ScanReply:
    return ScanReply(False, blocked["kind"], blocked["message"])


def scan_unit(
    allocation_id: str,
    raw: str,
    packer: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: PackContext,
    client_scan_id: str | None = None,
    device: str | None = None,
    tote: str | None = None,
) -> ScanReply:
    """One unit scanned for an order, or (with `tote` and no allocation id) for whichever order
    of a multi-order tote needs it."""
    if not allocation_id and tote:
        return _scan_tote_unit(tote, raw, packer, uow, clock, ctx, client_scan_id, device)
    now = clock()
    with uow() as tx:
        s = tx.session
        prev = repo.previous_scan(s, client_scan_id)
        allocation = repo.allocation_by_external_id(s, allocation_id, lock=True)
        if allocation is None:
            raise NotFound(
                msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
            )
        if prev is not None:
            answer = replay(prev)
            answer.data["order"] = _view(s, allocation, ctx)
            return answer
        parsed = parse_scan(raw)
        blocked = _blocked(allocation)
        if blocked is not None:
            reply = _scan_result(blocked)
        else:
            verdict = verify_unit(_pack_lines(s, allocation), parsed)
            reply = ScanReply(
                verdict.outcome is PackOutcome.UNIT_OK, verdict.outcome.value, verdict.message
            )
            if verdict.line_pk is not None:
                _verified(s, allocation, verdict.line_pk, now)
        log_scan(
            s,
            station=practice_stock.scan_station(allocation, "pack"),
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


def _verified(s: Session, allocation: Allocation, line_pk: int, now: datetime) -> None:
    s.add(PackUnit(allocation_pk=allocation.id, line_pk=line_pk, at=now))
    if allocation.status == AllocationStatus.PICKED.value:
        allocation.status = AllocationStatus.PACKING.value
    s.flush()


def _scan_tote_unit(
    tote: str,
    raw: str,
    packer: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: PackContext,
    client_scan_id: str | None,
    device: str | None,
) -> ScanReply:
    now = clock()
    code = tote.strip().upper()
    with uow() as tx:
        s = tx.session
        found = _tote_allocations(s, code)
        if not found:
            raise NotFound(
                msg("Tote %(code)s is empty: no order is waiting in it.", code=code), "tote"
            )
        for a in found:  # lock them in a fixed order: two stations sorting one tote
            repo.allocation_by_external_id(s, a.allocation_id, lock=True)
        by_id = {a.allocation_id: a for a in found}
        prev = repo.previous_scan(s, client_scan_id)
        if prev is not None:
            answer = replay(prev)
            matched = next((a for a in found if a.id == prev.allocation_pk), None)
            answer.data["order"] = _view(s, matched, ctx) if matched else None
            answer.data["tote"] = _tote_view(s, code, found)
            return answer
        parsed = parse_scan(raw)
        open_orders = [
            ToteOrder(a.allocation_id, slot_name(i), tuple(_pack_lines(s, a)))
            for i, a in enumerate(found)
            if _blocked(a) is None
        ]
        sorted_to = sort_unit(open_orders, parsed)
        verdict = sorted_to.verdict
        matched = by_id.get(sorted_to.order_key or "")
        if verdict.outcome is PackOutcome.WRONG_ITEM:
            blocked_owner = _blocked_owner(s, found, parsed)
            if blocked_owner is not None:
                i, a = blocked_owner
                blocked = _blocked(a) or {}
                verdict_reply = ScanReply(
                    False,
                    blocked.get("kind", "blocked"),
                    msg(
                        "Slot %(value)s: %(value2)s",
                        value=slot_name(i),
                        value2=blocked.get("message", ""),
                    ),
                )
                matched = a
            else:
                verdict_reply = ScanReply(False, verdict.outcome.value, verdict.message)
        else:
            verdict_reply = ScanReply(
                verdict.outcome is PackOutcome.UNIT_OK, verdict.outcome.value, verdict.message
            )
        if verdict.line_pk is not None and matched is not None:
            _verified(s, matched, verdict.line_pk, now)
        if sorted_to.slot:
            verdict_reply.data["slot"] = sorted_to.slot
        log_scan(
            s,
            station=practice_stock.scan_station(matched, "pack"),
            raw=raw,
            reply=verdict_reply,
            now=now,
            client_scan_id=client_scan_id,
            device=device,
            actor=packer,
            parsed=parsed.to_json(),
            allocation_pk=matched.id if matched else None,
        )
        verdict_reply.data["order"] = _view(s, matched, ctx) if matched else None
        verdict_reply.data["tote"] = _tote_view(s, code, found)
        tx.commit()
        return verdict_reply


def _blocked_owner(
    s: Session, found: Sequence[Allocation], parsed: Any
) -> tuple[int, Allocation] | None:
    """A unit that belongs to a held or cancelled order of the tote."""
    for i, a in enumerate(found):
        if _blocked(a) is None:
            continue
        lines = _pack_lines(s, a)
        if any(parsed.value in ln.codes or parsed.raw in ln.codes for ln in lines):
            return i, a
    return None


# ------------------------------------------------------------------------------ closing


def _carton_type(ctx: PackContext, carton_code: str) -> CartonType:
    code = carton_code.strip().upper()
    carton_type = next((c for c in ctx.cartons if c.code == code), None)
    if carton_type is None:
        known = ", ".join(c.code for c in ctx.cartons)
        raise ServiceError(
            msg(
                "%(carton_code)s is not a carton type (%(known)s)",
                carton_code=repr(carton_code),
                known=known,
            ),
            "carton_type",
        )
    return carton_type


def _take_for_plan(
    s: Session, loose: Sequence[PackUnit], wanted: dict[str, int]
) -> list[PackUnit] | None:
    """The loose units making up exactly `wanted` (SKU -> count), or None."""
    left = dict(wanted)
    taken = []
    for pu in loose:
        line = repo.must_get(s, AllocationLine, pu.line_pk)
        if left.get(line.sku, 0) > 0:
            left[line.sku] -= 1
            taken.append(pu)
    return taken if not any(left.values()) else None


def _pack_into(
    units: Sequence[Unit], carton_type: CartonType, ctx: PackContext
) -> list[dict[str, Any]] | None:
    """Placements putting all `units` into one carton of this type, or None."""
    upright = upright_matcher(ctx.this_way_up)
    counts: dict[tuple[str, tuple[int, int, int], int], int] = {}
    for u in units:
        key = (u.sku, u.dims_mm, u.weight_g)
        counts[key] = counts.get(key, 0) + 1
    items = [
        Item(f"{sku}#{i}", dims, weight, n, keep_flat=upright(sku))
        for i, ((sku, dims, weight), n) in enumerate(counts.items())
    ]
    result = cartonize(items, [packing_carton(carton_type, ctx.dunnage_g)])
    if len(result.cartons) != 1 or result.unpacked:
        return None
    return [
        {"sku": p.item_id.rsplit("#", 1)[0], "pos_mm": list(p.pos), "dims_mm": list(p.dims)}
        for p in result.cartons[0].placements
    ]


def close_carton(
    allocation_id: str,
    carton_code: str,
    packer: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: PackContext,
    reason: str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The packer scans the carton type from the shelf; the verified units go into it.

    With a multi-carton recommendation, the carton of that type in the plan whose contents are
    all verified takes exactly those units; otherwise every verified unit goes in, if they fit.
    A type the recommendation does not name is an override, recorded with `reason` (the plain
    event may leave it out: it is then recorded as not given)."""
    now = clock()
    carton_type = _carton_type(ctx, carton_code)
    code = carton_type.code
    why_override = None
    if reason:
        try:
            why_override = override_reason(reason, note)
        except ValueError as exc:
            raise ServiceError(str(exc), "reason") from exc
    with uow() as tx:
        s = tx.session
        allocation = repo.allocation_by_external_id(s, allocation_id, lock=True)
        if allocation is None:
            raise NotFound(
                msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
            )
        _raise_blocked(allocation, "allocation_id")
        loose = _loose(s, allocation)
        if not loose:
            raise ServiceError(msg("scan the units before closing a carton"), "carton_type")
        destination = _destination(allocation)
        choice = recommend(_remaining_units(s, allocation), destination, ctx)
        planned = next(
            (
                c
                for c in choice.cartons
                if c.carton.code == code and _take_for_plan(s, loose, c.skus()) is not None
            ),
            None,
        )
        if planned is not None:
            taken = _take_for_plan(s, loose, planned.skus()) or []
            placements: list[dict[str, Any]] | None = [
                {"sku": p.item_id, "pos_mm": list(p.pos), "dims_mm": list(p.dims)}
                for p in planned.placements
            ]
        else:
            taken = loose
            placements = _pack_into(_units(s, taken), carton_type, ctx)
        units = _units(s, taken)
        if placements is None:
            raise ServiceError(
                msg(
                    "these %(n_units)s unit(s) do not fit %(name)s (%(code)s)",
                    n_units=len(units),
                    name=carton_type.name,
                    code=code,
                ),
                "carton_type",
            )
        recommended_codes = {c.carton.code for c in choice.cartons}
        overridden = code not in recommended_codes
        gross = expected_weight_g([u.weight_g for u in units], carton_type.tare_g, ctx.dunnage_g)
        rate = (
            planned.rate
            if planned is not None
            else rate_carton(ctx.carriers, destination, gross, carton_type.outer_mm)
        )
        number = repo.next_counter(s, "carton")
        carton = Carton(
            code=f"CT{number:06d}",
            allocation_pk=allocation.id,
            carton_type=code,
            status="packed",
            expected_weight_g=gross,
            length_mm=carton_type.outer_mm[0],
            width_mm=carton_type.outer_mm[1],
            height_mm=carton_type.outer_mm[2],
            packed_by=packer,
            packed_at=now,
        )
        s.add(carton)
        s.flush()
        per_line: dict[int, int] = {}
        for pu in taken:
            pu.carton_id = carton.id
            per_line[pu.line_pk] = per_line.get(pu.line_pk, 0) + 1
        for line_pk, qty in per_line.items():
            carton.lines.append(CartonLine(line_pk=line_pk, qty=qty))
            line = repo.must_get(s, AllocationLine, line_pk)
            line.packed += qty
        recommended_label = choice.chosen.label if choice.chosen else None
        s.add(
            CartonPlan(
                carton_id=carton.id,
                carton_type=code,
                recommended=recommended_label,
                placements=placements,
                carton_cost_minor=carton_type.cost_minor,
                rate_minor=rate.price_minor if rate else None,
                carrier=rate.carrier if rate else None,
                service=rate.service if rate else None,
                billable_g=rate.billable_g if rate else None,
                currency=rate.currency if rate else None,
                why=choice.why if not overridden else None,
                at=now,
            )
        )
        override = None
        if overridden:
            given = why_override or NOT_GIVEN
            chosen_total = carton_type.cost_minor + (rate.price_minor if rate else 0)
            planned_total = (
                choice.chosen.total_minor if choice.chosen and len(choice.cartons) == 1 else None
            )
            s.add(
                PackOverride(
                    allocation_pk=allocation.id,
                    carton_id=carton.id,
                    recommended=recommended_label or "none",
                    chosen=code,
                    reason_code=given.code,
                    note=(note or "").strip()[:400] or None,
                    recommended_total_minor=planned_total,
                    chosen_total_minor=chosen_total,
                    packer=packer,
                    at=now,
                )
            )
            override = {
                "recommended": recommended_label,
                "chosen": code,
                "reason": given.code,
                "reason_label": given.label,
                "extra_cost_minor": chosen_total - planned_total
                if planned_total is not None
                else None,
            }
        # Photos taken before the carton was closed are evidence of this carton.
        for photo in s.scalars(
            select(PackPhoto).where(
                PackPhoto.allocation_pk == allocation.id, PackPhoto.carton_id.is_(None)
            )
        ):
            photo.carton_id = carton.id
        s.flush()
        if all(ln.packed >= _to_pack(ln) for ln in allocation.lines):
            allocation.status = AllocationStatus.PACKED.value
            allocation.updated_at = now
            _release_tote(s, allocation)
            _report_packed(s, allocation, now)
        view = _view(s, allocation, ctx)
        view["carton"] = {
            "code": carton.code,
            "carton_type": code,
            "expected_weight_g": carton.expected_weight_g,
            "units": len(taken),
            "override": override,
            "label_url": f"/pack/carton/{carton.code}/contents.pdf",
            "diagram_url": f"/pack/carton/{carton.code}/diagram.svg",
            "slip_url": f"/pack/slip/{allocation.allocation_id}.pdf",
        }
        practice_stock.on_carton_closed(s, allocation, carton, now)
        tx.commit()
        return view


def _release_tote(s: Session, allocation: Allocation) -> None:
    """The tote goes back to the pickers once nothing in it waits to be packed; in a
    multi-order tote it points at the next order still in it."""
    tote = s.scalars(select(Tote).where(Tote.allocation_pk == allocation.id)).first()
    if tote is None:
        return
    rest = [a for a in _tote_allocations(s, tote.code) if a.id != allocation.id]
    tote.allocation_pk = rest[0].id if rest else None


def _report_packed(s: Session, allocation: Allocation, now: Any) -> None:
    cartons = s.scalars(
        select(Carton).where(Carton.allocation_pk == allocation.id, Carton.status != "voided")
    ).all()
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


# ------------------------------------------------------------------------------ documents


def packing_slip_pdf(allocation_id: str, uow: SessionFactory, ship_from: Address) -> bytes:
    with uow() as tx:
        s = tx.session
        a = repo.allocation_by_external_id(s, allocation_id)
        if a is None:
            raise NotFound(
                msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
            )
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
                PackingSlipLine(ln.sku, names.get(ln.sku, ln.sku), _slip_qty(ln))
                for ln in a.lines
                if _slip_qty(ln) > 0
            ),
            gift_message=a.notes,
        )
        # The customer reads the slip: in the ship-to country's language (de/at/ch: German,
        # nl/be: Dutch, pl: Polish, elsewhere English).
        language = language_for_country(to.get("country"))
        return render_packing_slip_pdf(slip, translator(language))


def _slip_qty(ln: AllocationLine) -> int:
    """What ships on this line: what is (or will be) packed once picking settled it (short
    and cancelled units left out), else the ordered quantity."""
    if ln.picked or ln.cancelled or ln.short:
        return max(ln.packed, _to_pack(ln))
    return ln.qty


def _carton_by_code(s: Session, code: str) -> Carton:
    carton = s.scalars(select(Carton).where(Carton.code == code.strip().upper())).first()
    if carton is None:
        raise NotFound(msg("no carton %(code)s", code=code), "carton")
    return carton


def carton_content_pdf(carton_code: str, uow: SessionFactory) -> bytes:
    """The carton content label: what is in this carton, for the outside of the box."""
    with uow() as tx:
        s = tx.session
        carton = _carton_by_code(s, carton_code)
        a = repo.must_get(s, Allocation, carton.allocation_pk)
        siblings = [
            c.id
            for c in s.scalars(
                select(Carton)
                .where(Carton.allocation_pk == a.id, Carton.status != "voided")
                .order_by(Carton.id)
            )
        ]
        lines = []
        for cl in carton.lines:
            ln = repo.must_get(s, AllocationLine, cl.line_pk)
            sku = s.get(Sku, ln.sku_id) if ln.sku_id else None
            lines.append(ContentLine(ln.sku, sku.name if sku else ln.sku, cl.qty))
        to = a.ship_to or {}
        contents = CartonContents(
            carton_code=carton.code,
            order_number=a.order_number,
            allocation_id=a.allocation_id,
            carton_index=siblings.index(carton.id) + 1 if carton.id in siblings else 1,
            carton_count=max(1, len(siblings)),
            carton_type=carton.carton_type,
            expected_weight_g=carton.expected_weight_g,
            lines=tuple(lines),
            ship_to_name=str(to.get("name") or ""),
            ship_to_place=", ".join(str(p) for p in (to.get("city"), to.get("country")) if p),
            packed_by=carton.packed_by or "",
            packed_at=carton.packed_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        return render_carton_content_pdf(contents)


def carton_diagram_svg(carton_code: str, uow: SessionFactory, ctx: PackContext) -> str:
    """The placement diagram of a closed carton, from the placements stored at closing."""
    with uow() as tx:
        s = tx.session
        carton = _carton_by_code(s, carton_code)
        plan = s.scalars(select(CartonPlan).where(CartonPlan.carton_id == carton.id)).first()
        if plan is None:
            raise NotFound(
                msg("carton %(code)s has no stored placements", code=carton.code), "carton"
            )
        carton_type = next((c for c in ctx.cartons if c.code == carton.carton_type), None)
        inner = (
            carton_type.inner_mm
            if carton_type
            else (carton.length_mm, carton.width_mm, carton.height_mm)
        )
        return _diagram(carton.code, inner, plan.placements)


# ------------------------------------------------------------------------------ history


def order_history(allocation_id: str, uow: SessionFactory) -> dict[str, Any]:
    """What happened to an order at the pack station and after, oldest first: scans, cartons
    (with their weighing and shipping), overrides and photos."""
    with uow() as tx:
        s = tx.session
        a = repo.allocation_by_external_id(s, allocation_id)
        if a is None:
            raise NotFound(
                msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
            )
        events: list[dict[str, Any]] = []
        for log in s.scalars(
            select(ScanLog)
            .where(ScanLog.allocation_pk == a.id, ScanLog.station.in_(["pack", "practice_pack"]))
            .order_by(ScanLog.id)
        ):
            events.append(
                {
                    "at": log.at,
                    "kind": "scan",
                    "ok": log.result.endswith("_ok"),
                    "result": log.result,
                    "text": f"{log.raw} → {log.detail or log.result}",
                    "by": log.actor,
                    "device": log.device,
                }
            )
        cartons = s.scalars(
            select(Carton).where(Carton.allocation_pk == a.id).order_by(Carton.id)
        ).all()
        code_of = {c.id: c.code for c in cartons}
        for c in cartons:
            units = sum(cl.qty for cl in c.lines)
            events.append(
                {
                    "at": c.packed_at,
                    "kind": "carton",
                    "ok": True,
                    "carton": c.code,
                    "text": msg(
                        "Carton %(code)s (%(carton_type)s) closed with %(units)s "
                        "unit(s), expected %(expected_weight_g)s g",
                        code=c.code,
                        carton_type=c.carton_type,
                        units=units,
                        expected_weight_g=c.expected_weight_g,
                    ),
                    "by": c.packed_by,
                    "diagram_url": f"/pack/carton/{c.code}/diagram.svg",
                    "label_url": f"/pack/carton/{c.code}/contents.pdf",
                }
            )
            if c.weighed_at is not None:
                events.append(
                    {
                        "at": c.weighed_at,
                        "kind": "weighed",
                        "ok": True,
                        "carton": c.code,
                        "text": msg(
                            "Carton %(code)s weighed %(weight_g)s g",
                            code=c.code,
                            weight_g=c.weight_g,
                        ),
                    }
                )
            if c.shipped_at is not None:
                events.append(
                    {
                        "at": c.shipped_at,
                        "kind": "shipped",
                        "ok": True,
                        "carton": c.code,
                        "text": msg(
                            "Carton %(code)s shipped: %(carrier)s %(tracking_number)s",
                            code=c.code,
                            carrier=c.carrier,
                            tracking_number=c.tracking_number,
                        ),
                    }
                )
            if c.status == "voided":
                events.append(
                    {
                        "at": a.updated_at,
                        "kind": "voided",
                        "ok": False,
                        "carton": c.code,
                        "text": msg(
                            "Carton %(code)s voided (cancel): its units were unpacked", code=c.code
                        ),
                    }
                )
        for o in s.scalars(
            select(PackOverride).where(PackOverride.allocation_pk == a.id).order_by(PackOverride.id)
        ):
            label = next(
                (r.label for r in (*OVERRIDE_REASONS, NOT_GIVEN) if r.code == o.reason_code),
                o.reason_code,
            )
            events.append(
                {
                    "at": o.at,
                    "kind": "override",
                    "ok": False,
                    "carton": code_of.get(o.carton_id or -1),
                    "text": f"{o.chosen} instead of the recommended {o.recommended}: {label}"
                    + (f" ({o.note})" if o.note else ""),
                    "by": o.packer,
                }
            )
        photos = []
        for p in s.scalars(
            select(PackPhoto).where(PackPhoto.allocation_pk == a.id).order_by(PackPhoto.id)
        ):
            photo = {
                "id": p.id,
                "url": photo_url(p.id),
                "carton": code_of.get(p.carton_id or -1),
                "sha256": p.sha256,
                "source": p.source,
                "camera": p.camera,
                "codes_seen": p.codes_seen or [],
                "width_px": p.width_px,
                "height_px": p.height_px,
                "taken_by": p.taken_by,
                "taken_at": p.taken_at.isoformat(),
            }
            photos.append(photo)
            events.append(
                {
                    "at": p.taken_at,
                    "kind": "photo",
                    "ok": True,
                    "carton": photo["carton"],
                    "text": msg(
                        "Photo of carton %(value)s (%(source)s%(value2)s)",
                        value=photo["carton"] or msg("(not closed yet)"),
                        source=p.source,
                        value2=", " + p.camera if p.camera else "",
                    ),
                    "by": p.taken_by,
                    "photo_url": photo["url"],
                }
            )
        events.sort(key=lambda e: (e["at"], e["kind"] != "scan"))
        for e in events:
            e["at"] = e["at"].isoformat()
        return {
            "allocation_id": a.allocation_id,
            "order_number": a.order_number,
            "status": a.status,
            "cartons": [
                {"code": c.code, "carton_type": c.carton_type, "status": c.status} for c in cartons
            ],
            "photos": photos,
            "events": events,
        }


def photo_url(photo_id: int) -> str:
    return f"/pack/photos/{photo_id}.jpg"
