"""The returns station: receive a parcel, grade each unit with photos, restock it at once,
and report the return upstream for the refund.

One unit of work per action. Stock moves through the ledger in the same transaction as the
unit's new state: a resellable unit is sellable again the moment its bin scan commits
(`inventory.changed` goes out with it), a damaged unit sits in quarantine as blocked stock
(on hand and allocated to the quarantine, so never available), a disposed unit is recorded
only. `return.received` is written when the receipt is closed.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.engine import normalise_url
from app.adapters.db.models import (
    Allocation,
    Carton,
    Location,
    ReturnAuthorization,
    Sku,
    Stock,
    User,
)
from app.adapters.db.models_returns import (
    ReturnLabelRecord,
    ReturnPhoto,
    ReturnReceipt,
    ReturnUnit,
)
from app.adapters.db.uow import SessionFactory
from app.domain import returns as rules
from app.domain.carriers import LabelRequest, PostalAddress
from app.domain.returns import (
    MAX_PHOTO_BYTES,
    MIN_PHOTO_BYTES,
    AuthorizedLine,
    Bin,
    BinCapacity,
    CloseProblem,
    Command,
    Grade,
    OrderLine,
    ReceiptStatus,
    UnitFlag,
    UnitStatus,
)
from app.domain.scanning import ScanKind, check_failed_message, parse_scan
from app.domain.text import msg
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.replies import ScanReply, log_scan
from app.services.shipping import ShipContext
from labels import Address, ReturnLabel, render_return_label_pdf, render_return_label_zpl

STATION = "returns"
RMA_AUTHORIZED = "authorized"
RMA_RECEIVING = "receiving"
RMA_RECEIVED = "received"

# Ledger reasons (stock_movements.reason).
RESTOCK = "return"
QUARANTINE = "return_quarantine"
HOLD = "return_hold"
RELEASE = "return_release"

# Results of a scan that changed something (a replay answers ok for these).
ACCEPTED = frozenset(
    {
        "item_ok",
        "graded",
        "location_ok",
        "other_bin_ok",
        "closed",
        "parked",
        *(f.value for f in UnitFlag),
    }
)


class NoAuthorization(ServiceError):
    """No open return authorization matches the scan: the parcel may go into review."""

    code = "no_authorization"
    http_status = 404

    def __init__(self, message: str, scanned: str, order_number: str | None) -> None:
        super().__init__(message, "code")
        self.scanned = scanned
        self.order_number = order_number

    def to_json(self) -> dict[str, object]:
        out = super().to_json()
        out.update(scanned=self.scanned, order_number=self.order_number, review_possible=True)
        return out


@dataclass(frozen=True)
class ReturnsContext:
    photo_dir: Path
    returns_location: str
    quarantine_location: str
    capacity: BinCapacity


def photo_folder(configured: str, database_url: str) -> Path:
    """The configured folder; else `photos/` beside the SQLite file (var/photos for the
    default database), else var/photos. Relative paths are taken from the working folder."""
    if configured:
        return Path(configured).resolve()
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return (Path(str(url.database)).parent / "photos").resolve()
    return Path("var/photos").resolve()


# ------------------------------------------------------------------ finding the parcel


@dataclass
class _Found:
    rma: ReturnAuthorization | None
    allocation: Allocation | None
    matched_by: str
    receipt: ReturnReceipt | None = None


def _rma_open_for(s: Session, allocation: Allocation) -> ReturnAuthorization | None:
    rows = s.scalars(
        select(ReturnAuthorization)
        .where(
            (ReturnAuthorization.allocation_id == allocation.allocation_id)
            | (ReturnAuthorization.order_number == allocation.order_number),
            ReturnAuthorization.status.in_((RMA_AUTHORIZED, RMA_RECEIVING)),
        )
        .order_by(ReturnAuthorization.id)
    ).all()
    # A parcel already being worked is the likelier one; else the oldest authorization.
    receiving = [r for r in rows if r.status == RMA_RECEIVING]
    candidates = receiving or list(rows)
    return candidates[0] if candidates else None


def _allocation_of(s: Session, rma: ReturnAuthorization) -> Allocation | None:
    if rma.allocation_id:
        found = repo.allocation_by_external_id(s, rma.allocation_id)
        if found is not None:
            return found
    if rma.order_number:
        return s.scalars(
            select(Allocation).where(Allocation.order_number == rma.order_number)
        ).first()
    return None


def _find(s: Session, code: str) -> _Found:
    """RMA id (also what a return label carries), receipt code, allocation id or order
    number, or the tracking number of a carton we shipped."""
    receipt = s.scalars(select(ReturnReceipt).where(ReturnReceipt.code == code.upper())).first()
    if receipt is not None:
        return _Found(None, None, "receipt", receipt)
    rma = s.scalars(select(ReturnAuthorization).where(ReturnAuthorization.rma_id == code)).first()
    if rma is not None:
        return _Found(rma, _allocation_of(s, rma), "rma")
    label = s.scalars(
        select(ReturnLabelRecord).where(ReturnLabelRecord.tracking_number == code.upper())
    ).first()
    if label is not None:  # the tracking number on the prepaid return label we issued
        rma = repo.must_get(s, ReturnAuthorization, label.rma_pk)
        return _Found(rma, _allocation_of(s, rma), "return_label")
    allocation = repo.allocation_by_external_id(s, code)
    matched_by = "allocation"
    if allocation is None:
        allocation = s.scalars(select(Allocation).where(Allocation.order_number == code)).first()
        matched_by = "order"
    if allocation is None:
        carton = s.scalars(select(Carton).where(Carton.tracking_number == code)).first()
        if carton is not None:
            allocation = s.get(Allocation, carton.allocation_pk)
            matched_by = "tracking"
    if allocation is None:
        return _Found(None, None, "none")
    return _Found(_rma_open_for(s, allocation), allocation, matched_by)


def receive(
    code: str,
    actor: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ReturnsContext,
    *,
    review: bool = False,
) -> dict[str, Any]:
    """Open the parcel's receipt (or resume it). Without an authorization the parcel goes
    into the review queue when `review` is set; otherwise the answer says so."""
    code = code.strip()
    if not code:
        raise ServiceError(
            msg("Scan the RMA, order number, tracking number or return label."), "code"
        )
    now = clock()
    with uow() as tx:
        s = tx.session
        found = _find(s, code)
        if found.receipt is not None:
            return _view(s, found.receipt, ctx)
        if found.rma is not None:
            receipt = _receipt_for_rma(s, found, code, actor, now)
        else:
            order = found.allocation.order_number if found.allocation else None
            if not review:
                where = f"order {order}" if order else code
                raise NoAuthorization(
                    msg(
                        "No open return authorization for %(where)s. Receive it into "
                        "the review queue (scan CMD-REVIEW) or set it aside.",
                        where=where,
                    ),
                    code,
                    order,
                )
            receipt = _review_receipt(s, found, code, actor, now)
        tx.commit()
        return _view(s, receipt, ctx)


def _receipt_for_rma(
    s: Session, found: _Found, code: str, actor: str, now: datetime
) -> ReturnReceipt:
    assert found.rma is not None
    # Two stations scanning the same parcel at once: the second waits here, then resumes
    # the receipt the first one opened (PostgreSQL row lock; SQLite has one writer).
    rma = s.scalars(
        select(ReturnAuthorization)
        .where(ReturnAuthorization.id == found.rma.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if rma.status == RMA_RECEIVED:
        done = s.scalars(
            select(ReturnReceipt).where(ReturnReceipt.rma_pk == rma.id).order_by(ReturnReceipt.id)
        ).first()
        if done and done.closed_at:
            already = msg(
                "%(rma)s was already received (%(code)s, %(closed_at)s). "
                "A second parcel needs its own authorization.",
                rma=rma.rma_id,
                code=done.code,
                closed_at=format(done.closed_at, "%Y-%m-%d %H:%M"),
            )
        else:
            already = msg(
                "%(rma)s was already received. A second parcel needs its own authorization.",
                rma=rma.rma_id,
            )
        raise Conflict(already, "code")
    existing = s.scalars(
        select(ReturnReceipt).where(
            ReturnReceipt.rma_pk == rma.id, ReturnReceipt.status == ReceiptStatus.OPEN.value
        )
    ).first()
    if existing is not None:
        return existing
    allocation = found.allocation
    receipt = ReturnReceipt(
        code=_next_code(s),
        rma_pk=rma.id,
        rma_id=rma.rma_id,
        allocation_pk=allocation.id if allocation else None,
        order_number=(allocation.order_number if allocation else None) or rma.order_number,
        scanned_code=code[:80],
        matched_by=found.matched_by,
        status=ReceiptStatus.OPEN.value,
        opened_by=actor,
        opened_at=now,
    )
    s.add(receipt)
    rma.status = RMA_RECEIVING
    s.flush()
    return receipt


def _review_receipt(
    s: Session, found: _Found, code: str, actor: str, now: datetime
) -> ReturnReceipt:
    allocation = found.allocation
    same = select(ReturnReceipt).where(ReturnReceipt.status == ReceiptStatus.REVIEW.value)
    same = (
        same.where(ReturnReceipt.allocation_pk == allocation.id)
        if allocation
        else same.where(ReturnReceipt.scanned_code == code[:80])
    )
    existing = s.scalars(same).first()
    if existing is not None:  # the same parcel scanned again, or a retried request
        return existing
    receipt = ReturnReceipt(
        code=_next_code(s),
        allocation_pk=allocation.id if allocation else None,
        order_number=allocation.order_number if allocation else None,
        scanned_code=code[:80],
        matched_by=found.matched_by,
        status=ReceiptStatus.REVIEW.value,
        opened_by=actor,
        opened_at=now,
    )
    s.add(receipt)
    s.flush()
    return receipt


def _next_code(s: Session) -> str:
    return f"RR{repo.next_counter(s, 'return_receipt'):06d}"


def _receipt(s: Session, code: str, lock: bool = False) -> ReturnReceipt:
    stmt = select(ReturnReceipt).where(ReturnReceipt.code == code.strip().upper())
    if lock:
        stmt = stmt.with_for_update()
    receipt = s.scalars(stmt).first()
    if receipt is None:
        raise NotFound(msg("No return receipt %(code)s.", code=code), "receipt")
    return receipt


# ------------------------------------------------------------------ scans


def scan(
    receipt_code: str,
    raw: str,
    actor: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ReturnsContext,
    *,
    unit_id: int | None = None,
    client_scan_id: str | None = None,
    device: str | None = None,
) -> ScanReply:
    """Every scan made while a receipt is open: an item (a new unit), a reason (grades the
    current unit), a bin (puts the current resellable unit away), or CMD-CLOSE."""
    now = clock()
    with uow() as tx:
        s = tx.session
        receipt = _receipt(s, receipt_code, lock=True)
        prev = repo.previous_scan(s, client_scan_id)
        if prev is not None:
            answer = ScanReply(
                prev.result in ACCEPTED, prev.result, prev.detail or "", replayed=True
            )
            answer.data["receipt"] = _view(s, receipt, ctx)
            return answer
        parsed = parse_scan(raw)
        reply = _route(s, receipt, raw, parsed, actor, now, ctx, unit_id)
        log_scan(
            s,
            station=STATION,
            raw=raw,
            reply=reply,
            now=now,
            client_scan_id=client_scan_id,
            device=device,
            actor=actor,
            parsed=parsed.to_json(),
            allocation_pk=receipt.allocation_pk,
        )
        tx.commit()
        reply.data["receipt"] = _view(s, receipt, ctx)
        return reply


def _current(receipt: ReturnReceipt) -> ReturnUnit | None:
    for unit in reversed(receipt.units):
        if not UnitStatus(unit.status).finished:
            return unit
    return None


def _route(
    s: Session,
    receipt: ReturnReceipt,
    raw: str,
    parsed: Any,
    actor: str,
    now: datetime,
    ctx: ReturnsContext,
    unit_id: int | None,
) -> ScanReply:
    if receipt.status == ReceiptStatus.CLOSED.value:
        return ScanReply(
            False,
            "receipt_closed",
            msg("Return %(code)s is closed. Scan the next parcel.", code=receipt.code),
        )
    current = _current(receipt)
    if unit_id is not None and (current is None or current.id != unit_id):
        return ScanReply(
            False, "stale", msg("That unit is already done here (another screen?). Look again.")
        )
    command = rules.parse_command(raw)
    if isinstance(command, rules.Reason):
        if current is None or current.status != UnitStatus.SCANNED.value:
            return ScanReply(False, "nothing_to_grade", msg("Scan an item first, then grade it."))
        return _grade(s, receipt, current, command, actor, now, ctx)
    if command is Command.CLOSE:
        return _close(s, receipt, actor, now)
    if command is Command.PHOTO:
        return ScanReply(True, "photo", msg("Take the photo with the camera button."))
    if command is Command.REVIEW:
        return ScanReply(False, "not_now", msg("This parcel is already being received."))
    if parsed.kind is ScanKind.CHECK_FAILED:
        return ScanReply(False, "check_failed", check_failed_message(parsed))
    if parsed.kind is ScanKind.LOCATION:
        if current is None or current.status != UnitStatus.AWAITING_PUT_AWAY.value:
            return ScanReply(
                False, "unexpected_location", msg("No unit is waiting for a bin. Scan an item.")
            )
        return _put_away(s, receipt, current, parsed.value, actor, now, ctx)
    if current is not None and current.status == UnitStatus.AWAITING_PUT_AWAY.value:
        return ScanReply(
            False,
            "put_away_first",
            msg(
                "Put %(sku)s away first: scan the bin %(suggested_location)s.",
                sku=current.sku,
                suggested_location=current.suggested_location,
            ),
        )
    if current is not None:
        return ScanReply(
            False,
            "grade_first",
            msg(
                "Grade the %(value)s first: choose a reason.",
                value=current.sku or msg("unknown item"),
            ),
        )
    if parsed.kind not in (ScanKind.ITEM, ScanKind.OTHER):
        return ScanReply(
            False,
            "not_an_item",
            msg(
                "%(value)s is a %(value2)s, not an item.",
                value=parsed.value,
                value2=parsed.kind.value,
            ),
        )
    return _new_unit(s, receipt, raw, parsed, actor, now)


def _authorized(s: Session, receipt: ReturnReceipt) -> list[AuthorizedLine] | None:
    if receipt.rma_pk is None:
        return None
    rma = repo.must_get(s, ReturnAuthorization, receipt.rma_pk)
    return rules.authorized_lines(rma.lines)


def _order_lines(s: Session, receipt: ReturnReceipt) -> list[OrderLine] | None:
    if receipt.allocation_pk is None:
        return None
    allocation = repo.must_get(s, Allocation, receipt.allocation_pk)
    return [OrderLine(ln.line_id, ln.sku, ln.qty) for ln in allocation.lines]


def _new_unit(
    s: Session, receipt: ReturnReceipt, raw: str, parsed: Any, actor: str, now: datetime
) -> ScanReply:
    sku = repo.sku_for_code(s, parsed.value) or (
        repo.sku_for_code(s, raw.strip()) if parsed.value != raw.strip() else None
    )
    if sku is None and _find(s, raw.strip()).matched_by != "none":
        return ScanReply(
            False,
            "other_parcel",
            msg(
                "%(value)s is a parcel, not an item. Close %(code)s first "
                "(%(value2)s), then scan the next parcel.",
                value=raw.strip(),
                code=receipt.code,
                value2=Command.CLOSE.value,
            ),
        )
    accepted_before = sum(
        1 for u in receipt.units if sku is not None and u.sku_id == sku.id and u.flag is None
    )
    match = rules.match_unit(
        sku.sku if sku else None,
        parsed.value,
        authorized=_authorized(s, receipt),
        order_lines=_order_lines(s, receipt),
        accepted_before=accepted_before,
    )
    unit = ReturnUnit(
        receipt_id=receipt.id,
        seq=len(receipt.units) + 1,
        raw_code=raw[:400],
        sku_id=sku.id if sku else None,
        sku=sku.sku if sku else None,
        line_id=match.line_id,
        flag=match.flag.value if match.flag else None,
        status=UnitStatus.SCANNED.value,
        scanned_by=actor,
        scanned_at=now,
    )
    s.add(unit)
    receipt.units.append(unit)
    s.flush()
    ask = (
        msg("Photograph it, then grade it.") if match.flag else msg("Grade it (photo if damaged).")
    )
    reply = ScanReply(True, match.flag.value if match.flag else "item_ok", f"{match.message} {ask}")
    reply.data["unit_id"] = unit.id
    return reply


def _grade(
    s: Session,
    receipt: ReturnReceipt,
    unit: ReturnUnit,
    reason: rules.Reason,
    actor: str,
    now: datetime,
    ctx: ReturnsContext,
) -> ScanReply:
    flag = UnitFlag(unit.flag) if unit.flag else None
    if rules.photo_required(reason.grade, flag) and not unit.photos:
        why = "flagged units" if flag and reason.grade is Grade.RESELLABLE else "these units"
        return ScanReply(
            False,
            "photo_required",
            msg("Take a photo first: %(why)s need one for the refund decision.", why=why),
        )
    unit.grade = reason.grade.value
    unit.reason_code = reason.code
    unit.reason = reason.text
    unit.graded_by = actor
    unit.graded_at = now
    review = receipt.status == ReceiptStatus.REVIEW.value
    status = rules.disposition(reason.grade, review=review, known_sku=unit.sku_id is not None)
    message = _dispose(s, receipt, unit, status, actor, now, ctx)
    reply = ScanReply(True, "graded", f"{reason.grade.value.capitalize()}: {message}")
    reply.data["unit_id"] = unit.id
    return reply


def _dispose(
    s: Session,
    receipt: ReturnReceipt,
    unit: ReturnUnit,
    status: UnitStatus,
    actor: str,
    now: datetime,
    ctx: ReturnsContext,
) -> str:
    """Apply a graded unit's disposition; the sentence tells the person what to do."""
    unit.status = status.value
    if status is UnitStatus.AWAITING_PUT_AWAY:
        assert unit.sku_id is not None
        bin_ = rules.suggest_put_away(_candidate_bins(s, unit.sku_id), ctx.capacity)
        unit.suggested_location = bin_.code if bin_ else ctx.returns_location
        if bin_ is None:
            return (
                f"no bin has room: put it on the returns shelf {ctx.returns_location} and scan it."
            )
        return f"put it in {bin_.code} and scan the bin."
    if status in (UnitStatus.QUARANTINED, UnitStatus.HELD):
        code = ctx.quarantine_location if status is UnitStatus.QUARANTINED else ctx.returns_location
        kind = "quarantine" if status is UnitStatus.QUARANTINED else "returns"
        stock = _stock_at(s, _special(s, kind, code), unit)
        # Blocked stock: on hand (it is in the building) and allocated to the quarantine or
        # the review, so it is never available to sell and no reservation can take it.
        moved = repo.move_stock(
            s,
            stock,
            on_hand_delta=1,
            allocated_delta=1,
            reason=QUARANTINE if status is UnitStatus.QUARANTINED else HOLD,
            reference=receipt.rma_id or receipt.code,
            actor=actor,
            now=now,
        )
        if not moved:
            raise ServiceError(msg("could not book the unit into %(code)s", code=code), "code")
        _finish(unit, code, stock.id, actor, now)
        if status is UnitStatus.QUARANTINED:
            return f"put it in quarantine {code}."
        return f"no authorization yet: put it on the returns shelf {code}."
    _finish(unit, None, None, actor, now)
    if status is UnitStatus.SET_ASIDE:
        return f"not ours: keep it on the returns shelf {ctx.returns_location} for review."
    return "dispose of it. Recorded, no stock."


def _finish(
    unit: ReturnUnit, code: str | None, stock_id: int | None, actor: str, now: datetime
) -> None:
    unit.location_code = code
    unit.stock_id = stock_id
    unit.done_by = actor
    unit.done_at = now


def _special(s: Session, kind: str, code: str) -> Location:
    """The returns shelf or the quarantine, created on first use in a database seeded
    before they were in the layout."""
    loc = s.scalars(select(Location).where(Location.code == code)).first()
    if loc is None:
        loc = Location(code=code, kind=kind, zone=code[0], aisle=0, bay=0, level=1, x_mm=0, y_mm=0)
        s.add(loc)
        s.flush()
    return loc


def _stock_at(s: Session, loc: Location, unit: ReturnUnit) -> Stock:
    assert unit.sku_id is not None
    stock = s.scalars(
        select(Stock).where(
            Stock.location_id == loc.id, Stock.sku_id == unit.sku_id, Stock.lot == ""
        )
    ).first()
    if stock is None:
        stock = Stock(location_id=loc.id, sku_id=unit.sku_id, lot="", on_hand=0, allocated=0)
        s.add(stock)
        s.flush()
    return stock


def _bins(s: Session, locations: list[Location], sku_id: int) -> list[Bin]:
    if not locations:
        return []
    ids = [loc.id for loc in locations]
    rows = s.execute(
        select(Stock.location_id, Stock.sku_id, func.sum(Stock.on_hand))
        .where(Stock.location_id.in_(ids))
        .group_by(Stock.location_id, Stock.sku_id)
    ).all()
    per: dict[int, dict[int, int]] = {}
    for location_id, row_sku, on_hand in rows:
        per.setdefault(location_id, {})[row_sku] = int(on_hand or 0)
    out = []
    for loc in locations:
        skus = per.get(loc.id, {})
        out.append(
            Bin(
                code=loc.code,
                kind=loc.kind,
                on_hand_units=sum(skus.values()),
                sku_units=skus.get(sku_id, 0),
                holds_sku=sku_id in skus,
                other_skus=sum(1 for k, v in skus.items() if k != sku_id and v > 0),
                x_mm=loc.x_mm,
                y_mm=loc.y_mm,
            )
        )
    return out


def _candidate_bins(s: Session, sku_id: int) -> list[Bin]:
    """Bins holding the SKU, and the empty reserve bins."""
    holding = select(Stock.location_id).where(Stock.sku_id == sku_id)
    occupied = select(Stock.location_id).where(Stock.on_hand > 0)
    locations = list(
        s.scalars(
            select(Location).where(
                Location.kind.in_(rules.STORAGE_KINDS),
                Location.id.in_(holding)
                | ((Location.kind == "reserve") & Location.id.not_in(occupied)),
            )
        ).all()
    )
    return _bins(s, locations, sku_id)


def _put_away(
    s: Session,
    receipt: ReturnReceipt,
    unit: ReturnUnit,
    code: str,
    actor: str,
    now: datetime,
    ctx: ReturnsContext,
) -> ScanReply:
    assert unit.sku_id is not None and unit.sku is not None
    loc = s.scalars(select(Location).where(Location.code == code)).first()
    scanned = _bins(s, [loc], unit.sku_id)[0] if loc else None
    verdict = rules.check_put_away(scanned, code, unit.suggested_location, unit.sku, ctx.capacity)
    if not verdict.outcome.accepted:
        return ScanReply(False, verdict.outcome.value, verdict.message)
    assert loc is not None
    stock = _stock_at(s, loc, unit)
    if not repo.move_stock(
        s,
        stock,
        on_hand_delta=1,
        reason=RESTOCK,
        reference=receipt.rma_id or receipt.code,
        actor=actor,
        now=now,
    ):
        raise ServiceError(msg("could not book the unit into %(code)s", code=loc.code), "code")
    unit.status = UnitStatus.RESTOCKED.value
    _finish(unit, loc.code, stock.id, actor, now)
    reply = ScanReply(True, verdict.outcome.value, verdict.message)
    reply.data["unit_id"] = unit.id
    return reply


# ------------------------------------------------------------------ closing and the report


def close(
    receipt_code: str, actor: str, uow: SessionFactory, clock: Clock, ctx: ReturnsContext
) -> tuple[ScanReply, dict[str, Any]]:
    now = clock()
    with uow() as tx:
        s = tx.session
        receipt = _receipt(s, receipt_code, lock=True)
        if receipt.status == ReceiptStatus.CLOSED.value:
            return (
                ScanReply(
                    True, "closed", msg("Return %(code)s was already closed.", code=receipt.code)
                ),
                _view(s, receipt, ctx),
            )
        reply = _close(s, receipt, actor, now)
        if not reply.ok:
            raise Conflict(reply.message, "receipt")
        tx.commit()
        return reply, _view(s, receipt, ctx)


_PROBLEMS = {
    CloseProblem.NOTHING_RECEIVED: msg("Nothing scanned yet: scan each item in the parcel."),
    CloseProblem.UNGRADED: msg("Grade the last item first."),
    CloseProblem.NOT_PUT_AWAY: msg("Put the resellable unit away first: scan its bin."),
}


def _close(s: Session, receipt: ReturnReceipt, actor: str, now: datetime) -> ScanReply:
    problem = rules.close_problem(UnitStatus(u.status) for u in receipt.units)
    if problem is not None:
        return ScanReply(False, problem.value, _PROBLEMS[problem])
    if receipt.status == ReceiptStatus.REVIEW.value:
        return ScanReply(
            True,
            "parked",
            msg(
                "%(code)s waits in the review queue: its units stay on the "
                "returns shelf until a supervisor links an authorization.",
                code=receipt.code,
            ),
        )
    rma = repo.must_get(s, ReturnAuthorization, receipt.rma_pk) if receipt.rma_pk else None
    assert rma is not None
    data = report(s, receipt, rma)
    allocation = s.get(Allocation, receipt.allocation_pk) if receipt.allocation_pk else None
    repo.add_event(
        s,
        "return.received",
        allocation,
        data,
        now,
        stream_key=None if allocation else f"rma:{rma.rma_id}",
    )
    rma.status = RMA_RECEIVED
    receipt.status = ReceiptStatus.CLOSED.value
    receipt.closed_by = actor
    receipt.closed_at = now
    restocked = sum(1 for u in receipt.units if u.status == UnitStatus.RESTOCKED.value)
    return ScanReply(
        True,
        "closed",
        msg(
            "Return %(rma_id)s closed: %(n_units)s unit(s), "
            "%(restocked)s back in stock. Reported for the refund.",
            rma_id=rma.rma_id,
            n_units=len(receipt.units),
            restocked=restocked,
        ),
    )


def photo_api_path(rma_id: str, photo_id: int) -> str:
    return f"/api/v1/returns/{rma_id}/photos/{photo_id}.jpg"


def report(s: Session, receipt: ReturnReceipt, rma: ReturnAuthorization) -> dict[str, Any]:
    """`return.received` data: oms-v1's `rma_id` and `lines`, plus what the refund team
    needs to decide (flags, reasons, photos, what did not come back)."""
    units = [
        rules.GradedUnit(
            line_id=u.line_id,
            sku=u.sku,
            code=u.raw_code,
            grade=Grade(u.grade or Grade.DISPOSE.value),
            reason=u.reason or "",
            flag=UnitFlag(u.flag) if u.flag else None,
            restocked=u.status == UnitStatus.RESTOCKED.value,
            photos=tuple(photo_api_path(rma.rma_id, p.id) for p in u.photos),
        )
        for u in receipt.units
    ]
    data: dict[str, Any] = {
        "rma_id": rma.rma_id,
        "lines": rules.return_lines(units),
        "not_received": rules.not_received(rules.authorized_lines(rma.lines), units),
        "receipt": receipt.code,
        "flagged": any(u.flag for u in units),
    }
    if receipt.allocation_pk is None:  # the envelope has no allocation to name the order
        data["allocation_id"] = rma.allocation_id
        data["order_number"] = rma.order_number
    return data


# ------------------------------------------------------------------ photos


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    width_px: int
    height_px: int


def check_photo(data: bytes) -> CheckedPhoto:
    if len(data) < MIN_PHOTO_BYTES:
        raise ServiceError(msg("The photo is empty. Take it again."), "photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError(
            msg(
                "The photo is %(value)s kB; the most is %(value2)s kB.",
                value=len(data) // 1000,
                value2=MAX_PHOTO_BYTES // 1000,
            ),
            "photo",
        )
    try:
        with Image.open(io.BytesIO(data)) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ServiceError(msg("That is not a readable JPEG photo."), "photo") from exc
    if fmt != "JPEG":
        raise ServiceError(msg("Photos are stored as JPEG, not %(fmt)s.", fmt=fmt), "photo")
    return CheckedPhoto(data, width, height)


def add_photo(
    unit_id: int,
    data: bytes,
    source: str,
    actor: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ReturnsContext,
    *,
    client_photo_id: str | None = None,
) -> dict[str, Any]:
    photo = check_photo(data)
    if source not in ("camera", "file"):
        raise ServiceError(msg("source must be camera or file"), "source")
    now = clock()
    with uow() as tx:
        s = tx.session
        if client_photo_id:
            prev = s.scalars(
                select(ReturnPhoto).where(ReturnPhoto.client_photo_id == client_photo_id)
            ).first()
            if prev is not None:  # a retry after a lost answer: the photo is already kept
                unit = repo.must_get(s, ReturnUnit, prev.unit_id)
                return _view(s, unit.receipt, ctx)
        unit_or_none = s.get(ReturnUnit, unit_id)
        if unit_or_none is None:
            raise NotFound(msg("No returned unit %(unit_id)s.", unit_id=unit_id), "unit_id")
        unit = unit_or_none
        receipt = _receipt(s, unit.receipt.code, lock=True)
        if receipt.status == ReceiptStatus.CLOSED.value:
            raise Conflict(msg("Return %(code)s is closed.", code=receipt.code), "unit_id")
        digest = hashlib.sha256(photo.data).hexdigest()
        relative = f"{receipt.code}/{unit.seq:03d}-{uuid.uuid4().hex[:12]}.jpg"
        target = ctx.photo_dir / relative
        _write_durably(target, photo.data)
        row = ReturnPhoto(
            unit_id=unit.id,
            receipt_id=receipt.id,
            client_photo_id=client_photo_id or None,
            path=relative,
            content_type="image/jpeg",
            size_bytes=len(photo.data),
            sha256=digest,
            width_px=photo.width_px,
            height_px=photo.height_px,
            source=source,
            taken_by=actor,
            taken_at=now,
        )
        s.add(row)
        unit.photos.append(row)
        try:
            tx.commit()
        except Exception:
            target.unlink(missing_ok=True)  # no row points at it
            raise
        return _view(s, receipt, ctx)


def _write_durably(target: Path, data: bytes) -> None:
    """Write, fsync, rename: a crash leaves either no file or the whole photo."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def photo_file(
    photo_id: int, uow: SessionFactory, ctx: ReturnsContext, rma_id: str | None = None
) -> Path:
    with uow() as tx:
        photo = tx.session.get(ReturnPhoto, photo_id)
        if photo is None:
            raise NotFound(msg("No photo %(photo_id)s.", photo_id=photo_id), "photo")
        if rma_id is not None:
            receipt = repo.must_get(tx.session, ReturnReceipt, photo.receipt_id)
            if receipt.rma_id != rma_id:
                raise NotFound(
                    msg("No photo %(photo_id)s for %(rma_id)s.", photo_id=photo_id, rma_id=rma_id),
                    "photo",
                )
        path = (ctx.photo_dir / photo.path).resolve()
    if ctx.photo_dir.resolve() not in path.parents or not path.is_file():
        raise NotFound(
            msg(
                "Photo %(photo_id)s is missing from %(photo_dir)s.",
                photo_id=photo_id,
                photo_dir=ctx.photo_dir,
            ),
            "photo",
        )
    return path


# ------------------------------------------------------------------ other actions


def remove_unit(
    unit_id: int, actor: str, uow: SessionFactory, clock: Clock, ctx: ReturnsContext
) -> dict[str, Any]:
    """Take back an item scan made by mistake (only before it is graded)."""
    with uow() as tx:
        s = tx.session
        unit = s.get(ReturnUnit, unit_id)
        if unit is None:
            raise NotFound(msg("No returned unit %(unit_id)s.", unit_id=unit_id), "unit_id")
        receipt = _receipt(s, unit.receipt.code, lock=True)
        if unit.status != UnitStatus.SCANNED.value:
            raise Conflict(msg("Only an item not yet graded can be removed."), "unit_id")
        if unit.seq != len(receipt.units):
            raise Conflict(msg("Only the last scanned item can be removed."), "unit_id")
        files = [ctx.photo_dir / p.path for p in unit.photos]
        for photo in list(unit.photos):
            s.delete(photo)
        receipt.units.remove(unit)
        s.delete(unit)
        tx.commit()
        for path in files:  # after the commit: until then a row still pointed at them
            path.unlink(missing_ok=True)
        return _view(s, receipt, ctx)


def resolve_review(
    receipt_code: str,
    rma_id: str,
    actor: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ReturnsContext,
) -> dict[str, Any]:
    """A supervisor links a parcel in review to the authorization the OMS has since sent:
    each held unit is matched again and goes where its grade sends it."""
    now = clock()
    with uow() as tx:
        s = tx.session
        user = s.scalars(select(User).where(User.badge == actor)).first()
        if user is None or not rules.may_resolve_review(user.role):
            raise ServiceError(msg("Only a supervisor can authorize a parcel in review."), "badge")
        receipt = _receipt(s, receipt_code, lock=True)
        if receipt.status != ReceiptStatus.REVIEW.value:
            raise Conflict(
                msg("%(code)s is not in the review queue.", code=receipt.code), "receipt"
            )
        rma = s.scalars(
            select(ReturnAuthorization).where(ReturnAuthorization.rma_id == rma_id.strip())
        ).first()
        if rma is None:
            raise NotFound(
                msg("No return authorization %(rma_id)s from the OMS yet.", rma_id=rma_id), "rma_id"
            )
        if rma.status != RMA_AUTHORIZED:
            raise Conflict(
                msg(
                    "%(rma_id)s is %(status)s: it has its own parcel.",
                    rma_id=rma.rma_id,
                    status=rma.status,
                ),
                "rma_id",
            )
        allocation = (
            s.get(Allocation, receipt.allocation_pk)
            if receipt.allocation_pk
            else _allocation_of(s, rma)
        )
        receipt.rma_pk = rma.id
        receipt.rma_id = rma.rma_id
        receipt.allocation_pk = allocation.id if allocation else None
        receipt.order_number = (allocation.order_number if allocation else None) or rma.order_number
        receipt.status = ReceiptStatus.OPEN.value
        receipt.resolved_by = actor
        receipt.resolved_at = now
        rma.status = RMA_RECEIVING
        authorized = rules.authorized_lines(rma.lines)
        order_lines = _order_lines(s, receipt)
        accepted: dict[str, int] = {}
        for unit in receipt.units:
            match = rules.match_unit(
                unit.sku,
                unit.raw_code,
                authorized=authorized,
                order_lines=order_lines,
                accepted_before=accepted.get(unit.sku or "", 0),
            )
            unit.line_id = match.line_id
            unit.flag = match.flag.value if match.flag else None
            if unit.sku and match.flag is None:
                accepted[unit.sku] = accepted.get(unit.sku, 0) + 1
            if unit.status == UnitStatus.HELD.value and unit.stock_id is not None:
                held = repo.must_get(s, Stock, unit.stock_id)
                if not repo.move_stock(
                    s,
                    held,
                    on_hand_delta=-1,
                    allocated_delta=-1,
                    reason=RELEASE,
                    reference=rma.rma_id,
                    actor=actor,
                    now=now,
                ):
                    raise ServiceError(
                        msg(
                            "the held unit is no longer in %(location_code)s",
                            location_code=unit.location_code,
                        )
                    )
                unit.location_code = None
                unit.stock_id = None
                grade = Grade(unit.grade or Grade.DISPOSE.value)
                status = rules.disposition(grade, review=False, known_sku=True)
                _dispose(s, receipt, unit, status, actor, now, ctx)
        tx.commit()
        return _view(s, receipt, ctx)


def worklist(uow: SessionFactory) -> dict[str, list[dict[str, Any]]]:
    """Receipts being worked and parcels waiting in the review queue."""
    with uow() as tx:
        rows = tx.session.scalars(
            select(ReturnReceipt)
            .where(ReturnReceipt.status != ReceiptStatus.CLOSED.value)
            .order_by(ReturnReceipt.id)
        ).all()
        out: dict[str, list[dict[str, Any]]] = {"open": [], "review": []}
        for r in rows:
            out[r.status].append(
                {
                    "code": r.code,
                    "rma_id": r.rma_id,
                    "order_number": r.order_number,
                    "scanned_code": r.scanned_code,
                    "units": len(r.units),
                    "opened_at": r.opened_at.isoformat(),
                    "opened_by": r.opened_by,
                }
            )
        return out


def open_receipt(code: str, uow: SessionFactory, ctx: ReturnsContext) -> dict[str, Any]:
    with uow() as tx:
        return _view(tx.session, _receipt(tx.session, code), ctx)


# ------------------------------------------------------------------ the view


def _unit_view(s: Session, unit: ReturnUnit, names: dict[str, str]) -> dict[str, Any]:
    flag = UnitFlag(unit.flag) if unit.flag else None
    return {
        "id": unit.id,
        "seq": unit.seq,
        "code": unit.raw_code,
        "sku": unit.sku,
        "name": names.get(unit.sku or ""),
        "line_id": unit.line_id,
        "flag": unit.flag,
        "grade": unit.grade,
        "reason_code": unit.reason_code,
        "reason": unit.reason,
        "status": unit.status,
        "suggested_location": unit.suggested_location,
        "location": unit.location_code,
        "photos": [
            {"id": p.id, "url": f"/returns/photos/{p.id}.jpg", "source": p.source}
            for p in unit.photos
        ],
        # Which grades need a photo before they are accepted (the page asks up front).
        "photo_required_for": [g.value for g in Grade if rules.photo_required(g, flag)],
    }


def _view(s: Session, receipt: ReturnReceipt, ctx: ReturnsContext) -> dict[str, Any]:
    authorized = _authorized(s, receipt) or []
    skus = {u.sku for u in receipt.units if u.sku} | {ln.sku for ln in authorized}
    names = (
        {sku: name for sku, name in s.execute(select(Sku.sku, Sku.name).where(Sku.sku.in_(skus)))}
        if skus
        else {}
    )
    received: dict[str, int] = {}
    for u in receipt.units:
        if u.sku and u.flag is None:
            received[u.sku] = received.get(u.sku, 0) + 1
    lines = []
    for ln in authorized:
        got = min(received.get(ln.sku, 0), ln.qty)
        received[ln.sku] = received.get(ln.sku, 0) - got
        lines.append(
            {
                "line_id": ln.line_id,
                "sku": ln.sku,
                "name": names.get(ln.sku),
                "qty": ln.qty,
                "received": got,
                "reason": ln.reason,
            }
        )
    current = _current(receipt)
    allocation = s.get(Allocation, receipt.allocation_pk) if receipt.allocation_pk else None
    problem = rules.close_problem(UnitStatus(u.status) for u in receipt.units)
    if receipt.status == ReceiptStatus.CLOSED.value:
        stage = "closed"
    elif current is None:
        stage = "item"
    elif current.status == UnitStatus.SCANNED.value:
        stage = "grade"
    else:
        stage = "put_away"
    return {
        "code": receipt.code,
        "status": receipt.status,
        "review": receipt.status == ReceiptStatus.REVIEW.value,
        "rma_id": receipt.rma_id,
        "order_number": receipt.order_number,
        "allocation_id": allocation.allocation_id if allocation else None,
        "matched_by": receipt.matched_by,
        "scanned_code": receipt.scanned_code,
        "authorized": lines,
        "units": [_unit_view(s, u, names) for u in receipt.units],
        "current": _unit_view(s, current, names) if current else None,
        "stage": stage,
        "can_close": problem is None and receipt.status != ReceiptStatus.CLOSED.value,
        "close_problem": problem.value if problem else None,
        "locations": {"returns": ctx.returns_location, "quarantine": ctx.quarantine_location},
    }


# ------------------------------------------------------------------ the return label


def _address(data: dict[str, Any]) -> Address:
    return Address(
        name=str(data.get("name") or ""),
        company=data.get("company"),
        line1=str(data.get("line1") or ""),
        line2=data.get("line2"),
        city=str(data.get("city") or ""),
        region=data.get("region"),
        postal_code=str(data.get("postal_code") or ""),
        country=str(data.get("country") or ""),
        phone=data.get("phone"),
    )


def _postal(a: Address) -> PostalAddress:
    return PostalAddress(
        name=a.name,
        line1=a.line1,
        city=a.city,
        postal_code=a.postal_code,
        country=a.country,
        company=a.company,
        line2=a.line2,
        region=a.region,
        phone=a.phone,
    )


def _issue_label(
    s: Session,
    rma: ReturnAuthorization,
    allocation: Allocation,
    customer: Address,
    actor: str,
    now: datetime,
    ship: ShipContext,
) -> ReturnLabelRecord:
    """One tracking number per RMA, from the carrier that delivered the order when we can."""
    carton = s.scalars(
        select(Carton)
        .where(Carton.allocation_pk == allocation.id, Carton.carrier.is_not(None))
        .order_by(Carton.id)
    ).first()
    by_code = {c.code: c for c in ship.carriers}
    carrier = by_code.get(carton.carrier or "") if carton else None
    carrier = carrier or (ship.carriers[0] if ship.carriers else None)
    if carrier is None:
        raise Conflict(msg("No carrier is configured for return labels."), "carrier")
    service = rules.return_service([(svc.code, svc.level) for svc in carrier.services])
    if service is None:
        raise Conflict(
            msg("%(name)s has no service for a return label.", name=carrier.name), "carrier"
        )
    gateway = ship.gateway(carrier.code)
    if not getattr(gateway, "offline", False):
        # Buying from a carrier's API inside our transaction could leave a bought label
        # without a record: real carriers' return labels are not wired yet.
        raise Conflict(
            msg("Return labels from %(name)s are not supported yet.", name=carrier.name), "carrier"
        )
    weight_g = carton.weight_g or carton.expected_weight_g if carton else None
    bought = gateway.buy_label(
        LabelRequest(
            carrier=carrier.code,
            service=service,
            reference=rma.rma_id,
            ship_from=_postal(customer),
            ship_to=_postal(ship.ship_from),
            weight_g=weight_g or 1000,
            dims_mm=(carton.length_mm, carton.width_mm, carton.height_mm)
            if carton
            else (300, 200, 100),
            serial=repo.next_counter(s, f"tracking:{carrier.code}"),
        )
    )
    record = ReturnLabelRecord(
        rma_pk=rma.id,
        tracking_number=bought.tracking_number,
        carrier=bought.carrier,
        service=bought.service,
        weight_g=weight_g,
        issued_by=actor,
        issued_at=now,
    )
    s.add(record)
    s.flush()
    return record


def return_label(
    rma_id: str,
    fmt: str,
    actor: str,
    uow: SessionFactory,
    clock: Clock,
    ship: ShipContext,
) -> bytes:
    """The prepaid return label of an RMA as PDF or ZPL; its tracking number is issued on
    the first request and kept, so every later request prints the same label."""
    if fmt not in ("pdf", "zpl"):
        raise ServiceError(msg("a return label is pdf or zpl"), "format")
    now = clock()
    with uow() as tx:
        s = tx.session
        rma = s.scalars(
            select(ReturnAuthorization).where(ReturnAuthorization.rma_id == rma_id)
        ).first()
        if rma is None:
            raise NotFound(msg("No return authorization %(rma_id)s.", rma_id=rma_id), "rma_id")
        allocation = _allocation_of(s, rma)
        if allocation is None:
            raise Conflict(
                msg(
                    "%(rma_id)s names no order we shipped: no customer address for a label.",
                    rma_id=rma_id,
                ),
                "rma_id",
            )
        customer = _address(allocation.ship_to)
        record = s.scalars(
            select(ReturnLabelRecord).where(ReturnLabelRecord.rma_pk == rma.id)
        ).first()
        if record is None:
            record = _issue_label(s, rma, allocation, customer, actor, now, ship)
            tx.commit()
        carrier = next((c for c in ship.carriers if c.code == record.carrier), None)
        service = (
            next(
                (svc.name for svc in carrier.services if svc.code == record.service), record.service
            )
            if carrier
            else record.service
        )
        label = ReturnLabel(
            rma_id=rma.rma_id,
            tracking_number=record.tracking_number,
            carrier=carrier.name if carrier else record.carrier,
            service=service,
            customer=customer,
            return_to=replace(ship.ship_from, name=f"{ship.ship_from.name} Returns"),
            order_number=allocation.order_number,
            weight_g=record.weight_g,
            issued_on=record.issued_at.date(),
        )
    return render_return_label_pdf(label) if fmt == "pdf" else render_return_label_zpl(label)
