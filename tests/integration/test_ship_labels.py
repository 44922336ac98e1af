"""The ship station on a real SQLite database, through its Socket.IO events: rate shopping shown,
one tracking number per carton stored before the event, retries re-use it, overrides are logged,
voids put the carton back and the re-ship tells the OMS which numbers it replaces, and a carrier
called over the network never sells two labels for one carton."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.adapters.db.models import Allocation, Carton, Counter, OutboxEvent
from app.adapters.db.models_ship import ShipLabel
from app.container import container
from app.domain.carriers import (
    CarrierError,
    LabelRequest,
    PurchasedLabel,
    RateRequest,
    TrackingState,
    TrackingStatus,
    VoidOutcome,
)
from app.domain.rating import Quote, luhn_check_digit
from app.domain.tracking_numbers import make_ups
from tests.support.shipping import now_utc, use_clock, weighed_carton
from tests.support.warehouse import socket_client, uow_of


def shipped_events(app: Flask) -> list[dict[str, Any]]:
    with uow_of(app)() as tx:
        return [
            json.loads(e.body)
            for e in tx.session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.type == "allocation.shipped")
                .order_by(OutboxEvent.id)
            )
        ]


def labels_of(app: Flask, code: str) -> list[ShipLabel]:
    with uow_of(app)() as tx:
        carton = tx.session.scalars(select(Carton).where(Carton.code == code)).one()
        found = list(
            tx.session.scalars(
                select(ShipLabel).where(ShipLabel.carton_pk == carton.id).order_by(ShipLabel.id)
            )
        )
        tx.session.expunge_all()  # keep the loaded values after the read-only rollback
        return found


def emit(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/ship", callback=True)
    return ack


def recommended(shipper: Any, code: str) -> tuple[str, str]:
    rec = emit(shipper, "open", {"code": code})["carton"]["recommended"]
    return rec["carrier"], rec["service"]


PREFIX = {"DXP": "DX", "PPL": "PP"}


@pytest.fixture
def shipper(app: Flask) -> Any:
    use_clock(app, now_utc(10))
    return socket_client(app, "/ship", "U0060")


def test_open_shows_the_recommendation_first_and_every_alternative_with_reasons(
    app: Flask, shipper: Any
) -> None:
    carton = weighed_carton(app)
    ack = emit(shipper, "open", {"code": carton["code"]})

    assert ack["ok"], ack
    view = ack["carton"]
    assert view["basis"] == "cheapest_on_time"
    options = view["quotes"]
    assert options[0]["recommended"] and view["recommended"] == options[0]
    good = [o for o in options if o["on_time"] and o["reliable"]]
    assert options[0] == min(good, key=lambda o: o["price_minor"])
    # ParcelPal 48h is the cheapest but 86 % reliable: an alternative with the reason shown
    cheap = next(o for o in options if o["service"] == "PPL-48")
    assert cheap["price_minor"] == min(o["price_minor"] for o in options)
    assert not cheap["reliable"] and any("below 90 %" in n for n in cheap["notes"])
    assert not cheap["recommended"]
    for o in options:  # DockExpress adds 5 % fuel to the band price
        fuel = [x["amount_minor"] for x in o["surcharges"] if x["code"] == "FUEL"]
        assert fuel == ([round(o["base_minor"] * 0.05)] if o["carrier"] == "DXP" else [])
        assert o["price_minor"] == o["base_minor"] + sum(x["amount_minor"] for x in o["surcharges"])
    assert options[0]["pickup"].startswith("Today") and options[0]["on_time"]


def test_shipping_issues_one_number_stored_before_the_event_that_carries_it(
    app: Flask, shipper: Any
) -> None:
    carton = weighed_carton(app)
    carrier, service = recommended(shipper, carton["code"])
    ack = emit(shipper, "ship", {"carton": carton["code"]})

    assert ack["ok"], ack
    tracking = ack["carton"]["tracking_number"]
    assert tracking.startswith(PREFIX[carrier]) and len(tracking) == 13
    assert luhn_check_digit(tracking[2:12]) == int(tracking[-1])
    (label,) = labels_of(app, carton["code"])
    assert (label.status, label.tracking_number, label.carrier, label.service) == (
        "active",
        tracking,
        carrier,
        service,
    )
    assert label.ship_day is not None and label.ship_day.isoformat() == "2026-11-26"
    (event,) = shipped_events(app)
    assert (event["data"]["carrier"], event["data"]["service"]) == (carrier, service)
    (c,) = event["data"]["cartons"]
    assert c["tracking_number"] == tracking
    assert c["weight_g"] == carton["expected_weight_g"] + 12
    assert "voided_tracking_numbers" not in event["data"]


def test_a_retry_reuses_the_stored_label_and_issues_nothing_new(app: Flask, shipper: Any) -> None:
    carton = weighed_carton(app)
    carrier, service = recommended(shipper, carton["code"])
    first = emit(shipper, "ship", {"carton": carton["code"]})
    again = emit(shipper, "ship", {"carton": carton["code"], "service": "PPL-48"})

    assert again["ok"] and again["carton"]["reprint"]
    assert again["carton"]["tracking_number"] == first["carton"]["tracking_number"]
    assert again["carton"]["service"] == service  # the stored label, not a new choice
    assert len(labels_of(app, carton["code"])) == 1
    assert len(shipped_events(app)) == 1
    with uow_of(app)() as tx:
        issued = tx.session.get(Counter, f"tracking:{carrier}")
        assert issued is not None and issued.value == 1


def test_choosing_another_service_is_logged_with_the_reason(app: Flask, shipper: Any) -> None:
    carton = weighed_carton(app)
    rec = recommended(shipper, carton["code"])
    ack = emit(
        shipper,
        "ship",
        {
            "carton": carton["code"],
            "carrier": "PPL",
            "service": "PPL-48",
            "override_reason": "customer_request",
        },
    )

    assert ack["ok"], ack
    assert ack["carton"]["tracking_number"].startswith("PP")
    (label,) = labels_of(app, carton["code"])
    assert label.overridden
    assert (label.recommended_carrier, label.recommended_service) == rec
    assert label.override_reason == "Customer asked for this carrier"
    assert label.options[0]["service"] == rec[1]  # what the shipper saw, first


def test_the_recommended_service_is_not_an_override(app: Flask, shipper: Any) -> None:
    carton = weighed_carton(app)
    carrier, service = recommended(shipper, carton["code"])
    emit(shipper, "ship", {"carton": carton["code"], "carrier": carrier, "service": service})
    (label,) = labels_of(app, carton["code"])
    assert not label.overridden and label.override_reason is None


def test_a_service_below_the_orders_level_is_refused(app: Flask, shipper: Any) -> None:
    carton = weighed_carton(app)
    ack = emit(shipper, "ship", {"carton": carton["code"], "service": "DXP-ECO"})
    assert not ack["ok"] and ack["field"] == "service"
    assert labels_of(app, carton["code"]) == []


def test_void_puts_the_carton_back_and_the_reship_names_the_voided_number(
    app: Flask, shipper: Any
) -> None:
    carton = weighed_carton(app)
    first = emit(shipper, "ship", {"carton": carton["code"]})["carton"]["tracking_number"]

    voided = emit(shipper, "void", {"carton": carton["code"], "reason": "label damaged"})
    assert voided["ok"], voided
    assert voided["carton"]["status"] == "weighed" and voided["carton"]["tracking_number"] is None
    assert voided["carton"]["voided"][0]["tracking_number"] == first
    with uow_of(app)() as tx:
        allocation = tx.session.scalars(select(Allocation)).one()
        assert allocation.status == "packed"
        assert [ln.shipped for ln in allocation.lines] == [0, 0]

    again = emit(shipper, "ship", {"carton": carton["code"]})
    second = again["carton"]["tracking_number"]
    assert second != first
    statuses = [(lb.status, lb.tracking_number) for lb in labels_of(app, carton["code"])]
    assert statuses == [("voided", first), ("active", second)]
    events = shipped_events(app)
    assert len(events) == 2
    assert events[1]["data"]["cartons"][0]["tracking_number"] == second
    assert events[1]["data"]["voided_tracking_numbers"] == [first]


def test_void_without_a_label_is_refused(app: Flask, shipper: Any) -> None:
    carton = weighed_carton(app)
    ack = emit(shipper, "void", {"carton": carton["code"]})
    assert not ack["ok"] and "no label" in ack["message"]


# --- a carrier called over the network -------------------------------------------------------


class RemoteCarrier:
    """A fake of our own CarrierGateway interface that behaves like a network carrier."""

    offline = False

    def __init__(self, code: str, fail: bool = False) -> None:
        self.code = code
        self.fail = fail
        self.bought: list[LabelRequest] = []
        self.voided: list[str] = []

    def rate(self, request: RateRequest) -> list[Quote]:
        return []

    def buy_label(self, request: LabelRequest) -> PurchasedLabel:
        if self.fail:
            raise CarrierError("503 from the carrier", retryable=True)
        self.bought.append(request)
        return PurchasedLabel(
            tracking_number=make_ups("REMOTE", "03", f"{len(self.bought):07d}"),
            carrier=self.code,
            service=request.service,
            carrier_reference=f"SHP-{len(self.bought)}",
            document=b"^XA^XZ",
            document_format="zpl",
        )

    def void(self, label: PurchasedLabel) -> VoidOutcome:
        self.voided.append(label.carrier_reference or "")
        return VoidOutcome.VOIDED

    def track(self, tracking_number: str) -> TrackingStatus:
        return TrackingStatus(tracking_number, TrackingState.IN_TRANSIT)


def remote(app: Flask, gateway: RemoteCarrier) -> None:
    """The fake serves every configured carrier, whichever the shop recommends."""
    c = container(app)
    c.ship = dataclasses.replace(
        c.ship, gateways={carrier.code: gateway for carrier in c.ship.carriers}
    )


def test_a_network_carrier_is_asked_once_and_its_number_stored(app: Flask, shipper: Any) -> None:
    gateway = RemoteCarrier("ANY")
    remote(app, gateway)
    carton = weighed_carton(app)

    ack = emit(shipper, "ship", {"carton": carton["code"]})
    again = emit(shipper, "ship", {"carton": carton["code"]})

    assert ack["carton"]["tracking_number"] == make_ups("REMOTE", "03", "0000001")
    assert again["carton"]["reprint"]
    assert len(gateway.bought) == 1 and gateway.bought[0].reference == carton["code"]
    (label,) = labels_of(app, carton["code"])
    assert label.carrier_reference == "SHP-1" and label.document == b"^XA^XZ"
    assert label.detail == "tracking number format ups_1z, check digit verified"
    emit(shipper, "void", {"carton": carton["code"]})
    assert gateway.voided == ["SHP-1"]


def test_a_carrier_failure_leaves_the_carton_ready_to_try_again(app: Flask, shipper: Any) -> None:
    gateway = RemoteCarrier("ANY", fail=True)
    remote(app, gateway)
    carton = weighed_carton(app)

    ack = emit(shipper, "ship", {"carton": carton["code"]})
    assert not ack["ok"] and "503" in ack["message"]
    assert [lb.status for lb in labels_of(app, carton["code"])] == ["failed"]

    gateway.fail = False
    assert emit(shipper, "ship", {"carton": carton["code"]})["ok"]
    assert [lb.status for lb in labels_of(app, carton["code"])] == ["failed", "active"]


def test_an_unfinished_purchase_blocks_a_second_one(app: Flask, shipper: Any) -> None:
    gateway = RemoteCarrier("ANY")
    remote(app, gateway)
    carton = weighed_carton(app)
    clock = container(app).clock
    with uow_of(app)() as tx:  # what a crash between "asked the carrier" and "stored" leaves
        row = tx.session.scalars(select(Carton).where(Carton.code == carton["code"])).one()
        tx.session.add(
            ShipLabel(
                carton_pk=row.id,
                allocation_pk=row.allocation_pk,
                status="pending",
                carrier="DXP",
                service="DXP-NXT",
                weight_g=1000,
                options=[],
                bought_at=clock(),
            )
        )
        tx.commit()

    soon = emit(shipper, "ship", {"carton": carton["code"]})
    assert not soon["ok"] and "right now" in soon["message"]
    container(app).clock.advance(minutes=5)  # type: ignore[attr-defined]
    later = emit(shipper, "ship", {"carton": carton["code"]})
    assert not later["ok"] and "outcome is unknown" in later["message"]
    assert gateway.bought == []
    with uow_of(app)() as tx:
        assert tx.session.scalar(select(func.count(OutboxEvent.id)).where(
            OutboxEvent.type == "allocation.shipped")) == 0  # fmt: skip


def test_after_todays_ship_by_the_shipper_is_told_the_order_ships_late(app: Flask) -> None:
    use_clock(app, now_utc(17, 45))  # after ship-by 17:00 and every cutoff
    shipper = socket_client(app, "/ship", "U0060")
    carton = weighed_carton(app)
    view = emit(shipper, "open", {"code": carton["code"]})["carton"]

    assert view["basis"] == "earliest_when_late"
    assert "ship late" in view["warning"]
    assert all(not o["on_time"] for o in view["quotes"])
    assert view["recommended"]["pickup"] == "Tomorrow 15:30"  # Next Day, collected first
