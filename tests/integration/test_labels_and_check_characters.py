"""Label sheets from the seeded database (the `dockhand labels` command and the supervisors'
downloads), decoded back from their pixels; and the handheld refusing a label whose check
character fails, without changing anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from stdnum.iso7064 import mod_37_36

from app.adapters.db.models import Location, PickTask, ScanLog, Tote, User
from app.cli import main as dockhand
from tests.support import pdf_barcodes as pdf
from tests.support.warehouse import (
    allocation_doc,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import floor_totals, release


def payload(code: str) -> str:
    return code + mod_37_36.calc_check_digit(code.replace("-", ""))


def decoded(sheet: bytes, folder: Path) -> list[str]:
    """Every barcode on every page, read by zbar; ZXing must read the same."""
    out: list[str] = []
    for zbar, zxing in pdf.code128_by_page(sheet, folder):
        assert zbar == zxing
        out.extend(zbar)
    return sorted(out)


# --- dockhand labels ------------------------------------------------------------------------


def test_dockhand_labels_prints_every_location_of_an_aisle_and_each_scans(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: Flask
) -> None:
    monkeypatch.setenv("DOCKHAND_DATABASE_URL", sqlite_url)
    out = tmp_path / "aisle3.pdf"
    assert dockhand(["labels", "locations", "--aisle", "3", "--out", str(out)]) == 0
    with uow_of(app)() as tx:
        codes = tx.session.scalars(
            select(Location.code).where(Location.aisle == 3, Location.kind.in_(["pick", "reserve"]))
        ).all()
    assert len(codes) == 12 * 3 and "A03-07-2" in codes
    assert decoded(out.read_bytes(), tmp_path) == sorted(payload(c) for c in codes)


def test_dockhand_labels_for_the_special_locations_and_on_letter_paper(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKHAND_DATABASE_URL", sqlite_url)
    found = []
    for zone in "PSRQD":
        out = tmp_path / f"{zone}.pdf"
        args = ["labels", "locations", "--zone", zone, "--paper", "letter", "--out", str(out)]
        assert dockhand(args) == 0
        assert pdf.page_size_pt(out.read_bytes(), tmp_path) == (612, 792)
        found += decoded(out.read_bytes(), tmp_path)
    assert sorted(found) == sorted(
        payload(c) for c in ("P00-00-1", "S00-00-1", "R00-00-1", "Q00-00-1", "D00-00-1")
    )


def test_dockhand_labels_totes_and_badges(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("DOCKHAND_DATABASE_URL", sqlite_url)
    totes = tmp_path / "totes.pdf"
    assert dockhand(["labels", "totes", "--from", "95", "--to", "110", "--out", str(totes)]) == 0
    assert decoded(totes.read_bytes(), tmp_path) == sorted(
        payload(f"T{n:06d}") for n in range(95, 111)
    )
    badges = tmp_path / "badges.pdf"
    assert dockhand(["labels", "badges", "--role", "packer", "--out", str(badges)]) == 0
    assert decoded(badges.read_bytes(), tmp_path) == [f"U{40 + i:04d}" for i in range(6)]
    assert "6 badge labels (a4) written to" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["totes", "--from", "9", "--to", "3"], "labels: to: to (3) must not be below from (9)"),
        (["totes", "--to", "3"], "labels: from: from is required: the first tote number"),
        (["totes", "--from", "x1"], "labels: from: from must be a whole number, not 'x1'"),
        (["locations", "--zone", "K"], "labels: zone: No locations in zone K."),
        (["locations", "--zone", "AB"], "labels: zone: zone must be one letter such as A"),
        (["badges", "--role", "boss"], "labels: role: role must be one of picker, packer"),
    ],
)
def test_dockhand_labels_says_what_is_wrong_and_writes_nothing(
    sqlite_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.setenv("DOCKHAND_DATABASE_URL", sqlite_url)
    out = tmp_path / "x.pdf"
    assert dockhand(["labels", *args, "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith(message)
    assert not out.exists()


# --- downloads for supervisors ----------------------------------------------------------------


def test_label_downloads_need_a_supervisors_token(app: Flask, tmp_path: Path) -> None:
    http = app.test_client()
    page = http.get("/labels")
    assert page.status_code == 200 and b"Tote labels" in page.data
    url = "/labels/totes.pdf?from=1&to=3&paper=letter"
    assert http.get(url).status_code == 401
    assert http.get(url + "&token=forged").status_code == 401
    sup = socket_client(app, "/reports", "U0001")
    token = sup.emit("download_token", {}, namespace="/reports", callback=True)["token"]
    resp = http.get(f"{url}&token={token}")
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/pdf"
    assert decoded(resp.data, tmp_path) == sorted(payload(f"T{n:06d}") for n in (1, 2, 3))
    assert pdf.page_size_pt(resp.data, tmp_path) == (612, 792)

    locs = http.get(f"/labels/locations.pdf?zone=A&aisle=10&arrows=0&token={token}")
    assert locs.status_code == 200
    assert len(decoded(locs.data, tmp_path)) == 36

    badges = http.get(f"/labels/badges.pdf?role=supervisor&token={token}")
    assert badges.status_code == 200
    assert decoded(badges.data, tmp_path) == ["U0001"]
    text = pdf.text(badges.data, tmp_path)
    assert "Sam Supervisor" in text and "SUPERVISOR" in text
    with uow_of(app)() as tx:
        pin_hash = tx.session.scalars(select(User.pin_hash).where(User.badge == "U0001")).one()
    assert "1234" not in text and "argon2" not in text and pin_hash not in text

    bad = http.get(f"/labels/totes.pdf?from=5&to=2&token={token}")
    assert bad.status_code == 422
    assert bad.get_json() == {
        "ok": False,
        "error": "invalid",
        "message": "to (2) must not be below from (5)",
        "field": "to",
    }
    assert http.get(f"/labels/locations.pdf?zone=K&token={token}").status_code == 404
    assert http.get(f"/labels/totes.pdf?from=1&paper=a3&token={token}").status_code == 422

    # A token of someone who is no longer a supervisor prints nothing.
    with uow_of(app)() as tx:
        user = tx.session.scalars(select(User).where(User.badge == "U0001")).one()
        user.role = "picker"
        tx.commit()
    assert http.get(f"{url}&token={token}").status_code == 403


def test_a_picker_cannot_get_the_token_the_downloads_need(app: Flask) -> None:
    from app import socketio

    client = socketio.test_client(app, namespace="/reports")
    ack = client.emit(
        "sign_in", {"badge": "U0010", "pin": "1234"}, namespace="/reports", callback=True
    )
    assert ack["ok"] is False
    token = client.emit("download_token", {}, namespace="/reports", callback=True)
    assert token["ok"] is False and "token" not in token


# --- the handheld refuses a label whose check fails -------------------------------------------


def _scan(client: Any, task: dict[str, Any], code: str) -> dict[str, Any]:
    ack: dict[str, Any] = client.emit(
        "scan", {"task_id": task["task_id"], "code": code}, namespace="/pick", callback=True
    )
    return ack


def _task_row(app: Flask, task_id: int) -> tuple[bool, int, str | None, str]:
    with uow_of(app)() as tx:
        t = tx.session.get(PickTask, task_id)
        assert t is not None
        return t.location_confirmed, t.picked_qty, t.tote_code, t.status


def test_a_wrong_check_character_is_refused_at_the_handheld_and_changes_nothing(
    app: Flask,
) -> None:
    doc = allocation_doc("AL-CHK", lines=[{"line_id": "1", "sku": "TSHIRT-BLK-S", "qty": 1}])
    resp = signed_post(app.test_client(), "/api/v1/allocations", doc)
    assert resp.get_json()["status"] == "accepted", resp.get_json()
    release(app, "AL-CHK")
    picker = socket_client(app, "/pick", "U0010")
    task = picker.emit("next_task", {}, namespace="/pick", callback=True)["task"]
    location = task["location"]
    good = payload(location)
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    before = (floor_totals(app), _task_row(app, task["task_id"]))

    reply = _scan(picker, task, wrong)
    assert reply["ok"] is False
    assert reply["result"] == "check_failed"
    assert reply["message"] == "Location code check failed: rescan the label"
    assert (floor_totals(app), _task_row(app, task["task_id"])) == before

    # The label's real payload confirms the bin; the bare code would too.
    assert _scan(picker, task, good)["result"] == "location_ok"
    assert _scan(picker, task, task["barcode"])["ok"]

    tote = "T000777"
    bad_tote = payload(tote)[:-1] + ("0" if payload(tote)[-1] != "0" else "1")
    reply = _scan(picker, task, bad_tote)
    assert (reply["ok"], reply["result"]) == (False, "check_failed")
    assert reply["message"] == "Tote code check failed: rescan the label"
    with uow_of(app)() as tx:
        assert tx.session.scalar(select(func.count(Tote.id)).where(Tote.code == tote)) == 0
        assert tx.session.scalars(select(ScanLog.result).where(ScanLog.raw == bad_tote)).all() == [
            "check_failed"
        ]
    assert _task_row(app, task["task_id"])[2:] == (None, before[1][3])

    done = _scan(picker, task, payload(tote))
    assert done["result"] == "tote_ok", done
    assert _task_row(app, task["task_id"])[2] == tote

    # The packer scans the tote's label too; a misread is refused with the same sentence.
    packer = socket_client(app, "/pack", "U0040")
    refused = packer.emit("open", {"code": bad_tote}, namespace="/pack", callback=True)
    assert refused["ok"] is False
    assert refused["message"] == "Tote code check failed: rescan the label"
    opened = packer.emit("open", {"code": payload(tote)}, namespace="/pack", callback=True)
    assert opened["ok"], opened
    assert opened["order"]["allocation_id"] == "AL-CHK"
