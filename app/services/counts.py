"""Cycle counts (docs/counts.md): count tasks from short picks, supervisor requests and the cycle
schedule; blind counts on the handheld; a recount on variance, preferably by someone else;
supervisor approval with a reason code, through the ledger and the audit log.

Blind means the counter is never told what the system holds: not in the task, not in the
answers to scans, not in the answer to the final confirmation (which reads the same whatever
the count found). The comparison is made when the count is committed, against the bin's
on-hand at that moment, with the bin's stock rows locked (app.domain.counting has the rules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters.count_config import CountConfig
from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Barcode,
    Location,
    PickTask,
    Reservation,
    Sku,
    Stock,
    StockMovement,
    User,
)
from app.adapters.db.models_counts import CountAdjustment, CountLine, CountPresence
from app.adapters.db.models_pick import CountTask
from app.adapters.db.uow import SessionFactory
from app.domain import counting
from app.domain.counting import ItemKey, LineResult, Verdict
from app.domain.scanning import ParsedScan, ScanKind, parse_scan
from app.domain.text import N_, Text, join, msg, nmsg
from app.services.auth import audit
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.replies import ScanReply, log_scan, replay

STATION = "count"
SUPERVISOR_ROLES = frozenset({"supervisor", "admin"})
OPEN = "open"
REVIEW = "review"
DONE = "done"
LIVE = (OPEN, REVIEW)
# Which open count a counter gets first: recounts (someone is waiting on them), then counts a
# short pick raised (the bin is in doubt), then requests, then the schedule.
SOURCE_RANK = {"recount": 0, "short_pick": 1, "request": 2, "schedule": 3}
CANDIDATES = 50
AISLE = re.compile(r"^([A-Z])(\d{1,2})$")


class Forbidden(ServiceError):
    code = "forbidden"
    http_status = 403


class AdjustmentBlocked(Conflict):
    """Approving would take on-hand below what orders hold: refused, with who holds it."""

    code = "allocated"

    def __init__(self, message: str, holds: list[dict[str, Any]]) -> None:
        super().__init__(message, "task_id")
        self.holds = holds

    def to_json(self) -> dict[str, object]:
        return {**super().to_json(), "holds": self.holds}


@dataclass(frozen=True)
class CountMeta:
    """Who acted, and the client id that makes a resend harmless."""

    counter: str
    client_scan_id: str | None = None
    device: str | None = None
    entry: str | None = None


# ---------------------------------------------------------------------------- presence


def _touch(s: Session, badge: str, now: datetime) -> None:
    done = s.execute(
        update(CountPresence)
        .where(CountPresence.badge == badge)
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount:  # type: ignore[attr-defined]
        return
    try:
        with s.begin_nested():  # two tabs of one counter may insert at once
            s.add(CountPresence(badge=badge, seen_at=now))
    except IntegrityError:
        pass


def _others_here(s: Session, badge: str, now: datetime, window_s: float) -> bool:
    since = now - timedelta(seconds=window_s)
    found = s.scalars(
        select(CountPresence.badge)
        .where(CountPresence.badge != badge, CountPresence.seen_at >= since)
        .limit(1)
    ).first()
    return found is not None


def here(badge: str, uow: SessionFactory, clock: Clock) -> None:
    """The counter's page is open and signed in (sign-in and a heartbeat)."""
    with uow() as tx:
        _touch(tx.session, badge, clock())
        tx.commit()


def gone(badge: str, uow: SessionFactory) -> None:
    """The page disconnected: nobody is counting here until it signs in again."""
    with uow() as tx:
        tx.session.execute(delete(CountPresence).where(CountPresence.badge == badge))
        tx.commit()


def sign_out(badge: str, uow: SessionFactory) -> int:
    """Signed out: not here any more, and an unfinished count goes back to the queue (what was
    scanned for it is dropped: the next counter starts the bin afresh)."""
    with uow() as tx:
        s = tx.session
        s.execute(delete(CountPresence).where(CountPresence.badge == badge))
        tasks = s.scalars(
            select(CountTask).where(CountTask.assigned_to == badge, CountTask.status == OPEN)
        ).all()
        for task in tasks:
            _release(s, task)
        tx.commit()
        return len(tasks)


def _release(s: Session, task: CountTask) -> None:
    s.execute(delete(CountLine).where(CountLine.count_task_id == task.id))
    task.assigned_to = None
    task.location_confirmed = False


# ---------------------------------------------------------------------------- the counter's view


def _lines(s: Session, task_id: int) -> list[CountLine]:
    return list(
        s.scalars(
            select(CountLine).where(CountLine.count_task_id == task_id).order_by(CountLine.id)
        ).all()
    )


def counter_view(s: Session, task: CountTask) -> dict[str, Any]:
    """What the handheld shows: where, what, and the counter's own numbers. Never the
    system's (a test holds every payload to that)."""
    loc = repo.must_get(s, Location, task.location_id)
    sku = s.get(Sku, task.sku_id) if task.sku_id is not None else None
    lines = [ln for ln in _lines(s, task.id) if ln.counted_qty > 0]
    names = _names(s, {ln.sku_id for ln in lines if ln.sku_id is not None})
    return {
        "task_id": task.id,
        "kind": "recount" if task.recount_of is not None else "count",
        "location": loc.code,
        "zone": loc.zone,
        "scope": "sku" if sku is not None else "location",
        "sku": sku.sku if sku is not None else None,
        "sku_name": sku.name if sku is not None else None,
        "stage": "items" if task.location_confirmed else "location",
        "lines": [
            {
                "item": ln.item,
                "name": names.get(ln.sku_id or 0, "Unknown item"),
                "lot": ln.lot,
                "qty": ln.counted_qty,
                "unknown": ln.sku_id is None,
            }
            for ln in lines
        ],
        "units": sum(ln.counted_qty for ln in lines),
    }


def _names(s: Session, sku_ids: Iterable[int]) -> dict[int, str]:
    ids = set(sku_ids)
    if not ids:
        return {}
    return {i: n for i, n in s.execute(select(Sku.id, Sku.name).where(Sku.id.in_(ids))).all()}


# ---------------------------------------------------------------------------- next task


def next_task(
    badge: str, uow: SessionFactory, clock: Clock, cfg: CountConfig
) -> dict[str, Any] | None:
    """The count in hand, else one assigned to this counter, else the first open count in
    the queue (recounts of someone else's count first; a recount of this counter's own count
    only while nobody else is signed in to count), claimed by a conditional update so two
    counters never get the same bin."""
    with uow() as tx:
        s = tx.session
        now = clock()
        _touch(s, badge, now)
        mine = s.scalars(
            select(CountTask)
            .where(CountTask.assigned_to == badge, CountTask.status == OPEN)
            .order_by(CountTask.location_confirmed.desc(), CountTask.id)
            .limit(1)
        ).first()
        if mine is None:
            mine = _claim(s, badge, now, cfg)
        view = counter_view(s, mine) if mine is not None else None
        tx.commit()
        return view


def _claim(s: Session, badge: str, now: datetime, cfg: CountConfig) -> CountTask | None:
    rank = case(SOURCE_RANK, value=CountTask.source, else_=len(SOURCE_RANK))
    candidates = s.scalars(
        select(CountTask)
        .where(CountTask.status == OPEN, CountTask.assigned_to.is_(None))
        .order_by(rank, CountTask.id)
        .limit(CANDIDATES)
    ).all()
    others: bool | None = None
    for task in candidates:
        if task.avoid_counter == badge:
            if others is None:
                others = _others_here(s, badge, now, cfg.presence_window_s)
            if not counting.may_take(task.avoid_counter, badge, others):
                continue
        claimed = s.execute(
            update(CountTask)
            .where(
                CountTask.id == task.id,
                CountTask.assigned_to.is_(None),
                CountTask.status == OPEN,
            )
            .values(assigned_to=badge)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]
            s.expire(task)
            return task
    return None


# ---------------------------------------------------------------------------- actions on a task


def _run(
    task_id: int,
    raw: str,
    parsed: dict[str, Any] | None,
    meta: CountMeta,
    uow: SessionFactory,
    clock: Clock,
    action: Any,
) -> ScanReply:
    """The frame of every counter action: lock the task, replay a client id seen before,
    refuse a task that is not this counter's, apply, log, commit, then answer."""
    with uow() as tx:
        s = tx.session
        now = clock()
        task = s.get(CountTask, task_id, with_for_update=True)
        prev = repo.previous_scan(s, meta.client_scan_id)
        if prev is not None:
            answer = replay(prev)
            if task is not None and task.status == OPEN and task.assigned_to == meta.counter:
                answer.data["task"] = counter_view(s, task)
            else:
                answer.data["task"] = None
            return answer
        _touch(s, meta.counter, now)
        refused = _ownership(task, meta.counter)
        if refused is not None or task is None:
            reply = refused or ScanReply(False, "no_task", "No such count.")
            reply.data["task"] = None
        else:
            reply = action(s, task, now)
            keep = task.status == OPEN and task.assigned_to == meta.counter
            reply.data["task"] = counter_view(s, task) if keep else None
        log_scan(
            s,
            station=STATION,
            raw=raw,
            reply=reply,
            now=now,
            client_scan_id=meta.client_scan_id,
            device=meta.device,
            actor=meta.counter,
            parsed={**(parsed or {}), "entry": meta.entry},
            task_id=task_id,
        )
        tx.commit()
        return reply


def _ownership(task: CountTask | None, counter: str) -> ScanReply | None:
    if task is None:
        return ScanReply(
            False, "no_task", msg("This count no longer exists. Ask for the next one.")
        )
    if task.status != OPEN:
        return ScanReply(
            False, "count_closed", msg("This count is finished. Ask for the next one.")
        )
    if task.assigned_to != counter:
        text = (
            msg("This count is with %(badge)s. Ask for your next count.", badge=task.assigned_to)
            if task.assigned_to
            else msg("This count is not yours. Ask for your next count.")
        )
        return ScanReply(False, "not_yours", text)
    return None


def _location_code(s: Session, task: CountTask) -> str:
    return repo.must_get(s, Location, task.location_id).code


def record_scan(
    task_id: int, raw: str, meta: CountMeta, uow: SessionFactory, clock: Clock, cfg: CountConfig
) -> ScanReply:
    """A scan on a count: the location first; then each item (one unit a scan); the location
    again finishes the count."""
    parsed = parse_scan(raw)

    def action(s: Session, task: CountTask, now: datetime) -> ScanReply:
        here_code = _location_code(s, task)
        if parsed.kind.value == "check_failed":  # a label misread (app/domain/codes.py)
            return ScanReply(
                False,
                "check_failed",
                msg("%(code)s: the label did not read right. Scan it again.", code=parsed.value),
            )
        if parsed.kind is ScanKind.LOCATION:
            loc = s.scalars(select(Location).where(Location.code == parsed.value)).first()
            if loc is None:
                return ScanReply(
                    False,
                    "unknown_location",
                    msg(
                        "%(code)s is not a location in this warehouse. "
                        "Scan the label of %(location)s.",
                        code=parsed.value,
                        location=here_code,
                    ),
                )
            if loc.id != task.location_id:
                return ScanReply(
                    False,
                    "wrong_location",
                    msg(
                        "Wrong location %(code)s: this count is at %(location)s.",
                        code=loc.code,
                        location=here_code,
                    ),
                )
            if not task.location_confirmed:
                task.location_confirmed = True
                return ScanReply(
                    True,
                    "location_ok",
                    msg(
                        "%(location)s confirmed. Scan every item in it, "
                        "then scan the location again to finish.",
                        location=here_code,
                    ),
                )
            return _finish(s, task, meta.counter, now, cfg, empty=False)
        if not task.location_confirmed:
            return _scan_location_first(here_code)
        if parsed.kind in (ScanKind.ITEM, ScanKind.OTHER):
            return _count_unit(s, task, parsed, meta.counter, now, cfg, here_code)
        return ScanReply(
            False,
            "not_an_item",
            msg(
                "%(code)s is not an item. Scan the items in %(location)s.",
                code=parsed.value,
                location=here_code,
            ),
        )

    return _run(task_id, raw, parsed.to_json(), meta, uow, clock, action)


def _count_unit(
    s: Session,
    task: CountTask,
    parsed: ParsedScan,
    counter: str,
    now: datetime,
    cfg: CountConfig,
    here_code: str,
) -> ScanReply:
    sku = _sku_for_scan(s, parsed)
    if sku is None:
        if parsed.kind is not ScanKind.ITEM:
            return ScanReply(
                False,
                "unknown_code",
                msg(
                    "%(code)s is not an item, a location or a badge. Nothing was counted.",
                    code=parsed.value,
                ),
            )
        # A real GTIN the item master does not know: found stock, recorded for the supervisor.
        line = _add_unit(s, task, parsed.value, None, parsed.lot or "", parsed, counter, now, cfg)
        if line is None:
            return _too_many(cfg)
        return ScanReply(
            True,
            "found_ok",
            msg(
                "Unknown item %(code)s: %(n)s recorded as found. "
                "Scan every one; the office sets the item up.",
                code=parsed.value,
                n=line.counted_qty,
            ),
        )
    lots_here = s.scalars(
        select(Stock.lot).where(Stock.location_id == task.location_id, Stock.sku_id == sku.id)
    ).all()
    lot = counting.resolve_lot(parsed.lot, lots_here)
    if lot is None:
        return ScanReply(
            False,
            "lot_needed",
            msg(
                "%(sku)s comes in several lots here: scan the label that carries the lot.",
                sku=sku.sku,
            ),
        )
    line = _add_unit(s, task, sku.sku, sku.id, lot, parsed, counter, now, cfg)
    if line is None:
        return _too_many(cfg)
    text = (
        msg("%(sku)s lot %(lot)s: %(n)s counted.", sku=sku.sku, lot=lot, n=line.counted_qty)
        if lot
        else msg(
            "%(sku)s (%(name)s): %(n)s counted.", sku=sku.sku, name=sku.name, n=line.counted_qty
        )
    )
    return ScanReply(True, "item_ok", text)


def _sku_for_scan(s: Session, parsed: ParsedScan) -> Sku | None:
    """The SKU a scan names: by any stored barcode whatever its GTIN length (a scan reads as
    GTIN-14, the item master may hold the EAN-13 or UPC-A), an alternate code, or the SKU."""
    codes = {parsed.value, parsed.raw.strip()}
    if parsed.kind is ScanKind.ITEM and len(parsed.value) == 14 and parsed.value.isdigit():
        for length in (13, 12, 8):
            if set(parsed.value[: 14 - length]) == {"0"}:
                codes.add(parsed.value[14 - length :])
    found = s.scalars(select(Barcode).where(Barcode.code.in_(codes))).first()
    if found is not None:
        return found.sku_ref
    return repo.sku_for_code(s, parsed.value)


def _what(item: str, lot: str) -> str:
    return msg("%(item)s lot %(lot)s", item=item, lot=lot) if lot else item


def _scan_location_first(location: str) -> ScanReply:
    return ScanReply(
        False, "scan_location", msg("Scan location %(location)s first.", location=location)
    )


def _too_many(cfg: CountConfig) -> ScanReply:
    return ScanReply(
        False,
        "qty_absurd",
        counting.quantity_message(counting.QtyProblem.ABSURD, cfg.max_units_per_line),
    )


def _add_unit(
    s: Session,
    task: CountTask,
    item: str,
    sku_id: int | None,
    lot: str,
    parsed: ParsedScan,
    counter: str,
    now: datetime,
    cfg: CountConfig,
) -> CountLine | None:
    """One more unit on the line; None (nothing changed) past the absurd-quantity bound."""
    line = s.scalars(
        select(CountLine).where(
            CountLine.count_task_id == task.id, CountLine.item == item, CountLine.lot == lot
        )
    ).first()
    if line is not None and line.counted_qty + 1 > cfg.max_units_per_line:
        return None
    if line is None:
        line = CountLine(
            count_task_id=task.id,
            item=item,
            sku_id=sku_id,
            lot=lot,
            expires_on=parsed.expires_on,
            counted_qty=0,
            counted_by=counter,
            updated_at=now,
        )
        s.add(line)
    line.counted_qty += 1
    line.updated_at = now
    line.counted_by = counter
    if parsed.expires_on is not None and line.expires_on is None:
        line.expires_on = parsed.expires_on
    s.flush()
    return line


def set_quantity(
    task_id: int,
    item: str,
    lot: str,
    qty: int,
    meta: CountMeta,
    uow: SessionFactory,
    clock: Clock,
    cfg: CountConfig,
) -> ScanReply:
    """The keypad: this many units of this (already scanned) item and lot; 0 takes the line
    off. A negative or absurd quantity is refused before anything is touched."""
    problem = counting.quantity_problem(qty, cfg.max_units_per_line)
    if problem is not None:
        raise ServiceError(counting.quantity_message(problem, cfg.max_units_per_line), "qty")

    def action(s: Session, task: CountTask, now: datetime) -> ScanReply:
        here_code = _location_code(s, task)
        if not task.location_confirmed:
            return _scan_location_first(here_code)
        line = s.scalars(
            select(CountLine).where(
                CountLine.count_task_id == task.id,
                CountLine.item == item,
                CountLine.lot == lot,
            )
        ).first()
        if line is None:
            raise ServiceError(
                msg(
                    "%(item)s is not on this count yet: scan one first, then key in how many.",
                    item=item,
                ),
                "item",
            )
        if qty == 0:
            s.delete(line)
            s.flush()
            return ScanReply(
                True, "qty_ok", msg("%(what)s taken off the count.", what=_what(item, lot))
            )
        line.counted_qty = qty
        line.updated_at = now
        line.counted_by = meta.counter
        return ScanReply(
            True, "qty_ok", msg("%(what)s: %(n)s counted.", what=_what(item, lot), n=qty)
        )

    parsed = {"kind": "quantity", "value": str(qty), "item": item, "lot": lot}
    return _run(task_id, f"qty:{item}:{lot}:{qty}", parsed, meta, uow, clock, action)


def confirm(
    task_id: int,
    empty: bool,
    meta: CountMeta,
    uow: SessionFactory,
    clock: Clock,
    cfg: CountConfig,
) -> ScanReply:
    """Finish the count (`empty`: the bin holds nothing at all)."""

    def action(s: Session, task: CountTask, now: datetime) -> ScanReply:
        if not task.location_confirmed:
            return _scan_location_first(_location_code(s, task))
        return _finish(s, task, meta.counter, now, cfg, empty=empty)

    raw = "confirm:empty" if empty else "confirm"
    return _run(task_id, raw, {"kind": "confirm", "value": raw}, meta, uow, clock, action)


def skip(task_id: int, meta: CountMeta, uow: SessionFactory, clock: Clock) -> ScanReply:
    """Give the count back (the bin cannot be reached): someone else gets it."""

    def action(s: Session, task: CountTask, now: datetime) -> ScanReply:
        code = _location_code(s, task)
        _release(s, task)
        # Someone else gets it if anyone else is signed in (see next_task).
        task.avoid_counter = task.avoid_counter or meta.counter
        return ScanReply(
            True,
            "skip_ok",
            msg("Count of %(location)s given back. Ask for the next one.", location=code),
        )

    return _run(task_id, "skip", {"kind": "skip", "value": "skip"}, meta, uow, clock, action)


# ---------------------------------------------------------------------------- the commit


def _finish(
    s: Session, task: CountTask, counter: str, now: datetime, cfg: CountConfig, empty: bool
) -> ScanReply:
    here_code = _location_code(s, task)
    lines = [ln for ln in _lines(s, task.id) if ln.counted_qty > 0]
    if empty and lines:
        units = sum(ln.counted_qty for ln in lines)
        return ScanReply(
            False,
            "not_empty",
            msg("You counted %(n)s here: take them off the count, or finish it instead.", n=units),
        )
    if not empty and not lines:
        return ScanReply(
            False,
            "nothing_counted",
            msg(
                "Nothing counted at %(location)s. Scan the items, or tap Bin is empty.",
                location=here_code,
            ),
        )
    results = _compare_now(s, task, now)
    verdict = counting.judge(_previous_variance(s, task), results, cfg.tolerance)
    task.counted_by = counter
    task.counted_at = now
    task.outcome = verdict.value
    if verdict.needs_review:
        task.status = REVIEW
    else:
        task.status = DONE
        task.completed_at = now
    if verdict is Verdict.RECOUNT:
        _raise(
            s,
            task.location_id,
            task.sku_id,
            "recount",
            "variance",
            raised_by=counter,
            now=now,
            recount_of=task.id,
            avoid=counter,
            stock_id=task.stock_id,
        )
    # The same words whatever the count found: the counter is never told how it compared.
    return ScanReply(
        True, "count_ok", msg("Count of %(location)s saved. Thank you.", location=here_code)
    )


def _key(line: CountLine) -> ItemKey:
    return ItemKey(line.item, line.lot, line.sku_id is None)


def _compare_now(s: Session, task: CountTask, now: datetime) -> tuple[LineResult, ...]:
    """Counted against on-hand now, with the bin's stock rows locked until the commit; every
    line is written down with both figures."""
    rows = s.scalars(
        select(Stock)
        .where(Stock.location_id == task.location_id)
        .order_by(Stock.id)
        .with_for_update(of=Stock)
    ).all()
    lines = {_key(ln): ln for ln in _lines(s, task.id)}
    counted = {k: ln.counted_qty for k, ln in lines.items() if ln.counted_qty > 0}
    earlier = set(_previous_variance(s, task) or {}) | {
        _key(ln) for ln in _lines(s, task.recount_of or 0)
    }
    stock_by_key: dict[ItemKey, Stock] = {}
    system: dict[ItemKey, int] = {}
    codes = dict(
        s.execute(select(Sku.id, Sku.sku).where(Sku.id.in_({r.sku_id for r in rows}))).all()
    )
    for st in rows:
        key = ItemKey(codes[st.sku_id], st.lot)
        stock_by_key[key] = st
        if task.sku_id is None or st.sku_id == task.sku_id or key in counted or key in earlier:
            system[key] = st.on_hand
    for key in earlier:
        system.setdefault(key, 0)
    results = counting.compare(system, counted)
    sku_ids = dict(
        s.execute(select(Sku.sku, Sku.id).where(Sku.sku.in_({k.item for k in system}))).all()
    )
    for r in results:
        line = lines.get(r.key)
        if line is None:
            line = CountLine(
                count_task_id=task.id,
                item=r.key.item,
                sku_id=None if r.key.unknown else sku_ids.get(r.key.item),
                lot=r.key.lot,
                counted_qty=0,
                counted_by=task.assigned_to,
                updated_at=now,
            )
            s.add(line)
        line.system_qty = r.system
        held = stock_by_key.get(r.key)
        line.stock_id = held.id if held is not None and not r.key.unknown else None
    s.flush()
    return results


def _variance_of(s: Session, task_id: int) -> dict[ItemKey, int]:
    return {
        _key(ln): ln.counted_qty - ln.system_qty
        for ln in _lines(s, task_id)
        if ln.system_qty is not None and ln.counted_qty != ln.system_qty
    }


def _previous_variance(s: Session, task: CountTask) -> dict[ItemKey, int] | None:
    return _variance_of(s, task.recount_of) if task.recount_of is not None else None


def _scope_on_hand(s: Session, location_id: int, sku_id: int | None) -> int:
    stmt = select(func.coalesce(func.sum(Stock.on_hand), 0)).where(Stock.location_id == location_id)
    if sku_id is not None:
        stmt = stmt.where(Stock.sku_id == sku_id)
    return int(s.scalar(stmt) or 0)


def _raise(
    s: Session,
    location_id: int,
    sku_id: int | None,
    source: str,
    reason: str,
    *,
    raised_by: str | None,
    now: datetime,
    recount_of: int | None = None,
    avoid: str | None = None,
    stock_id: int | None = None,
    assign_to: str | None = None,
) -> CountTask:
    task = CountTask(
        stock_id=stock_id,
        location_id=location_id,
        sku_id=sku_id,
        reason=reason[:16],
        expected_on_hand=_scope_on_hand(s, location_id, sku_id),
        status=OPEN,
        raised_by=raised_by,
        created_at=now,
        source=source,
        recount_of=recount_of,
        avoid_counter=avoid,
        assigned_to=assign_to,
        location_confirmed=False,
    )
    s.add(task)
    s.flush()
    return task


# ---------------------------------------------------------------------------- raising counts


def _covered(s: Session, location_id: int, sku_id: int | None) -> bool:
    """An open (or in review) count of the whole bin covers any request there; one of a SKU
    covers a request for that SKU."""
    live = s.execute(
        select(CountTask.sku_id).where(
            CountTask.location_id == location_id, CountTask.status.in_(LIVE)
        )
    ).all()
    return any(row[0] is None or row[0] == sku_id for row in live)


def _require_role(s: Session, badge: str, what: str) -> None:
    role = s.scalars(select(User.role).where(User.badge == badge)).first()
    if role not in SUPERVISOR_ROLES:
        raise Forbidden(what, "badge")


def request_counts(
    by: str,
    uow: SessionFactory,
    clock: Clock,
    *,
    location: str | None = None,
    aisle: str | None = None,
    sku: str | None = None,
    assign_to: str | None = None,
) -> dict[str, Any]:
    """A supervisor asks for a count: of one location, of every bin in an aisle (`A03`: zone
    A, aisle 3), or of one SKU in every bin that holds it. Bins already being counted are
    skipped. `assign_to`: give the counts to this counter."""
    given = [v for v in (location, aisle, sku) if v]
    if len(given) != 1:
        raise ServiceError("Name exactly one of a location, an aisle or a SKU.", "location")
    with uow() as tx:
        s = tx.session
        now = clock()
        if by != "cli":
            _require_role(s, by, msg("Requesting a count needs a supervisor."))
        if assign_to:
            assign_to = assign_to.strip().upper()
            if s.scalars(select(User.id).where(User.badge == assign_to)).first() is None:
                raise ServiceError(
                    msg("Badge %(badge)s is not registered.", badge=assign_to), "assign_to"
                )
        targets: list[tuple[int, int | None]] = []
        what: str
        if location:
            code = parse_scan(location).value.upper()
            loc = s.scalars(select(Location).where(Location.code == code)).first()
            if loc is None:
                raise ServiceError(
                    msg("%(code)s is not a location in this warehouse.", code=location),
                    "location",
                )
            targets = [(loc.id, None)]
            what = loc.code
        elif aisle:
            m = AISLE.match(aisle.strip().upper())
            if m is None:
                raise ServiceError(
                    msg("%(code)s is not an aisle: write zone and aisle, e.g. A03.", code=aisle),
                    "aisle",
                )
            zone, number = m.group(1), int(m.group(2))
            ids = s.scalars(
                select(Location.id)
                .where(
                    Location.zone == zone,
                    Location.aisle == number,
                    Location.kind.in_(("pick", "reserve")),
                )
                .order_by(Location.code)
            ).all()
            if not ids:
                raise ServiceError(
                    msg("Aisle %(aisle)s has no bins.", aisle=f"{zone}{number:02d}"), "aisle"
                )
            targets = [(i, None) for i in ids]
            what = msg("aisle %(aisle)s", aisle=f"{zone}{number:02d}")
        else:
            assert sku is not None
            item = repo.sku_for_code(s, sku.strip())
            if item is None:
                raise ServiceError(msg("%(code)s is not a SKU or item code.", code=sku), "sku")
            ids = s.scalars(
                select(Stock.location_id)
                .join(Location, Location.id == Stock.location_id)
                .where(Stock.sku_id == item.id, (Stock.on_hand > 0) | (Stock.allocated > 0))
                .distinct()
                .order_by(Stock.location_id)
            ).all()
            if not ids:
                raise ServiceError(msg("No bin holds %(sku)s.", sku=item.sku), "sku")
            targets = [(i, item.id) for i in ids]
            what = nmsg(
                "%(sku)s in %(n)s bin", "%(sku)s in %(n)s bins", len(ids), sku=item.sku, n=len(ids)
            )
        created = _raise_many(s, targets, "request", raised_by=by, now=now, assign_to=assign_to)
        tx.commit()
    skipped = len(targets) - len(created)
    raised = nmsg(
        "%(n)s count raised for %(what)s.",
        "%(n)s counts raised for %(what)s.",
        len(created),
        n=len(created),
        what=what,
    )
    message = join([raised, msg("%(n)s already being counted.", n=skipped)]) if skipped else raised
    return {"created": len(created), "skipped": skipped, "task_ids": created, "message": message}


def _raise_many(
    s: Session,
    targets: Sequence[tuple[int, int | None]],
    source: str,
    *,
    raised_by: str,
    now: datetime,
    assign_to: str | None = None,
) -> list[int]:
    created: list[int] = []
    for location_id, sku_id in targets:
        if _covered(s, location_id, sku_id):
            continue
        task = _raise(
            s,
            location_id,
            sku_id,
            source,
            source,
            raised_by=raised_by,
            now=now,
            assign_to=assign_to,
        )
        created.append(task.id)
    return created


def plan_counts(
    uow: SessionFactory,
    clock: Clock,
    cfg: CountConfig,
    *,
    abc: bool = False,
    zone: str | None = None,
    limit: int | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """The cycle schedule (docs/counts.md): every bin of the scheduled kinds is counted at
    least every `every_days` (per zone if configured); with `abc`, as often as the fastest
    mover in it needs. The bins whose turn has come get a count task, most overdue first, at
    most `limit` (default `daily_limit`) per run."""
    sched = cfg.schedule
    with uow() as tx:
        s = tx.session
        now = clock()
        stmt = select(Location).where(Location.kind.in_(sched.kinds))
        if zone:
            stmt = stmt.where(Location.zone == zone.upper())
        locations = s.scalars(stmt.order_by(Location.code)).all()
        last = dict(
            s.execute(
                select(CountTask.location_id, func.max(CountTask.counted_at))
                .where(CountTask.counted_at.is_not(None))
                .group_by(CountTask.location_id)
            ).all()
        )
        live = set(s.scalars(select(CountTask.location_id).where(CountTask.status.in_(LIVE))).all())
        classes: dict[str, str] = {}
        held: dict[int, list[str]] = {}
        if abc:
            since = now - timedelta(days=sched.lookback_days)
            picked = dict(
                s.execute(
                    select(Sku.sku, -func.sum(StockMovement.on_hand_delta))
                    .join(Sku, Sku.id == StockMovement.sku_id)
                    .where(StockMovement.reason == "pick", StockMovement.at >= since)
                    .group_by(Sku.sku)
                ).all()
            )
            classes = counting.abc_classes(
                {k: int(v or 0) for k, v in picked.items()}, sched.a_share, sched.b_share
            )
            for location_id, code in s.execute(
                select(Stock.location_id, Sku.sku)
                .join(Sku, Sku.id == Stock.sku_id)
                .where(Stock.on_hand > 0)
            ).all():
                held.setdefault(location_id, []).append(code)

        bin_class: dict[str, str] = {}

        def interval(loc: Location) -> int:
            if not abc:
                return sched.interval(loc.zone)
            best = counting.best_class(classes.get(code, "C") for code in held.get(loc.id, []))
            bin_class[loc.code] = best
            return sched.class_days[best]

        by_code = {loc.code: loc for loc in locations}
        bins = [
            counting.PlanBin(
                loc.code,
                interval(loc),
                _day(last.get(loc.id)),
                loc.id in live,
            )
            for loc in locations
        ]
        all_due = counting.due(bins, now.date(), len(bins))
        chosen = all_due[: sched.daily_limit if limit is None else max(0, limit)]
        created: list[int] = []
        if not dry_run:
            created = _raise_many(
                s,
                [(by_code[b.location].id, None) for b in chosen],
                "schedule",
                raised_by="schedule",
                now=now,
            )
            tx.commit()
    report: dict[str, Any] = {
        "bins": len(bins),
        "due": len(all_due),
        "planned": [b.location for b in chosen],
        "created": len(created),
        "dry_run": dry_run,
    }
    if abc:
        report["classes"] = {
            c: sum(1 for v in bin_class.values() if v == c) for c in ("A", "B", "C")
        }
    return report


# ---------------------------------------------------------------------------- the supervisor


def _chain(s: Session, task: CountTask, depth: int = 10) -> list[CountTask]:
    """This count and the ones it checks, oldest first."""
    out = [task]
    while out[-1].recount_of is not None and len(out) < depth:
        prev = s.get(CountTask, out[-1].recount_of)
        if prev is None:
            break
        out.append(prev)
    return list(reversed(out))


def _day(at: datetime | None) -> date | None:
    return at.date() if at is not None else None


def _line_order(line: dict[str, Any]) -> tuple[bool, int, str, str]:
    variance = int(line["variance"])
    return (variance == 0, -abs(variance), str(line["item"]), str(line["lot"]))


def review_view(s: Session, task: CountTask, cfg: CountConfig) -> dict[str, Any]:
    loc = repo.must_get(s, Location, task.location_id)
    chain = _chain(s, task)
    counts_by_task = {t.id: {_key(ln): ln.counted_qty for ln in _lines(s, t.id)} for t in chain}
    lines = [ln for ln in _lines(s, task.id) if ln.system_qty is not None]
    names = _names(s, {ln.sku_id for ln in lines if ln.sku_id is not None})
    stock_now = {
        st.id: st
        for st in s.scalars(select(Stock).where(Stock.location_id == task.location_id)).all()
    }
    out_lines = []
    total_units = 0
    total_value = 0
    value_known = True
    for ln in lines:
        system = ln.system_qty or 0
        variance = ln.counted_qty - system
        unit = None if ln.sku_id is None else counting.unit_value_minor(ln.item, cfg.values)
        value = unit * variance if unit is not None else None
        if variance:
            total_units += variance
            if value is None:
                value_known = False
            else:
                total_value += value
        now_row = stock_now.get(ln.stock_id or 0)
        key = _key(ln)
        out_lines.append(
            {
                "item": ln.item,
                "name": names.get(ln.sku_id or 0, "Unknown item (not in the item master)"),
                "lot": ln.lot,
                "unknown": ln.sku_id is None,
                "expected": system,
                "counts": [counts_by_task[t.id].get(key) for t in chain],
                "variance": variance,
                "unit_value_minor": unit,
                "value_minor": value,
                "on_hand_now": now_row.on_hand if now_row is not None else 0,
                "allocated_now": now_row.allocated if now_row is not None else 0,
            }
        )
    out_lines.sort(key=_line_order)
    sku = s.get(Sku, task.sku_id) if task.sku_id is not None else None
    return {
        "task_id": task.id,
        "location": loc.code,
        "zone": loc.zone,
        "scope": "sku" if sku is not None else "location",
        "sku": sku.sku if sku is not None else None,
        "outcome": task.outcome,
        "source": chain[0].source,
        "raised_by": chain[0].raised_by,
        "counts": [
            {
                "task_id": t.id,
                "counter": t.counted_by,
                "counted_at": t.counted_at.isoformat() if t.counted_at else None,
            }
            for t in chain
        ],
        "lines": out_lines,
        "variance_units": total_units,
        "value_minor": total_value if value_known else None,
        "value_known_minor": total_value,
        "currency": cfg.currency,
    }


def review_list(uow: SessionFactory, cfg: CountConfig, limit: int = 100) -> dict[str, Any]:
    """The supervisor's page: counts waiting for a decision, the queue, recent outcomes."""
    with uow() as tx:
        s = tx.session
        waiting = s.scalars(
            select(CountTask)
            .where(CountTask.status == REVIEW)
            .order_by(CountTask.counted_at, CountTask.id)
            .limit(limit)
        ).all()
        reviews = [review_view(s, t, cfg) for t in waiting]
        open_rows = s.execute(
            select(CountTask, Location.code, Sku.sku)
            .join(Location, Location.id == CountTask.location_id)
            .outerjoin(Sku, Sku.id == CountTask.sku_id)
            .where(CountTask.status == OPEN)
            .order_by(CountTask.id)
            .limit(limit)
        ).all()
        queue = [
            {
                "task_id": t.id,
                "location": code,
                "sku": sku,
                "source": t.source,
                "kind": "recount" if t.recount_of is not None else "count",
                "assigned_to": t.assigned_to,
                "created_at": t.created_at.isoformat(),
            }
            for t, code, sku in open_rows
        ]
        open_total = int(
            s.scalar(select(func.count(CountTask.id)).where(CountTask.status == OPEN)) or 0
        )
        recent_rows = s.execute(
            select(CountTask, Location.code)
            .join(Location, Location.id == CountTask.location_id)
            .where(CountTask.status == DONE, CountTask.completed_at.is_not(None))
            .order_by(CountTask.completed_at.desc(), CountTask.id.desc())
            .limit(15)
        ).all()
        recent = [
            {
                "task_id": t.id,
                "location": code,
                "outcome": t.outcome,
                "counted_by": t.counted_by,
                "decided_by": t.decided_by,
                "reason_code": t.reason_code,
                "completed_at": t.completed_at.isoformat() if t.completed_at else None,
            }
            for t, code in recent_rows
        ]
    return {
        "reviews": reviews,
        "queue": queue,
        "open": open_total,
        "recent": recent,
        "reasons": [{"code": r.code, "label": r.label} for r in cfg.reasons],
        "currency": cfg.currency,
    }


def _holders(s: Session, stock: Stock) -> list[dict[str, Any]]:
    rows = s.execute(
        select(
            Reservation.qty,
            Allocation.allocation_id,
            Allocation.order_number,
            Allocation.status,
            AllocationLine.line_id,
            PickTask.picker,
        )
        .join(AllocationLine, AllocationLine.id == Reservation.line_pk)
        .join(Allocation, Allocation.id == AllocationLine.allocation_pk)
        .outerjoin(PickTask, PickTask.reservation_id == Reservation.id)
        .where(Reservation.stock_id == stock.id)
        .order_by(Allocation.allocation_id, AllocationLine.line_id)
    ).all()
    holds: list[dict[str, Any]] = [
        {
            "kind": "order",
            "allocation_id": allocation_id,
            "order_number": order_number,
            "status": status,
            "line_id": line_id,
            "qty": int(qty),
            "picker": picker,
        }
        for qty, allocation_id, order_number, status, line_id, picker in rows
    ]
    other = stock.allocated - sum(h["qty"] for h in holds)
    if other > 0:
        holds.append({"kind": "other", "qty": other})
    return holds


def approve(
    task_id: int,
    reason_code: str,
    note: str,
    by: str,
    uow: SessionFactory,
    clock: Clock,
    cfg: CountConfig,
) -> dict[str, Any]:
    """Apply the count: each line's variance (counted minus the system at count time, which
    picks since then do not change) goes through the ledger as reason `count` with reference
    `count:<task>:<reason code>`, all lines or none. Refused, with the orders that hold the
    stock, when it would leave on-hand below allocated."""
    try:
        reason = counting.parse_reason_code(reason_code, cfg.reasons)
    except counting.UnknownReason as exc:
        raise ServiceError(exc.message, "reason_code") from exc
    with uow() as tx:
        s = tx.session
        now = clock()
        _require_role(s, by, msg("Approving a count needs a supervisor."))
        task = s.get(CountTask, task_id, with_for_update=True)
        if task is None:
            raise NotFound(msg("Count %(id)s does not exist.", id=task_id), "task_id")
        if task.status != REVIEW:
            raise Conflict(
                msg(
                    "Count %(id)s is not waiting for approval (it is %(state)s).",
                    id=task_id,
                    state=task.outcome or task.status,
                ),
                "task_id",
            )
        loc = repo.must_get(s, Location, task.location_id)
        lines = [
            ln
            for ln in _lines(s, task.id)
            if ln.system_qty is not None and ln.counted_qty != ln.system_qty
        ]
        known = [ln for ln in lines if ln.sku_id is not None]
        unknown = [ln for ln in lines if ln.sku_id is None]
        plan: list[tuple[CountLine, Stock | None, int]] = []
        holds: list[dict[str, Any]] = []
        short_text: list[Text] = []
        for ln in known:
            assert ln.sku_id is not None and ln.system_qty is not None
            delta = ln.counted_qty - ln.system_qty
            stock = s.scalars(
                select(Stock)
                .where(
                    Stock.location_id == task.location_id,
                    Stock.sku_id == ln.sku_id,
                    Stock.lot == ln.lot,
                )
                .with_for_update(of=Stock)
            ).first()
            on_hand = stock.on_hand if stock is not None else 0
            allocated = stock.allocated if stock is not None else 0
            if stock is not None and _adjusted_since(s, stock.id, task):
                raise Conflict(
                    msg(
                        "A later count already adjusted %(what)s at %(location)s. "
                        "Reject this one to count again.",
                        what=_what(ln.item, ln.lot),
                        location=loc.code,
                    ),
                    "task_id",
                )
            missing = counting.shortfall(on_hand, allocated, delta)
            if missing and stock is not None:
                for h in _holders(s, stock):
                    holds.append({**h, "item": ln.item, "lot": ln.lot, "location": loc.code})
                short_text.append(
                    msg(
                        "%(what)s: %(left)s left but %(held)s held by orders.",
                        what=_what(ln.item, ln.lot),
                        left=on_hand + delta,
                        held=allocated,
                    )
                )
            elif on_hand + delta < 0:
                raise Conflict(
                    msg(
                        "%(what)s at %(location)s changed since the count "
                        "(%(n)s on hand now). Reject this one to count again.",
                        what=_what(ln.item, ln.lot),
                        location=loc.code,
                        n=on_hand,
                    ),
                    "task_id",
                )
            plan.append((ln, stock, delta))
        if holds:
            orders = ", ".join(
                f"{h['allocation_id']} ×{h['qty']}" for h in holds if h["kind"] == "order"
            )
            parts: list[str] = [msg("Refused at %(location)s:", location=loc.code), *short_text]
            if orders:
                parts.append(msg("Orders holding that stock: %(orders)s.", orders=orders))
            parts.append(
                msg(
                    "Nothing was changed. Let those picks happen (or be shorted) first, "
                    "then approve again; or reject to count again."
                )
            )
            raise AdjustmentBlocked(join(parts), holds)
        adjusted: list[dict[str, Any]] = []
        for ln, stock, delta in plan:
            assert ln.sku_id is not None
            if stock is None:
                stock = Stock(
                    location_id=task.location_id,
                    sku_id=ln.sku_id,
                    lot=ln.lot,
                    expires_on=ln.expires_on,
                    on_hand=0,
                    allocated=0,
                )
                s.add(stock)
                s.flush()
            if not repo.move_stock(
                s,
                stock,
                on_hand_delta=delta,
                reason="count",
                reference=f"count:{task.id}:{reason.code}",
                actor=by,
                now=now,
            ):
                raise Conflict(
                    msg(
                        "%(what)s at %(location)s changed while approving. Open the count again.",
                        what=_what(ln.item, ln.lot),
                        location=loc.code,
                    ),
                    "task_id",
                )
            unit = counting.unit_value_minor(ln.item, cfg.values)
            value = unit * delta if unit is not None else None
            s.add(
                CountAdjustment(
                    count_task_id=task.id,
                    stock_id=stock.id,
                    sku_id=ln.sku_id,
                    location_id=task.location_id,
                    lot=ln.lot,
                    on_hand_delta=delta,
                    value_minor=value,
                    reason_code=reason.code,
                    approved_by=by,
                    at=now,
                )
            )
            adjusted.append({"item": ln.item, "lot": ln.lot, "delta": delta, "value_minor": value})
        task.status = DONE
        task.outcome = "approved"
        task.decided_by = by
        task.reason_code = reason.code
        task.completed_at = now
        found = [{"item": ln.item, "lot": ln.lot, "qty": ln.counted_qty} for ln in unknown]
        audit(
            s,
            by,
            "count.approve",
            {
                "task_id": task.id,
                "location": loc.code,
                "reason_code": reason.code,
                "note": note or None,
                "adjustments": adjusted,
                "unknown_items": found,
                "counters": [t.counted_by for t in _chain(s, task)],
            },
        )
        tx.commit()
    units = sum(a["delta"] for a in adjusted)
    message: str = nmsg(
        "Count %(id)s at %(location)s approved (%(reason)s): %(n)s line adjusted, %(units)s units.",
        "Count %(id)s at %(location)s approved (%(reason)s): %(n)s lines adjusted, "
        "%(units)s units.",
        len(adjusted),
        id=task_id,
        location=loc.code,
        reason=N_(reason.label),
        n=len(adjusted),
        units=f"{units:+d}",
    )
    if found:
        message = join(
            [
                message,
                msg(
                    "%(n)s unknown item(s) recorded, not stocked: set them up and count again.",
                    n=len(found),
                ),
            ]
        )
    return {"task_id": task_id, "adjusted": adjusted, "unknown_items": found, "message": message}


def _adjusted_since(s: Session, stock_id: int, task: CountTask) -> bool:
    if task.counted_at is None:
        return False
    later = s.scalars(
        select(CountAdjustment.id)
        .where(
            CountAdjustment.stock_id == stock_id,
            CountAdjustment.at > task.counted_at,
            CountAdjustment.count_task_id != task.id,
        )
        .limit(1)
    ).first()
    return later is not None


def reject(task_id: int, note: str, by: str, uow: SessionFactory, clock: Clock) -> dict[str, Any]:
    """Nothing is adjusted; the bin is counted again, by someone else than the last counter
    if anyone else is signed in, and that count is judged against this one."""
    with uow() as tx:
        s = tx.session
        now = clock()
        _require_role(s, by, msg("Rejecting a count needs a supervisor."))
        task = s.get(CountTask, task_id, with_for_update=True)
        if task is None:
            raise NotFound(msg("Count %(id)s does not exist.", id=task_id), "task_id")
        if task.status != REVIEW:
            raise Conflict(msg("Count %(id)s is not waiting for approval.", id=task_id), "task_id")
        loc = repo.must_get(s, Location, task.location_id)
        task.status = DONE
        task.outcome = "rejected"
        task.decided_by = by
        task.completed_at = now
        new = _raise(
            s,
            task.location_id,
            task.sku_id,
            "recount",
            "rejected",
            raised_by=by,
            now=now,
            recount_of=task.id,
            avoid=task.counted_by,
            stock_id=task.stock_id,
        )
        audit(
            s,
            by,
            "count.reject",
            {"task_id": task.id, "location": loc.code, "note": note or None, "new_task": new.id},
        )
        tx.commit()
        return {
            "task_id": task_id,
            "new_task_id": new.id,
            "message": msg(
                "Count %(id)s at %(location)s rejected: counted again (task %(new)s).",
                id=task_id,
                location=loc.code,
                new=new.id,
            ),
        }
