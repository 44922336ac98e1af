"""The ship station: rate shopping for a weighed carton, one label per carton (bought or issued
once, stored before any event mentions it), printing, reprints and voids.

A carton's label is a :class:`ShipLabel` row. For carriers whose numbers we issue (table rate)
the number is taken from a counter and stored in the same transaction that marks the carton
shipped and writes ``allocation.shipped``. For a carrier that is called over the network, a
``pending`` label is committed first, the carrier is asked, and the answer stored in a second
transaction; a retry that finds a pending label never buys a second one (see
:func:`ship_carton`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.adapters import printers as printer_io
from app.adapters.carriers.table_rate import TableRateCarrier
from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, AllocationLine, Carton, Shipment
from app.adapters.db.models_ship import LabelPrint, ShipLabel, ShipManifest
from app.adapters.db.uow import SessionFactory
from app.adapters.gs1_config import Gs1Config
from app.adapters.printers import StationPrinter
from app.adapters.setup_config import CarrierAccount
from app.domain.allocations import AllocationStatus
from app.domain.carriers import (
    CarrierError,
    CarrierGateway,
    LabelRequest,
    PostalAddress,
    PurchasedLabel,
    VoidOutcome,
)
from app.domain.rate_shopping import (
    RateOption,
    ShopPolicy,
    ShopRequest,
    ShopResult,
    manifest_day,
    shop,
)
from app.domain.rating import Carrier
from app.domain.text import N_, msg
from app.domain.tracking_numbers import identify, normalise
from app.services import b2b
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.weighing import _carton, _check_not_held, carton_view
from labels import (
    Address,
    ShippingLabel,
    render_shipping_label_pdf,
    render_shipping_label_zpl,
)

# A pending purchase younger than this is someone else's request still under way.
PENDING_GRACE = timedelta(minutes=2)
OVERRIDE_REASONS = {
    "customer_request": N_("Customer asked for this carrier"),
    "carrier_problem": N_("Problem with the recommended carrier today"),
    "size_or_contents": N_("Size or contents need this service"),
    "shipper_choice": N_("Shipper's choice"),
}


@dataclass(frozen=True)
class ShipContext:
    carriers: list[Carrier]
    ship_from: Address
    policy: ShopPolicy = field(default_factory=ShopPolicy)
    gateways: dict[str, CarrierGateway] = field(default_factory=dict)
    printers: dict[str, StationPrinter] = field(default_factory=dict)
    gs1: Gs1Config | None = None  # B2B: SSCCs for cartons (config/gs1.toml)
    # Printers saved from the browser (station set-up) win over stations.toml's.
    resolve_printer: Callable[[str], StationPrinter | None] | None = field(
        default=None, compare=False, repr=False
    )
    # The carrier account saved for a station (station set-up): it ships on that carrier only.
    resolve_account: Callable[[str], CarrierAccount | None] | None = field(
        default=None, compare=False, repr=False
    )

    def gateway(self, code: str) -> CarrierGateway:
        found = self.gateways.get(code)
        if found is not None:
            return found
        carrier = next((c for c in self.carriers if c.code == code), None)
        if carrier is None:
            raise ServiceError(msg("Carrier %(code)s is not configured.", code=code), "carrier")
        return TableRateCarrier(carrier)

    def carrier_name(self, code: str) -> str:
        return next((c.name for c in self.carriers if c.code == code), code)

    def printer(self, station: str | None) -> StationPrinter | None:
        if not station:
            return None
        saved = self.resolve_printer(station) if self.resolve_printer is not None else None
        return saved if saved is not None else self.printers.get(station)

    def account(self, station: str | None) -> CarrierAccount | None:
        """The carrier account the station ships on, or None (every carrier is quoted)."""
        if not station or self.resolve_account is None:
            return None
        return self.resolve_account(station)


# --------------------------------------------------------------------------- rate shopping


def _local_today(ctx: ShipContext, now: datetime) -> date:
    return now.astimezone(ctx.policy.tz).date()


def closed_manifest_days(s: Any, since: date) -> frozenset[tuple[str, date]]:
    rows = s.execute(
        select(ShipManifest.carrier, ShipManifest.ship_day).where(ShipManifest.ship_day >= since)
    ).all()
    return frozenset((carrier, day) for carrier, day in rows)


def _shop(
    s: Any,
    carton: Carton,
    ctx: ShipContext,
    now: datetime,
    account: CarrierAccount | None = None,
) -> ShopResult:
    allocation = repo.must_get(s, Allocation, carton.allocation_pk)
    to = allocation.ship_to
    request = ShopRequest(
        country=str(to.get("country") or ""),
        postal_code=str(to.get("postal_code") or ""),
        service_level=allocation.service_level,
        weight_g=carton.weight_g or carton.expected_weight_g,
        dims_mm=(carton.length_mm, carton.width_mm, carton.height_mm),
        now=now,
        ship_by=allocation.ship_by,
        closed=closed_manifest_days(s, _local_today(ctx, now)),
        carriers=frozenset({account.carrier}) if account else None,
    )
    return shop(ctx.carriers, request, ctx.policy)


def account_json(account: CarrierAccount, ctx: ShipContext) -> dict[str, str]:
    return {**account.to_json(), "carrier_name": ctx.carrier_name(account.carrier)}


def _no_service_on_account(account: CarrierAccount, ctx: ShipContext) -> str:
    return msg(
        "This station ships on %(carrier)s account %(account)s, and no %(carrier)s service "
        "covers this destination and weight. Ship it from another station, or change the "
        "station's carrier account on the set-up page.",
        carrier=ctx.carrier_name(account.carrier),
        account=account.code,
    )


def _when(moment: datetime, ctx: ShipContext, now: datetime) -> str:
    local = moment.astimezone(ctx.policy.tz)
    today = _local_today(ctx, now)
    if local.date() == today:
        day = "Today"
    elif local.date() == today + timedelta(days=1):
        day = "Tomorrow"
    else:
        day = local.strftime("%a %d %b")
    return f"{day} {local.strftime('%H:%M')}"


def option_json(
    option: RateOption, ctx: ShipContext, now: datetime, recommended: bool
) -> dict[str, Any]:
    q = option.quote
    return {
        "carrier": q.carrier,
        "carrier_name": ctx.carrier_name(q.carrier),
        "service": q.service,
        "service_name": q.service_name,
        "price_minor": q.price_minor,
        "base_minor": q.base_minor,
        "surcharges": [{"code": code, "amount_minor": amount} for code, amount in q.surcharges],
        "currency": q.currency,
        "billable_g": q.billable_g,
        "transit_days": q.transit_days,
        "pickup_at": option.pickup_at.isoformat(),
        "pickup": _when(option.pickup_at, ctx, now),
        "delivery_on": option.delivery_on.isoformat(),
        "reliability_pct": option.reliability_pct,
        "on_time": option.on_time,
        "reliable": option.reliable,
        "notes": option.notes(ctx.policy),
        "recommended": recommended,
    }


def _label_json(label: ShipLabel, s: Any) -> dict[str, Any]:
    manifest = s.get(ShipManifest, label.manifest_id) if label.manifest_id else None
    prints = s.scalars(select(LabelPrint).where(LabelPrint.label_id == label.id)).all()
    return {
        "tracking_number": label.tracking_number,
        "status": label.status,
        "carrier": label.carrier,
        "service": label.service,
        "price_minor": label.price_minor,
        "currency": label.currency,
        "ship_day": label.ship_day.isoformat() if label.ship_day else None,
        "manifest": manifest.code if manifest else None,
        "carrier_account": label.carrier_account,
        "overridden": label.overridden,
        "override_reason": label.override_reason,
        "recommended_service": label.recommended_service,
        "prints": len(prints),
        "voided_at": label.voided_at.isoformat() if label.voided_at else None,
        "void_reason": label.void_reason,
    }


def _labels_of(s: Any, carton: Carton) -> list[ShipLabel]:
    return list(
        s.scalars(
            select(ShipLabel).where(ShipLabel.carton_pk == carton.id).order_by(ShipLabel.id)
        ).all()
    )


def _active_label(s: Any, carton: Carton) -> ShipLabel | None:
    return next((lb for lb in _labels_of(s, carton) if lb.status == "active"), None)


def rate_carton(
    code: str,
    uow: SessionFactory,
    ctx: ShipContext,
    clock: Clock | None = None,
    station: str | None = None,
) -> dict[str, Any]:
    """The carton with its options (recommendation first), the basis and any warning. A
    station with a saved carrier account is quoted that account's carrier only."""
    now = clock() if clock else datetime.now(ctx.policy.tz)
    account = ctx.account(station)
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip())
        _check_not_held(s, carton)
        view = carton_view(s, carton)
        result = _shop(s, carton, ctx, now, account)
        options = [option_json(o, ctx, now, n == 0) for n, o in enumerate(result.options)]
        view["carrier_account"] = account_json(account, ctx) if account else None
        view["quotes"] = options
        view["recommended"] = options[0] if options else None
        view["basis"] = result.basis.value
        view["warning"] = result.warning
        labels = _labels_of(s, carton)
        active = next((lb for lb in labels if lb.status == "active"), None)
        view["label"] = _label_json(active, s) if active else None
        view["voided"] = [_label_json(lb, s) for lb in labels if lb.status == "voided"]
        if carton.status == "packed":
            view["blocked"] = msg("Weigh this carton first: no label before a weight check.")
        elif not options and not carton.tracking_number:
            view["blocked"] = (
                _no_service_on_account(account, ctx)
                if account
                else msg("No carrier service covers this destination and weight.")
            )
            if account:
                view["warning"] = view["blocked"]
        return view


# --------------------------------------------------------------------------- buying a label


def _postal(data: dict[str, Any] | Address) -> PostalAddress:
    if isinstance(data, Address):
        return PostalAddress(
            name=data.name,
            line1=data.line1,
            city=data.city,
            postal_code=data.postal_code,
            country=data.country,
            company=data.company,
            line2=data.line2,
            region=data.region,
            phone=data.phone,
        )
    return PostalAddress(
        name=str(data.get("name") or ""),
        line1=str(data.get("line1") or ""),
        city=str(data.get("city") or ""),
        postal_code=str(data.get("postal_code") or ""),
        country=str(data.get("country") or ""),
        company=data.get("company"),
        line2=data.get("line2"),
        region=data.get("region"),
        phone=data.get("phone"),
        email=data.get("email"),
    )


@dataclass(frozen=True)
class _Plan:
    option: RateOption
    result: ShopResult
    overridden: bool
    reason: str | None


def _plan(
    s: Any,
    carton: Carton,
    ctx: ShipContext,
    now: datetime,
    service_code: str | None,
    carrier_code: str | None,
    override_reason: str | None,
    account: CarrierAccount | None = None,
) -> _Plan:
    result = _shop(s, carton, ctx, now, account)
    if service_code:
        chosen = result.option(carrier_code, service_code)
        if chosen is None and account is not None:
            other = carrier_code or next(
                (c.code for c in ctx.carriers for sv in c.services if sv.code == service_code),
                None,
            )
            if other is not None and other != account.carrier:
                raise ServiceError(
                    msg(
                        "This station ships on %(carrier)s account %(account)s: "
                        "%(service_code)s is not one of its services.",
                        carrier=ctx.carrier_name(account.carrier),
                        account=account.code,
                        service_code=service_code,
                    ),
                    "service",
                )
        if chosen is None:
            raise ServiceError(
                msg(
                    "%(service_code)s cannot carry this carton at its service level",
                    service_code=service_code,
                ),
                "service",
            )
    elif result.recommended is not None:
        chosen = result.recommended
    elif account is not None:
        raise ServiceError(_no_service_on_account(account, ctx), "service")
    else:
        raise ServiceError(msg("no carrier service covers this destination and weight"), "service")
    recommended = result.recommended
    overridden = recommended is not None and chosen.key != recommended.key
    reason = None
    if overridden:
        reason = OVERRIDE_REASONS.get(override_reason or "", override_reason or "")
        reason = (reason or OVERRIDE_REASONS["shipper_choice"])[:200]
    return _Plan(chosen, result, overridden, reason)


def _options_snapshot(plan: _Plan, ctx: ShipContext, now: datetime) -> list[Any]:
    return [option_json(o, ctx, now, n == 0) for n, o in enumerate(plan.result.options)]


def _new_label(
    s: Any,
    carton: Carton,
    plan: _Plan,
    ctx: ShipContext,
    now: datetime,
    shipper: str,
    account: CarrierAccount | None = None,
) -> ShipLabel:
    rec = plan.result.recommended
    label = ShipLabel(
        carton_pk=carton.id,
        allocation_pk=carton.allocation_pk,
        status="pending",
        carrier=plan.option.quote.carrier,
        service=plan.option.quote.service,
        carrier_account=account.code if account else None,
        price_minor=plan.option.quote.price_minor,
        currency=plan.option.quote.currency,
        weight_g=carton.weight_g or carton.expected_weight_g,
        recommended_carrier=rec.quote.carrier if rec else None,
        recommended_service=rec.quote.service if rec else None,
        overridden=plan.overridden,
        override_reason=plan.reason,
        options=_options_snapshot(plan, ctx, now),
        bought_by=shipper,
        bought_at=now,
    )
    s.add(label)
    return label


def _label_request(
    s: Any, carton: Carton, label: ShipLabel, ctx: ShipContext, serial: int
) -> LabelRequest:
    allocation = repo.must_get(s, Allocation, carton.allocation_pk)
    return LabelRequest(
        carrier=label.carrier,
        service=label.service,
        reference=carton.code,
        ship_from=_postal(ctx.ship_from),
        ship_to=_postal(allocation.ship_to),
        weight_g=label.weight_g,
        dims_mm=(carton.length_mm, carton.width_mm, carton.height_mm),
        serial=serial,
    )


def _store(
    s: Any,
    carton: Carton,
    label: ShipLabel,
    bought: PurchasedLabel,
    ctx: ShipContext,
    now: datetime,
) -> None:
    """The tracking number goes on the label row and the carton, the carton onto its
    shipment and its units onto the lines, then (if every carton is shipped) the event."""
    carrier = next(c for c in ctx.carriers if c.code == label.carrier)
    today = _local_today(ctx, now)
    closed = frozenset(day for code, day in closed_manifest_days(s, today) if code == label.carrier)
    if not ctx.gateway(label.carrier).offline:
        # A number from outside: note which published format (and check digit) it passed.
        matches = identify(bought.tracking_number)
        label.detail = (
            f"tracking number format {matches[0].format.value}, check digit verified"
            if matches
            else "tracking number format not recognised: no check digit verified"
        )
    label.status = "active"
    label.tracking_number = bought.tracking_number
    label.carrier_reference = bought.carrier_reference
    label.document = bought.document
    label.document_format = bought.document_format
    if bought.price_minor is not None:
        label.price_minor = bought.price_minor
    label.ship_day = manifest_day(carrier.pickup, today, closed)
    carton.tracking_number = bought.tracking_number
    carton.carrier = label.carrier
    carton.service = label.service
    carton.rate_minor = label.price_minor
    carton.status = "shipped"
    carton.shipped_at = now
    allocation = repo.must_get(s, Allocation, carton.allocation_pk)
    shipment = s.scalars(
        select(Shipment).where(
            Shipment.allocation_pk == allocation.id,
            Shipment.carrier == label.carrier,
            Shipment.service == label.service,
        )
    ).first()
    if shipment is None:
        shipment = Shipment(
            allocation_pk=allocation.id,
            carrier=label.carrier,
            service=label.service,
            shipped_at=now,
        )
        s.add(shipment)
        s.flush()
    carton.shipment_id = shipment.id
    for cl in carton.lines:
        line = repo.must_get(s, AllocationLine, cl.line_pk)
        line.shipped += cl.qty
    s.flush()
    _maybe_shipped(s, allocation, now)


def _shipped_view(s: Any, carton: Carton, label: ShipLabel, reprint: bool) -> dict[str, Any]:
    view = carton_view(s, carton)
    view["label"] = _label_json(label, s)
    if reprint:
        view["reprint"] = True
    return view


def ship_carton(
    code: str,
    service_code: str | None,
    shipper: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ShipContext,
    *,
    carrier_code: str | None = None,
    override_reason: str | None = None,
    station: str | None = None,
) -> dict[str, Any]:
    """Buy (or issue) the carton's label with the chosen service, or the recommended one.

    Idempotent: a carton with a label keeps it, and the answer is marked ``reprint``.
    Choosing another service than the recommended one is logged with the reason. A station
    with a saved carrier account buys from that account's carrier only, and the label row
    records the account."""
    now = clock()
    account = ctx.account(station)
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip(), lock=True)
        labels = _labels_of(s, carton)
        active = next((lb for lb in labels if lb.status == "active"), None)
        if carton.tracking_number and active is not None:
            return _shipped_view(s, carton, active, reprint=True)
        if carton.tracking_number:  # shipped before labels were recorded
            view = carton_view(s, carton)
            view["reprint"] = True
            return view
        pending = next((lb for lb in labels if lb.status == "pending"), None)
        if pending is not None and now - pending.bought_at < PENDING_GRACE:
            raise Conflict(
                msg(
                    "A label for %(code)s is being bought right now. Scan it again in a moment.",
                    code=carton.code,
                ),
                "carton",
            )
        if pending is not None:
            raise Conflict(
                msg(
                    "The label purchase for %(code)s from %(carrier)s did not "
                    "finish and its outcome is unknown. A supervisor must check "
                    "the carrier's portal and void it before another label is "
                    "bought.",
                    code=carton.code,
                    carrier=pending.carrier,
                ),
                "carton",
            )
        _check_not_held(s, carton)
        if carton.status != "weighed" or carton.weight_g is None:
            raise Conflict(
                msg(
                    "Carton %(code)s has not passed the weight check: weigh it first.",
                    code=carton.code,
                ),
                "carton",
            )
        held = b2b.check_parcel(s, carton, ctx.gs1, now)  # pallets, complete orders, SSCC
        if held is not None:
            tx.commit()  # the hold stands; no label is bought
            raise held
        plan = _plan(s, carton, ctx, now, service_code, carrier_code, override_reason, account)
        label = _new_label(s, carton, plan, ctx, now, shipper, account)
        gateway = ctx.gateway(label.carrier)
        if gateway.offline:
            serial = repo.next_counter(s, f"tracking:{label.carrier}")
            try:
                bought = gateway.buy_label(_label_request(s, carton, label, ctx, serial))
            except CarrierError as exc:
                raise ServiceError(str(exc), "service") from exc
            _store(s, carton, label, bought, ctx, now)
            view = _shipped_view(s, carton, label, reprint=False)
            tx.commit()
            return view
        # A carrier over the network: commit the intent, ask, then store.
        s.flush()
        label_id = label.id
        request = _label_request(s, carton, label, ctx, 0)
        tx.commit()
    try:
        bought = gateway.buy_label(request)
    except CarrierError as exc:
        with uow() as tx:
            failed = repo.must_get(tx.session, ShipLabel, label_id)
            failed.status = "failed"
            failed.detail = str(exc)[:400]
            tx.commit()
        raise ServiceError(
            msg("%(carrier)s did not sell a label: %(exc)s", carrier=label.carrier, exc=exc),
            "service",
        ) from exc
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip(), lock=True)
        label = repo.must_get(s, ShipLabel, label_id)
        _store(s, carton, label, bought, ctx, clock())
        view = _shipped_view(s, carton, label, reprint=False)
        tx.commit()
        return view


def _maybe_shipped(s: Any, allocation: Allocation, now: Any) -> None:
    if allocation.status != AllocationStatus.PACKED.value:
        return
    cartons = s.scalars(select(Carton).where(Carton.allocation_pk == allocation.id)).all()
    if not cartons or any(c.status != "shipped" for c in cartons):
        return
    allocation.status = AllocationStatus.SHIPPED.value
    allocation.updated_at = now
    first = cartons[0]
    data: dict[str, Any] = {
        "carrier": first.carrier,
        "service": first.service,
        "shipped_at": now.isoformat(),
        "cartons": [
            {
                "carton_id": c.code,
                "tracking_number": c.tracking_number,
                "weight_g": c.weight_g,
                "carrier": c.carrier,
                "service": c.service,
            }
            for c in cartons
        ],
        "lines": [{"line_id": ln.line_id, "qty": ln.shipped} for ln in allocation.lines],
    }
    voided = s.scalars(
        select(ShipLabel.tracking_number)
        .where(ShipLabel.allocation_pk == allocation.id, ShipLabel.status == "voided")
        .order_by(ShipLabel.id)
    ).all()
    if voided:
        # Sent again after a void: the OMS replaces these numbers with the ones above.
        data["voided_tracking_numbers"] = [t for t in voided if t]
    if b2b.is_b2b(allocation):  # PO, terms, shorts and the pallet/carton/line SSCC hierarchy
        b2b.add_shipment_hierarchy(s, allocation, data)
    repo.add_event(s, "allocation.shipped", allocation, data, now)


# --------------------------------------------------------------------------- void


def void_label(
    code: str,
    voided_by: str,
    reason: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ShipContext,
) -> dict[str, Any]:
    """Take a label back before the carrier collects it: the carton is weighed again (ready
    for a new label), its units come off the shipped counts, and the number is kept as
    history. A label on a closed manifest cannot be voided: the driver has it."""
    reason = (reason or "").strip()[:200] or "voided at the ship station"
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip())
        label = _active_label(s, carton)
        if label is None:
            raise Conflict(msg("Carton %(code)s has no label to void.", code=carton.code), "carton")
        _check_voidable(s, label)
        purchased = PurchasedLabel(
            tracking_number=label.tracking_number or "",
            carrier=label.carrier,
            service=label.service,
            carrier_reference=label.carrier_reference,
        )
        label_id = label.id
    gateway = ctx.gateway(purchased.carrier)
    try:
        outcome = gateway.void(purchased)
    except CarrierError as exc:
        raise ServiceError(
            msg(
                "%(carrier)s could not void the label: %(exc)s", carrier=purchased.carrier, exc=exc
            ),
            "carton",
        ) from exc
    if outcome is VoidOutcome.TOO_LATE:
        raise Conflict(
            msg(
                "%(carrier)s says %(tracking_number)s was already collected: it cannot be voided.",
                carrier=purchased.carrier,
                tracking_number=purchased.tracking_number,
            ),
            "carton",
        )
    now = clock()
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip(), lock=True)
        label = repo.must_get(s, ShipLabel, label_id)
        if label.status != "active":
            raise Conflict(
                msg("The label of %(code)s was already voided.", code=carton.code), "carton"
            )
        _check_voidable(s, label)
        label.status = "voided"
        label.voided_at = now
        label.voided_by = voided_by
        label.void_reason = reason
        allocation = repo.must_get(s, Allocation, carton.allocation_pk)
        for cl in carton.lines:
            line = repo.must_get(s, AllocationLine, cl.line_pk)
            line.shipped -= cl.qty
        shipment_id = carton.shipment_id
        carton.tracking_number = None
        carton.carrier = None
        carton.service = None
        carton.rate_minor = None
        carton.shipment_id = None
        carton.shipped_at = None
        carton.status = "weighed"
        s.flush()
        if shipment_id is not None:
            still = s.scalars(select(Carton.id).where(Carton.shipment_id == shipment_id)).first()
            if still is None:
                shipment = s.get(Shipment, shipment_id)
                if shipment is not None:
                    s.delete(shipment)
        if allocation.status == AllocationStatus.SHIPPED.value:
            allocation.status = AllocationStatus.PACKED.value
            allocation.updated_at = now
        view = carton_view(s, carton)
        view["voided"] = [_label_json(label, s)]
        tx.commit()
        return view


def _check_voidable(s: Any, label: ShipLabel) -> None:
    if label.manifest_id is not None:
        manifest = s.get(ShipManifest, label.manifest_id)
        raise Conflict(
            msg(
                "%(tracking_number)s is on manifest %(value)s: the carrier "
                "has collected it, so it cannot be voided.",
                tracking_number=label.tracking_number,
                value=manifest.code if manifest else "",
            ),
            "carton",
        )


# --------------------------------------------------------------------------- documents, printing


def _shipping_label(s: Any, carton: Carton, label: ShipLabel, ctx: ShipContext) -> ShippingLabel:
    allocation = repo.must_get(s, Allocation, carton.allocation_pk)
    to = allocation.ship_to
    return ShippingLabel(
        tracking_number=label.tracking_number or "",
        carrier=ctx.carrier_name(label.carrier),
        service=next(
            (
                sv.name
                for c in ctx.carriers
                if c.code == label.carrier
                for sv in c.services
                if sv.code == label.service
            ),
            label.service,
        ),
        ship_from=ctx.ship_from,
        ship_to=Address(
            name=to.get("name") or "",
            company=to.get("company"),
            line1=to.get("line1") or "",
            line2=to.get("line2"),
            city=to.get("city") or "",
            region=to.get("region"),
            postal_code=to.get("postal_code") or "",
            country=to.get("country") or "",
            phone=to.get("phone"),
        ),
        weight_g=label.weight_g,
        carton_id=carton.code,
        order_number=allocation.order_number,
        reference=allocation.allocation_id,
        shipped_on=label.ship_day,
    )


def _label_data(code: str, uow: SessionFactory, ctx: ShipContext) -> tuple[ShippingLabel, int]:
    with uow() as tx:
        s = tx.session
        carton = _carton(s, code.strip())
        label = _active_label(s, carton)
        if label is None or not carton.tracking_number:
            raise Conflict(
                msg("Carton %(code)s has no label yet: ship it first.", code=carton.code), "carton"
            )
        return _shipping_label(s, carton, label, ctx), label.id


def label_pdf(code: str, uow: SessionFactory, ctx: ShipContext) -> bytes:
    return render_shipping_label_pdf(_label_data(code, uow, ctx)[0])


def label_zpl(code: str, uow: SessionFactory, ctx: ShipContext, dpi: int = 203) -> bytes:
    return render_shipping_label_zpl(_label_data(code, uow, ctx)[0], dpi)


def print_label(
    code: str,
    station: str | None,
    user: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: ShipContext,
    *,
    reprint: bool,
) -> dict[str, Any]:
    """Send the label to the station's ZPL printer, or hand the PDF to the browser; either
    way the print (or reprint) is logged with its outcome."""
    data, label_id = _label_data(code, uow, ctx)
    printer = ctx.printer(station)
    url = f"/ship/label/{data.carton_id}.pdf"
    outcome: dict[str, Any] = {"format": "pdf", "label_url": url, "printed": False, "error": None}
    if printer is not None and printer.kind == "zpl":
        outcome.update(format="zpl", printer=printer.label)
        try:
            printer_io.send_zpl(printer, render_shipping_label_zpl(data, printer.dpi))
            outcome["printed"] = True
        except printer_io.PrinterError as exc:
            outcome["error"] = str(exc)
        except ValueError as exc:  # data the ZPL label cannot carry: the PDF still shows it
            outcome["error"] = msg("The label cannot be printed as ZPL: %(exc)s.", exc=exc)
    with uow() as tx:
        tx.session.add(
            LabelPrint(
                label_id=label_id,
                format=outcome["format"],
                station=station,
                printer=printer.address if printer else "browser",
                reprint=reprint,
                ok=outcome["error"] is None,
                detail=outcome["error"],
                by=user,
                at=clock(),
            )
        )
        tx.commit()
    return outcome


def printer_status(station: str | None, ctx: ShipContext) -> dict[str, Any]:
    printer = ctx.printer(station)
    if printer is None or printer.kind != "zpl":
        return {
            "station": station,
            "kind": "pdf",
            "printer": msg("Browser (PDF)"),
            "ready": True,
            "problems": [],
            "message": msg("Labels open as PDF in the browser."),
        }
    try:
        status = printer_io.host_status(printer)
    except printer_io.PrinterError as exc:
        return {
            "station": station,
            "kind": "zpl",
            "printer": printer.label,
            "ready": False,
            "problems": ["no answer"],
            "message": str(exc),
        }
    problems = status.problems
    return {
        "station": station,
        "kind": "zpl",
        "printer": printer.label,
        "ready": status.ready,
        "problems": problems,
        "labels_remaining": status.labels_remaining,
        "formats_in_buffer": status.formats_in_buffer,
        "message": "Ready." if status.ready else "Printer: " + ", ".join(problems) + ".",
    }


def find_label(uow: SessionFactory, tracking_number: str) -> dict[str, Any]:
    with uow() as tx:
        s = tx.session
        label = s.scalars(
            select(ShipLabel).where(ShipLabel.tracking_number == normalise(tracking_number))
        ).first()
        if label is None:
            raise NotFound(
                msg(
                    "No label with tracking number %(tracking_number)s.",
                    tracking_number=tracking_number,
                ),
                "tracking_number",
            )
        return _label_json(label, s)
