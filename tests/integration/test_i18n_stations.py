"""Each person reads the stations in their own language: chosen once, kept on their badge,
used on any device; before sign-in the station's own language (Accept-Language) applies."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app import socketio
from app.adapters.db.models import User
from tests.support.warehouse import allocation_doc, signed_post, uow_of
from tests.test_support import release

PICKER = "U0010"


def set_language(app: Flask, badge: str, language: str | None) -> None:
    with uow_of(app)() as tx:
        user = tx.session.scalars(select(User).where(User.badge == badge)).one()
        user.language = language
        tx.commit()


def language_of(app: Flask, badge: str) -> str | None:
    with uow_of(app)() as tx:
        return tx.session.scalars(select(User.language).where(User.badge == badge)).one()


def station(app: Flask, namespace: str = "/pick", **headers: str) -> Any:
    """A device: its own HTTP client (cookies, Accept-Language) and its Socket.IO client."""
    http = app.test_client()
    client = socketio.test_client(
        app, namespace=namespace, flask_test_client=http, headers=headers or None
    )
    return client


def sign_in(client: Any, badge: str, namespace: str = "/pick", **extra: Any) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(
        "sign_in", {"badge": badge, "pin": "1234", **extra}, namespace=namespace, callback=True
    )
    return ack


def wrong_location(client: Any) -> dict[str, Any]:
    task = client.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    assert task is not None
    wrong = "A09-09-1" if task["location"] != "A09-09-1" else "A09-09-2"
    ack: dict[str, Any] = client.emit(
        "scan", {"task_id": task["task_id"], "code": wrong}, namespace="/pick", callback=True
    )
    assert ack["result"] == "wrong_location"
    return ack | {"expected": task["location"]}


@pytest.fixture
def picking(app: Flask) -> Flask:
    signed_post(app.test_client(), "/api/v1/allocations", allocation_doc())
    release(app, "AL-1")
    return app


def test_a_german_picker_reads_german_after_signing_in(picking: Flask) -> None:
    app = picking
    set_language(app, PICKER, "de")
    device = station(app)  # an English station: no Accept-Language, no cookie
    ack = sign_in(device, PICKER)
    assert ack["ok"] and ack["user"]["language"] == "de"
    reply = wrong_location(device)
    assert reply["message"] == f"Falscher Lagerplatz: geh zu {reply['expected']}."


def test_the_page_of_a_german_station_is_german_before_anyone_signs_in(app: Flask) -> None:
    page = app.test_client().get("/pick", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    html = page.get_data(as_text=True)
    assert '<html lang="de"' in html
    assert "Ausweis scannen" in html
    assert re.search(r'data-i18n="/i18n/de\.json\?v=\w+"', html)
    english = app.test_client().get("/pick").get_data(as_text=True)
    assert '<html lang="en"' in english and "Scan your badge" in english


def test_a_language_chosen_at_sign_in_is_kept_for_the_next_device(picking: Flask) -> None:
    app = picking
    assert language_of(app, PICKER) is None
    first = station(app)
    ack = sign_in(first, PICKER, language="nl")
    assert ack["ok"] and ack["user"]["language"] == "nl"
    assert language_of(app, PICKER) == "nl"
    first.emit("sign_out", {}, namespace="/pick", callback=True)

    # Another handheld, set to Polish: the badge brings Dutch with it.
    other = station(app, **{"Accept-Language": "pl"})
    ack = sign_in(other, PICKER)
    assert ack["user"]["language"] == "nl"
    reply = wrong_location(other)
    assert reply["message"] == f"Verkeerde locatie: ga naar {reply['expected']}."


def test_the_language_button_saves_the_choice_on_the_signed_in_person(picking: Flask) -> None:
    app = picking
    device = station(app)
    sign_in(device, PICKER)
    assert wrong_location(device)["message"].startswith("Wrong location")
    ack = device.emit("set_language", {"language": "pl"}, namespace="/pick", callback=True)
    assert ack == {"ok": True, "language": "pl"}
    assert language_of(app, PICKER) == "pl"
    assert wrong_location(device)["message"].startswith("Zła lokalizacja: idź do")


def test_a_language_we_do_not_speak_is_refused_and_nothing_changes(picking: Flask) -> None:
    app = picking
    set_language(app, PICKER, "de")
    device = station(app)
    sign_in(device, PICKER)
    ack = device.emit("set_language", {"language": "fr"}, namespace="/pick", callback=True)
    assert ack["ok"] is False and ack["field"] == "language"
    assert ack["message"] == "Eine der angebotenen Sprachen wählen."  # in the reader's language
    assert language_of(app, PICKER) == "de"
    refused = sign_in(station(app), PICKER, language="klingon")
    assert refused["ok"] is False and refused["field"] == "language"
    assert language_of(app, PICKER) == "de"


def test_without_a_saved_language_the_station_language_applies(picking: Flask) -> None:
    app = picking
    device = station(app, **{"Accept-Language": "pl-PL,pl;q=0.9"})
    ack = sign_in(device, PICKER)
    assert ack["user"]["language"] is None
    assert wrong_location(device)["message"].startswith("Zła lokalizacja")


def test_sign_in_errors_come_in_the_station_language(app: Flask) -> None:
    device = station(app, **{"Accept-Language": "de"})
    ack = device.emit(
        "sign_in", {"badge": "U0010", "pin": "0000"}, namespace="/pick", callback=True
    )
    assert ack["ok"] is False
    assert ack["message"] == "Ausweis U0010 und diese PIN passen nicht zusammen."


def test_the_script_catalog_is_served_and_cacheable(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/pick?lang=nl").get_data(as_text=True)
    url = re.search(r'data-i18n="([^"]+)"', page)
    assert url is not None
    resp = client.get(url.group(1).replace("&amp;", "&"))
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert resp.json is not None and resp.json["messages"]["Sign in"] == "Aanmelden"
    again = client.get(url.group(1), headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304
    assert client.get("/i18n/fr.json").status_code == 404


def test_a_packing_slip_speaks_the_ship_to_country_language(app: Flask) -> None:
    import subprocess

    doc = allocation_doc(
        "AL-DE",
        ship_to={**allocation_doc()["ship_to"], "country": "DE", "city": "Berlin"},
    )
    client = app.test_client()
    for posted in (doc, allocation_doc()):  # AL-1 ships to GB
        assert signed_post(client, "/api/v1/allocations", posted).status_code < 300

    def slip_text(allocation_id: str) -> str:
        pdf = client.get(f"/pack/slip/{allocation_id}.pdf")
        assert pdf.status_code == 200, pdf.get_data(as_text=True)[:300]
        done = subprocess.run(["pdftotext", "-", "-"], input=pdf.data, capture_output=True)
        return done.stdout.decode()

    german = slip_text("AL-DE")
    assert "LIEFERSCHEIN" in german and "Auftrag SO-AL-DE" in german
    assert "Lieferadresse" in german
    english = slip_text("AL-1")
    assert "PACKING SLIP" in english and "Ship to" in english
