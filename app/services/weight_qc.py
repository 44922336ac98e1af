"""QC exceptions at the weigh station, their audit trail, and learned item weights.

A carton out of tolerance opens an exception; it closes by a re-weigh within tolerance (the
contents were fixed: "repacked", or the first weighing was a slip: "reweighed"), by a clean
re-verify by scan ("reverified": every unit scanned, none missing, extra or wrong), or by a
supervisor's override with a reason ("overridden"). Every step is a `weigh_audit` row.

Single-SKU cartons whose final weight is trustworthy become `weight_observations`; when they
consistently disagree with the master data, a `weight_proposals` row waits for a supervisor.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, AllocationLine, Carton, Sku, User
from app.adapters.db.models_weigh import (
    WeighAudit,
    WeighException,
    WeightObservation,
    WeightProposal,
)
from app.adapters.db.uow import SessionFactory
from app.domain.text import join, msg
from app.domain.weighing import (
    OverrideReason,
    OverrideRefused,
    TolerancePolicy,
    VerifyResult,
    WeightVerdict,
    check_override,
    reverify_step,
)
from app.domain.weight_learning import (
    LearningOutcome,
    LearningRule,
    WeightSample,
    evaluate,
    implied_unit_mg,
)
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.replies import ScanReply, log_scan

SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})


class Forbidden(ServiceError):
    code = "forbidden"
    http_status = 403


@dataclass(frozen=True)
class WeighContext:
    """What the weigh services need besides the database and the clock."""

    policy: TolerancePolicy
    learning: LearningRule = field(default_factory=LearningRule)
    reasons: tuple[OverrideReason, ...] = ()
    override_roles: frozenset[str] = SUPERVISOR_ROLES


# --- small helpers shared with app.services.weighing ----------------------------------------


def role_of(s: Session, badge: str) -> str:
    user = s.scalars(select(User).where(User.badge == badge)).first()
    return user.role if user is not None else ""


def require_role(s: Session, badge: str, roles: frozenset[str], what: str) -> None:
    if role_of(s, badge) not in roles:
        raise Forbidden(
            msg("%(what)s needs a supervisor: ask one to scan their badge here.", what=what),
            "badge",
        )


def audit(
    s: Session,
    action: str,
    *,
    actor: str | None,
    station: str | None,
    now: datetime,
    carton: Carton | None = None,
    exception: WeighException | None = None,
    sku_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    s.add(
        WeighAudit(
            at=now,
            actor=actor,
            station=station,
            action=action,
            carton_id=carton.id if carton is not None else None,
            exception_id=exception.id if exception is not None else None,
            sku_id=sku_id,
            detail=detail,
        )
    )


@dataclass(frozen=True)
class ContentLine:
    sku: str
    sku_id: int | None
    name: str
    qty: int
    unit_weight_g: int | None
    barcode: str | None


def contents(s: Session, carton: Carton) -> list[ContentLine]:
    """What the carton should hold, one row per SKU."""
    by_sku: dict[str, ContentLine] = {}
    for cl in carton.lines:
        line = repo.must_get(s, AllocationLine, cl.line_pk)
        sku = s.get(Sku, line.sku_id) if line.sku_id else repo.sku_by_code(s, line.sku)
        prior = by_sku.get(line.sku)
        qty = cl.qty + (prior.qty if prior else 0)
        barcode = sku.barcodes[0].code if sku is not None and sku.barcodes else None
        by_sku[line.sku] = ContentLine(
            line.sku,
            sku.id if sku is not None else None,
            sku.name if sku is not None else line.sku,
            qty,
            sku.weight_g if sku is not None else None,
            barcode,
        )
    return list(by_sku.values())


def open_exception(s: Session, carton: Carton) -> WeighException | None:
    exc: WeighException | None = s.scalars(
        select(WeighException)
        .where(WeighException.carton_id == carton.id, WeighException.status == "open")
        .order_by(WeighException.id.desc())
    ).first()
    return exc


def exception_json(exc: WeighException | None) -> dict[str, Any] | None:
    if exc is None:
        return None
    return {
        "id": exc.id,
        "status": exc.status,
        "station": exc.station,
        "expected_g": exc.expected_g,
        "measured_g": exc.measured_g,
        "allowed_g": exc.allowed_g,
        "weighings": exc.weighings,
        "opened_by": exc.opened_by,
        "opened_at": exc.opened_at.isoformat() if exc.opened_at else None,
        "stage": exc.stage,
        "verify_scans": exc.verify_scans or {},
        "verify_problem": exc.verify_problem,
        "resolution": exc.resolution,
        "resolved_by": exc.resolved_by,
        "reason": exc.reason,
        "note": exc.note,
        "options": ["reverify", "repack", "override"] if exc.status == "open" else [],
    }


# --- called inside app.services.weighing.record_weight's unit of work ---------------------


def weight_failed(
    s: Session,
    carton: Carton,
    verdict: WeightVerdict,
    *,
    station: str,
    actor: str,
    now: datetime,
) -> WeighException:
    """An out-of-tolerance weight: open the carton's exception, or add to the open one."""
    exc = open_exception(s, carton)
    if exc is None:
        exc = WeighException(
            carton_id=carton.id,
            station=station,
            status="open",
            expected_g=verdict.expected_g,
            measured_g=verdict.measured_g,
            allowed_g=verdict.allowed_g,
            weighings=1,
            opened_by=actor,
            opened_at=now,
        )
        s.add(exc)
        s.flush()
        action = "exception_opened"
    else:
        exc.measured_g = verdict.measured_g
        exc.allowed_g = verdict.allowed_g
        exc.expected_g = verdict.expected_g
        exc.weighings += 1
        action = "reweighed_out_of_tolerance"
    audit(
        s,
        action,
        actor=actor,
        station=station,
        now=now,
        carton=carton,
        exception=exc,
        detail={
            "expected_g": verdict.expected_g,
            "measured_g": verdict.measured_g,
            "allowed_g": verdict.allowed_g,
        },
    )
    return exc


def weight_passed(
    s: Session, carton: Carton, *, station: str, actor: str, now: datetime
) -> WeighException | None:
    """A weight within tolerance closes the carton's open exception, if it has one."""
    exc = open_exception(s, carton)
    if exc is None:
        return None
    fixed = exc.stage == "repack" or bool(exc.verify_problem)
    _resolve(exc, "repacked" if fixed else "reweighed", actor, now)
    audit(
        s,
        "exception_resolved",
        actor=actor,
        station=station,
        now=now,
        carton=carton,
        exception=exc,
        detail={"resolution": exc.resolution, "measured_g": carton.weight_g},
    )
    return exc


def _resolve(exc: WeighException, resolution: str, actor: str, now: datetime) -> None:
    exc.status = "resolved"
    exc.resolution = resolution
    exc.resolved_by = actor
    exc.resolved_at = now


def observe(
    s: Session, carton: Carton, measured_g: int, rule: LearningRule, now: datetime
) -> WeightProposal | None:
    """Record a single-SKU carton's accepted weight; propose a new unit weight when the
    newest observations agree with each other and not with the master data."""
    lines = contents(s, carton)
    sku_id = lines[0].sku_id if len(lines) == 1 else None
    if sku_id is None:
        return None
    line = lines[0]
    sku = repo.must_get(s, Sku, sku_id)
    packaging_g = carton.expected_weight_g - line.qty * sku.weight_g
    unit_mg = implied_unit_mg(measured_g, packaging_g, line.qty)
    seen = s.scalars(select(WeightObservation).where(WeightObservation.carton_id == carton.id))
    obs = seen.first()
    if obs is None:
        obs = WeightObservation(sku_id=sku.id, carton_id=carton.id)
        s.add(obs)
    obs.qty, obs.measured_g, obs.packaging_g = line.qty, measured_g, packaging_g
    obs.unit_mg, obs.master_g, obs.at = unit_mg, sku.weight_g, now
    s.flush()
    newest = s.execute(
        select(Carton.code, WeightObservation.unit_mg)
        .join(Carton, Carton.id == WeightObservation.carton_id)
        .where(WeightObservation.sku_id == sku.id, WeightObservation.master_g == sku.weight_g)
        .order_by(WeightObservation.at.desc(), WeightObservation.id.desc())
        .limit(rule.min_cartons)
    ).all()
    verdict = evaluate(sku.weight_g, [WeightSample(c, mg) for c, mg in newest], rule)
    if verdict.outcome is not LearningOutcome.PROPOSE or verdict.proposal is None:
        return None
    found = verdict.proposal
    pending = s.scalars(
        select(WeightProposal).where(
            WeightProposal.sku_id == sku.id, WeightProposal.status == "pending"
        )
    ).first()
    if pending is not None and pending.proposed_g == found.proposed_g:
        return None
    if pending is None:
        pending = WeightProposal(sku_id=sku.id, status="pending", created_at=now)
        s.add(pending)
    pending.master_g, pending.proposed_g = found.master_g, found.proposed_g
    pending.cartons, pending.spread_mg = list(found.cartons), found.spread_mg
    s.flush()
    audit(
        s,
        "weight_proposed",
        actor=None,
        station=None,
        now=now,
        sku_id=sku.id,
        detail={
            "proposal_id": pending.id,
            "master_g": found.master_g,
            "proposed_g": found.proposed_g,
            "cartons": list(found.cartons),
            "summary": found.describe(sku.sku),
        },
    )
    return pending


# --- the QC exception's use cases ------------------------------------------------------------


def _exception_for(s: Session, code: str, lock: bool = True) -> tuple[Carton, WeighException]:
    from app.services.weighing import _carton, _check_not_held

    carton = _carton(s, code.strip(), lock=lock)
    _check_not_held(s, carton)
    exc = open_exception(s, carton)
    if exc is None:
        raise Conflict(
            msg("Carton %(code)s has no open weight exception.", code=carton.code), "carton"
        )
    return carton, exc


def _release(s: Session, carton: Carton, exc: WeighException, now: datetime) -> None:
    """The label may now be printed, at the weight the scale measured."""
    carton.weight_g = exc.measured_g
    carton.status = "weighed"
    carton.weighed_at = now


def _view(s: Session, carton: Carton, ctx: WeighContext) -> dict[str, Any]:
    from app.services.weighing import weigh_view

    return weigh_view(s, carton, ctx)


def start_reverify(
    code: str, actor: str, station: str, uow: SessionFactory, clock: Clock, ctx: WeighContext
) -> dict[str, Any]:
    """The weigher takes every unit out and scans it; scans then go to `reverify_scan`."""
    now = clock()
    with uow() as tx:
        s = tx.session
        carton, exc = _exception_for(s, code)
        exc.stage = "reverify"
        exc.verify_scans = {}
        exc.verify_problem = None
        audit(
            s,
            "reverify_started",
            actor=actor,
            station=station,
            now=now,
            carton=carton,
            exception=exc,
        )
        view = _view(s, carton, ctx)
        tx.commit()
        return view


def reverify_scan(
    code: str,
    scanned: str,
    actor: str,
    station: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: WeighContext,
) -> ScanReply:
    now = clock()
    with uow() as tx:
        s = tx.session
        carton, exc = _exception_for(s, code)
        if exc.stage != "reverify":
            exc.stage = "reverify"
            exc.verify_scans = {}
        packed = {c.sku: c.qty for c in contents(s, carton)}
        sku = repo.sku_for_code(s, scanned.strip())
        so_far = {str(k): int(v) for k, v in (exc.verify_scans or {}).items()}
        step = reverify_step(packed, so_far, sku.sku if sku is not None else None, scanned)
        exc.verify_scans = step.scanned
        if step.problem:
            exc.verify_problem = step.message[:200]
        released = step.result is VerifyResult.COMPLETE and not exc.verify_problem
        message = step.message
        if released:
            _release(s, carton, exc, now)
            _resolve(exc, "reverified", actor, now)
            observe(s, carton, exc.measured_g, ctx.learning, now)
            message = join(
                [
                    message,
                    msg(
                        "Released at the measured %(measured_g)s g: print its label.",
                        measured_g=exc.measured_g,
                    ),
                ]
            )
        elif step.result is VerifyResult.COMPLETE:
            message = msg(
                "Every unit is there now, but the carton had a problem "
                "(%(verify_problem)s). Put it back on the scale to weigh it "
                "again.",
                verify_problem=exc.verify_problem,
            )
        ok = not step.problem
        reply = ScanReply(
            ok,
            step.result.value if not released else "reverified",
            message,
            {"qc_changed": released},
        )
        audit(
            s,
            "reverify_scan",
            actor=actor,
            station=station,
            now=now,
            carton=carton,
            exception=exc,
            sku_id=sku.id if sku is not None else None,
            detail={"code": scanned[:64], "result": step.result.value},
        )
        if released:
            audit(
                s,
                "exception_resolved",
                actor=actor,
                station=station,
                now=now,
                carton=carton,
                exception=exc,
                detail={"resolution": "reverified", "measured_g": exc.measured_g},
            )
        log_scan(
            s,
            station="weigh",
            raw=f"{carton.code} verify {scanned}"[:400],
            reply=reply,
            now=now,
            actor=actor,
            allocation_pk=carton.allocation_pk,
        )
        reply.data["carton"] = _view(s, carton, ctx)
        tx.commit()
        return reply


def start_repack(
    code: str, actor: str, station: str, uow: SessionFactory, clock: Clock, ctx: WeighContext
) -> dict[str, Any]:
    """The weigher fixes the contents to match the packing list, then weighs again."""
    now = clock()
    with uow() as tx:
        s = tx.session
        carton, exc = _exception_for(s, code)
        exc.stage = "repack"
        audit(
            s, "repack_started", actor=actor, station=station, now=now, carton=carton, exception=exc
        )
        view = _view(s, carton, ctx)
        tx.commit()
        return view


def override(
    code: str,
    reason_code: str,
    note: str,
    actor: str,
    station: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: WeighContext,
) -> dict[str, Any]:
    """A supervisor releases the carton at its measured weight, giving a reason."""
    now = clock()
    with uow() as tx:
        s = tx.session
        require_role(s, actor, ctx.override_roles, "Overriding a weight check")
        carton, exc = _exception_for(s, code)
        try:
            reason = check_override(ctx.reasons, reason_code.strip(), note)
        except OverrideRefused as refused:
            raise ServiceError(refused.message, refused.field) from None
        _release(s, carton, exc, now)
        _resolve(exc, "overridden", actor, now)
        exc.reason = reason.code
        exc.note = note.strip()[:400] or None
        audit(
            s,
            "override",
            actor=actor,
            station=station,
            now=now,
            carton=carton,
            exception=exc,
            detail={
                "reason": reason.code,
                "label": reason.label,
                "note": exc.note,
                "expected_g": exc.expected_g,
                "measured_g": exc.measured_g,
                "allowed_g": exc.allowed_g,
            },
        )
        if reason.learn:
            observe(s, carton, exc.measured_g, ctx.learning, now)
        view = _view(s, carton, ctx)
        tx.commit()
        return view


def open_exceptions(uow: SessionFactory, limit: int = 50) -> list[dict[str, Any]]:
    with uow() as tx:
        s = tx.session
        rows = s.execute(
            select(WeighException, Carton.code, Carton.carton_type, Allocation.order_number)
            .join(Carton, Carton.id == WeighException.carton_id)
            .join(Allocation, Allocation.id == Carton.allocation_pk)
            .where(WeighException.status == "open", Carton.status.in_(["packed", "weighed"]))
            .order_by(WeighException.opened_at, WeighException.id)
            .limit(limit)
        ).all()
        out = []
        for exc, code, carton_type, order_number in rows:
            item = exception_json(exc) or {}
            item.update(carton=code, carton_type=carton_type, order_number=order_number)
            out.append(item)
        return out


def pending_proposals(uow: SessionFactory, limit: int = 50) -> list[dict[str, Any]]:
    with uow() as tx:
        rows = tx.session.execute(
            select(WeightProposal, Sku.sku, Sku.name, Sku.weight_g)
            .join(Sku, Sku.id == WeightProposal.sku_id)
            .where(WeightProposal.status == "pending")
            .order_by(WeightProposal.created_at, WeightProposal.id)
            .limit(limit)
        ).all()
        return [_proposal_json(p, sku, name, current) for p, sku, name, current in rows]


def _proposal_json(p: WeightProposal, sku: str, name: str, current_g: int) -> dict[str, Any]:
    return {
        "id": p.id,
        "sku": sku,
        "name": name,
        "status": p.status,
        "master_g": p.master_g,
        "current_g": current_g,
        "proposed_g": p.proposed_g,
        "difference_g": p.proposed_g - p.master_g,
        "cartons": list(p.cartons),
        "spread_mg": p.spread_mg,
        "created_at": p.created_at.isoformat() if p.created_at else None,
        "decided_by": p.decided_by,
        "note": p.note,
    }


def decide_proposal(
    proposal_id: int,
    approve: bool,
    note: str,
    actor: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: WeighContext,
) -> dict[str, Any]:
    """A supervisor accepts a learned weight (the master data changes) or rejects it."""
    now = clock()
    with uow() as tx:
        s = tx.session
        require_role(s, actor, ctx.override_roles, "Changing an item weight")
        proposal = s.get(WeightProposal, proposal_id, with_for_update=True)
        if proposal is None:
            raise NotFound(
                msg("No weight proposal %(proposal_id)s.", proposal_id=proposal_id), "proposal_id"
            )
        if proposal.status != "pending":
            raise Conflict(
                msg(
                    "That proposal was already %(status)s by %(decided_by)s.",
                    status=proposal.status,
                    decided_by=proposal.decided_by,
                ),
                "proposal_id",
            )
        sku = repo.must_get(s, Sku, proposal.sku_id)
        if approve and sku.weight_g != proposal.master_g:
            raise Conflict(
                msg(
                    "%(sku)s's weight changed to %(weight_g)s g since this was "
                    "proposed: reject it and let the scale learn again.",
                    sku=sku.sku,
                    weight_g=sku.weight_g,
                ),
                "proposal_id",
            )
        proposal.status = "approved" if approve else "rejected"
        proposal.decided_by, proposal.decided_at = actor, now
        proposal.note = note.strip()[:400] or None
        if approve:
            sku.weight_g = proposal.proposed_g
        audit(
            s,
            "weight_approved" if approve else "weight_rejected",
            actor=actor,
            station=None,
            now=now,
            sku_id=sku.id,
            detail={
                "proposal_id": proposal.id,
                "master_g": proposal.master_g,
                "proposed_g": proposal.proposed_g,
                "note": proposal.note,
            },
        )
        view = _proposal_json(proposal, sku.sku, sku.name, sku.weight_g)
        tx.commit()
        return view


def log_scale_command(
    action: str,
    actor: str,
    station: str,
    detail: dict[str, Any],
    uow: SessionFactory,
    clock: Clock,
) -> None:
    """Zero and tare change every later weight at the station: they are audited too."""
    with uow() as tx:
        audit(tx.session, action, actor=actor, station=station, now=clock(), detail=detail)
        tx.commit()


def audit_trail(
    uow: SessionFactory, *, carton_code: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    with uow() as tx:
        stmt = select(WeighAudit).order_by(WeighAudit.id.desc()).limit(limit)
        if carton_code:
            stmt = stmt.join(Carton, Carton.id == WeighAudit.carton_id).where(
                Carton.code == carton_code
            )
        rows: Sequence[WeighAudit] = tx.session.scalars(stmt).all()
        return [
            {
                "at": a.at.isoformat(),
                "actor": a.actor,
                "station": a.station,
                "action": a.action,
                "detail": a.detail,
            }
            for a in rows
        ]


def qc_overview(actor: str, uow: SessionFactory, ctx: WeighContext) -> dict[str, Any]:
    """What waits for a supervisor: open weight exceptions and learned weights to decide."""
    with uow() as tx:
        require_role(tx.session, actor, ctx.override_roles, "The QC list")
    return {"exceptions": open_exceptions(uow), "proposals": pending_proposals(uow)}
