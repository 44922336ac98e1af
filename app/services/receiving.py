"""The stock handheld: receive (item, quantity, location), put-away and moves (from, item,
quantity, to), and the scans of replenishment tasks (app/services/replenishment.py).

Each scan is judged as it is made (`check_scan`, so a wrong bin is refused at once, not after
the whole sequence) and the last one books the change (`receive`, `move`), which judges
everything again in its own transaction: the numbers may have moved meanwhile. Every scan is
logged (station `stock`) and committed before the answer; a refused scan books nothing.
A booking carries the device's client id: the same id again is answered from the log and
changes nothing (a retry after a lost answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Location, Sku, Stock
from app.adapters.db.models_stock import ReplenishmentTask
from app.adapters.db.uow import SessionFactory
from app.domain.receiving import (
    QUARANTINE,
    Purpose,
    Refusal,
    check_expiry,
    check_kind,
    check_lot_expiry,
    check_move,
    check_quantity,
    moved_message,
    received_message,
)
from app.domain.replenishment import Trigger
from app.domain.scanning import ParsedScan, ScanKind, parse_scan
from app.domain.stock_allocation import ALLOCATABLE_KINDS
from app.domain.text import Text, msg
from app.services import replenishment, stock_rows
from app.services.clock import Clock
from app.services.errors import ServiceError
from app.services.replies import ScanReply, log_scan, replay

STATION = "stock"
RECEIPT = "receipt"
MOVE = "move"
MODES = ("receive", "move", "replenish")
STAGES = {
    "receive": ("item", "location"),
    "move": ("from", "item", "to"),
    "replenish": ("from", "item", "to"),
}
_KIND_WORDS = {
    ScanKind.LOCATION: msg("a location"),
    ScanKind.TOTE: msg("a tote"),
    ScanKind.CARTON: msg("a carton"),
    ScanKind.CARTON_TYPE: msg("a carton type"),
    ScanKind.BADGE: msg("a badge"),
    ScanKind.SSCC: msg("a pallet label (SSCC)"),
}


@dataclass(frozen=True)
class StockPolicy:
    max_units: int = 10_000  # the most one scan (or keyed quantity) may book


@dataclass(frozen=True)
class Who:
    actor: str
    client_scan_id: str | None = None
    device: str | None = None
    entry: str | None = None


@dataclass(frozen=True)
class Check:
    mode: str
    stage: str
    code: str
    from_code: str | None = None  # a move's source bin (item and destination scans)
    quarantine: bool = False
    task_id: int | None = None


@dataclass(frozen=True)
class Receive:
    item_code: str
    qty: int
    location_code: str
    reference: str | None = None
    quarantine: bool = False


@dataclass(frozen=True)
class Move:
    from_code: str
    item_code: str
    qty: int
    to_code: str
    quarantine: bool = False


def refuse(refusal: Refusal, message: str) -> ScanReply:
    return ScanReply(False, refusal.value, message)


def empty_message(code: str) -> Text:
    return msg("%(code)s is empty: nothing to move from it.", code=code)


def same_message(code: str) -> Text:
    return msg("%(code)s is where the stock is now: scan another bin.", code=code)


# ---------------------------------------------------------------------------- what a scan is


@dataclass(frozen=True)
class Item:
    sku: Sku
    parsed: ParsedScan

    @property
    def lot(self) -> str:
        return self.parsed.lot or ""

    @property
    def expires_on(self) -> date | None:
        return self.parsed.expires_on

    def view(self) -> dict[str, Any]:
        return {
            "sku": self.sku.sku,
            "name": self.sku.name,
            "barcode": next((b.code for b in self.sku.barcodes), self.sku.sku),
            "item_codes": sorted(repo.item_codes(self.sku)),
            "lot": self.parsed.lot,
            "expires_on": self.expires_on.isoformat() if self.expires_on else None,
        }


def find_item(s: Session, code: str, today: date) -> Item | ScanReply:
    parsed = parse_scan(code)
    if parsed.kind in _KIND_WORDS:
        return refuse(
            Refusal.NOT_AN_ITEM,
            msg(
                "%(code)s is %(what)s, not an item: scan the item's barcode.",
                code=parsed.value,
                what=_KIND_WORDS[parsed.kind],
            ),
        )
    sku = stock_rows.sku_for_scan(s, parsed)
    if sku is None:
        return refuse(
            Refusal.UNKNOWN_ITEM,
            msg(
                "%(code)s is not a known item. Nothing was booked: check the label "
                "or ask your supervisor.",
                code=parsed.raw,
            ),
        )
    expired = check_expiry(parsed.expires_on, today, parsed.lot)
    if expired is not None:
        return refuse(expired.refusal, expired.message)
    return Item(sku, parsed)


def location_code(code: str) -> str | None:
    parsed = parse_scan(code)
    return parsed.value if parsed.kind is ScanKind.LOCATION else None


def find_location(
    s: Session, code: str, purpose: Purpose, quarantine: bool, lock: bool = False
) -> Location | ScanReply:
    value = location_code(code)
    if value is None:
        return refuse(
            Refusal.NOT_A_LOCATION,
            msg("%(code)s is not a location: scan the bin's label.", code=code),
        )
    stmt = select(Location).where(Location.code == value)
    if lock:
        # NO KEY UPDATE: a ledger row's foreign-key check (KEY SHARE) on this location must
        # not wait for it, or a reservation and a move deadlock (found by the 32-worker test).
        stmt = stmt.with_for_update(key_share=True)
    location = s.scalars(stmt).first()
    if location is None:
        return refuse(
            Refusal.UNKNOWN_LOCATION,
            msg(
                "Location %(code)s does not exist. Nothing was booked: check the label.", code=value
            ),
        )
    wrong = check_kind(location.code, location.kind, purpose, quarantine)
    if wrong is not None:
        return refuse(wrong.refusal, wrong.message)
    return location


def bin_rows(s: Session, location_id: int, sku_id: int | None = None) -> list[Stock]:
    stmt = select(Stock).where(Stock.location_id == location_id, Stock.on_hand > 0)
    if sku_id is not None:
        stmt = stmt.where(Stock.sku_id == sku_id)
    return list(s.scalars(stmt.order_by(Stock.id)).all())


def bin_view(rows: list[Stock]) -> list[dict[str, Any]]:
    return [
        {
            "sku": r.sku.sku,
            "name": r.sku.name,
            "lot": r.lot or None,
            "expires_on": r.expires_on.isoformat() if r.expires_on else None,
            "on_hand": r.on_hand,
            "free": r.on_hand - r.allocated,
        }
        for r in rows
    ]


def source_row(s: Session, location: Location, item: Item) -> Stock | ScanReply:
    """The bin's row the moved units come from: the scanned lot, or the only lot there."""
    rows = bin_rows(s, location.id, item.sku.id)
    if not rows:
        return refuse(
            Refusal.NOT_IN_BIN,
            msg(
                "There is no %(sku)s in %(code)s: nothing to move.",
                sku=item.sku.sku,
                code=location.code,
            ),
        )
    if item.lot:
        rows = [r for r in rows if r.lot == item.lot]
        if not rows:
            return refuse(
                Refusal.NOT_IN_BIN,
                msg(
                    "There is no lot %(lot)s of %(sku)s in %(code)s.",
                    lot=item.lot,
                    sku=item.sku.sku,
                    code=location.code,
                ),
            )
    if len(rows) > 1:
        lots = ", ".join(r.lot or "-" for r in rows)
        return refuse(
            Refusal.WHICH_LOT,
            msg(
                "%(code)s holds %(n)s lots of %(sku)s (%(lots)s): scan the label with the lot.",
                code=location.code,
                n=len(rows),
                sku=item.sku.sku,
                lots=lots,
            ),
        )
    return rows[0]


def existing_row(s: Session, location_id: int, sku_id: int, lot: str) -> Stock | None:
    return s.scalars(
        select(Stock).where(
            Stock.location_id == location_id, Stock.sku_id == sku_id, Stock.lot == lot
        )
    ).first()


# ---------------------------------------------------------------------------- one scan


def check_scan(cmd: Check, who: Who, uow: SessionFactory, clock: Clock) -> ScanReply:
    """Judge one scan of a sequence; books nothing (the scan is logged)."""
    if cmd.mode not in MODES:
        raise ServiceError(msg("mode must be one of %(modes)s", modes=", ".join(MODES)), "mode")
    if cmd.stage not in STAGES[cmd.mode]:
        raise ServiceError(
            msg(
                "stage of a %(mode)s scan must be one of %(stages)s",
                mode=cmd.mode,
                stages=", ".join(STAGES[cmd.mode]),
            ),
            "stage",
        )
    now = clock()
    with uow() as tx:
        s = tx.session
        reply = _check(s, cmd, who, now)
        _log(s, cmd.code, reply, now, who, {"mode": cmd.mode, "stage": cmd.stage}, cmd.task_id)
        tx.commit()
        return reply


def is_item_scan(s: Session, code: str) -> bool:
    """A GTIN or GS1 code, or text that is some item's alternate barcode."""
    parsed = parse_scan(code)
    if parsed.kind is ScanKind.ITEM:
        return True
    return parsed.kind is ScanKind.OTHER and stock_rows.sku_for_scan(s, parsed) is not None


def _check(s: Session, cmd: Check, who: Who, now: datetime) -> ScanReply:
    """A location stage that gets an item scan answers as the item stage: the page counts
    one more unit of the item in hand."""
    today = now.date()
    if cmd.mode == "replenish":
        return _check_task_scan(s, cmd, who)
    if cmd.mode == "receive":
        if cmd.stage == "item" or is_item_scan(s, cmd.code):
            return _received_item(s, cmd.code, today)
        found = find_location(s, cmd.code, Purpose.RECEIVE, cmd.quarantine)
        if isinstance(found, ScanReply):
            return found
        return _location_ok(found)
    # a move
    if cmd.stage == "from":
        found = find_location(s, cmd.code, Purpose.FROM, False)
        if isinstance(found, ScanReply):
            return found
        rows = bin_rows(s, found.id)
        if not rows:
            return refuse(Refusal.EMPTY_BIN, empty_message(found.code))
        reply = _location_ok(found)
        reply.data["bin"] = bin_view(rows)
        return reply
    source = find_location(s, cmd.from_code or "", Purpose.FROM, False)
    if isinstance(source, ScanReply):
        return source
    if cmd.stage == "item" or is_item_scan(s, cmd.code):
        return _moved_item(s, source, cmd.code, today)
    target = find_location(s, cmd.code, Purpose.TO, cmd.quarantine)
    if isinstance(target, ScanReply):
        return target
    if target.id == source.id:
        return refuse(Refusal.SAME_LOCATION, same_message(target.code))
    return _location_ok(target)


def _received_item(s: Session, code: str, today: date) -> ScanReply:
    item = find_item(s, code, today)
    if isinstance(item, ScanReply):
        return item
    reply = ScanReply(
        True, "item_ok", msg("%(sku)s: %(name)s", sku=item.sku.sku, name=item.sku.name)
    )
    reply.data["item"] = item.view()
    return reply


def _moved_item(s: Session, source: Location, code: str, today: date) -> ScanReply:
    item = find_item(s, code, today)
    if isinstance(item, ScanReply):
        return item
    row = source_row(s, source, item)
    if isinstance(row, ScanReply):
        return row
    free = row.on_hand - row.allocated
    if free <= 0:
        return refuse(
            Refusal.NOT_ENOUGH,
            msg(
                "All %(n)s × %(sku)s in %(code)s are promised to orders: none can move.",
                n=row.on_hand,
                sku=item.sku.sku,
                code=source.code,
            ),
        )
    reply = ScanReply(
        True,
        "item_ok",
        msg("%(sku)s: %(free)s free in %(code)s", sku=item.sku.sku, free=free, code=source.code),
    )
    reply.data["item"] = item.view() | {
        "lot": row.lot or None,
        "expires_on": row.expires_on.isoformat() if row.expires_on else None,
        "free": free,
        "on_hand": row.on_hand,
    }
    return reply


def _location_ok(location: Location) -> ScanReply:
    reply = ScanReply(
        True,
        "location_ok",
        msg("Location %(code)s (%(kind)s)", code=location.code, kind=location.kind),
    )
    reply.data["location"] = {"code": location.code, "kind": location.kind}
    return reply


def _check_task_scan(s: Session, cmd: Check, who: Who) -> ScanReply:
    if cmd.task_id is None:
        raise ServiceError("task_id is required for a replenishment scan", "task_id")
    task = s.get(ReplenishmentTask, cmd.task_id)
    if task is None or task.status not in replenishment.LIVE:
        return refuse(
            Refusal.NO_TASK,
            replenishment.no_task_message(cmd.task_id),
        )
    if task.assigned_to not in (None, who.actor):
        return refuse(Refusal.TASK_TAKEN, replenishment.taken_message(task.assigned_to))
    wrong = replenishment.task_scan_refusal(s, task, cmd.stage, cmd.code)
    if wrong is not None:
        return wrong
    result = "item_ok" if cmd.stage == "item" else "location_ok"
    messages = {
        "from": msg("Reserve bin confirmed: scan the item."),
        "item": msg("Item confirmed: take the units to the pick face and scan it."),
        "to": msg("Pick face confirmed."),
    }
    return ScanReply(True, result, messages[cmd.stage])


# ---------------------------------------------------------------------------- bookings


def receive(
    cmd: Receive, who: Who, policy: StockPolicy, uow: SessionFactory, clock: Clock
) -> ScanReply:
    """Book received units into a bin: one ledger row, reason `receipt`, the PO/ASN number
    (if any) as its reference."""
    now = clock()
    with uow() as tx:
        s = tx.session
        # Lock the bin first: two deliveries of one scan meet here, the second sees the log.
        code = location_code(cmd.location_code)
        if code is not None:
            s.scalars(
                select(Location).where(Location.code == code).with_for_update(key_share=True)
            ).first()
        prev = repo.previous_scan(s, who.client_scan_id)
        if prev is not None:
            return replay(prev)
        reply = _receive(s, cmd, who, policy, now)
        _log(
            s,
            f"receive:{cmd.item_code}",
            reply,
            now,
            who,
            {
                "mode": "receive",
                "item": cmd.item_code,
                "qty": cmd.qty,
                "location": cmd.location_code,
                "reference": cmd.reference,
                "quarantine": cmd.quarantine,
            },
        )
        tx.commit()
        return reply


def _receive(s: Session, cmd: Receive, who: Who, policy: StockPolicy, now: datetime) -> ScanReply:
    item = find_item(s, cmd.item_code, now.date())
    if isinstance(item, ScanReply):
        return item
    bad_qty = check_quantity(cmd.qty, policy.max_units)
    if bad_qty is not None:
        return refuse(bad_qty.refusal, bad_qty.message)
    location = find_location(s, cmd.location_code, Purpose.RECEIVE, cmd.quarantine)
    if isinstance(location, ScanReply):
        return location
    row = existing_row(s, location.id, item.sku.id, item.lot)
    clash = check_lot_expiry(
        item.lot, row.expires_on if row else None, item.expires_on, location.code
    )
    if clash is not None:
        return refuse(clash.refusal, clash.message)
    row = row or stock_rows.stock_row(s, location, item.sku.id, item.lot, item.expires_on)
    if row.expires_on is None and item.expires_on is not None:
        row.expires_on = item.expires_on
    blocked = location.kind == QUARANTINE  # on hand, never available: allocated to itself
    before = stock_rows.repo_flagged(s, item.sku.id)
    if not repo.move_stock(
        s,
        row,
        on_hand_delta=cmd.qty,
        allocated_delta=cmd.qty if blocked else 0,
        reason=RECEIPT,
        reference=cmd.reference or None,
        actor=who.actor,
        now=now,
    ):
        raise ServiceError(
            msg("could not book %(qty)s into %(code)s", qty=cmd.qty, code=location.code),
            "location",
        )
    stock_rows.keep_availability_flag(
        s, item.sku.id, before, changed=location.kind in ALLOCATABLE_KINDS
    )
    s.flush()
    replenishment.retry_waiting_faces(s, item.sku.id, who.actor, now)
    reply = ScanReply(
        True,
        "receive_ok",
        received_message(cmd.qty, item.sku.sku, location.code, item.lot or None),
    )
    reply.data["received"] = {
        "sku": item.sku.sku,
        "qty": cmd.qty,
        "location": location.code,
        "lot": item.lot or None,
        "expires_on": item.expires_on.isoformat() if item.expires_on else None,
        "reference": cmd.reference or None,
        "on_hand": row.on_hand,
    }
    return reply


def move(cmd: Move, who: Who, policy: StockPolicy, uow: SessionFactory, clock: Clock) -> ScanReply:
    """Move free units between bins (put-away, consolidation): two ledger rows, reason
    `move`, in one transaction. Units promised to orders never move."""
    now = clock()
    with uow() as tx:
        s = tx.session
        codes = sorted(c for c in (location_code(cmd.from_code), location_code(cmd.to_code)) if c)
        for code in codes:  # in one order everywhere: two movers never deadlock
            s.scalars(
                select(Location).where(Location.code == code).with_for_update(key_share=True)
            ).first()
        prev = repo.previous_scan(s, who.client_scan_id)
        if prev is not None:
            return replay(prev)
        reply = _move(s, cmd, who, policy, now)
        _log(
            s,
            f"move:{cmd.item_code}",
            reply,
            now,
            who,
            {
                "mode": "move",
                "from": cmd.from_code,
                "item": cmd.item_code,
                "qty": cmd.qty,
                "to": cmd.to_code,
                "quarantine": cmd.quarantine,
            },
        )
        tx.commit()
        return reply


def _move(s: Session, cmd: Move, who: Who, policy: StockPolicy, now: datetime) -> ScanReply:
    source = find_location(s, cmd.from_code, Purpose.FROM, False)
    if isinstance(source, ScanReply):
        return source
    if not bin_rows(s, source.id):
        return refuse(Refusal.EMPTY_BIN, empty_message(source.code))
    item = find_item(s, cmd.item_code, now.date())
    if isinstance(item, ScanReply):
        return item
    bad_qty = check_quantity(cmd.qty, policy.max_units)
    if bad_qty is not None:
        return refuse(bad_qty.refusal, bad_qty.message)
    row = source_row(s, source, item)
    if isinstance(row, ScanReply):
        return row
    target = find_location(s, cmd.to_code, Purpose.TO, cmd.quarantine)
    if isinstance(target, ScanReply):
        return target
    if target.id == source.id:
        return refuse(Refusal.SAME_LOCATION, same_message(target.code))
    short = check_move(row.on_hand - row.allocated, cmd.qty, row.on_hand, item.sku.sku, source.code)
    if short is not None:
        return refuse(short.refusal, short.message)
    landing = existing_row(s, target.id, item.sku.id, row.lot)
    clash = check_lot_expiry(
        row.lot, landing.expires_on if landing else None, row.expires_on, target.code
    )
    if clash is not None:
        return refuse(clash.refusal, clash.message)
    before = stock_rows.repo_flagged(s, item.sku.id)
    reference = f"{source.code}>{target.code}"
    if not repo.move_stock(
        s, row, on_hand_delta=-cmd.qty, reason=MOVE, reference=reference, actor=who.actor, now=now
    ):
        # Someone took or promised units since the check: judged again on fresh numbers.
        s.refresh(row)
        again = check_move(
            row.on_hand - row.allocated, cmd.qty, row.on_hand, item.sku.sku, source.code
        )
        message = (
            again.message
            if again
            else msg("%(code)s changed meanwhile: scan again.", code=source.code)
        )
        return refuse(Refusal.NOT_ENOUGH, message)
    landing = landing or stock_rows.stock_row(s, target, item.sku.id, row.lot, row.expires_on)
    blocked = target.kind == QUARANTINE
    if not repo.move_stock(
        s,
        landing,
        on_hand_delta=cmd.qty,
        allocated_delta=cmd.qty if blocked else 0,
        reason=MOVE,
        reference=reference,
        actor=who.actor,
        now=now,
    ):
        raise ServiceError(
            msg("could not book %(qty)s into %(code)s", qty=cmd.qty, code=target.code), "to"
        )
    sellable_before = source.kind in ALLOCATABLE_KINDS
    sellable_after = target.kind in ALLOCATABLE_KINDS
    stock_rows.keep_availability_flag(
        s, item.sku.id, before, changed=sellable_before != sellable_after
    )
    s.flush()
    if source.kind == replenishment.PICK_FACE:
        replenishment.check_face(s, source.id, item.sku.id, Trigger.MOVE, who.actor, now)
    replenishment.retry_waiting_faces(s, item.sku.id, who.actor, now)
    reply = ScanReply(
        True, "move_ok", moved_message(cmd.qty, item.sku.sku, source.code, target.code)
    )
    reply.data["moved"] = {
        "sku": item.sku.sku,
        "qty": cmd.qty,
        "from": source.code,
        "to": target.code,
        "lot": row.lot or None,
    }
    return reply


def _log(
    s: Session,
    raw: str,
    reply: ScanReply,
    now: datetime,
    who: Who,
    parsed: dict[str, Any],
    task_id: int | None = None,
) -> None:
    log_scan(
        s,
        station=STATION,
        raw=raw,
        reply=reply,
        now=now,
        client_scan_id=who.client_scan_id,
        device=who.device,
        actor=who.actor,
        parsed={**parsed, "entry": who.entry},
        task_id=task_id,
    )
