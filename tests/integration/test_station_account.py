"""The carrier account and camera saved on the set-up page, used by the stations: the ship
station rates and buys labels with the station's account only (and records it on the label),
a station without one keeps quoting every carrier; the pick and pack pages are told the saved
camera. All through the real socket API on a SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import Carton
from app.adapters.db.models_ship import ShipLabel
from tests.support.shipping import now_utc, use_clock, weighed_carton
from tests.support.warehouse import socket_client, uow_of
from tests.support.weigh import close_hub


@pytest.fixture
def setup_app(app: Flask) -> Iterator[Flask]:
    use_clock(app, now_utc(10))
    yield app
    close_hub(app)


@pytest.fixture
def admin(setup_app: Flask) -> Any:
    return socket_client(setup_app, "/setup", "U0002")


@pytest.fixture
def shipper(setup_app: Flask) -> Any:
    return socket_client(setup_app, "/ship", "U0060")


def save(admin: Any, station: str, new: bool = False, **changes: Any) -> dict[str, Any]:
    ack: dict[str, Any] = admin.emit(
        "save",
        {"station": station, "new": new, "changes": changes},
        namespace="/setup",
        callback=True,
    )
    assert ack["ok"], ack
    return ack


def ship_emit(client: Any, event: str, payload: dict[str, Any]) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(event, payload, namespace="/ship", callback=True)
    return ack


def labels_of(app: Flask, carton_code: str) -> list[ShipLabel]:
    with uow_of(app)() as tx:
        carton = tx.session.scalars(select(Carton).where(Carton.code == carton_code)).one()
        rows = list(tx.session.scalars(select(ShipLabel).where(ShipLabel.carton_pk == carton.id)))
        tx.session.expunge_all()
        return rows


def carriers_quoted(view: dict[str, Any]) -> set[str]:
    return {q["carrier"] for q in view["quotes"]}


def test_a_station_with_a_saved_account_is_quoted_and_ships_on_that_carrier_only(
    setup_app: Flask, admin: Any, shipper: Any
) -> None:
    # Without an account ParcelPal Express 24 is the recommendation (see the next test); a
    # station on DockExpress's account is offered DockExpress only and ships Standard.
    carton = weighed_carton(setup_app)
    save(admin, "ship-7", new=True, name="Ship 7", carrier_account="DXP-MAIN")

    opened = ship_emit(shipper, "open", {"code": carton["code"], "station": "ship-7"})
    assert opened["ok"], opened
    view = opened["carton"]
    assert carriers_quoted(view) == {"DXP"}
    assert view["carrier_account"]["code"] == "DXP-MAIN"
    assert view["carrier_account"]["carrier_name"] == "DockExpress"
    assert view["recommended"]["service"] == "DXP-STD" and not view.get("blocked")

    shipped = ship_emit(shipper, "ship", {"carton": carton["code"], "station": "ship-7"})
    assert shipped["ok"], shipped
    assert (shipped["carton"]["carrier"], shipped["carton"]["service"]) == ("DXP", "DXP-STD")
    assert shipped["carton"]["label"]["carrier_account"] == "DXP-MAIN"
    (label,) = labels_of(setup_app, carton["code"])
    assert (label.status, label.carrier, label.carrier_account) == ("active", "DXP", "DXP-MAIN")
    assert label.overridden is False  # the account's best service is the recommendation
    # the snapshot of what was offered holds the account's carrier only
    assert {o["carrier"] for o in label.options} == {"DXP"}


def test_a_station_without_an_account_keeps_quoting_every_carrier(
    setup_app: Flask, admin: Any, shipper: Any
) -> None:
    carton = weighed_carton(setup_app)
    save(admin, "ship-8", new=True, name="Ship 8")  # saved, but no account
    for station in ("ship-8", None):
        payload: dict[str, Any] = {"code": carton["code"]}
        if station:
            payload["station"] = station
        opened = ship_emit(shipper, "open", payload)
        assert opened["ok"], opened
        assert carriers_quoted(opened["carton"]) == {"DXP", "PPL"}
        assert opened["carton"]["carrier_account"] is None
        # today's recommendation: the cheapest reliable service of any carrier
        assert opened["carton"]["recommended"]["service"] == "PPL-EXP"

    shipped = ship_emit(shipper, "ship", {"carton": carton["code"], "station": "ship-8"})
    assert shipped["ok"], shipped
    assert shipped["carton"]["service"] == "PPL-EXP"
    (label,) = labels_of(setup_app, carton["code"])
    assert label.carrier_account is None


def test_the_account_applies_without_a_restart_and_goes_when_reset(
    setup_app: Flask, admin: Any, shipper: Any
) -> None:
    carton = weighed_carton(setup_app)
    save(admin, "ship-9", new=True, name="Ship 9", carrier_account="DXP-B2B")
    opened = ship_emit(shipper, "open", {"code": carton["code"], "station": "ship-9"})
    assert carriers_quoted(opened["carton"]) == {"DXP"}
    save(admin, "ship-9", carrier_account="PPL-MAIN")
    opened = ship_emit(shipper, "open", {"code": carton["code"], "station": "ship-9"})
    assert carriers_quoted(opened["carton"]) == {"PPL"}
    save(admin, "ship-9", carrier_account=None)
    opened = ship_emit(shipper, "open", {"code": carton["code"], "station": "ship-9"})
    assert carriers_quoted(opened["carton"]) == {"DXP", "PPL"}


def test_a_service_of_another_carrier_is_refused_and_nothing_is_bought(
    setup_app: Flask, admin: Any, shipper: Any
) -> None:
    carton = weighed_carton(setup_app)
    save(admin, "ship-7", new=True, name="Ship 7", carrier_account="DXP-MAIN")
    refused = ship_emit(
        shipper,
        "ship",
        {"carton": carton["code"], "station": "ship-7", "service": "PPL-EXP", "carrier": "PPL"},
    )
    assert refused["ok"] is False and refused["field"] == "service", refused
    assert "DXP-MAIN" in refused["message"] and "PPL-EXP" in refused["message"]
    assert labels_of(setup_app, carton["code"]) == []
    reopened = ship_emit(shipper, "open", {"code": carton["code"]})
    assert reopened["carton"]["status"] == "weighed" and not reopened["carton"]["tracking_number"]


def test_an_account_whose_carrier_cannot_carry_the_carton_blocks_it_saying_why(
    setup_app: Flask, admin: Any, shipper: Any
) -> None:
    # ParcelPal has no next-day service: a next-day order cannot go on its account.
    carton = weighed_carton(setup_app, service_level="next_day")
    save(admin, "ship-7", new=True, name="Ship 7", carrier_account="PPL-MAIN")
    opened = ship_emit(shipper, "open", {"code": carton["code"], "station": "ship-7"})
    view = opened["carton"]
    assert view["quotes"] == [] and "PPL-MAIN" in view["blocked"]
    assert "another station" in view["blocked"]
    refused = ship_emit(shipper, "ship", {"carton": carton["code"], "station": "ship-7"})
    assert refused["ok"] is False and refused["field"] == "service"
    assert "PPL-MAIN" in refused["message"]
    assert labels_of(setup_app, carton["code"]) == []
    # the same carton at a station without an account ships next day with DockExpress
    elsewhere = ship_emit(shipper, "ship", {"carton": carton["code"]})
    assert elsewhere["ok"], elsewhere
    assert elsewhere["carton"]["service"] == "DXP-NXT"


def test_the_pick_and_pack_pages_are_told_the_saved_camera(setup_app: Flask, admin: Any) -> None:
    camera = {"label": "Bench cam (046d:0825)", "device_id": "a1b2c3"}
    save(admin, "pack-3", new=True, name="Pack 3", camera=camera)
    picker = socket_client(setup_app, "/pick", "U0010")
    packer = socket_client(setup_app, "/pack", "U0040")
    for client, ns in ((picker, "/pick"), (packer, "/pack")):
        ack = client.emit("camera", {"station": "pack-3"}, namespace=ns, callback=True)
        assert ack["ok"] and ack["device"] == camera, ack
        other = client.emit("camera", {"station": "pack-4"}, namespace=ns, callback=True)
        assert other["ok"] and other["device"] is None, other
        none = client.emit("camera", {}, namespace=ns, callback=True)
        assert none["ok"] and none["device"] is None, none
    save(admin, "pack-3", camera=None)
    ack = picker.emit("camera", {"station": "pack-3"}, namespace="/pick", callback=True)
    assert ack["ok"] and ack["device"] is None
