"""Replenishment: min/max per pick face, tasks that bring stock from reserve, and the
handheld's replenish mode.

A face is looked at (`check_face`) when a pick takes stock from it (`after_pick`, called from
the pick-confirm path in the same transaction), when a picker comes up short there
(`after_short`), when its previous task is done, and when reserve stock arrives for a face
that was waiting for it. At most one live (open or active) task per face: a partial unique
index makes that hold under concurrency too. A face that needs stock no reserve bin has
raises a `no_reserve` alert for the supervisors instead.

Tasks do not reserve the reserve bin's units (allocated means "promised to an order", and
`dockhand stock verify` holds it to that): a task is planned from what is free, and at
confirmation the conditional update moves only what is still free.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Location, Sku, Stock
from app.adapters.db.models_stock import (
    LowStockLevel,
    ReplenishmentRule,
    ReplenishmentTask,
    StockAlert,
)
from app.adapters.db.uow import SessionFactory
from app.domain.receiving import Refusal, replenished_message
from app.domain.replenishment import (
    AlertKind,
    MinMax,
    ReserveBin,
    Trigger,
    alert_key,
    next_move,
    no_reserve_message,
    rule_errors,
    task_message,
    units_wanted,
)
from app.domain.scanning import ScanKind, parse_scan
from app.domain.text import Text, msg
from app.services import stock_alerts, stock_rows
from app.services.clock import Clock
from app.services.errors import NotFound, ServiceError
from app.services.replies import ScanReply, log_scan, replay

LIVE = ("open", "active")
PICK_FACE = "pick"
RESERVE = "reserve"
REASON = "replenish"
MAX_REPLANS = 5  # stale tasks cancelled and planned again per request, at most
STATION = "stock"


# ---------------------------------------------------------------------------- rules


@dataclass
class RuleRowError:
    row: int
    field: str
    error: str


@dataclass
class RuleImport:
    applied: int = 0
    errors: list[RuleRowError] = field(default_factory=list)


def _face(s: Session, code: str) -> Location:
    parsed = parse_scan(code)
    location = s.scalars(select(Location).where(Location.code == parsed.value)).first()
    if location is None:
        raise NotFound(msg("%(code)s is not a known location", code=code), "location")
    if location.kind != PICK_FACE:
        raise ServiceError(
            msg(
                "%(code)s is a %(kind)s location: min/max is set on pick faces",
                code=location.code,
                kind=location.kind,
            ),
            "location",
        )
    return location


def _sku(s: Session, code: str) -> Sku:
    sku = repo.sku_by_code(s, code) or repo.sku_for_code(s, code)
    if sku is None:
        raise NotFound(msg("%(code)s is not a known SKU", code=code), "sku")
    return sku


def _put_rule(
    s: Session, location: Location, sku: Sku, min_units: int, max_units: int, actor: str, now: Any
) -> ReplenishmentRule:
    errors = rule_errors(min_units, max_units)
    if errors:
        name, reason = errors[0]
        raise ServiceError(msg("%(name)s %(reason)s", name=name, reason=reason), name)
    rule = s.scalars(
        select(ReplenishmentRule).where(
            ReplenishmentRule.location_id == location.id, ReplenishmentRule.sku_id == sku.id
        )
    ).first()
    if rule is None:
        rule = ReplenishmentRule(location_id=location.id, sku_id=sku.id)
        s.add(rule)
    rule.min_units, rule.max_units = min_units, max_units
    rule.updated_by, rule.updated_at = actor, now
    s.flush()
    return rule


def set_rule(
    location_code: str,
    sku_code: str,
    min_units: int,
    max_units: int,
    actor: str,
    uow: SessionFactory,
    clock: Clock,
) -> dict[str, Any]:
    """`dockhand replenishment set LOCATION SKU --min N --max M`: the face is looked at at
    once, so a face already at or below its new min gets its task now."""
    now = clock()
    with uow() as tx:
        s = tx.session
        location, sku = _face(s, location_code), _sku(s, sku_code)
        rule = _put_rule(s, location, sku, min_units, max_units, actor, now)
        task = check_face(s, location.id, sku.id, Trigger.MANUAL, actor, now)
        view = rule_view(rule, location.code, sku.sku, face_on_hand(s, location.id, sku.id))
        view["task"] = task_view(s, task) if task is not None else None
        tx.commit()
        return view


def import_rules(path: Path, actor: str, uow: SessionFactory, clock: Clock) -> RuleImport:
    """Min/max from a CSV file (location, sku, min, max): every bad row reported, the good
    ones applied (each row on its own: a bad row changes nothing)."""
    report = RuleImport()
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = {(c or "").strip().lower() for c in reader.fieldnames or []}
        # The reader's line number: blank lines are skipped, the report names the file's line.
        rows = [
            (
                reader.line_num,
                {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()},
            )
            for raw in reader
        ]
    missing = {"location", "sku", "min", "max"} - header
    if missing:
        report.errors.append(RuleRowError(1, "header", f"missing columns: {sorted(missing)}"))
        return report
    now = clock()
    with uow() as tx:
        s = tx.session
        for number, row in rows:
            try:
                low, high = _whole(row.get("min", ""), "min"), _whole(row.get("max", ""), "max")
                with s.begin_nested():
                    location, sku = _face(s, row["location"]), _sku(s, row["sku"])
                    _put_rule(s, location, sku, low, high, actor, now)
                    check_face(s, location.id, sku.id, Trigger.MANUAL, actor, now)
                report.applied += 1
            except ServiceError as exc:
                report.errors.append(RuleRowError(number, exc.field or "row", exc.message))
        tx.commit()
    return report


def _whole(text: str, name: str) -> int:
    if not text.lstrip("-").isdigit():
        raise ServiceError(msg("%(name)s must be a whole number", name=name), name)
    return int(text)


def set_low_stock(
    sku_code: str, below_units: int, actor: str, uow: SessionFactory, clock: Clock
) -> dict[str, Any]:
    """`dockhand replenishment low-stock SKU --below N` (0: never alert for this SKU)."""
    if below_units < 0:
        raise ServiceError("below must be 0 or more", "below")
    now = clock()
    with uow() as tx:
        s = tx.session
        sku = _sku(s, sku_code)
        level = s.get(LowStockLevel, sku.id)
        if level is None:
            level = LowStockLevel(sku_id=sku.id)
            s.add(level)
        level.below_units, level.updated_by, level.updated_at = below_units, actor, now
        tx.commit()
        return {"sku": sku.sku, "below": below_units}


def rule_view(rule: ReplenishmentRule, location: str, sku: str, on_hand: int) -> dict[str, Any]:
    return {
        "location": location,
        "sku": sku,
        "min": rule.min_units,
        "max": rule.max_units,
        "on_hand": on_hand,
        "updated_by": rule.updated_by,
    }


def list_rules(uow: SessionFactory, location: str | None = None) -> list[dict[str, Any]]:
    with uow() as tx:
        s = tx.session
        stmt = (
            select(ReplenishmentRule, Location.code, Sku.sku)
            .join(Location, Location.id == ReplenishmentRule.location_id)
            .join(Sku, Sku.id == ReplenishmentRule.sku_id)
            .order_by(Location.code, Sku.sku)
        )
        if location:
            stmt = stmt.where(Location.code == location.upper())
        return [
            rule_view(rule, code, sku, face_on_hand(s, rule.location_id, rule.sku_id))
            for rule, code, sku in s.execute(stmt).all()
        ]


def seed_demo_rules(s: Session, now: datetime, min_units: int = 20, max_units: int = 150) -> int:
    """Every pick face holding a SKU gets a min/max (the demo's faces hold 60-120 units)."""
    faces = s.execute(
        select(Stock.location_id, Stock.sku_id)
        .join(Location, Location.id == Stock.location_id)
        .where(Location.kind == PICK_FACE)
        .distinct()
    ).all()
    for location_id, sku_id in faces:
        s.add(
            ReplenishmentRule(
                location_id=location_id,
                sku_id=sku_id,
                min_units=min_units,
                max_units=max_units,
                updated_by="seed",
                updated_at=now,
            )
        )
    return len(faces)


# ---------------------------------------------------------------------------- triggers


def face_on_hand(s: Session, location_id: int, sku_id: int) -> int:
    total = s.scalar(
        select(func.coalesce(func.sum(Stock.on_hand), 0)).where(
            Stock.location_id == location_id, Stock.sku_id == sku_id
        )
    )
    return int(total or 0)


def _rule(s: Session, location_id: int, sku_id: int) -> ReplenishmentRule | None:
    return s.scalars(
        select(ReplenishmentRule).where(
            ReplenishmentRule.location_id == location_id, ReplenishmentRule.sku_id == sku_id
        )
    ).first()


def _live_task(s: Session, location_id: int, sku_id: int) -> ReplenishmentTask | None:
    return s.scalars(
        select(ReplenishmentTask).where(
            ReplenishmentTask.to_location_id == location_id,
            ReplenishmentTask.sku_id == sku_id,
            ReplenishmentTask.status.in_(LIVE),
        )
    ).first()


def reserve_bins(s: Session, sku_id: int) -> list[ReserveBin]:
    """Reserve bins holding free units of the SKU, less what live tasks already plan to take."""
    planned = dict(
        s.execute(
            select(
                ReplenishmentTask.from_stock_id,
                func.sum(ReplenishmentTask.qty - ReplenishmentTask.moved_qty),
            )
            .where(ReplenishmentTask.sku_id == sku_id, ReplenishmentTask.status.in_(LIVE))
            .group_by(ReplenishmentTask.from_stock_id)
        ).all()
    )
    rows = s.execute(
        select(
            Stock.id, Location.code, Stock.on_hand - Stock.allocated, Stock.lot, Stock.expires_on
        )
        .join(Location, Location.id == Stock.location_id)
        .where(
            Stock.sku_id == sku_id,
            Location.kind == RESERVE,
            Stock.on_hand > Stock.allocated,
        )
    ).all()
    return [
        ReserveBin(stock_id, code, int(free) - int(planned.get(stock_id, 0)), lot or "", expires)
        for stock_id, code, free, lot, expires in rows
    ]


def check_face(
    s: Session,
    location_id: int,
    sku_id: int,
    trigger: Trigger,
    actor: str | None,
    now: datetime,
    missing: int = 0,
) -> ReplenishmentTask | None:
    """Raise a task for the face if it needs stock and has no live task; the live task if it
    has one; None when it needs nothing (or nothing can be brought: then an alert)."""
    rule = _rule(s, location_id, sku_id)
    if rule is None:
        return None
    live = _live_task(s, location_id, sku_id)
    if live is not None:
        return live
    on_hand = face_on_hand(s, location_id, sku_id) - missing
    minmax = MinMax(rule.min_units, rule.max_units)
    wanted = units_wanted(on_hand, minmax, trigger)
    face = repo.must_get(s, Location, location_id)
    sku = repo.must_get(s, Sku, sku_id)
    key = alert_key(AlertKind.NO_RESERVE, sku.sku, face.code)
    if wanted == 0:
        stock_alerts.resolve_alert(s, key, now)
        return None
    move = next_move(reserve_bins(s, sku_id), wanted, now.date())
    if move is None:
        stock_alerts.raise_alert(
            s,
            AlertKind.NO_RESERVE,
            key,
            sku_id,
            location_id,
            max(on_hand, 0),
            rule.min_units,
            no_reserve_message(sku.sku, face.code, max(on_hand, 0), minmax),
            now,
        )
        return None
    source, qty = move
    source_stock = repo.must_get(s, Stock, source.stock_id)
    task = ReplenishmentTask(
        sku_id=sku_id,
        from_stock_id=source.stock_id,
        from_location_id=source_stock.location_id,
        to_location_id=location_id,
        lot=source.lot,
        qty=qty,
        moved_qty=0,
        status="open",
        trigger=trigger.value,
        raised_by=actor,
        created_at=now,
    )
    try:
        with s.begin_nested():
            s.add(task)
            s.flush()
    except IntegrityError:
        # Another transaction raised the face's task meanwhile: one task is enough.
        return None
    stock_alerts.resolve_alert(s, key, now)
    return task


def after_pick(s: Session, location_id: int, sku_id: int, actor: str | None, now: datetime) -> None:
    """A pick took units of `sku_id` from `location_id` (in the pick's transaction). On the
    hot path of every pick: one query answers "a face with a min/max, at or below it?"."""
    found = s.execute(
        select(ReplenishmentRule.min_units, func.coalesce(func.sum(Stock.on_hand), 0))
        .join(
            Stock,
            (Stock.location_id == ReplenishmentRule.location_id)
            & (Stock.sku_id == ReplenishmentRule.sku_id),
        )
        .where(ReplenishmentRule.location_id == location_id, ReplenishmentRule.sku_id == sku_id)
        .group_by(ReplenishmentRule.id, ReplenishmentRule.min_units)
    ).first()
    if found is None or int(found[1]) > int(found[0]):
        return
    check_face(s, location_id, sku_id, Trigger.PICK, actor, now)


def after_short(
    s: Session, location_id: int, sku_id: int, missing: int, actor: str | None, now: datetime
) -> None:
    """A picker could not find `missing` units at the bin (in the short pick's transaction):
    a pick face with a min/max gets stock whatever its level says, the missing units being
    taken as gone until the count says otherwise."""
    check_face(s, location_id, sku_id, Trigger.SHORT, actor, now, missing)


def retry_waiting_faces(s: Session, sku_id: int | None, actor: str | None, now: datetime) -> int:
    """Faces with an open `no_reserve` alert (of one SKU, or all): stock may have arrived
    in reserve, or the face may no longer need any. Returns the tasks raised."""
    stmt = select(StockAlert.location_id, StockAlert.sku_id).where(
        StockAlert.status == stock_alerts.OPEN, StockAlert.kind == AlertKind.NO_RESERVE.value
    )
    if sku_id is not None:
        stmt = stmt.where(StockAlert.sku_id == sku_id)
    raised = 0
    for location_id, alert_sku in s.execute(stmt).all():
        if location_id is None:
            continue
        if check_face(s, location_id, alert_sku, Trigger.STOCK, actor, now) is not None:
            raised += 1
    return raised


# ---------------------------------------------------------------------------- tasks


def task_view(s: Session, task: ReplenishmentTask) -> dict[str, Any]:
    source = repo.must_get(s, Stock, task.from_stock_id)
    face = repo.must_get(s, Location, task.to_location_id)
    sku = repo.must_get(s, Sku, task.sku_id)
    rule = _rule(s, task.to_location_id, task.sku_id)
    return {
        "task_id": task.id,
        "status": task.status,
        "trigger": task.trigger,
        "from": source.location.code,
        "to": face.code,
        "sku": sku.sku,
        "sku_name": sku.name,
        "barcode": next((b.code for b in sku.barcodes), sku.sku),
        "item_codes": sorted(repo.item_codes(sku)),
        "lot": task.lot or None,
        "expires_on": source.expires_on.isoformat() if source.expires_on else None,
        "qty": task.qty,
        "moved": task.moved_qty,
        "free_at_source": source.on_hand - source.allocated,
        "face_on_hand": face_on_hand(s, task.to_location_id, task.sku_id),
        "min": rule.min_units if rule else None,
        "max": rule.max_units if rule else None,
        "assigned_to": task.assigned_to,
        "message": task_message(sku.sku, task.qty, source.location.code, face.code),
    }


def list_tasks(uow: SessionFactory, include_done: bool = False) -> list[dict[str, Any]]:
    with uow() as tx:
        s = tx.session
        stmt = select(ReplenishmentTask).order_by(ReplenishmentTask.id)
        if not include_done:
            stmt = stmt.where(ReplenishmentTask.status.in_(LIVE))
        return [task_view(s, t) for t in s.scalars(stmt).all()]


def next_task(actor: str, uow: SessionFactory, clock: Clock) -> dict[str, Any] | None:
    """The task in the replenisher's hand, else the oldest open one (short picks first: a
    picker is waiting). Never one task to two people: SKIP LOCKED on PostgreSQL, the single
    writer on SQLite. A task whose reserve bin has nothing free any more (orders took it
    meanwhile) is cancelled and planned again from another bin before anyone walks there."""
    now = clock()
    with uow() as tx:
        s = tx.session
        for _ in range(MAX_REPLANS):
            task = _claim(s, actor)
            if task is None:
                tx.commit()
                return None
            source = repo.must_get(s, Stock, task.from_stock_id)
            if source.on_hand - source.allocated > 0:
                view = task_view(s, task)
                tx.commit()
                return view
            task.status, task.completed_at = "cancelled", now
            s.flush()
            check_face(s, task.to_location_id, task.sku_id, Trigger(task.trigger), actor, now)
        tx.commit()
        return None


def _claim(s: Session, actor: str) -> ReplenishmentTask | None:
    task = s.scalars(
        select(ReplenishmentTask)
        .where(ReplenishmentTask.status == "active", ReplenishmentTask.assigned_to == actor)
        .order_by(ReplenishmentTask.id)
        .limit(1)
    ).first()
    if task is not None:
        return task
    task = s.scalars(
        select(ReplenishmentTask)
        .where(ReplenishmentTask.status == "open")
        .order_by(
            (ReplenishmentTask.trigger != Trigger.SHORT.value),
            ReplenishmentTask.created_at,
            ReplenishmentTask.id,
        )
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if task is not None:
        task.status, task.assigned_to = "active", actor
    return task


def release_task(task_id: int, actor: str, uow: SessionFactory) -> dict[str, Any]:
    """Give a task back (the replenisher cannot do it now): it is open for anyone again."""
    with uow() as tx:
        s = tx.session
        task = s.get(ReplenishmentTask, task_id, with_for_update=True)
        if task is None or task.status not in LIVE:
            raise NotFound(no_task_message(task_id), "task_id")
        if task.assigned_to not in (None, actor):
            raise ServiceError(taken_message(task.assigned_to), "task_id")
        task.status, task.assigned_to = "open", None
        tx.commit()
        return {"task_id": task_id, "status": "open"}


@dataclass(frozen=True)
class ReplenishConfirm:
    task_id: int
    from_code: str
    item_code: str
    to_code: str
    qty: int | None
    actor: str
    client_scan_id: str | None = None
    device: str | None = None


def refuse(refusal: Refusal, message: str) -> ScanReply:
    return ScanReply(False, refusal.value, message)


def no_task_message(task_id: int) -> Text:
    return msg("Replenishment task %(task)s is no longer open. Ask for the next one.", task=task_id)


def taken_message(who: str | None) -> Text:
    return msg("This task belongs to %(who)s now.", who=who or "-")


def _scan_location(code: str) -> str:
    parsed = parse_scan(code)
    return parsed.value if parsed.kind is ScanKind.LOCATION else code.strip().upper()


def task_scan_refusal(
    s: Session, task: ReplenishmentTask, stage: str, code: str
) -> ScanReply | None:
    """One scan of a replenishment task judged against it: the reserve bin (`from`), the
    item, the pick face (`to`). None when it is the right one."""
    source = repo.must_get(s, Stock, task.from_stock_id)
    face = repo.must_get(s, Location, task.to_location_id)
    if stage in ("from", "to"):
        want = source.location.code if stage == "from" else face.code
        if _scan_location(code) != want:
            text = (
                msg(
                    "Wrong location %(code)s: go to the reserve bin %(want)s.", code=code, want=want
                )
                if stage == "from"
                else msg(
                    "Wrong location %(code)s: go to the pick face %(want)s.", code=code, want=want
                )
            )
            return refuse(Refusal.WRONG_LOCATION, text)
        return None
    parsed = parse_scan(code)
    sku = stock_rows.sku_for_scan(s, parsed)
    expected = repo.must_get(s, Sku, task.sku_id)
    if sku is None or sku.id != task.sku_id:
        return refuse(
            Refusal.WRONG_ITEM, msg("Wrong item: this task moves %(sku)s.", sku=expected.sku)
        )
    if parsed.lot and task.lot and parsed.lot != task.lot:
        return refuse(
            Refusal.WRONG_LOT,
            msg(
                "Wrong lot %(lot)s: take lot %(want)s from %(code)s.",
                lot=parsed.lot,
                want=task.lot,
                code=source.location.code,
            ),
        )
    return None


def confirm(cmd: ReplenishConfirm, uow: SessionFactory, clock: Clock) -> ScanReply:
    """Both locations and the item scanned: move the units from reserve to the face (two
    ledger rows, reason `replenish`), close the task, and look at the face again."""
    now = clock()
    raw = f"replenish:{cmd.task_id}:{cmd.from_code}>{cmd.to_code}"
    with uow() as tx:
        s = tx.session
        task = s.get(ReplenishmentTask, cmd.task_id, with_for_update=True)
        prev = repo.previous_scan(s, cmd.client_scan_id)
        if prev is not None:
            return replay(prev)
        reply = _confirm(s, task, cmd, now)
        log_scan(
            s,
            station=STATION,
            raw=raw,
            reply=reply,
            now=now,
            client_scan_id=cmd.client_scan_id,
            device=cmd.device,
            actor=cmd.actor,
            parsed={
                "mode": "replenish",
                "task_id": cmd.task_id,
                "from": cmd.from_code,
                "item": cmd.item_code,
                "to": cmd.to_code,
                "qty": cmd.qty,
            },
            task_id=cmd.task_id,
        )
        tx.commit()
        return reply


def _confirm(
    s: Session, task: ReplenishmentTask | None, cmd: ReplenishConfirm, now: datetime
) -> ScanReply:
    if task is None or task.status not in LIVE:
        return refuse(
            Refusal.NO_TASK,
            no_task_message(cmd.task_id),
        )
    if task.assigned_to not in (None, cmd.actor):
        return refuse(Refusal.TASK_TAKEN, taken_message(task.assigned_to))
    for stage, code in (("from", cmd.from_code), ("item", cmd.item_code), ("to", cmd.to_code)):
        wrong = task_scan_refusal(s, task, stage, code)
        if wrong is not None:
            return wrong
    qty = task.qty if cmd.qty is None else cmd.qty
    if not 1 <= qty <= task.qty:
        return refuse(
            Refusal.BAD_QUANTITY,
            msg(
                "Quantity %(qty)s is not possible: this task moves 1 to %(max)s.",
                qty=qty,
                max=task.qty,
            ),
        )
    source = repo.must_get(s, Stock, task.from_stock_id)
    sku = repo.must_get(s, Sku, task.sku_id)
    face = repo.must_get(s, Location, task.to_location_id)
    before = stock_rows.repo_flagged(s, sku.id)
    reference = f"RPL-{task.id}"
    if not repo.move_stock(
        s, source, on_hand_delta=-qty, reason=REASON, reference=reference, actor=cmd.actor, now=now
    ):
        s.refresh(source)
        free = source.on_hand - source.allocated
        return refuse(
            Refusal.NOT_ENOUGH,
            msg(
                "Only %(free)s × %(sku)s free in %(code)s now: move %(free)s (key it in) "
                "or give the task back.",
                free=free,
                sku=sku.sku,
                code=source.location.code,
            ),
        )
    target = stock_rows.stock_row(s, face, sku.id, source.lot, source.expires_on)
    if not repo.move_stock(
        s, target, on_hand_delta=qty, reason=REASON, reference=reference, actor=cmd.actor, now=now
    ):
        raise ServiceError(
            msg("could not book %(qty)s into %(code)s", qty=qty, code=face.code), "to"
        )
    stock_rows.keep_availability_flag(s, sku.id, before, changed=False)
    task.moved_qty, task.status = qty, "done"
    task.done_by, task.completed_at = cmd.actor, now
    task.assigned_to = task.assigned_to or cmd.actor
    s.flush()
    following = check_face(s, face.id, sku.id, Trigger.DONE, cmd.actor, now)
    reply = ScanReply(
        True, "replenish_ok", replenished_message(qty, sku.sku, source.location.code, face.code)
    )
    reply.data["moved"] = {
        "qty": qty,
        "sku": sku.sku,
        "from": source.location.code,
        "to": face.code,
    }
    reply.data["next_task_id"] = following.id if following is not None else None
    return reply
