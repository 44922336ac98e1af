"""B2B rules applied where the floor meets them, inside the caller's unit of work:

- intake (``allow_partial``): reserve what the stock covers, mark the rest short and report it
  with ``allocation.short`` (see :func:`mark_intake_short`, :func:`report_intake_short`);
- shipping: an order that takes no partial shipment is held while units are missing (the
  OMS's release is its consent to ship what is there), a palletised order leaves only on a
  pallet, and every carton of a B2B order gets an SSCC before its label;
- ``allocation.shipped``: the purchase order, payment terms, what stayed short, and the
  shipment -> pallet -> carton -> line hierarchy with SSCCs an advance ship notice needs.

Only the services that own the unit of work commit; nothing here does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Barcode,
    Carton,
    Counter,
)
from app.adapters.db.models_b2b import BillOfLading, IssuedSscc, Pallet, PalletCarton
from app.adapters.gs1_config import Gs1Config
from app.adapters.oms.schemas import HoldIn
from app.domain.allocations import AllocationStatus
from app.domain.b2b import (
    B2BTerms,
    CompleteVerdict,
    LineProgress,
    judge_complete,
    short_lines,
)
from app.domain.scanning import normalise_gtin
from app.domain.text import msg
from app.services.errors import Conflict, OnHold, ServiceError


def is_b2b(allocation: Allocation) -> bool:
    return allocation.type == "b2b"


def terms_of(allocation: Allocation) -> B2BTerms:
    return B2BTerms.of(allocation.b2b)


def _set_b2b(allocation: Allocation, **changes: Any) -> None:
    # A new dict, so the JSON column sees the change.
    allocation.b2b = {**(allocation.b2b or {}), **changes}


# --------------------------------------------------------------------------- intake


def mark_intake_short(allocation: Allocation, take: dict[str, int]) -> None:
    """After a partial reservation: the units nothing covers are short on their lines (the
    floor then treats them like a short pick) and remembered as short at intake."""
    shorts: dict[str, int] = {}
    for line in allocation.lines:
        missing = line.qty - take.get(line.line_id, line.qty)
        if missing > 0:
            line.short = missing
            shorts[line.line_id] = missing
    if shorts:
        _set_b2b(allocation, short_at_intake=shorts)


def intake_short(allocation: Allocation, line: AllocationLine) -> int:
    """Units of ``line`` short since intake (not a sign that picking started)."""
    if not allocation.b2b:
        return 0
    return int((allocation.b2b.get("short_at_intake") or {}).get(line.line_id, 0))


def report_intake_short(s: Session, allocation: Allocation, now: datetime) -> None:
    """``allocation.short`` for what a partial B2B intake could not reserve, written after
    the allocation's ``accepted`` (or held) event in the same transaction."""
    shorts = (allocation.b2b or {}).get("short_at_intake") or {}
    if not shorts or allocation.status not in (
        AllocationStatus.ACCEPTED.value,
        AllocationStatus.HELD.value,
    ):
        return
    repo.add_event(
        s,
        "allocation.short",
        allocation,
        {
            "partial": True,
            "lines": [
                {
                    "line_id": ln.line_id,
                    "short_qty": shorts[ln.line_id],
                    "reason": f"not in stock at intake: {ln.qty - shorts[ln.line_id]} of "
                    f"{ln.qty} reserved, the rest ships short (partial shipment allowed)",
                }
                for ln in allocation.lines
                if ln.line_id in shorts
            ],
        },
        now,
    )


# --------------------------------------------------------------------------- shipping rules


def progress(allocation: Allocation) -> list[LineProgress]:
    return [
        LineProgress(ln.line_id, ln.sku, ln.qty, ln.cancelled, ln.short, ln.packed, ln.shipped)
        for ln in allocation.lines
    ]


def check_complete(s: Session, allocation: Allocation, now: datetime) -> OnHold | None:
    """An order that allows no partial shipment leaves complete or not at all.

    Units missing: the order is put on hold (``allocation.held`` upstream) and the error
    to raise *after committing* is returned; the OMS's release is its consent to ship what
    is there. Units not packed yet: ``Conflict`` at once, nothing changes."""
    if not is_b2b(allocation):
        return None
    terms = terms_of(allocation)
    consented = terms.incomplete_hold and allocation.status != AllocationStatus.HELD.value
    verdict, why = judge_complete(terms, progress(allocation), consented)
    if verdict is CompleteVerdict.SHIP:
        return None
    if verdict is CompleteVerdict.NOT_PACKED:
        raise Conflict(
            msg("Order %(order_number)s: %(why)s.", order_number=allocation.order_number, why=why),
            "carton",
        )
    from app.services.cancels import apply_hold  # the hold the OMS can also place and lift

    apply_hold(s, allocation.allocation_id, HoldIn(reason=why), now)
    _set_b2b(allocation, incomplete_hold=True)
    repo.add_event(
        s,
        "allocation.held",
        allocation,
        {"reasons": [why], "release_ships_partial": True},
        now,
    )
    return OnHold(
        msg(
            "Order %(order_number)s is on hold: %(why)s. Set it aside; "
            "the customer decides (a release ships what is there).",
            order_number=allocation.order_number,
            why=why,
        ),
        "carton",
    )


def check_parcel(s: Session, carton: Carton, gs1: Gs1Config | None, now: datetime) -> OnHold | None:
    """The ship station is about to buy a parcel label for ``carton``. For a B2B order:
    refuse a palletised one (it leaves on a pallet with a bill of lading), apply the
    complete-shipment rule, and give the carton its SSCC. Returns the hold to raise after
    committing, else None."""
    allocation = repo.must_get(s, Allocation, carton.allocation_pk)
    if not is_b2b(allocation):
        return None
    if terms_of(allocation).palletize:
        raise Conflict(
            msg(
                "Order %(order_number)s ships on pallets: put %(code)s on a "
                "pallet at /ship/pallet and ship it with a bill of lading.",
                order_number=allocation.order_number,
                code=carton.code,
            ),
            "carton",
        )
    held = check_complete(s, allocation, now)
    if held is not None:
        return held
    if gs1 is not None:
        carton_sscc(s, gs1, carton, now)
    return None


# --------------------------------------------------------------------------- SSCCs


def issue_sscc(
    s: Session,
    gs1: Gs1Config,
    now: datetime,
    *,
    carton: Carton | None = None,
    pallet: Pallet | None = None,
) -> str:
    """The next SSCC of the configured range, for one carton or one pallet, in the caller's
    transaction: the counter row is locked until it commits, and an SSCC already issued
    (the range was moved back, say) is skipped, so no number is ever issued twice."""
    if (carton is None) == (pallet is None):
        raise ValueError("an SSCC goes to one carton or one pallet")
    rng = gs1.sscc
    while True:
        serial = next_in_sequence(s, rng.counter_name, rng.serial_first)
        if serial < rng.serial_first:  # the configured range moved up since the last one
            row = s.get(Counter, rng.counter_name)
            assert row is not None
            row.value = serial = rng.serial_first
            s.flush()
        if serial > rng.serial_last:
            raise Conflict(
                msg(
                    "The SSCC serial range in config/gs1.toml is used up: "
                    "configure a new range (serial_first / serial_last) before "
                    "labelling more cartons or pallets."
                ),
                "sscc",
            )
        value = rng.sscc(serial)
        taken = s.scalar(select(IssuedSscc.id).where(IssuedSscc.sscc == value))
        if taken is None:
            break
    s.add(
        IssuedSscc(
            sscc=value,
            kind="carton" if carton is not None else "pallet",
            carton_pk=carton.id if carton is not None else None,
            pallet_id=pallet.id if pallet is not None else None,
            issued_at=now,
        )
    )
    s.flush()
    return value


def next_in_sequence(s: Session, name: str, start: int) -> int:
    """``repo.next_counter``, safe when two transactions create the counter row at once:
    the row is inserted in a savepoint first, and the loser of that race simply goes on to
    lock and increment the winner's row."""
    if s.get(Counter, name) is None:
        try:
            with s.begin_nested():
                s.add(Counter(name=name, value=start - 1))
        except IntegrityError:
            pass
    return repo.next_counter(s, name, start)


def sscc_of_carton(s: Session, carton_pk: int) -> str | None:
    return s.scalar(select(IssuedSscc.sscc).where(IssuedSscc.carton_pk == carton_pk))


def sscc_of_pallet(s: Session, pallet_id: int) -> str | None:
    return s.scalar(select(IssuedSscc.sscc).where(IssuedSscc.pallet_id == pallet_id))


def carton_sscc(s: Session, gs1: Gs1Config, carton: Carton, now: datetime) -> str:
    """The carton's SSCC, issued on first use."""
    return sscc_of_carton(s, carton.id) or issue_sscc(s, gs1, now, carton=carton)


def find_sscc(s: Session, sscc: str) -> IssuedSscc | None:
    return s.scalars(select(IssuedSscc).where(IssuedSscc.sscc == sscc)).first()


def gtins_of(s: Session, sku_ids: set[int]) -> dict[int, str]:
    """The GTIN-14 of each SKU that has one (its first GTIN barcode)."""
    if not sku_ids:
        return {}
    out: dict[int, str] = {}
    rows = s.execute(
        select(Barcode.sku_id, Barcode.code)
        .where(Barcode.sku_id.in_(sku_ids), Barcode.kind == "gtin")
        .order_by(Barcode.id)
    ).all()
    for sku_id, code in rows:
        gtin = normalise_gtin(code)
        if gtin and sku_id not in out:
            out[sku_id] = gtin
    return out


# --------------------------------------------------------------------------- shipped event


def _carton_node(
    c: Carton,
    sscc: str | None,
    lines: dict[int, AllocationLine],
    gtins: dict[int, str],
) -> dict[str, Any]:
    return {
        "sscc": sscc,
        "carton_id": c.code,
        "tracking_number": c.tracking_number,
        "weight_g": c.weight_g,
        "dims_mm": [c.length_mm, c.width_mm, c.height_mm],
        "lines": [
            {
                "line_id": lines[cl.line_pk].line_id,
                "sku": lines[cl.line_pk].sku,
                "gtin": gtins.get(lines[cl.line_pk].sku_id or 0),
                "qty": cl.qty,
            }
            for cl in c.lines
            if cl.line_pk in lines
        ],
    }


def add_shipment_hierarchy(s: Session, allocation: Allocation, data: dict[str, Any]) -> None:
    """Extend ``allocation.shipped``'s data for a B2B order: PO, payment terms, what stayed
    short, each carton's SSCC, and ``shipments``: per bill of lading (or per carrier and
    service for parcels) the pallets with their SSCC, measures and cartons, and loose
    cartons, each carton with its SSCC and lines (line id, SKU, GTIN, quantity)."""
    terms = terms_of(allocation)
    cartons = list(
        s.scalars(select(Carton).where(Carton.allocation_pk == allocation.id).order_by(Carton.id))
    )
    ids = [c.id for c in cartons]
    ssccs = dict(
        s.execute(
            select(IssuedSscc.carton_pk, IssuedSscc.sscc).where(IssuedSscc.carton_pk.in_(ids))
        ).all()
    )
    on_pallet = dict(
        s.execute(
            select(PalletCarton.carton_pk, PalletCarton.pallet_id).where(
                PalletCarton.carton_pk.in_(ids)
            )
        ).all()
    )
    pallets = {
        p.id: p for p in s.scalars(select(Pallet).where(Pallet.id.in_(set(on_pallet.values()))))
    }
    pallet_ssccs = dict(
        s.execute(
            select(IssuedSscc.pallet_id, IssuedSscc.sscc).where(
                IssuedSscc.pallet_id.in_(list(pallets))
            )
        ).all()
    )
    bols = {
        b.id: b
        for b in s.scalars(
            select(BillOfLading).where(
                BillOfLading.id.in_({p.bol_id for p in pallets.values() if p.bol_id})
            )
        )
    }
    lines = {ln.id: ln for ln in allocation.lines}
    gtins = gtins_of(s, {ln.sku_id for ln in allocation.lines if ln.sku_id})

    shipments: dict[tuple[Any, ...], dict[str, Any]] = {}
    pallet_nodes: dict[int, dict[str, Any]] = {}
    for c in cartons:
        pallet = pallets.get(on_pallet.get(c.id, 0))
        bol = bols.get(pallet.bol_id) if pallet is not None and pallet.bol_id else None
        key: tuple[Any, ...] = (
            ("bol", bol.id) if bol is not None else ("parcel", c.carrier, c.service)
        )
        shipment = shipments.get(key)
        if shipment is None:
            shipment = shipments[key] = {
                "bol_number": bol.number if bol else None,
                "pro_number": bol.pro_number if bol else None,
                "carrier": bol.carrier if bol else c.carrier,
                "service": bol.service if bol else c.service,
                "ship_to_gln": terms.ship_to_gln,
                "pallets": [],
                "cartons": [],
            }
        node = _carton_node(c, ssccs.get(c.id), lines, gtins)
        if pallet is None:
            shipment["cartons"].append(node)
            continue
        pnode = pallet_nodes.get(pallet.id)
        if pnode is None:
            pnode = pallet_nodes[pallet.id] = {
                "sscc": pallet_ssccs.get(pallet.id),
                "pallet_id": pallet.code,
                "kind": pallet.kind,
                "pallet_type": pallet.pallet_type,
                "weight_g": pallet.weight_g,
                "dims_mm": [pallet.length_mm, pallet.width_mm, pallet.height_mm],
                "content_gtin": pallet.content_gtin,
                "content_count": pallet.content_count,
                "cartons": [],
            }
            shipment["pallets"].append(pnode)
        pnode["cartons"].append(node)
    for entry in data.get("cartons", []):
        match = next((c for c in cartons if c.code == entry.get("carton_id")), None)
        if match is not None:
            entry["sscc"] = ssccs.get(match.id)
            pallet_id = on_pallet.get(match.id)
            entry["pallet_sscc"] = pallet_ssccs.get(pallet_id) if pallet_id else None
    left = short_lines(progress(allocation))
    data.update(
        po_number=terms.po_number,
        payment_terms=terms.payment_terms,
        partial=bool(left),
        short_lines=left,
        shipments=list(shipments.values()),
    )


def require_b2b(allocation: Allocation, carton_code: str) -> None:
    if not is_b2b(allocation):
        raise ServiceError(
            msg(
                "%(carton_code)s belongs to order %(order_number)s, which is "
                "not a B2B order: ship it as a parcel at /ship.",
                carton_code=carton_code,
                order_number=allocation.order_number,
            ),
            "carton",
        )
