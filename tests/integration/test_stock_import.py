"""`dockhand import stock FILE`: good rows booked through the ledger (reason `import`), every
bad row reported with its line, field and reason and changing nothing."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask

from app.cli import main as cli_main
from app.services.clock import system_clock
from app.services.stock_import import import_stock
from app.services.stock_verify import verify_stock
from tests.support.stock import (
    empty_location,
    floor_state,
    inventory_events,
    ledger_rows,
    location_of_kind,
    sku_bins,
    stock_at,
)
from tests.support.warehouse import uow_of
from tests.test_support import floor_totals

SKU = "CAP-BLK-S"
LATER = date.today() + timedelta(days=300)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_good_rows_are_booked_and_each_bad_row_is_reported_with_its_reason(
    app: Flask, tmp_path: Path
) -> None:
    bins = sku_bins(app, SKU)
    shelf = empty_location(app, "reserve")
    quarantine = location_of_kind(app, "quarantine", "Q00-00-1")
    events_before = len(inventory_events(app, SKU))
    on_hand_before = sum(bins["on_hand"].values())
    expired = (date.today() - timedelta(days=2)).isoformat()
    path = write(
        tmp_path / "opening.csv",
        "sku,location,qty,lot,expiry\n"
        f"{SKU},{shelf},40,L-100,{LATER.isoformat()}\n"  # 2: good, with lot and expiry
        f"{bins['gtin']},{bins['pick']},5,,\n"  # 3: good, by GTIN
        f"NO-SUCH,{shelf},5,,\n"  # 4
        f"{SKU},Z99-99-9,5,,\n"  # 5
        f"{SKU},{shelf},0,,\n"  # 6
        f"{SKU},{shelf},-3,,\n"  # 7
        f"{SKU},{shelf},2000000,,\n"  # 8
        f"{SKU},{shelf},5,L-OLD,{expired}\n"  # 9
        f"{SKU},{shelf},5,L-100,{(LATER + timedelta(days=1)).isoformat()}\n"  # 10
        f"{SKU},{quarantine},5,,\n"  # 11
        f"{SKU},{shelf},5,,31/12/2030\n"  # 12
        f"{SKU},{shelf},five,,\n"  # 13
        "\n"
        f",{shelf},5,,\n",  # 15
    )
    report = import_stock(path, uow_of(app), system_clock, actor="U0002")
    assert (report.rows, report.applied, report.units) == (13, 2, 45)
    errors = [(e.row, e.field) for e in report.errors]
    assert errors == [
        (4, "sku"),
        (5, "location"),
        (6, "qty"),
        (7, "qty"),
        (8, "qty"),
        (9, "expiry"),
        (10, "expiry"),
        (11, "location"),
        (12, "expiry"),
        (13, "qty"),
        (15, "sku"),
    ]
    reasons = {e.row: e.error for e in report.errors}
    assert "NO-SUCH is not a known SKU" in reasons[4]
    assert "expired on" in reasons[9]
    assert "expires" in reasons[10] and "the label says" in reasons[10]
    assert "--allow-quarantine" in reasons[11]
    assert report.errors[0].what == f"NO-SUCH@{shelf}"

    assert stock_at(app, shelf, SKU) == {"L-100": (40, 0)}
    assert stock_at(app, quarantine, SKU) == {}
    rows = ledger_rows(app, "import")
    assert [(r["location"], r["on_hand_delta"], r["reference"], r["actor"]) for r in rows] == [
        (shelf, 40, "opening.csv:2", "U0002"),
        (bins["pick"], 5, "opening.csv:3", "U0002"),
    ]
    assert sum(sku_bins(app, SKU)["on_hand"].values()) == on_hand_before + 45
    # One inventory.changed for the SKU: the whole file is one transaction.
    events = inventory_events(app, SKU)
    assert len(events) == events_before + 1 and events[-1]["on_hand"] == on_hand_before + 45
    totals = floor_totals(app)
    assert totals["on_hand"] == totals["ledger_on_hand"]
    assert verify_stock(uow_of(app)).discrepancies == []


def test_a_file_without_the_required_columns_changes_nothing(app: Flask, tmp_path: Path) -> None:
    before = floor_state(app)
    path = write(tmp_path / "bad.csv", "sku,where,how_many\nCAP-BLK-S,A01-01-1,3\n")
    report = import_stock(path, uow_of(app), system_clock)
    assert [(e.row, e.field) for e in report.errors] == [(1, "header")]
    assert "location" in report.errors[0].error and "qty" in report.errors[0].error
    assert floor_state(app) == before


def test_the_command_reports_rows_and_check_books_nothing(
    app: Flask,
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKHAND_DATABASE_URL", sqlite_url)
    shelf = empty_location(app, "reserve")
    quarantine = location_of_kind(app, "quarantine", "Q00-00-1")
    path = write(
        tmp_path / "stock.csv",
        f"sku,location,qty\n{SKU},{shelf},12\n{SKU},{shelf},0\n{SKU},{quarantine},2\n",
    )
    before = floor_state(app)
    assert cli_main(["import", "stock", str(path), "--check"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"row 3: {SKU}@{shelf}: qty: must be between 1 and 1000000"
    assert out[1].startswith(f"row 4: {SKU}@{quarantine}: location:")
    assert json.loads(out[-1]) == {
        "rows": 3,
        "applied": 1,
        "units": 12,
        "row_errors": 2,
        "checked_only": True,
    }
    assert floor_state(app) == before

    report = tmp_path / "errors.csv"
    code = cli_main(["import", "stock", str(path), "--allow-quarantine", "--report", str(report)])
    assert code == 1
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["applied"] == 2
    assert report.read_text().splitlines() == [
        "row,what,field,error",
        f"3,{SKU}@{shelf},qty,must be between 1 and 1000000",
    ]
    assert stock_at(app, shelf, SKU) == {"": (12, 0)}
    # Quarantined stock is blocked: on hand and allocated to the quarantine itself.
    assert stock_at(app, quarantine, SKU) == {"": (2, 2)}
    assert cli_main(["import", "stock", str(tmp_path / "missing.csv")]) == 2
