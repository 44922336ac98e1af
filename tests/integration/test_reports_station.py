"""The /reports namespace and the download routes: only signed-in supervisors get figures;
downloads need the token the namespace signs; an order worked through the real stations
shows up, scans and all."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from app import socketio
from app.adapters.db.engine import make_engine
from app.adapters.db.models import User
from app.adapters.db.uow import SessionFactory
from tests.support.report_history import DAY, config_dir, write_history
from tests.support.warehouse import (
    CONFIG,
    allocation_doc,
    make_app,
    signed_post,
    socket_client,
    uow_of,
)
from tests.test_support import work_one_order

REPO = Path(__file__).resolve().parents[2]
FILTERS = {"start": DAY.isoformat(), "end": DAY.isoformat()}


@pytest.fixture
def reports_app(sqlite_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(sqlite_url, config_dir=str(config_dir(tmp_path, CONFIG)))
    write_history(uow_of(app))
    yield app
    uow_of(app).engine.dispose()


def test_pickers_may_not_open_the_reports(reports_app: Flask) -> None:
    client = reports_app.test_client()
    sock = socketio.test_client(reports_app, namespace="/reports", flask_test_client=client)
    ack = sock.emit(
        "sign_in", {"badge": "U0010", "pin": "1234"}, namespace="/reports", callback=True
    )
    assert not ack["ok"] and ack["field"] == "badge"
    ack = sock.emit("report", {"name": "on_time"}, namespace="/reports", callback=True)
    assert not ack["ok"] and ack["field"] == "badge"


def test_a_supervisor_gets_a_report_a_drill_and_an_order(reports_app: Flask) -> None:
    sup = socket_client(reports_app, "/reports", "U0001")
    rebuilt = sup.emit("refresh", {}, namespace="/reports", callback=True)
    assert rebuilt["ok"] and rebuilt["refresh"]["orders"] == 5, rebuilt
    options = sup.emit("options", {}, namespace="/reports", callback=True)
    assert options["ok"], options
    assert {"DXP", "PPL"} <= set(options["options"]["carriers"])
    assert options["options"]["zones"] == ["A"]
    assert [s["name"] for s in options["options"]["shifts"]] == ["early", "late", "night"]
    ack = sup.emit(
        "report",
        {"name": "on_time", "filters": {**FILTERS, "carrier": "DXP"}},
        namespace="/reports",
        callback=True,
    )
    assert ack["ok"], ack
    assert ack["report"]["summary"][1]["value"] == 3
    drill = sup.emit(
        "drill",
        {"name": "on_time", "point": {"verdict": "late"}, "filters": FILTERS},
        namespace="/reports",
        callback=True,
    )
    assert [r["order_number"] for r in drill["drill"]["rows"]] == ["SO-RPT-A3"]
    order = sup.emit(
        "order",
        {"allocation_pk": drill["drill"]["rows"][0]["allocation_pk"]},
        namespace="/reports",
        callback=True,
    )
    assert order["ok"] and order["order"]["verdict"] == "late"
    by_scan = sup.emit("order", {"code": "SO-RPT-A3"}, namespace="/reports", callback=True)
    assert by_scan["order"]["allocation_id"] == "RPT-A3"
    unknown = sup.emit("report", {"name": "bogus"}, namespace="/reports", callback=True)
    assert not unknown["ok"] and unknown["field"] == "report"
    bad = sup.emit(
        "report",
        {"name": "on_time", "filters": {"start": "2026-12-01", "end": "2026-11-01"}},
        namespace="/reports",
        callback=True,
    )
    assert not bad["ok"] and bad["field"] == "start"


def test_downloads_need_a_supervisors_token(reports_app: Flask) -> None:
    http = reports_app.test_client()
    url = f"/reports/export/on_time/by_carrier.csv?start={DAY}&end={DAY}"
    assert http.get(url).status_code == 401
    assert http.get(url + "&token=forged").status_code == 401
    sup = socket_client(reports_app, "/reports", "U0001")
    assert sup.emit("refresh", {}, namespace="/reports", callback=True)["ok"]
    token = sup.emit("download_token", {}, namespace="/reports", callback=True)["token"]
    resp = http.get(f"{url}&token={token}")
    assert resp.status_code == 200, resp.data[:200]
    assert resp.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert {r["Carrier"]: r["On time %"] for r in rows} == {"DXP": "33.3", "PPL": "100"}
    point = json.dumps({"carrier": "DXP", "verdict": "missed_pickup"})
    drill = http.get(
        f"/reports/export/on_time/orders.csv?start={DAY}&end={DAY}&point={point}&token={token}"
    )
    assert drill.status_code == 200
    assert [r["Order"] for r in csv.DictReader(io.StringIO(drill.data.decode("utf-8-sig")))] == [
        "SO-RPT-A2"
    ]
    pdf = http.get(f"/reports/summary/{DAY}.pdf?token={token}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    # A token signed for someone who is no longer a supervisor opens nothing.
    with uow_of(reports_app)() as tx:
        user = tx.session.scalars(select(User).where(User.badge == "U0001")).one()
        user.role = "picker"
        tx.commit()
    assert http.get(f"{url}&token={token}").status_code == 403


def test_an_order_worked_through_the_stations_is_reported_with_its_scans(
    app: Flask,
) -> None:
    resp = signed_post(app.test_client(), "/api/v1/allocations", allocation_doc("AL-REP"))
    assert resp.status_code == 202, resp.data
    work_one_order(app, "AL-REP")
    sup = socket_client(app, "/reports", "U0001")
    refreshed = sup.emit("refresh", {}, namespace="/reports", callback=True)
    assert refreshed["ok"], refreshed
    ack = sup.emit("report", {"name": "on_time"}, namespace="/reports", callback=True)
    assert ack["report"]["summary"][1]["value"] == 1
    drill = sup.emit("drill", {"name": "on_time", "point": {}}, namespace="/reports", callback=True)
    [row] = drill["drill"]["rows"]
    assert row["allocation_id"] == "AL-REP"
    order = sup.emit(
        "order", {"allocation_pk": row["allocation_pk"]}, namespace="/reports", callback=True
    )["order"]
    stations = [s["station"] for s in order["scans"]]
    assert {"pick", "pack", "weigh"} <= set(stations)
    assert order["cartons"][0]["tracking_number"]
    acc = sup.emit("report", {"name": "accuracy"}, namespace="/reports", callback=True)["report"]
    picked = next(t for t in acc["tables"] if t["id"] == "by_stage")["rows"][0]["units"]
    assert picked == 3  # the ledger's pick movements for the order's three units


def test_the_command_line_refreshes_and_prints_the_summary(sqlite_url: str, tmp_path: Path) -> None:
    write_history(SessionFactory(make_engine(sqlite_url)))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")},
        "DOCKHAND_DATABASE_URL": sqlite_url,
        "DOCKHAND_CONFIG_DIR": str(config_dir(tmp_path, CONFIG)),
    }
    cli = [sys.executable, "-m", "stations.reports.cli"]
    done = subprocess.run([*cli, "rebuild"], env=env, capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["orders"] == 5 and result["days"] >= 1
    out = tmp_path / "summary.pdf"
    done = subprocess.run(
        [*cli, "summary", DAY.isoformat(), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 0, done.stderr
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    assert "50.0 %" in text
