"""Label sheets to print: locations (all, a zone, an aisle), totes (a range of numbers),
badges (active users). The CLI (`dockhand labels`) and the supervisors' downloads
(stations/labels) both come here; the drawing is labels/sheets.py."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.adapters.db.models import Location, User
from app.adapters.db.uow import SessionFactory
from app.domain.codes import MAX_TOTE_NUMBER, kind_of, parse_location_code, tote_code
from app.services.errors import NotFound, ServiceError
from labels.sheets import (
    PAPERS,
    Arrow,
    BadgeLabel,
    LocationLabel,
    ToteLabel,
    render_badge_sheet,
    render_location_sheet,
    render_tote_sheet,
)

MAX_TOTES_PER_SHEET = 2000
ROLES = ("picker", "packer", "shipper", "supervisor", "admin")
SPECIAL_NAMES = {
    "pack": "Pack benches",
    "ship": "Shipping dock",
    "returns": "Returns",
    "quarantine": "Quarantine",
    "receiving": "Receiving dock",
}


def paper_of(value: str | None) -> str:
    paper = (value or "a4").strip().lower()
    if paper not in PAPERS:
        raise ServiceError(f"paper must be one of {', '.join(PAPERS)}, not {value!r}", "paper")
    return paper


def zone_of(value: str | None) -> str | None:
    if value is None or value.strip() == "":
        return None
    zone = value.strip().upper()
    if not re.fullmatch(r"[A-Z]", zone):
        raise ServiceError(f"zone must be one letter such as A, not {value!r}", "zone")
    return zone


def number_of(value: str | int | None, field: str, lo: int, hi: int) -> int | None:
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ServiceError(f"{field} must be a whole number, not {value!r}", field) from None
    if not lo <= number <= hi:
        raise ServiceError(f"{field} must be from {lo} to {hi}, not {number}", field)
    return number


def _caption(loc: Location) -> str:
    if loc.kind in ("pick", "reserve"):
        parts = parse_location_code(loc.code)
        position = parts.position if parts else 1
        text = f"Zone {loc.zone} · aisle {loc.aisle} · bay {loc.bay} · level {loc.level}"
        if position > 1:
            text += f" · position {position}"
        return text + (" · reserve" if loc.kind == "reserve" else "")
    return SPECIAL_NAMES.get(loc.kind, loc.kind.replace("_", " ").capitalize())


def rack_zones(uow: SessionFactory) -> dict[str, list[int]]:
    """Zone -> its aisles, for the labels page's choices."""
    with uow() as tx:
        rows = tx.session.execute(
            select(Location.zone, Location.aisle)
            .where(Location.kind.in_(["pick", "reserve"]))
            .distinct()
            .order_by(Location.zone, Location.aisle)
        ).all()
    zones: dict[str, list[int]] = {}
    for zone, aisle in rows:
        zones.setdefault(zone, []).append(aisle)
    return zones


def location_labels(
    uow: SessionFactory, zone: str | None = None, aisle: int | None = None, arrows: bool = True
) -> list[LocationLabel]:
    """Rack order (zone, aisle, bay, level); special locations after the racks. Floor-level
    labels point down at their location, the others up (the label sits on the beam below)."""
    with uow() as tx:
        q = select(Location)
        if zone is not None:
            q = q.where(Location.zone == zone)
        if aisle is not None:
            q = q.where(Location.aisle == aisle, Location.kind.in_(["pick", "reserve"]))
        rows = tx.session.scalars(q).all()
        found = sorted(
            rows,
            key=lambda loc: (
                loc.kind not in ("pick", "reserve"),
                loc.zone,
                loc.aisle,
                loc.bay,
                loc.level,
                loc.code,
            ),
        )
        if not found:
            where = " ".join(
                part
                for part in (f"zone {zone}" if zone else "", f"aisle {aisle}" if aisle else "")
                if part
            )
            raise NotFound(
                f"No locations in {where}." if where else "No locations: seed the layout first.",
                "aisle" if aisle is not None else "zone",
            )
        odd = [loc.code for loc in found if kind_of(loc.code) is None]
        if odd:
            raise ServiceError(
                f"{', '.join(odd[:5])}: not printable with a check character "
                "(codes are zone letter, aisle and bay 2 digits, level 1 digit)",
                "zone",
            )
        labels = []
        for loc in found:
            arrow: Arrow | None = None
            if arrows and loc.kind in ("pick", "reserve"):
                arrow = "down" if loc.level == 1 else "up"
            labels.append(LocationLabel(loc.code, _caption(loc), arrow))
        return labels


def location_sheet(
    uow: SessionFactory,
    zone: str | None = None,
    aisle: int | None = None,
    paper: str = "a4",
    arrows: bool = True,
) -> bytes:
    return render_location_sheet(location_labels(uow, zone, aisle, arrows), paper_of(paper))


def tote_labels(first: int | None, last: int | None) -> list[ToteLabel]:
    if first is None:
        raise ServiceError("from is required: the first tote number", "from")
    last = first if last is None else last
    if last < first:
        raise ServiceError(f"to ({last}) must not be below from ({first})", "to")
    if last - first + 1 > MAX_TOTES_PER_SHEET:
        raise ServiceError(f"at most {MAX_TOTES_PER_SHEET} totes per sheet", "to")
    return [ToteLabel(tote_code(n)) for n in range(first, last + 1)]


def tote_sheet(first: int | None, last: int | None, paper: str = "a4") -> bytes:
    return render_tote_sheet(tote_labels(first, last), paper_of(paper))


def badge_labels(uow: SessionFactory, role: str | None = None) -> list[BadgeLabel]:
    """Active users by badge. Only the badge, the name and the role leave the table: never
    the PIN or password hash."""
    if role is not None and role not in ROLES:
        raise ServiceError(f"role must be one of {', '.join(ROLES)}, not {role!r}", "role")
    with uow() as tx:
        q = select(User.badge, User.name, User.role).where(User.active.is_(True))
        if role is not None:
            q = q.where(User.role == role)
        rows = tx.session.execute(q.order_by(User.badge)).all()
    if not rows:
        raise NotFound("No active users to print badges for.", "role")
    return [BadgeLabel(badge, name, r) for badge, name, r in rows]


def badge_sheet(uow: SessionFactory, paper: str = "a4", role: str | None = None) -> bytes:
    return render_badge_sheet(badge_labels(uow, role), paper_of(paper))


__all__ = [
    "MAX_TOTES_PER_SHEET",
    "MAX_TOTE_NUMBER",
    "badge_labels",
    "badge_sheet",
    "location_labels",
    "location_sheet",
    "number_of",
    "paper_of",
    "rack_zones",
    "tote_labels",
    "tote_sheet",
    "zone_of",
]
