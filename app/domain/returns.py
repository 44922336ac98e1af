"""Returns: what a returned unit is against its authorization, how it is graded, where it goes.

Pure rules for the returns station. A parcel is received against a return authorization (RMA);
each unit in it is scanned, matched to an authorized line (or flagged: more than authorized,
not on the order, not one of our products), graded (resellable, damaged, dispose) with a
reason, photographed where the grade or the flag calls for evidence, and then disposed of:
resellable units go to a put-away bin confirmed by scan, damaged units to quarantine,
disposed units are only recorded. A parcel with no authorization is received for review:
its units are held on the returns shelf until a supervisor links an authorization.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from app.domain.text import N_, msg

# Socket.IO's default message limit is 1,000,000 bytes; a photo must fit in one message.
MAX_PHOTO_BYTES = 950_000
MIN_PHOTO_BYTES = 200  # smaller than any real JPEG photo: an empty canvas or a truncated file


class Grade(Enum):
    RESELLABLE = "resellable"
    DAMAGED = "damaged"
    DISPOSE = "dispose"


class UnitFlag(Enum):
    """Why a unit needs a second look from whoever decides the refund."""

    OVER_AUTHORIZED = "over_authorized"  # its SKU is on the order, but beyond the RMA's qty
    NOT_ON_ORDER = "not_on_order"  # one of our products, never on this order or RMA
    UNKNOWN_ITEM = "unknown_item"  # not one of our products at all


class UnitStatus(Enum):
    SCANNED = "scanned"  # waiting for a grade
    AWAITING_PUT_AWAY = "awaiting_put_away"  # resellable: waiting for the bin scan
    RESTOCKED = "restocked"  # in a pick face or reserve bin, sellable
    QUARANTINED = "quarantined"  # damaged: blocked stock in the quarantine location
    DISPOSED = "disposed"  # recorded only: no stock
    HELD = "held"  # no authorization yet: blocked stock on the returns shelf
    SET_ASIDE = "set_aside"  # not one of our products: kept for review, no stock

    @property
    def finished(self) -> bool:
        return self not in (UnitStatus.SCANNED, UnitStatus.AWAITING_PUT_AWAY)


class ReceiptStatus(Enum):
    OPEN = "open"  # being worked against an authorization
    REVIEW = "review"  # no authorization: waiting in the review queue
    CLOSED = "closed"  # reported upstream (`return.received`)


@dataclass(frozen=True)
class Reason:
    code: str
    grade: Grade
    text: str

    @property
    def scan_code(self) -> str:
        return f"R-{self.code}"

    def to_json(self) -> dict[str, str]:
        return {
            "code": self.code,
            "scan_code": self.scan_code,
            "grade": self.grade.value,
            "text": self.text,
        }


# A reason names its grade, so one scan from the bench card grades a unit.
REASONS: tuple[Reason, ...] = (
    Reason("UNOPENED", Grade.RESELLABLE, N_("Unopened, as sold")),
    Reason("ASNEW", Grade.RESELLABLE, N_("Opened, as new")),
    Reason("REPACK", Grade.RESELLABLE, N_("As new, needs new packaging")),
    Reason("TRANSIT", Grade.DAMAGED, N_("Damaged in transit")),
    Reason("DEFECT", Grade.DAMAGED, N_("Defective, does not work")),
    Reason("PARTS", Grade.DAMAGED, N_("Missing parts")),
    Reason("COSMETIC", Grade.DAMAGED, N_("Scratched or marked")),
    Reason("HYGIENE", Grade.DISPOSE, N_("Worn or hygiene seal broken")),
    Reason("BROKEN", Grade.DISPOSE, N_("Broken beyond repair")),
    Reason("SOILED", Grade.DISPOSE, N_("Soiled or contaminated")),
)
_REASONS = {r.code: r for r in REASONS}


def reason_for(code: str) -> Reason | None:
    """A reason by its code (`DEFECT`) or its scan code (`R-DEFECT`), any case."""
    text = code.strip().upper()
    if text.startswith("R-"):
        text = text[2:]
    return _REASONS.get(text)


class Command(Enum):
    """Bench-card barcodes, so the station works from the scanner alone."""

    PHOTO = "CMD-PHOTO"
    CLOSE = "CMD-CLOSE"
    REVIEW = "CMD-REVIEW"


def parse_command(raw: str) -> Command | Reason | None:
    text = raw.strip().upper()
    for command in Command:
        if text == command.value:
            return command
    if text.startswith("R-"):
        return reason_for(text)
    return None


# ------------------------------------------------------------------ matching a unit


@dataclass(frozen=True)
class AuthorizedLine:
    line_id: str | None
    sku: str
    qty: int
    reason: str | None = None


@dataclass(frozen=True)
class OrderLine:
    line_id: str
    sku: str
    qty: int


@dataclass(frozen=True)
class UnitMatch:
    line_id: str | None
    flag: UnitFlag | None
    message: str


def match_unit(
    sku: str | None,
    code: str,
    *,
    authorized: Sequence[AuthorizedLine] | None,
    order_lines: Sequence[OrderLine] | None,
    accepted_before: int,
) -> UnitMatch:
    """Which line a scanned unit belongs to, or why it is flagged.

    `authorized` is None for a parcel with no authorization (received for review);
    `order_lines` is None when the order is not known here. `accepted_before` counts the
    units of this SKU already matched without a flag in the same return."""
    if sku is None:
        return UnitMatch(
            None,
            UnitFlag.UNKNOWN_ITEM,
            msg("%(code)s is not one of our products: photograph it and set it aside.", code=code),
        )
    on_order = [ln for ln in order_lines or () if ln.sku == sku]
    if authorized is None:
        if order_lines is not None and not on_order:
            return UnitMatch(
                None,
                UnitFlag.NOT_ON_ORDER,
                msg("%(sku)s was not on this order: flagged for review.", sku=sku),
            )
        line_id = on_order[0].line_id if on_order else None
        return UnitMatch(
            line_id, None, msg("%(sku)s: no authorization yet, it will be held.", sku=sku)
        )
    lines = [ln for ln in authorized if ln.sku == sku]
    total = 0
    for ln in lines:
        total += ln.qty
        if accepted_before < total:
            line_id = ln.line_id or (on_order[0].line_id if on_order else None)
            return UnitMatch(
                line_id,
                None,
                msg(
                    "%(sku)s: unit %(value)s of %(value2)s authorized.",
                    sku=sku,
                    value=accepted_before + 1,
                    value2=sum(x.qty for x in lines),
                ),
            )
    if lines or on_order:
        line_id = (lines[-1].line_id if lines else None) or (
            on_order[0].line_id if on_order else None
        )
        return UnitMatch(
            line_id,
            UnitFlag.OVER_AUTHORIZED,
            msg(
                "More %(sku)s than authorized (%(total)s): flagged for the refund team.",
                sku=sku,
                total=total,
            ),
        )
    return UnitMatch(
        None,
        UnitFlag.NOT_ON_ORDER,
        msg("%(sku)s is not on this return's order or authorization: flagged.", sku=sku),
    )


# ------------------------------------------------------------------ grading


def photo_required(grade: Grade, flag: UnitFlag | None) -> bool:
    """Evidence for the refund decision: every unit not resold as is, and every flagged one."""
    return grade is not Grade.RESELLABLE or flag is not None


def disposition(grade: Grade, *, review: bool, known_sku: bool) -> UnitStatus:
    """Where a graded unit goes next."""
    if not known_sku:  # nothing of ours to stock: the object itself is kept or thrown away
        return UnitStatus.DISPOSED if grade is Grade.DISPOSE else UnitStatus.SET_ASIDE
    if review:
        return UnitStatus.HELD
    if grade is Grade.RESELLABLE:
        return UnitStatus.AWAITING_PUT_AWAY
    if grade is Grade.DAMAGED:
        return UnitStatus.QUARANTINED
    return UnitStatus.DISPOSED


class CloseProblem(Enum):
    NOTHING_RECEIVED = "nothing_received"
    UNGRADED = "ungraded"
    NOT_PUT_AWAY = "not_put_away"


def close_problem(statuses: Iterable[UnitStatus]) -> CloseProblem | None:
    seen = list(statuses)
    if not seen:
        return CloseProblem.NOTHING_RECEIVED
    if UnitStatus.SCANNED in seen:
        return CloseProblem.UNGRADED
    if UnitStatus.AWAITING_PUT_AWAY in seen:
        return CloseProblem.NOT_PUT_AWAY
    return None


RESOLVER_ROLES = frozenset({"supervisor", "admin"})


def may_resolve_review(role: str) -> bool:
    return role in RESOLVER_ROLES


# ------------------------------------------------------------------ put-away


@dataclass(frozen=True)
class BinCapacity:
    """Units a bin holds, all SKUs together. Locations carry no dimensions yet, so room is
    counted in units per kind of bin."""

    pick_face_units: int
    reserve_units: int

    def of(self, kind: str) -> int:
        return self.pick_face_units if kind == "pick" else self.reserve_units


@dataclass(frozen=True)
class Bin:
    code: str
    kind: str  # pick, reserve, or anything else (never a put-away bin)
    on_hand_units: int  # every SKU in the bin
    sku_units: int  # the returned SKU's units in the bin
    holds_sku: bool  # the bin has a stock row for the SKU (its pick face, even when empty)
    other_skus: int  # other SKUs with units in the bin
    x_mm: int = 0
    y_mm: int = 0


STORAGE_KINDS = frozenset({"pick", "reserve"})


def has_room(b: Bin, capacity: BinCapacity, qty: int = 1) -> bool:
    return b.on_hand_units + qty <= capacity.of(b.kind)


class PutAwayOutcome(Enum):
    LOCATION_OK = "location_ok"  # the suggested bin
    OTHER_BIN_OK = "other_bin_ok"  # another bin that may take it
    WRONG_LOCATION = "wrong_location"
    NOT_A_LOCATION = "not_a_location"

    @property
    def accepted(self) -> bool:
        return self in (PutAwayOutcome.LOCATION_OK, PutAwayOutcome.OTHER_BIN_OK)


@dataclass(frozen=True)
class PutAwayVerdict:
    outcome: PutAwayOutcome
    message: str


def _acceptable(b: Bin, capacity: BinCapacity) -> str | None:
    """None when the unit may go into this bin, else why not."""
    if b.kind not in STORAGE_KINDS:
        return f"{b.code} is a {b.kind} location, not a storage bin"
    if not has_room(b, capacity):
        return msg(
            "%(code)s is full (%(on_hand_units)s of %(value)s units)",
            code=b.code,
            on_hand_units=b.on_hand_units,
            value=capacity.of(b.kind),
        )
    if b.kind == "pick" and not b.holds_sku:
        return f"{b.code} is another SKU's pick face"
    return None


def suggest_put_away(bins: Sequence[Bin], capacity: BinCapacity) -> Bin | None:
    """The SKU's pick face if it has room; else a reserve bin with room: one already holding
    the SKU (fewest bins to count), then the empty reserve bin nearest the pick face."""
    faces = [b for b in bins if b.kind == "pick" and b.holds_sku and has_room(b, capacity)]
    if faces:
        # Several faces: the emptiest, so a busy face does not overflow first.
        return min(faces, key=lambda b: (b.on_hand_units, b.code))
    reserves = [b for b in bins if b.kind == "reserve" and has_room(b, capacity)]
    with_sku = [b for b in reserves if b.holds_sku and b.sku_units > 0]
    if with_sku:
        return min(with_sku, key=lambda b: (b.on_hand_units, b.code))
    empty = [b for b in reserves if b.on_hand_units == 0]
    if not empty:
        return None
    anchor = next((b for b in bins if b.kind == "pick" and b.holds_sku), None)
    ax, ay = (anchor.x_mm, anchor.y_mm) if anchor else (0, 0)
    return min(empty, key=lambda b: (abs(b.x_mm - ax) + abs(b.y_mm - ay), b.code))


def check_put_away(
    scanned: Bin | None, code: str, suggested: str | None, sku: str, capacity: BinCapacity
) -> PutAwayVerdict:
    """A bin scanned for a resellable unit waiting to be put away."""
    if scanned is None:
        return PutAwayVerdict(
            PutAwayOutcome.NOT_A_LOCATION,
            f"{code} is not a location. Scan the bin label"
            + (f" {suggested}." if suggested else "."),
        )
    if scanned.code == suggested:
        return PutAwayVerdict(
            PutAwayOutcome.LOCATION_OK,
            msg("Put away in %(code)s: %(sku)s is back in stock.", code=scanned.code, sku=sku),
        )
    why = _acceptable(scanned, capacity)
    if why is not None:
        return PutAwayVerdict(
            PutAwayOutcome.WRONG_LOCATION,
            msg("Wrong location: %(why)s. Put it in %(suggested)s.", why=why, suggested=suggested)
            if suggested
            else msg("Wrong location: %(why)s.", why=why),
        )
    return PutAwayVerdict(
        PutAwayOutcome.OTHER_BIN_OK,
        msg(
            "Put away in %(code)s (not the suggested %(suggested)s): %(sku)s is back in stock.",
            code=scanned.code,
            suggested=suggested,
            sku=sku,
        ),
    )


# ------------------------------------------------------------------ the report upstream


@dataclass(frozen=True)
class GradedUnit:
    line_id: str | None
    sku: str | None
    code: str  # what was scanned
    grade: Grade
    reason: str
    flag: UnitFlag | None
    restocked: bool
    photos: tuple[str, ...] = ()


def return_lines(units: Sequence[GradedUnit]) -> list[dict[str, Any]]:
    """`return.received` lines (oms-v1 section 3): one per line, grade and flag, in the order
    the units were received, with the reasons and photo links for the refund decision."""
    groups: dict[tuple[str | None, str | None, str, str | None], dict[str, Any]] = {}
    for u in units:
        key = (u.line_id, u.sku or u.code, u.grade.value, u.flag.value if u.flag else None)
        entry = groups.get(key)
        if entry is None:
            entry = {
                "line_id": u.line_id,
                "sku": u.sku,
                "qty": 0,
                "grade": u.grade.value,
                "restocked_qty": 0,
                "reasons": [],
                "photos": [],
            }
            if u.sku is None:
                entry["code"] = u.code
            if u.flag is not None:
                entry["flag"] = u.flag.value
            groups[key] = entry
        entry["qty"] += 1
        entry["restocked_qty"] += 1 if u.restocked else 0
        if u.reason not in entry["reasons"]:
            entry["reasons"].append(u.reason)
        entry["photos"].extend(u.photos)
    return list(groups.values())


def not_received(
    authorized: Sequence[AuthorizedLine], units: Sequence[GradedUnit]
) -> list[dict[str, Any]]:
    """Authorized units that did not come back (the OMS refunds only what arrived)."""
    arrived: dict[str, int] = {}
    for u in units:
        if u.sku is not None and u.flag is None:
            arrived[u.sku] = arrived.get(u.sku, 0) + 1
    out = []
    for ln in authorized:
        take = min(arrived.get(ln.sku, 0), ln.qty)
        arrived[ln.sku] = arrived.get(ln.sku, 0) - take
        if ln.qty - take > 0:
            out.append({"line_id": ln.line_id, "sku": ln.sku, "qty": ln.qty - take})
    return out


def authorized_lines(raw: Iterable[Mapping[str, Any]]) -> list[AuthorizedLine]:
    """The RMA's lines as stored from the OMS document."""
    return [
        AuthorizedLine(
            str(ln["line_id"]) if ln.get("line_id") is not None else None,
            str(ln["sku"]),
            int(ln["qty"]),
            ln.get("reason"),
        )
        for ln in raw
    ]


# ------------------------------------------------------------------ return labels

# A return is never urgent: the slowest, cheapest level a carrier offers.
RETURN_LEVELS = ("economy", "standard", "express", "next_day")


def return_service(services: Sequence[tuple[str, str]]) -> str | None:
    """The service code for a prepaid return label among (code, level) pairs."""
    ranked = [
        (RETURN_LEVELS.index(level), n, code)
        for n, (code, level) in enumerate(services)
        if level in RETURN_LEVELS
    ]
    return min(ranked)[2] if ranked else None
