"""The weigh station over Socket.IO test clients on a real SQLite file: live readings from
server-side simulated scales pushed to a room per station, the stable-reading rule, zero and
tare, who may type a weight, the QC exception (re-verify by scan, repack, supervisor override,
all audited), learned item weights, and the ship station refusing a carton without a weight."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import Carton, Sku
from app.adapters.db.models_weigh import WeighAudit, WeighException, WeightObservation
from stations.weigh.wiring import weigh
from tests.support.warehouse import (
    fresh_postgres_db,
    make_app,
    prepare_database,
    socket_client,
    uow_of,
)
from tests.support.weigh import NS, close_hub, config_dir, emit, pack_carton, readings, wait_for

STATIONS = """
[weigh]
default_station = "SIM"
min_load_g = 20
not_stable_after_s = 0.6
idle_stop_s = 2

[weigh.learning]
min_cartons = 3

[stations.SIM]
name = "Sim bench"
  [stations.SIM.scale]
  driver = "simulated"
  noise_g = 1
  settle_readings = 10
  stable_count = 3
  resolution_g = 2
  poll_s = 0.03

[stations.OPEN]
name = "Open bench"
manual_entry_roles = ["packer", "shipper", "supervisor", "admin"]
  [stations.OPEN.scale]
  driver = "simulated"
  noise_g = 1
  settle_readings = 2
  poll_s = 0.03
"""

ONE_MUG = [{"line_id": "1", "sku": "MUG-BLK-S", "qty": 1}]


def _app(url: str, folder: Path) -> Flask:
    return make_app(url, config_dir=config_dir(folder, STATIONS))


@pytest.fixture
def wapp(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = _app(sqlite_url, tmp_path)
    yield app
    close_hub(app)
    app.extensions["dockhand"].uow.engine.dispose()


def weigher(app: Flask, station: str = "SIM", badge: str = "U0041") -> Any:
    client = socket_client(app, NS, badge)
    ack = emit(client, "join", {"station": station})
    assert ack["ok"], ack
    return client


def settle(client: Any, load_g: int, station: str = "SIM") -> dict[str, Any]:
    """Put a load on the simulated scale and wait for the weight the stable rule accepts."""
    readings(client)  # what was pushed before belongs to the previous load
    before = emit(client, "join", {"station": station})["live"]
    placement = before["placement"] if before else 0
    assert emit(client, "simulate", {"station": station, "load_g": load_g})["ok"]
    return wait_for(
        client,
        lambda r: (
            r["station"] == station
            and r["placement"] > placement
            and r["accepted_g"] is not None
            and abs(r["accepted_g"] - load_g) <= 2
        ),
    )


def carton_row(app: Flask, code: str) -> tuple[str, int | None]:
    with uow_of(app)() as tx:
        c = tx.session.scalars(select(Carton).where(Carton.code == code)).one()
        return c.status, c.weight_g


def audit_actions(app: Flask, code: str) -> list[tuple[str, str | None, dict[str, Any] | None]]:
    with uow_of(app)() as tx:
        rows = tx.session.execute(
            select(WeighAudit.action, WeighAudit.actor, WeighAudit.detail)
            .join(Carton, Carton.id == WeighAudit.carton_id)
            .where(Carton.code == code)
            .order_by(WeighAudit.id)
        ).all()
        return [(a, b, c) for a, b, c in rows]


def ship_open(app: Flask, code: str) -> dict[str, Any]:
    shipper = socket_client(app, "/ship", "U0060")
    ack: dict[str, Any] = shipper.emit("open", {"code": code}, namespace="/ship", callback=True)
    return ack


def ship(app: Flask, code: str) -> dict[str, Any]:
    shipper = socket_client(app, "/ship", "U0060")
    ack: dict[str, Any] = shipper.emit("ship", {"carton": code}, namespace="/ship", callback=True)
    return ack


# --- live readings -----------------------------------------------------------------------


def test_live_readings_from_a_stations_scale_reach_only_that_stations_room(wapp: Flask) -> None:
    sim, other = weigher(wapp, "SIM"), weigher(wapp, "OPEN", "U0042")
    reading = settle(sim, 1500)
    assert reading["stable"] and reading["status"] == "ok" and reading["unit"] == "g"
    assert abs(reading["weight_g"] - 1500) <= 1 and reading["message"] == "Stable."
    assert {r["station"] for r in readings(other)} == {"OPEN"}
    assert weigh(wapp).hub.readers() == ["OPEN", "SIM"]


def test_a_weight_is_recorded_only_after_the_stable_reading_rule(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W1")
    client = weigher(wapp)
    assert emit(client, "open", {"code": carton["code"]})["ok"]
    assert emit(client, "simulate", {"load_g": carton["expected_weight_g"]})["ok"]
    seen: list[dict[str, Any]] = []
    wait_for(client, lambda r: r["status"] == "motion", seen=seen)
    early = emit(client, "capture", {"carton": carton["code"]})
    assert early["ok"] is False and early["error"] == "not_stable"
    assert early["result"] == "not_stable" and "Not stable" in early["message"]
    assert carton_row(wapp, carton["code"]) == ("packed", None)

    accepted = wait_for(client, lambda r: r["accepted_g"] is not None, seen=seen)
    before = seen[: seen.index(accepted)]
    # Still but not yet accepted: the rule wanted more still readings first.
    assert any(r["stable"] and r["accepted_g"] is None for r in before)
    done = emit(client, "capture", {"carton": carton["code"]})
    assert done["ok"] and done["result"] == "weight_ok", done
    assert done["measured_g"] == accepted["accepted_g"]
    assert abs(done["measured_g"] - carton["expected_weight_g"]) <= 2
    assert carton_row(wapp, carton["code"]) == ("weighed", done["measured_g"])
    assert ship(wapp, carton["code"])["ok"]


def test_a_scale_that_never_settles_says_not_stable_and_gives_no_weight(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W2")
    client = weigher(wapp)
    emit(client, "simulate", {"load_g": carton["expected_weight_g"], "settles": False})
    shaky = wait_for(client, lambda r: r["not_settling"])
    assert shaky["accepted_g"] is None and shaky["status"] == "motion"
    assert re.match(r"Not stable for \d+ s: the weight keeps changing\.", shaky["message"])
    refused = emit(client, "capture", {"carton": carton["code"]})
    assert refused["error"] == "not_stable" and "Not stable for" in refused["message"]
    assert carton_row(wapp, carton["code"]) == ("packed", None)


def test_the_last_cartons_load_is_not_recorded_for_the_next_one(wapp: Flask) -> None:
    first, second = pack_carton(wapp, "AL-W3"), pack_carton(wapp, "AL-W4")
    client = weigher(wapp)
    settle(client, first["expected_weight_g"])
    assert emit(client, "capture", {"carton": first["code"]})["ok"]
    again = emit(client, "capture", {"carton": second["code"]})
    assert again["ok"] is False and again["result"] == "same_load"
    assert f"already recorded for carton {first['code']}" in again["message"]
    settle(client, second["expected_weight_g"])
    assert emit(client, "capture", {"carton": second["code"]})["ok"]


def test_nothing_on_the_scale_is_not_a_weight(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W5")
    client = weigher(wapp)
    settle(client, 0)
    empty = emit(client, "capture", {"carton": carton["code"]})
    assert empty["result"] == "empty" and "Nothing on the scale" in empty["message"]


def test_tare_and_zero_from_the_page_are_applied_and_audited(wapp: Flask) -> None:
    client = weigher(wapp)
    settle(client, 400)  # an empty tote
    tared = emit(client, "tare", {})
    assert tared["ok"] and re.fullmatch(
        r"Tare (399|400|401) g: weights now exclude it\.", tared["message"]
    )
    net = wait_for(client, lambda r: r["tare_g"] > 0 and r["accepted_g"] is not None)
    assert abs(net["weight_g"]) <= 2 and abs(net["gross_g"] - 400) <= 2
    refused = emit(client, "zero", {})
    assert refused["ok"] is False and "take everything off" in refused["message"]
    assert emit(client, "clear_tare", {})["ok"]
    settle(client, 0)
    zeroed = emit(client, "zero", {})
    assert zeroed["ok"] and zeroed["message"] == "Zeroed."
    with uow_of(wapp)() as tx:
        actions = tx.session.scalars(
            select(WeighAudit.action).where(WeighAudit.station == "SIM").order_by(WeighAudit.id)
        ).all()
    assert actions == ["tare", "clear_tare", "zero"]


def test_a_real_scale_cannot_be_simulated(sqlite_url: str, tmp_path: Path) -> None:
    text = STATIONS.replace(
        '[stations.OPEN.scale]\n  driver = "simulated"\n  noise_g = 1\n  settle_readings = 2',
        '[stations.OPEN.scale]\n  driver = "serial"\n  port = "/dev/null-scale"\n'
        '  protocol = "nci"',
    )
    app = make_app(sqlite_url, config_dir=config_dir(tmp_path, text))
    try:
        client = weigher(app, "OPEN")
        refused = emit(client, "simulate", {"load_g": 100})
        assert refused["ok"] is False and "is real" in refused["message"]
        fault = wait_for(client, lambda r: r["status"] == "error")
        assert "cannot open the scale port /dev/null-scale" in fault["message"]
    finally:
        close_hub(app)


# --- typed weights --------------------------------------------------------------------------


def test_typing_a_weight_needs_a_supervisor_where_the_station_has_a_scale(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W6")
    packer = weigher(wapp, "SIM")
    assert emit(packer, "join", {"station": "SIM"})["manual_entry"] is False
    typed = {"carton": carton["code"], "weight_g": carton["expected_weight_g"], "station": "SIM"}
    refused = emit(packer, "weight", typed)
    assert refused["ok"] is False and refused["error"] == "forbidden"
    assert refused["field"] == "weight_g" and "put the carton on the scale" in refused["message"]
    assert carton_row(wapp, carton["code"]) == ("packed", None)
    supervisor = weigher(wapp, "SIM", "U0001")
    assert emit(supervisor, "weight", typed)["ok"]


def test_a_station_may_allow_everyone_to_type(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W7")
    packer = weigher(wapp, "OPEN")
    ack = emit(
        packer, "weight", {"carton": carton["code"], "weight_g": carton["expected_weight_g"]}
    )
    assert ack["ok"], ack


# --- out of tolerance and the QC exception ------------------------------------------------


def heavy(app: Flask, client: Any, carton: dict[str, Any], extra_g: int = 400) -> dict[str, Any]:
    settle(client, carton["expected_weight_g"] + extra_g)
    ack = emit(client, "capture", {"carton": carton["code"]})
    assert ack["ok"] is False and ack["result"] == "weight_out_of_tolerance", ack
    return ack


def test_out_of_tolerance_blocks_the_label_and_opens_an_exception(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W8")
    code = carton["code"]
    client = weigher(wapp)
    ack = heavy(wapp, client, carton)
    assert "Weight check failed" in ack["message"] and "No label" in ack["message"]
    exc = ack["exception"]
    assert exc["status"] == "open" and exc["options"] == ["reverify", "repack", "override"]
    assert exc["expected_g"] == carton["expected_weight_g"] and exc["station"] == "SIM"
    assert ack["carton"]["status"] == "packed"

    rated = ship_open(wapp, code)
    assert rated["ok"] and "Weigh this carton first" in rated["carton"]["blocked"]
    refused = ship(wapp, code)
    assert refused["ok"] is False and "weight check" in refused["message"]
    queue = emit(client, "queue", {})["queue"]
    assert next(row for row in queue if row["carton"] == code)["qc"] is True

    settle(client, carton["expected_weight_g"])  # someone took the extra unit out
    fixed = emit(client, "capture", {"carton": code})
    assert fixed["ok"] and fixed["carton"]["exception"] is None
    with uow_of(wapp)() as tx:
        (row,) = tx.session.scalars(select(WeighException)).all()
        assert (row.status, row.resolution, row.weighings) == ("resolved", "reweighed", 1)
    assert [a for a, _, _ in audit_actions(wapp, code)] == [
        "exception_opened",
        "weight",
        "exception_resolved",
        "weight",
    ]
    assert ship(wapp, code)["ok"]


def test_reweighing_a_weighed_carton_out_of_tolerance_takes_its_clearance_away(
    wapp: Flask,
) -> None:
    carton = pack_carton(wapp, "AL-W9")
    client = weigher(wapp)
    settle(client, carton["expected_weight_g"])
    assert emit(client, "capture", {"carton": carton["code"]})["ok"]
    heavy(wapp, client, carton)
    assert carton_row(wapp, carton["code"]) == ("packed", None)
    assert ship(wapp, carton["code"])["ok"] is False


def test_reverify_by_scan_releases_a_carton_whose_contents_are_right(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W10")  # 2 t-shirts and a mug
    code = carton["code"]
    client = weigher(wapp)
    ack = heavy(wapp, client, carton, extra_g=90)
    lines = ack["carton"]["lines"]
    started = emit(client, "reverify", {"carton": code})
    assert started["ok"] and started["carton"]["exception"]["stage"] == "reverify"
    units = [line["barcode"] for line in lines for _ in range(line["qty"])]
    answers = [emit(client, "verify_scan", {"carton": code, "code": u}) for u in units]
    assert [a["result"] for a in answers] == ["unit_ok"] * (len(units) - 1) + ["reverified"]
    assert "Released at the measured" in answers[-1]["message"]
    status, weight = carton_row(wapp, code)
    assert status == "weighed" and weight == ack["measured_g"]
    assert ship(wapp, code)["ok"]
    with uow_of(wapp)() as tx:
        (row,) = tx.session.scalars(select(WeighException)).all()
        assert row.resolution == "reverified" and row.resolved_by == "U0041"


def test_reverify_finding_a_wrong_item_keeps_the_label_blocked(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W11", ONE_MUG)
    code = carton["code"]
    client = weigher(wapp)
    ack = heavy(wapp, client, carton)
    with uow_of(wapp)() as tx:
        lamp = tx.session.scalars(select(Sku).where(Sku.sku == "LAMP-BLK-S")).one()
        lamp_code = lamp.barcodes[0].code
    emit(client, "reverify", {"carton": code})
    wrong = emit(client, "verify_scan", {"carton": code, "code": lamp_code})
    assert wrong["ok"] is False and wrong["result"] == "wrong_item"
    assert "does not belong" in wrong["message"]
    mug = ack["carton"]["lines"][0]["barcode"]
    complete = emit(client, "verify_scan", {"carton": code, "code": mug})
    assert complete["result"] == "verify_complete" and "had a problem" in complete["message"]
    assert carton_row(wapp, code) == ("packed", None)
    settle(client, carton["expected_weight_g"])  # the lamp is out; weigh again
    assert emit(client, "capture", {"carton": code})["ok"]
    with uow_of(wapp)() as tx:
        (row,) = tx.session.scalars(select(WeighException)).all()
        assert row.resolution == "repacked"


def test_repack_then_a_good_weight_resolves_as_repacked(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W12")
    client = weigher(wapp)
    heavy(wapp, client, carton, extra_g=-300)
    repack = emit(client, "repack", {"carton": carton["code"]})
    assert repack["ok"] and repack["carton"]["exception"]["stage"] == "repack"
    settle(client, carton["expected_weight_g"])
    assert emit(client, "capture", {"carton": carton["code"]})["ok"]
    actions = [a for a, _, _ in audit_actions(wapp, carton["code"])]
    assert actions[:3] == ["exception_opened", "weight", "repack_started"]
    assert actions[-2:] == ["exception_resolved", "weight"]
    with uow_of(wapp)() as tx:
        assert tx.session.scalars(select(WeighException.resolution)).one() == "repacked"


def test_supervisor_override_needs_the_role_and_a_reason_and_is_audited(wapp: Flask) -> None:
    carton = pack_carton(wapp, "AL-W13")
    code = carton["code"]
    packer = weigher(wapp)
    supervisor = weigher(wapp, "SIM", "U0001")
    readings(supervisor)
    supervisor.get_received(NS)
    ack = heavy(wapp, packer, carton, extra_g=120)
    assert any(m["name"] == "qc_changed" for m in supervisor.get_received(NS))
    qc = emit(supervisor, "qc", {})
    assert [e["carton"] for e in qc["exceptions"]] == [code]
    assert emit(packer, "qc", {})["error"] == "forbidden"

    by_packer = emit(packer, "override", {"carton": code, "reason": "packaging"})
    assert by_packer["ok"] is False and by_packer["error"] == "forbidden"
    no_reason = emit(supervisor, "override", {"carton": code})
    assert no_reason["field"] == "reason"
    no_note = emit(supervisor, "override", {"carton": code, "reason": "other", "note": "ok"})
    assert no_note["field"] == "note"
    assert carton_row(wapp, code) == ("packed", None)

    done = emit(
        supervisor,
        "override",
        {"carton": code, "reason": "packaging", "note": "double-walled box today"},
    )
    assert done["ok"] and done["result"] == "overridden"
    assert f"released at {ack['measured_g']} g" in done["message"]
    assert carton_row(wapp, code) == ("weighed", ack["measured_g"])
    action, actor, detail = audit_actions(wapp, code)[-1]
    assert (action, actor) == ("override", "U0001")
    assert detail is not None
    assert (detail["reason"], detail["note"], detail["measured_g"]) == (
        "packaging",
        "double-walled box today",
        ack["measured_g"],
    )
    assert emit(supervisor, "qc", {})["exceptions"] == []
    assert ship(wapp, code)["ok"]


# --- learned item weights ---------------------------------------------------------------------


def test_single_sku_cartons_consistently_off_propose_a_new_unit_weight(wapp: Flask) -> None:
    with uow_of(wapp)() as tx:
        master_g = tx.session.scalars(select(Sku.weight_g).where(Sku.sku == "MUG-BLK-S")).one()
    packer = weigher(wapp, "OPEN")
    supervisor = weigher(wapp, "SIM", "U0001")
    answers = []
    for i in range(3):
        carton = pack_carton(wapp, f"AL-L{i}", ONE_MUG)
        answers.append(
            emit(
                packer,
                "weight",
                {"carton": carton["code"], "weight_g": carton["expected_weight_g"] + 30},
            )
        )
    assert all(a["ok"] for a in answers), answers
    assert [a["qc_changed"] for a in answers] == [False, False, True]
    (proposal,) = emit(supervisor, "qc", {})["proposals"]
    assert (proposal["sku"], proposal["master_g"], proposal["proposed_g"]) == (
        "MUG-BLK-S",
        master_g,
        master_g + 30,
    )
    assert len(proposal["cartons"]) == 3

    refused = emit(packer, "decide", {"proposal_id": proposal["id"], "approve": True})
    assert refused["error"] == "forbidden"
    decided = emit(supervisor, "decide", {"proposal_id": proposal["id"], "approve": True})
    assert decided["ok"] and decided["proposal"]["status"] == "approved"
    with uow_of(wapp)() as tx:
        s = tx.session
        assert s.scalars(select(Sku.weight_g).where(Sku.sku == "MUG-BLK-S")).one() == master_g + 30
        audit = s.scalars(select(WeighAudit).where(WeighAudit.action == "weight_approved")).one()
        assert audit.actor == "U0001" and audit.detail is not None
        assert audit.detail["proposed_g"] == master_g + 30
    assert emit(supervisor, "qc", {})["proposals"] == []
    again = emit(supervisor, "decide", {"proposal_id": proposal["id"], "approve": False})
    assert again["error"] == "conflict"

    # The next carton of mugs is expected at the learned weight.
    carton = pack_carton(wapp, "AL-L9", ONE_MUG)
    assert carton["expected_weight_g"] == answers[-1]["expected_g"] + 30


def test_mixed_cartons_teach_nothing_about_item_weights(wapp: Flask) -> None:
    packer = weigher(wapp, "OPEN")
    carton = pack_carton(wapp, "AL-L20")  # t-shirts and a mug
    ack = emit(
        packer, "weight", {"carton": carton["code"], "weight_g": carton["expected_weight_g"]}
    )
    assert ack["ok"]
    with uow_of(wapp)() as tx:
        assert tx.session.scalars(select(WeightObservation)).all() == []


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_qc_exception_flow_on_postgresql(tmp_path: Path) -> None:
    with fresh_postgres_db() as url:
        prepare_database(url)
        app = _app(url, tmp_path)
        try:
            carton = pack_carton(app, "AL-PG1")
            client = weigher(app)
            heavy(app, client, carton)
            supervisor = weigher(app, "SIM", "U0001")
            done = emit(supervisor, "override", {"carton": carton["code"], "reason": "master_data"})
            assert done["ok"], done
            assert ship(app, carton["code"])["ok"]
            assert [a for a, _, _ in audit_actions(app, carton["code"])][-1] == "override"
        finally:
            close_hub(app)
            app.extensions["dockhand"].uow.engine.dispose()


def test_an_unknown_station_has_no_page_and_cannot_be_joined(wapp: Flask) -> None:
    pages = wapp.test_client()
    assert pages.get("/weigh").status_code == 200
    page = pages.get("/weigh/OPEN")
    assert page.status_code == 200 and b'data-station-id="OPEN"' in page.data
    assert pages.get("/weigh/NOPE").status_code == 404
    client = socket_client(wapp, NS, "U0041")
    refused = emit(client, "join", {"station": "NOPE"})
    assert refused["ok"] is False and refused["field"] == "station"
    assert "SIM" in refused["message"] and "OPEN" in refused["message"]
