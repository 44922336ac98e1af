"""Pallets at the ship station: scan B2B cartons onto a pallet (one consignee per pallet,
one SKU or mixed), close it with its measured weight and height and an SSCC label, then ship
closed pallets with a bill of lading (a GSIN), which issues the carriers' numbers for every
carton in the same transaction and, once an order's last carton is out, writes its
``allocation.shipped`` with the pallet/carton/line hierarchy (see :mod:`app.services.b2b`).

Each function is one unit of work and the only place here that commits.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.adapters import printers as printer_io
from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, AllocationLine, Carton, Sku
from app.adapters.db.models_b2b import BillOfLading, Pallet, PalletCarton
from app.adapters.db.models_ship import ShipLabel
from app.adapters.db.uow import SessionFactory
from app.adapters.gs1_config import Gs1Config
from app.domain.allocations import AllocationStatus
from app.domain.b2b import (
    B2BTerms,
    ContentLine,
    Contents,
    PalletKind,
    check_freight_class,
    check_pallet_measures,
    consignee_key,
    contents_of,
    pallet_gross_estimate_g,
)
from app.domain.carriers import CarrierError, LabelRequest
from app.domain.scanning import ScanKind, parse_scan
from app.domain.sscc import make_gsin
from app.domain.text import msg
from app.services import b2b, shipping
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.shipping import ShipContext
from app.services.weighing import _check_not_held
from labels.bill_of_lading import Bol, BolOrder, BolParty, BolUnit, render_bill_of_lading_pdf
from labels.logistic_label import (
    LogisticLabel,
    render_logistic_label_pdf,
    render_logistic_label_zpl,
)
from labels.model import Address

PALLET_CODE = re.compile(r"^PAL\d{6,9}$")


def _gs1(ctx: ShipContext) -> Gs1Config:
    if ctx.gs1 is None:
        raise ServiceError(
            msg("No GS1 configuration (config/gs1.toml): pallets and SSCCs need a company prefix."),
            "sscc",
        )
    return ctx.gs1


def _address(data: dict[str, Any] | Address) -> Address:
    if isinstance(data, Address):
        return data
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


# --------------------------------------------------------------------------- lookups


def _pallet(s: Session, code: str, lock: bool = False) -> Pallet:
    text = code.strip().upper()
    stmt = select(Pallet).where(Pallet.code == text)
    parsed = parse_scan(code.strip())
    if parsed.kind is ScanKind.SSCC:
        issued = b2b.find_sscc(s, parsed.value)
        if issued is None or issued.pallet_id is None:
            raise NotFound(
                msg("SSCC %(value)s is not one of our pallets.", value=parsed.value), "pallet"
            )
        stmt = select(Pallet).where(Pallet.id == issued.pallet_id)
    if lock:
        stmt = stmt.with_for_update()
    pallet = s.scalars(stmt).first()
    if pallet is None:
        raise NotFound(
            msg("%(code)s is not a pallet we know. Pallet labels say PAL….", code=code), "pallet"
        )
    return pallet


def _carton_by_scan(s: Session, code: str) -> Carton:
    parsed = parse_scan(code.strip())
    if parsed.kind is ScanKind.SSCC:
        issued = b2b.find_sscc(s, parsed.value)
        if issued is None or issued.carton_pk is None:
            raise NotFound(
                msg("SSCC %(value)s is not one of our cartons.", value=parsed.value), "carton"
            )
        return repo.must_get(s, Carton, issued.carton_pk)
    carton = s.scalars(select(Carton).where(Carton.code == parsed.value).with_for_update()).first()
    if carton is None:
        raise NotFound(
            msg("%(code)s is not a carton we know. Scan the carton label (CT…).", code=code),
            "carton",
        )
    return carton


def _cartons_on(s: Session, pallet: Pallet) -> list[Carton]:
    return list(
        s.scalars(
            select(Carton)
            .join(PalletCarton, PalletCarton.carton_pk == Carton.id)
            .where(PalletCarton.pallet_id == pallet.id)
            .order_by(PalletCarton.id)
        )
    )


def _contents(s: Session, cartons: list[Carton]) -> tuple[Contents, list[dict[str, Any]]]:
    """What the cartons hold: the pallet's kind and, per SKU, units and name."""
    line_pks = {cl.line_pk for c in cartons for cl in c.lines}
    lines = {
        ln.id: ln for ln in s.scalars(select(AllocationLine).where(AllocationLine.id.in_(line_pks)))
    }
    gtins = b2b.gtins_of(s, {ln.sku_id for ln in lines.values() if ln.sku_id})
    per_sku: dict[str, int] = {}
    content: list[ContentLine] = []
    for c in cartons:
        for cl in c.lines:
            ln = lines[cl.line_pk]
            content.append(ContentLine(ln.sku, gtins.get(ln.sku_id or 0), cl.qty))
            per_sku[ln.sku] = per_sku.get(ln.sku, 0) + cl.qty
    names = dict(s.execute(select(Sku.sku, Sku.name).where(Sku.sku.in_(per_sku))).all())
    skus = [
        {"sku": sku, "name": names.get(sku, sku), "units": units}
        for sku, units in sorted(per_sku.items())
    ]
    return contents_of(content), skus


def _content_text(contents: Contents, skus: list[dict[str, Any]]) -> str:
    if contents.kind is PalletKind.SINGLE_SKU and skus:
        return f"{contents.units} x {skus[0]['sku']} {skus[0]['name']}"
    if not skus:
        return "empty"
    return f"Mixed: {contents.units} units of {contents.skus} SKUs"


def _allocations(s: Session, cartons: list[Carton]) -> list[Allocation]:
    pks = sorted({c.allocation_pk for c in cartons})
    return list(s.scalars(select(Allocation).where(Allocation.id.in_(pks)).order_by(Allocation.id)))


# --------------------------------------------------------------------------- views


def _carton_json(s: Session, c: Carton, allocation: Allocation) -> dict[str, Any]:
    terms = b2b.terms_of(allocation)
    return {
        "carton": c.code,
        "sscc": b2b.sscc_of_carton(s, c.id),
        "order_number": allocation.order_number,
        "allocation_id": allocation.allocation_id,
        "po_number": terms.po_number,
        "weight_g": c.weight_g,
        "units": sum(cl.qty for cl in c.lines),
        "status": c.status,
    }


def pallet_view(s: Session, pallet: Pallet, ctx: ShipContext) -> dict[str, Any]:
    cartons = _cartons_on(s, pallet)
    allocations = {a.id: a for a in _allocations(s, cartons)}
    contents, skus = _contents(s, cartons)
    cartons_g = sum(c.weight_g or c.expected_weight_g for c in cartons)
    first = next(iter(allocations.values()), None)
    sscc = b2b.sscc_of_pallet(s, pallet.id)
    bol = s.get(BillOfLading, pallet.bol_id) if pallet.bol_id else None
    view: dict[str, Any] = {
        "pallet": pallet.code,
        "status": pallet.status,
        "sscc": sscc,
        "station": pallet.station,
        "pallet_type": pallet.pallet_type,
        "dims_mm": [pallet.length_mm, pallet.width_mm, pallet.height_mm],
        "tare_g": pallet.tare_g,
        "weight_g": pallet.weight_g,
        "height_mm": pallet.height_mm,
        "cartons_weight_g": cartons_g,
        "estimated_weight_g": pallet_gross_estimate_g([cartons_g], pallet.tare_g),
        "kind": contents.kind.value if cartons else None,
        "units": contents.units,
        "skus": skus,
        "content": _content_text(contents, skus),
        "consignee": _consignee_json(first) if first else None,
        "po_numbers": sorted(
            {b2b.terms_of(a).po_number or "" for a in allocations.values()} - {""}
        ),
        "cartons": [_carton_json(s, c, allocations[c.allocation_pk]) for c in cartons],
        "bol": bol.number if bol else None,
        "bol_url": f"/ship/bol/{bol.number}.pdf" if bol else None,
    }
    if sscc:
        view["label_url"] = f"/ship/logistic/{sscc}.pdf"
        view["label_zpl_url"] = f"/ship/logistic/{sscc}.zpl"
    return view


def _consignee_json(allocation: Allocation) -> dict[str, Any]:
    to = allocation.ship_to or {}
    terms = b2b.terms_of(allocation)
    return {
        "name": to.get("company") or to.get("name"),
        "city": to.get("city"),
        "postal_code": to.get("postal_code"),
        "country": to.get("country"),
        "gln": terms.ship_to_gln,
    }


def _ready_groups(s: Session, ctx: ShipContext) -> list[dict[str, Any]]:
    """Closed pallets waiting for a bill of lading, one group per consignee."""
    groups: dict[str, dict[str, Any]] = {}
    for pallet in s.scalars(select(Pallet).where(Pallet.status == "closed").order_by(Pallet.id)):
        key = pallet.consignee_key or ""
        view = pallet_view(s, pallet, ctx)
        group = groups.get(key)
        if group is None:
            cartons = _cartons_on(s, pallet)
            allocation = s.get(Allocation, cartons[0].allocation_pk) if cartons else None
            terms = b2b.terms_of(allocation) if allocation else B2BTerms()
            group = groups[key] = {
                "consignee": view["consignee"],
                "pallets": [],
                "freight_class": terms.freight_class,
                "instructions": (allocation.notes if allocation else None) or "",
                "weight_g": 0,
            }
        group["pallets"].append(
            {
                "pallet": view["pallet"],
                "sscc": view["sscc"],
                "cartons": len(view["cartons"]),
                "weight_g": view["weight_g"],
                "kind": view["kind"],
                "po_numbers": view["po_numbers"],
                "label_url": view.get("label_url"),
            }
        )
        group["weight_g"] += view["weight_g"] or 0
    return list(groups.values())


def pallet_state(
    uow: SessionFactory, ctx: ShipContext, station: str | None, pallet_code: str | None
) -> dict[str, Any]:
    """The pallet in front of the shipper (the one asked for, else the station's newest open
    one), the other open pallets, and what is ready for a bill of lading."""
    with uow() as tx:
        s = tx.session
        current = None
        if pallet_code:
            try:
                current = _pallet(s, pallet_code)
            except NotFound:
                current = None
        if current is None and station:
            current = s.scalars(
                select(Pallet)
                .where(Pallet.status == "open", Pallet.station == station)
                .order_by(Pallet.id.desc())
            ).first()
        others = s.scalars(select(Pallet).where(Pallet.status == "open").order_by(Pallet.id)).all()
        bols = s.scalars(select(BillOfLading).order_by(BillOfLading.id.desc()).limit(10)).all()
        return {
            "pallet": pallet_view(s, current, ctx) if current else None,
            "open": [
                {"pallet": p.code, "station": p.station}
                for p in others
                if current is None or p.id != current.id
            ],
            "ready": _ready_groups(s, ctx),
            "bols": [_bol_json(b) for b in bols],
        }


def _bol_json(bol: BillOfLading) -> dict[str, Any]:
    snap = bol.snapshot or {}
    return {
        "bol": bol.number,
        "carrier": bol.carrier,
        "service": bol.service,
        "pro_number": bol.pro_number,
        "pallets": len(snap.get("units", [])),
        "weight_g": sum(int(u.get("weight_g") or 0) for u in snap.get("units", [])),
        "consignee": (snap.get("consignee") or {}).get("address", {}).get("company")
        or (snap.get("consignee") or {}).get("address", {}).get("name"),
        "pdf_url": f"/ship/bol/{bol.number}.pdf",
    }


# --------------------------------------------------------------------------- building


def _new_pallet(
    s: Session, gs1: Gs1Config, station: str | None, user: str, now: datetime
) -> Pallet:
    number = b2b.next_in_sequence(s, "pallet", 1)
    spec = gs1.pallet
    pallet = Pallet(
        code=f"PAL{number:06d}",
        status="open",
        station=station,
        pallet_type=spec.type,
        length_mm=spec.length_mm,
        width_mm=spec.width_mm,
        tare_g=spec.tare_g,
        created_by=user,
        created_at=now,
    )
    s.add(pallet)
    s.flush()
    return pallet


def new_pallet(
    station: str | None, user: str, uow: SessionFactory, clock: Clock, ctx: ShipContext
) -> dict[str, Any]:
    gs1 = _gs1(ctx)
    with uow() as tx:
        pallet = _new_pallet(tx.session, gs1, station, user, clock())
        view = pallet_view(tx.session, pallet, ctx)
        tx.commit()
        return view


def _check_carton(s: Session, carton: Carton, allocation: Allocation) -> None:
    b2b.require_b2b(allocation, carton.code)
    _check_not_held(s, carton)
    if carton.status == "shipped":
        raise Conflict(msg("Carton %(code)s has shipped already.", code=carton.code), "carton")
    if carton.status != "weighed" or carton.weight_g is None:
        raise Conflict(
            msg(
                "Carton %(code)s has not passed the weight check: weigh it first.", code=carton.code
            ),
            "carton",
        )


def scan(
    code: str,
    pallet_code: str | None,
    station: str | None,
    user: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ShipContext,
) -> dict[str, Any]:
    """A scan at the pallet screen. A pallet code or pallet SSCC brings that pallet up; a
    carton (its code or its SSCC) goes onto the pallet in front of the shipper, a new one
    if there is none. Returns ``{result, message, pallet}``; result is ``added``,
    ``already`` (on this pallet), ``opened`` (a pallet scan) or ``new_pallet``."""
    gs1 = _gs1(ctx)
    now = clock()
    text = code.strip()
    with uow() as tx:
        s = tx.session
        parsed = parse_scan(text)
        is_pallet = PALLET_CODE.match(text.upper()) is not None
        if parsed.kind is ScanKind.SSCC:
            issued = b2b.find_sscc(s, parsed.value)
            is_pallet = issued is not None and issued.pallet_id is not None
        if is_pallet:
            pallet = _pallet(s, text)
            return {
                "result": "opened",
                "message": msg(
                    "Pallet %(code)s (%(status)s).", code=pallet.code, status=pallet.status
                ),
                "pallet": pallet_view(s, pallet, ctx),
            }
        carton = _carton_by_scan(s, text)
        allocation = repo.must_get(s, Allocation, carton.allocation_pk)
        placed = s.scalars(select(PalletCarton).where(PalletCarton.carton_pk == carton.id)).first()
        current = _pallet(s, pallet_code, lock=True) if pallet_code else None
        if placed is not None:
            on = repo.must_get(s, Pallet, placed.pallet_id)
            if current is not None and on.id == current.id:
                return {
                    "result": "already",
                    "message": msg("%(code)s is on this pallet already.", code=carton.code),
                    "pallet": pallet_view(s, current, ctx),
                }
            raise Conflict(
                msg(
                    "%(code)s is on pallet %(code2)s (%(status)s): take it off there first.",
                    code=carton.code,
                    code2=on.code,
                    status=on.status,
                ),
                "carton",
            )
        _check_carton(s, carton, allocation)
        key = consignee_key(allocation.ship_to or {}, b2b.terms_of(allocation).ship_to_gln)
        result = "added"
        if current is None or current.status != "open":  # after a closed one: the next
            current = _new_pallet(s, gs1, station, user, now)
            result = "new_pallet"
        if current.consignee_key and current.consignee_key != key:
            first = _cartons_on(s, current)[0]
            other = repo.must_get(s, Allocation, first.allocation_pk)
            raise Conflict(
                msg(
                    "%(code)s goes to %(value)s, this pallet to %(value2)s: one "
                    "consignee per pallet. Start a new pallet for it.",
                    code=carton.code,
                    value=_who(allocation),
                    value2=_who(other),
                ),
                "carton",
            )
        current.consignee_key = key
        s.add(PalletCarton(pallet_id=current.id, carton_pk=carton.id, added_by=user, added_at=now))
        s.flush()
        b2b.carton_sscc(s, gs1, carton, now)
        view = pallet_view(s, current, ctx)
        tx.commit()
        n = len(view["cartons"])
        head = msg("New pallet %(code)s: ", code=current.code) if result == "new_pallet" else ""
        count = f"{n} carton" + ("s" if n != 1 else "")
        return {
            "result": result,
            "message": msg(
                "%(head)s%(code)s on %(code2)s (%(count)s).",
                head=head,
                code=carton.code,
                code2=current.code,
                count=count,
            ),
            "pallet": view,
        }


def _who(allocation: Allocation) -> str:
    to = allocation.ship_to or {}
    return f"{to.get('company') or to.get('name')}, {to.get('city')}"


def remove_carton(
    pallet_code: str, carton_code: str, user: str, uow: SessionFactory, ctx: ShipContext
) -> dict[str, Any]:
    with uow() as tx:
        s = tx.session
        pallet = _pallet(s, pallet_code, lock=True)
        if pallet.status != "open":
            raise Conflict(
                msg(
                    "Pallet %(code)s is %(status)s: reopen it first.",
                    code=pallet.code,
                    status=pallet.status,
                ),
                "pallet",
            )
        carton = _carton_by_scan(s, carton_code)
        placed = s.scalars(
            select(PalletCarton).where(
                PalletCarton.carton_pk == carton.id, PalletCarton.pallet_id == pallet.id
            )
        ).first()
        if placed is None:
            raise Conflict(
                msg("%(code)s is not on pallet %(code2)s.", code=carton.code, code2=pallet.code),
                "carton",
            )
        s.delete(placed)
        s.flush()
        if not _cartons_on(s, pallet):
            pallet.consignee_key = None
        view = pallet_view(s, pallet, ctx)
        tx.commit()
        return view


def close_pallet(
    pallet_code: str,
    weight_g: int | None,
    height_mm: int,
    station: str | None,
    user: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ShipContext,
) -> dict[str, Any]:
    """Close the pallet with its measured gross weight (the estimate when none was
    measured) and height; it gets its SSCC (kept if it had one: a reopened pallet) and its
    kind: single-SKU or mixed. The label goes to the station's ZPL printer, else it is the
    PDF behind ``label_url``."""
    gs1 = _gs1(ctx)
    now = clock()
    with uow() as tx:
        s = tx.session
        pallet = _pallet(s, pallet_code, lock=True)
        if pallet.status != "open":
            raise Conflict(
                msg(
                    "Pallet %(code)s is %(status)s already.", code=pallet.code, status=pallet.status
                ),
                "pallet",
            )
        cartons = _cartons_on(s, pallet)
        if not cartons:
            raise ServiceError(
                msg("Pallet %(code)s is empty: scan cartons onto it.", code=pallet.code), "pallet"
            )
        for c in cartons:
            _check_carton(s, c, repo.must_get(s, Allocation, c.allocation_pk))
        cartons_g = sum(c.weight_g or 0 for c in cartons)
        gross = weight_g if weight_g is not None else cartons_g + pallet.tare_g
        try:
            check_pallet_measures(
                gross, height_mm, cartons_g, gs1.pallet.max_weight_g, gs1.pallet.max_height_mm
            )
        except ValueError as exc:
            field = "height_mm" if "height" in str(exc) or "higher" in str(exc) else "weight_g"
            raise ServiceError(str(exc), field) from exc
        contents, _ = _contents(s, cartons)
        pallet.status = "closed"
        pallet.weight_g = gross
        pallet.height_mm = height_mm
        pallet.kind = contents.kind.value
        pallet.content_gtin = contents.gtin
        pallet.content_count = contents.count
        pallet.closed_by = user
        pallet.closed_at = now
        pallet.station = station or pallet.station
        sscc = b2b.sscc_of_pallet(s, pallet.id) or b2b.issue_sscc(s, gs1, now, pallet=pallet)
        view = pallet_view(s, pallet, ctx)
        label = _pallet_label(s, pallet, ctx, sscc)
        tx.commit()
    view["print"] = _print(label, station, ctx)
    return view


def reopen_pallet(
    pallet_code: str, user: str, uow: SessionFactory, ctx: ShipContext
) -> dict[str, Any]:
    """A closed pallet (not shipped) opens again for corrections; it keeps its SSCC."""
    with uow() as tx:
        s = tx.session
        pallet = _pallet(s, pallet_code, lock=True)
        if pallet.status != "closed":
            raise Conflict(
                msg(
                    "Pallet %(code)s is %(status)s: it cannot reopen.",
                    code=pallet.code,
                    status=pallet.status,
                ),
                "pallet",
            )
        pallet.status = "open"
        pallet.closed_at = None
        pallet.closed_by = None
        view = pallet_view(s, pallet, ctx)
        tx.commit()
        return view


def _print(label: LogisticLabel, station: str | None, ctx: ShipContext) -> dict[str, Any]:
    printer = ctx.printer(station)
    out: dict[str, Any] = {"format": "pdf", "printed": False, "error": None, "printer": None}
    if printer is None or printer.kind != "zpl":
        return out
    out.update(format="zpl", printer=printer.label)
    try:
        printer_io.send_zpl(printer, render_logistic_label_zpl(label, printer.dpi))
        out["printed"] = True
    except printer_io.PrinterError as exc:
        out["error"] = str(exc)
    except ValueError as exc:
        out["error"] = msg("The label cannot be printed as ZPL: %(exc)s.", exc=exc)
    return out


# --------------------------------------------------------------------------- labels


def _first_label(s: Session, carton: Carton) -> ShipLabel | None:
    return s.scalars(
        select(ShipLabel).where(ShipLabel.carton_pk == carton.id, ShipLabel.status == "active")
    ).first()


def _pallet_label(s: Session, pallet: Pallet, ctx: ShipContext, sscc: str) -> LogisticLabel:
    gs1 = _gs1(ctx)
    cartons = _cartons_on(s, pallet)
    allocations = _allocations(s, cartons)
    contents, skus = _contents(s, cartons)
    first = allocations[0]
    terms = [b2b.terms_of(a) for a in allocations]
    pos = sorted({t.po_number for t in terms if t.po_number})
    bol = s.get(BillOfLading, pallet.bol_id) if pallet.bol_id else None
    when = pallet.shipped_at or pallet.closed_at
    content = _content_text(contents, skus)
    if len(pos) > 1:
        content += f"; POs {', '.join(pos)}"
    return LogisticLabel(
        sscc=sscc,
        unit="PALLET",
        ship_from=ctx.ship_from,
        ship_to=_address(first.ship_to),
        ship_from_gln=gs1.gln,
        ship_to_gln=terms[0].ship_to_gln,
        po_number=pos[0] if len(pos) == 1 else None,
        order_number=first.order_number if len(allocations) == 1 else None,
        content_gtin=contents.gtin,
        content_count=contents.count,
        content_text=content,
        gross_weight_g=pallet.weight_g,
        height_mm=pallet.height_mm,
        carrier=ctx.carrier_name(bol.carrier) if bol else None,
        service=_service_name(ctx, bol.carrier, bol.service) if bol else None,
        bol_number=bol.number if bol else None,
        pro_number=bol.pro_number if bol else None,
        ship_date=when.astimezone(ctx.policy.tz).date() if when else None,
        company_prefix_length=len(gs1.company_prefix),
    )


def _carton_label(s: Session, carton: Carton, ctx: ShipContext, sscc: str) -> LogisticLabel:
    gs1 = _gs1(ctx)
    allocation = repo.must_get(s, Allocation, carton.allocation_pk)
    terms = b2b.terms_of(allocation)
    contents, skus = _contents(s, [carton])
    siblings = list(
        s.scalars(
            select(Carton.id).where(Carton.allocation_pk == allocation.id).order_by(Carton.id)
        )
    )
    label = _first_label(s, carton)
    when = carton.shipped_at or carton.weighed_at
    return LogisticLabel(
        sscc=sscc,
        unit="CARTON",
        ship_from=ctx.ship_from,
        ship_to=_address(allocation.ship_to),
        ship_from_gln=gs1.gln,
        ship_to_gln=terms.ship_to_gln,
        po_number=terms.po_number,
        order_number=allocation.order_number,
        content_gtin=contents.gtin,
        content_count=contents.count,
        content_text=_content_text(contents, skus),
        gross_weight_g=carton.weight_g or carton.expected_weight_g,
        height_mm=carton.height_mm,
        carrier=ctx.carrier_name(label.carrier) if label else None,
        service=_service_name(ctx, label.carrier, label.service) if label else None,
        pro_number=carton.tracking_number,
        ship_date=when.astimezone(ctx.policy.tz).date() if when else None,
        sequence=(siblings.index(carton.id) + 1, len(siblings)),
        company_prefix_length=len(gs1.company_prefix),
    )


def _service_name(ctx: ShipContext, carrier: str, service: str) -> str:
    return next(
        (
            sv.name
            for c in ctx.carriers
            if c.code == carrier
            for sv in c.services
            if sv.code == service
        ),
        service,
    )


def _label_for_sscc(s: Session, sscc: str, ctx: ShipContext) -> LogisticLabel:
    issued = b2b.find_sscc(s, sscc.strip())
    if issued is None:
        raise NotFound(msg("No carton or pallet has SSCC %(sscc)s.", sscc=sscc), "sscc")
    if issued.pallet_id is not None:
        return _pallet_label(s, repo.must_get(s, Pallet, issued.pallet_id), ctx, issued.sscc)
    assert issued.carton_pk is not None
    return _carton_label(s, repo.must_get(s, Carton, issued.carton_pk), ctx, issued.sscc)


def logistic_label_pdf(sscc: str, uow: SessionFactory, ctx: ShipContext) -> bytes:
    with uow() as tx:
        return render_logistic_label_pdf(_label_for_sscc(tx.session, sscc, ctx))


def logistic_label_zpl(sscc: str, uow: SessionFactory, ctx: ShipContext, dpi: int = 203) -> bytes:
    with uow() as tx:
        return render_logistic_label_zpl(_label_for_sscc(tx.session, sscc, ctx), dpi)


def carton_label_sscc(code: str, uow: SessionFactory, clock: Clock, ctx: ShipContext) -> str:
    """The SSCC of a B2B carton (issued now if it has none yet), for its logistic label."""
    gs1 = _gs1(ctx)
    with uow() as tx:
        s = tx.session
        carton = _carton_by_scan(s, code)
        b2b.require_b2b(repo.must_get(s, Allocation, carton.allocation_pk), carton.code)
        sscc = b2b.carton_sscc(s, gs1, carton, clock())
        tx.commit()
        return sscc


# --------------------------------------------------------------------------- shipping


def _gsin(s: Session, gs1: Gs1Config) -> str:
    serial = b2b.next_in_sequence(s, gs1.gsin_counter, gs1.bol_serial_first)
    if serial > gs1.bol_serial_last:
        raise Conflict(
            msg("The bill of lading range in config/gs1.toml is used up: configure a new one."),
            "bol",
        )
    return make_gsin(gs1.company_prefix, max(serial, gs1.bol_serial_first))


def ship_pallets(
    pallet_codes: list[str],
    user: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ShipContext,
    *,
    service_code: str | None = None,
    carrier_code: str | None = None,
    freight_class: str | None = None,
    special_instructions: str | None = None,
    trailer_number: str | None = None,
    seal_number: str | None = None,
) -> dict[str, Any]:
    """Hand closed pallets of one consignee to one carrier with a bill of lading.

    In one transaction: every order's B2B rules are checked (an order that takes no partial
    shipment must be complete and wholly on these pallets), one freight service is chosen
    (the recommendation for the heaviest carton, or the one given) and must carry every
    carton, the bill of lading gets its GSIN and the carrier's PRO number, each carton its
    label and tracking number, and each order whose last carton leaves writes
    ``allocation.shipped`` with the hierarchy. An order put on hold by the complete-shipment
    rule is committed as held and the error raised."""
    gs1 = _gs1(ctx)
    try:
        fclass = check_freight_class(freight_class)
    except ValueError as exc:
        raise ServiceError(str(exc), "freight_class") from exc
    codes = list(dict.fromkeys(c.strip() for c in pallet_codes if c and c.strip()))
    if not codes:
        raise ServiceError(msg("Choose the pallets to ship."), "pallets")
    now = clock()
    with uow() as tx:
        s = tx.session
        pallets = [_pallet(s, code, lock=True) for code in codes]
        for p in pallets:
            if p.status != "closed":
                raise Conflict(
                    msg(
                        "Pallet %(code)s is %(status)s: only closed pallets ship.",
                        code=p.code,
                        status=p.status,
                    ),
                    "pallets",
                )
        if len({p.consignee_key for p in pallets}) != 1:
            raise Conflict(
                msg("One bill of lading is for one consignee: pick their pallets only."), "pallets"
            )
        cartons = [c for p in pallets for c in _cartons_on(s, p)]
        allocations = _allocations(s, cartons)
        for a in allocations:
            for c in (c for c in cartons if c.allocation_pk == a.id):
                _check_carton(s, c, a)
            held = b2b.check_complete(s, a, now)
            if held is not None:
                tx.commit()  # the hold stands; nothing ships
                raise held
            terms = b2b.terms_of(a)
            if not terms.allow_partial:
                missing = s.scalars(
                    select(Carton.code).where(
                        Carton.allocation_pk == a.id,
                        Carton.id.not_in([c.id for c in cartons]),
                        Carton.status != "shipped",
                    )
                ).all()
                if missing:
                    raise Conflict(
                        msg(
                            "Order %(order_number)s ships complete: carton(s) %(items)s "
                            "are not on these pallets.",
                            order_number=a.order_number,
                            items=", ".join(missing),
                        ),
                        "pallets",
                    )
        # One service for the whole shipment: the recommendation for the heaviest carton.
        heaviest = max(cartons, key=lambda c: c.weight_g or 0)
        plan = shipping._plan(s, heaviest, ctx, now, service_code, carrier_code, None)
        carrier, service = plan.option.quote.carrier, plan.option.quote.service
        gateway = ctx.gateway(carrier)
        if not gateway.offline:
            raise ServiceError(
                msg(
                    "%(value)s is booked over the network: pallets ship only "
                    "with carriers whose numbers we issue for now.",
                    value=ctx.carrier_name(carrier),
                ),
                "service",
            )
        plans = {
            c.id: shipping._plan(s, c, ctx, now, service, carrier, "shipper_choice")
            if c.id != heaviest.id
            else plan
            for c in cartons
        }
        first = allocations[0]
        terms = b2b.terms_of(first)
        fclass = fclass or next(
            (t.freight_class for t in map(b2b.terms_of, allocations) if t.freight_class), None
        )
        instructions = (special_instructions or "").strip() or "; ".join(
            dict.fromkeys(a.notes.strip() for a in allocations if a.notes and a.notes.strip())
        )
        number = _gsin(s, gs1)
        total_g = sum(p.weight_g or 0 for p in pallets)
        try:
            pro = gateway.buy_label(
                LabelRequest(
                    carrier=carrier,
                    service=service,
                    reference=number,
                    ship_from=shipping._postal(ctx.ship_from),
                    ship_to=shipping._postal(first.ship_to),
                    weight_g=total_g,
                    dims_mm=(pallets[0].length_mm, pallets[0].width_mm, pallets[0].height_mm or 0),
                    serial=repo.next_counter(s, f"tracking:{carrier}"),
                )
            ).tracking_number
        except CarrierError as exc:
            raise ServiceError(str(exc), "service") from exc
        bol = BillOfLading(
            number=number,
            carrier=carrier,
            service=service,
            pro_number=pro,
            consignee_key=pallets[0].consignee_key or "",
            freight_terms=terms.terms_for_freight,
            freight_class=fclass,
            special_instructions=instructions[:2000] or None,
            trailer_number=(trailer_number or "").strip()[:40] or None,
            seal_number=(seal_number or "").strip()[:40] or None,
            ship_day=now.astimezone(ctx.policy.tz).date(),
            created_by=user,
            created_at=now,
            snapshot={},
        )
        s.add(bol)
        s.flush()
        for p in pallets:
            p.bol_id = bol.id
            p.status = "shipped"
            p.shipped_at = now
        s.flush()
        price = 0
        ship_days: list[date] = []
        for c in cartons:
            b2b.carton_sscc(s, gs1, c, now)
            label = shipping._new_label(s, c, plans[c.id], ctx, now, user)
            try:
                bought = gateway.buy_label(
                    shipping._label_request(
                        s, c, label, ctx, repo.next_counter(s, f"tracking:{carrier}")
                    )
                )
            except CarrierError as exc:
                raise ServiceError(str(exc), "service") from exc
            shipping._store(s, c, label, bought, ctx, now)
            price += label.price_minor or 0
            if label.ship_day:
                ship_days.append(label.ship_day)
        bol.ship_day = min(ship_days) if ship_days else bol.ship_day
        bol.price_minor = price
        bol.currency = plan.option.quote.currency
        bol.snapshot = _snapshot(s, bol, pallets, cartons, allocations, ctx)
        s.flush()
        result = {
            "bol": _bol_json(bol),
            "pallets": [pallet_view(s, p, ctx) for p in pallets],
            "cartons": len(cartons),
            "shipped_orders": [
                a.order_number for a in allocations if a.status == AllocationStatus.SHIPPED.value
            ],
            "message": (
                msg(
                    "Bill of lading %(number)s: %(n_pallets)s pallet(s), "
                    "%(n_cartons)s carton(s) with %(value)s (PRO %(pro)s). Print "
                    "it for the driver.",
                    number=number,
                    n_pallets=len(pallets),
                    n_cartons=len(cartons),
                    value=ctx.carrier_name(carrier),
                    pro=pro,
                )
            ),
        }
        tx.commit()
        return result


def _snapshot(
    s: Session,
    bol: BillOfLading,
    pallets: list[Pallet],
    cartons: list[Carton],
    allocations: list[Allocation],
    ctx: ShipContext,
) -> dict[str, Any]:
    """Everything the bill of lading prints, kept with it so every print is the same."""
    gs1 = _gs1(ctx)
    first = allocations[0]
    terms = b2b.terms_of(first)
    ship_from = ctx.ship_from
    orders = []
    for a in allocations:
        mine = [c for c in cartons if c.allocation_pk == a.id]
        t = b2b.terms_of(a)
        info = []
        if t.payment_terms:
            info.append(f"Terms {t.payment_terms}")
        short = sum(max(0, ln.qty - ln.cancelled - ln.packed) for ln in a.lines)
        if short:
            info.append(f"partial shipment: {short} unit(s) short")
        orders.append(
            {
                "po_number": t.po_number,
                "order_number": a.order_number,
                "packages": len(mine),
                "weight_g": sum(c.weight_g or 0 for c in mine),
                "on_pallets": True,
                "info": "; ".join(info) or None,
            }
        )
    units = []
    for p in pallets:
        on = [c for c in cartons if c.id in {x.id for x in _cartons_on(s, p)}]
        contents, skus = _contents(s, on)
        units.append(
            {
                "kind": "PLT",
                "packages": len(on),
                "weight_g": p.weight_g or 0,
                "description": _content_text(contents, skus),
                "sscc": b2b.sscc_of_pallet(s, p.id),
                "dims_mm": [p.length_mm, p.width_mm, p.height_mm or 0],
                "freight_class": bol.freight_class,
            }
        )
    bill_to = dict(terms.bill_to) if terms.bill_to else None
    return {
        "ship_from": _address_dict(ship_from),
        "shipper_gln": gs1.gln,
        "consignee": {"address": dict(first.ship_to or {}), "gln": terms.ship_to_gln},
        "third_party": bill_to,
        "carrier_name": ctx.carrier_name(bol.carrier),
        "service_name": _service_name(ctx, bol.carrier, bol.service),
        "orders": orders,
        "units": units,
    }


def _address_dict(a: Address) -> dict[str, Any]:
    return {
        "name": a.name,
        "company": a.company,
        "line1": a.line1,
        "line2": a.line2,
        "city": a.city,
        "region": a.region,
        "postal_code": a.postal_code,
        "country": a.country,
    }


def _bol_document(bol: BillOfLading) -> Bol:
    snap = bol.snapshot
    third = snap.get("third_party")
    return Bol(
        number=bol.number,
        ship_date=bol.ship_day,
        shipper=BolParty(_address(snap["ship_from"]), gln=snap.get("shipper_gln")),
        consignee=BolParty(
            _address(snap["consignee"]["address"]), gln=snap["consignee"].get("gln")
        ),
        third_party=BolParty(_address(third), account=third.get("account")) if third else None,
        carrier_name=snap.get("carrier_name") or bol.carrier,
        carrier_code=bol.carrier,
        service=snap.get("service_name") or bol.service,
        freight_terms=bol.freight_terms,
        orders=tuple(
            BolOrder(
                po_number=o.get("po_number"),
                order_number=o["order_number"],
                packages=int(o["packages"]),
                weight_g=int(o["weight_g"]),
                on_pallets=bool(o.get("on_pallets")),
                info=o.get("info"),
            )
            for o in snap.get("orders", [])
        ),
        units=tuple(
            BolUnit(
                kind=u["kind"],
                packages=int(u["packages"]),
                weight_g=int(u["weight_g"]),
                description=u.get("description") or "",
                sscc=u.get("sscc"),
                dims_mm=tuple(u["dims_mm"]) if u.get("dims_mm") else None,
                freight_class=u.get("freight_class"),
            )
            for u in snap.get("units", [])
        ),
        pro_number=bol.pro_number,
        trailer_number=bol.trailer_number,
        seal_number=bol.seal_number,
        special_instructions=bol.special_instructions,
    )


def bol_pdf(number: str, uow: SessionFactory) -> bytes:
    with uow() as tx:
        bol = tx.session.scalars(
            select(BillOfLading).where(BillOfLading.number == number.strip())
        ).first()
        if bol is None:
            raise NotFound(msg("No bill of lading %(number)s.", number=number), "bol")
        return render_bill_of_lading_pdf(_bol_document(bol))
