"""Signing in at a station: badge plus PIN, a token for reconnects, lock-out after guessing."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from app import socketio
from app.adapters.db.models_security import AuditEntry
from app.services import auth
from tests.support.warehouse import uow_of


def sign_in(app: Flask, namespace: str, **payload: str) -> dict[str, object]:
    client = socketio.test_client(app, namespace=namespace)
    ack: dict[str, object] = client.emit("sign_in", payload, namespace=namespace, callback=True)
    return ack


def test_a_badge_alone_asks_for_the_pin_and_a_wrong_pin_is_refused(app: Flask) -> None:
    ack = sign_in(app, "/pick", badge="U0010")
    assert (ack["ok"], ack["field"]) == (False, "pin")
    assert "PIN" in str(ack["message"])
    wrong = sign_in(app, "/pick", badge="U0010", pin="9999")
    assert wrong["ok"] is False and "do not match" in str(wrong["message"])
    right = sign_in(app, "/pick", badge="U0010", pin="1234")
    assert right["ok"] is True and right["token"]


def test_the_token_signs_in_again_without_the_pin_but_only_for_its_badge(app: Flask) -> None:
    token = str(sign_in(app, "/pick", badge="U0011", pin="1234")["token"])
    again = sign_in(app, "/pick", badge="U0011", token=token)
    assert again["ok"] is True
    stolen = sign_in(app, "/pick", badge="U0012", token=token)
    assert stolen["ok"] is False and stolen["field"] == "pin"
    forged = sign_in(app, "/pick", badge="U0011", token=token[:-2] + "xx")
    assert forged["ok"] is False


def test_five_wrong_pins_lock_the_badge(app: Flask) -> None:
    auth.FAILURES.clear("U0013")
    for _ in range(auth.MAX_FAILURES):
        assert sign_in(app, "/pick", badge="U0013", pin="0000")["ok"] is False
    locked = sign_in(app, "/pick", badge="U0013", pin="1234")
    assert locked["ok"] is False and "Too many" in str(locked["message"])
    auth.FAILURES.clear("U0013")


def test_roles_still_decide_which_station(app: Flask) -> None:
    ack = sign_in(app, "/pick", badge="U0040", pin="1234")
    assert ack["ok"] is False and "may not work the pick station" in str(ack["message"])


def test_a_supervisor_sign_in_is_audited(app: Flask) -> None:
    assert sign_in(app, "/supervisor", badge="U0001", pin="1234")["ok"] is True
    with uow_of(app)() as tx:
        rows = tx.session.scalars(select(AuditEntry)).all()
        assert [(r.actor, r.action, r.detail) for r in rows] == [
            ("U0001", "sign_in", {"station": "supervisor"})
        ]
