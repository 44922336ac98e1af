"""Every report over a scripted day (tests/support/report_history.py) on real SQLite and
PostgreSQL: the figures, the filters, the drill-through, the CSV of every table, the PDF."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.adapters.config_files import load_carriers, load_cartons
from app.adapters.db.engine import make_engine
from app.adapters.db.models import ScanLog
from app.adapters.db.models_reports import ReportOrderFact, ReportUnitsDaily
from app.adapters.db.models_returns import ReturnUnit
from app.adapters.db.uow import SessionFactory
from app.domain import metrics as m
from app.services import reports
from labels.daily_summary import DailySummary, render_daily_summary
from tests.support.report_history import DAY, History, at, config_dir, write_history
from tests.support.warehouse import CONFIG, fresh_postgres_db, prepare_database


@dataclass
class Floor:
    uow: SessionFactory
    ctx: reports.ReportsContext
    history: History
    now: datetime

    def clock(self) -> datetime:
        return self.now

    def report(self, name: str, **filters: str) -> dict:
        f = reports.parse_filters(
            {"start": DAY.isoformat(), "end": DAY.isoformat(), **filters}, DAY
        )
        return reports.report(name, f, self.ctx)

    def drill(self, name: str, point: dict, **filters: str) -> dict:
        f = reports.parse_filters(
            {"start": DAY.isoformat(), "end": DAY.isoformat(), **filters}, DAY
        )
        return reports.drill(name, point, f, self.ctx)


def table(body: dict, table_id: str) -> list[dict]:
    return next(t["rows"] for t in body["tables"] if t["id"] == table_id)


def summary(body: dict) -> dict:
    return {s["label"]: s["value"] for s in body["summary"]}


def _floor(url: str, tmp_path: Path) -> Floor:
    uow = SessionFactory(make_engine(url))
    history = write_history(uow)
    ctx = reports.build_context(config_dir(tmp_path, CONFIG), url, uow.engine)
    floor = Floor(uow, ctx, history, at(20))
    reports.refresh(uow, ctx, floor.clock)
    return floor


@contextmanager
def _database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'reports.db'}"
        prepare_database(url)
        yield url
        return
    with fresh_postgres_db() as url:
        prepare_database(url)
        yield url


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=DATABASES)
def floor(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Floor]:
    """The scripted day, refreshed once, read by every test that does not change it."""
    folder = tmp_path_factory.mktemp(f"reports-{request.param}")
    with _database(request.param, folder) as url:
        f = _floor(url, folder)
        yield f
        f.uow.engine.dispose()
        f.ctx.reader.dispose()


@pytest.fixture(params=DATABASES)
def own_floor(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Floor]:
    """The scripted day for a test that changes it."""
    with _database(request.param, tmp_path) as url:
        f = _floor(url, tmp_path)
        yield f
        f.uow.engine.dispose()
        f.ctx.reader.dispose()


def test_on_time_counts_ship_by_and_the_carriers_last_pickup(floor: Floor) -> None:
    body = floor.report("on_time")
    assert summary(body)["On time"] == 50.0
    assert summary(body)["Orders shipped"] == 5
    by_carrier = {r["carrier"]: r for r in table(body, "by_carrier")}
    assert by_carrier["DXP"]["on_time"] == 1
    assert by_carrier["DXP"]["missed_pickup"] == 1
    assert by_carrier["DXP"]["late"] == 1
    assert by_carrier["DXP"]["on_time_pct"] == 33.3
    assert by_carrier["PPL"]["no_promise"] == 1
    assert by_carrier["PPL"]["on_time_pct"] == 100.0
    assert table(body, "by_day") == [
        {
            "day": DAY.isoformat(),
            "orders": 5,
            "on_time": 2,
            "missed_pickup": 1,
            "late": 1,
            "no_promise": 1,
            "on_time_pct": 50.0,
        }
    ]


def test_cycle_time_median_and_p90_by_service_level(floor: Floor) -> None:
    body = floor.report("cycle_time")
    levels = {r["service_level"]: r for r in table(body, "by_service_level")}
    assert (levels["standard"]["median_min"], levels["standard"]["p90_min"]) == (525, 570)
    assert (levels["express"]["median_min"], levels["express"]["p90_min"]) == (120, 300)
    assert summary(body)["Median"] == "5 h 00 m"
    assert summary(body)["90th percentile"] == "9 h 30 m"
    dist = {r["bin"]: r["orders"] for r in table(body, "distribution")}
    assert dist["2–4 h"] == 1 and dist["4–8 h"] == 2 and dist["8–12 h"] == 2


def test_accuracy_per_thousand_units_by_stage_picker_and_sku(floor: Floor) -> None:
    body = floor.report("accuracy")
    stages = {r["stage"]: r for r in table(body, "by_stage")}
    assert (stages["pick"]["errors"], stages["pick"]["units"]) == (2, 12)
    assert stages["pick"]["per_1000"] == 166.67
    assert (stages["pack"]["errors"], stages["pack"]["units"], stages["pack"]["per_1000"]) == (
        1,
        12,
        83.33,
    )
    assert stages["weigh"]["per_1000"] == 83.33
    pickers = {r["picker"]: r for r in table(body, "by_picker")}
    assert pickers["U0010"]["units"] == 6
    assert pickers["U0010"]["caught_at_pick"] == 1
    assert pickers["U0010"]["escaped"] == 2
    assert pickers["U0010"]["escaped_per_1000"] == 333.33
    assert pickers["U0011"]["pick_per_1000"] == 166.67
    assert pickers["U0011"]["escaped"] == 0
    skus = {r["sku"]: r for r in table(body, "by_sku")}
    h = floor.history
    assert skus[h.skus[0]]["pick"] == 1  # the wrong item scanned on A1's task
    assert skus[h.skus[5]]["pack"] == 1  # the unit that should not have been in A2's tote
    assert skus[h.skus[2]]["weigh"] == 1  # A3's carton holds one SKU
    causes = {(r["stage"], r["cause"]): r["errors"] for r in table(body, "by_cause")}
    assert causes == {
        ("pick", "wrong_item"): 1,
        ("pick", "wrong_location"): 1,
        ("pack", "wrong_item"): 1,
        ("weigh", "weight_out_of_tolerance"): 1,
    }


def test_productivity_units_per_working_hour_and_travel_per_pick(floor: Floor) -> None:
    body = floor.report("productivity")
    pickers = {r["picker"]: r for r in table(body, "pickers")}
    assert pickers["U0010"]["units_per_hour"] == 144.0  # 6 units in 150 s of work
    assert pickers["U0010"]["travel_m"] == 24.0
    assert pickers["U0010"]["travel_per_pick_m"] == 8.0
    assert pickers["U0011"]["units_per_hour"] == 540.0  # 6 units in 40 s
    assert pickers["U0011"]["travel_per_pick_m"] == 11.4
    stations = {(r["station"], r["device_key"]): r for r in table(body, "stations")}
    assert stations[("pack", "PB1")]["units"] == 12
    assert summary(body)["Travel per pick (m)"] == round(46.8 / 5, 2)


def test_packaging_utilisation_and_dim_weight_avoided_match_each_carton(floor: Floor) -> None:
    body = floor.report("packaging")
    catalog = {c.code: c for c in load_cartons(CONFIG / "cartons.toml")}
    carriers = load_carriers(CONFIG / "carriers.toml")
    drill = floor.drill("packaging", {})
    assert drill["total"] == 5
    avoided = contents = inner = 0
    for row in drill["rows"]:
        box = catalog[row["carton_type"]]
        largest = catalog[row["largest_type"]]
        assert largest.code == "BOX-L"  # every order of the day also fits the large box
        assert 0 < row["utilisation_pct"] <= 75.0  # the fill limit of the recommendation
        # The charge avoided is what the rating domain gives for the two cartons.
        actual = m._price(carriers, _carton(row), row["weight_g"], box.outer_mm)
        alt = m._price(
            carriers, _carton(row), row["weight_g"] - box.tare_g + largest.tare_g, largest.outer_mm
        )
        assert actual and alt
        assert (row["billable_g"], row["largest_billable_g"]) == (actual[0], alt[0])
        assert round(row["avoided"] * 100) == alt[1] - actual[1]
        avoided += alt[1] - actual[1]
        contents += round(row["utilisation_pct"] * box.inner_volume_mm3 / 100)
        inner += box.inner_volume_mm3
    assert avoided > 0
    assert round(summary(body)["Dim-weight charge avoided"] * 100) == avoided
    assert summary(body)["Carton utilisation"] == pytest.approx(100 * contents / inner, abs=0.1)
    by_type = {r["carton_type"]: r["cartons"] for r in table(body, "by_carton_type")}
    assert sum(by_type.values()) == 5


def _carton(row: dict) -> m.ShippedCarton:
    return m.ShippedCarton(
        carton_pk=0,
        code=row["carton"],
        carton_type=row["carton_type"],
        outer_mm=(0, 0, 0),
        weight_g=row["weight_g"],
        carrier=row["carrier"],
        service=row["service"],
        service_level="express" if row["carrier"] == "PPL" else "standard",
        country="GB",
        postal_code="SW1Y 4JH",
        units=(),
    )


def test_returns_rate_and_grades_by_sku_and_reason(floor: Floor) -> None:
    body = floor.report("returns")
    assert summary(body)["Units returned"] == 1
    assert summary(body)["Units shipped"] == 12
    assert summary(body)["Returns rate"] == 8.3
    [reason] = table(body, "by_reason")
    assert (reason["reason"], reason["damaged"], reason["returned"]) == ("too small", 1, 1)
    [sku] = table(body, "by_sku")
    assert (sku["sku"], sku["shipped"], sku["rate_pct"]) == (floor.history.skus[0], 2, 50.0)


def test_exceptions_by_kind_and_cause(floor: Floor) -> None:
    body = floor.report("exceptions")
    causes = {(r["kind"], r["cause"]): (r["events"], r["units"]) for r in table(body, "by_cause")}
    assert causes == {
        ("short", "bin empty"): (1, 1),
        ("cancel", "customer changed mind"): (1, 2),
        ("hold", "credit check"): (1, 0),
    }
    drill = floor.drill("exceptions", {"kind": "cancel"})
    assert [r["order_number"] for r in drill["rows"]] == ["SO-RPT-A6"]


def test_filters_by_carrier_channel_shift_and_zone(floor: Floor) -> None:
    assert summary(floor.report("on_time", carrier="DXP"))["Orders shipped"] == 3
    assert summary(floor.report("on_time", channel="shopify"))["Orders shipped"] == 2
    late = floor.report("on_time", shift="late")  # A2 16:45 and A3 17:30
    assert (summary(late)["Orders shipped"], summary(late)["On time"]) == (2, 0.0)
    assert summary(floor.report("on_time", zone="A"))["Orders shipped"] == 5
    assert summary(floor.report("on_time", zone="B"))["Orders shipped"] == 0
    prod = floor.report("productivity", carrier="DXP")
    assert prod["ignored"] == ["carrier"]  # said on the page, not silently applied
    acc = floor.report("accuracy", channel="amazon")  # A3, A4, A5
    stages = {r["stage"]: r for r in table(acc, "by_stage")}
    assert (stages["pick"]["errors"], stages["pick"]["units"]) == (1, 7)


def test_drill_through_reaches_the_orders_and_scans_behind_a_figure(floor: Floor) -> None:
    late = floor.drill("on_time", {"carrier": "DXP", "verdict": "late"})
    assert [r["order_number"] for r in late["rows"]] == ["SO-RPT-A3"]
    assert late["rows"][0]["deadline_at"] == at(16, 30).isoformat()
    missed = floor.drill("on_time", {"day": DAY.isoformat(), "verdict": "missed_pickup"})
    assert [r["order_number"] for r in missed["rows"]] == ["SO-RPT-A2"]
    express = floor.drill("cycle_time", {"service_level": "express"})
    assert sorted(r["cycle_min"] for r in express["rows"]) == [120, 300]
    escaped = floor.drill("accuracy", {"picker": "U0010", "stage": "escaped"})
    assert sorted(r["cause"] for r in escaped["rows"]) == ["weight_out_of_tolerance", "wrong_item"]
    assert {r["order_number"] for r in escaped["rows"]} == {"SO-RPT-A2", "SO-RPT-A3"}
    scans = floor.drill("productivity", {"picker": "U0011"})
    assert len(scans["rows"]) == 3
    returned = floor.drill("returns", {"reason_key": "too small", "grade": "damaged"})
    assert [r["order_number"] for r in returned["rows"]] == ["SO-RPT-A1"]
    order = reports.order_detail(floor.history.pks["A1"], floor.ctx)
    assert order["verdict"] == "on_time"
    assert [s["result"] for s in order["scans"]][:2] == ["location_ok", "wrong_item"]
    assert reports.find_order("SO-RPT-A1", floor.ctx) == floor.history.pks["A1"]


def test_every_table_exports_as_csv_with_its_rows(floor: Floor) -> None:
    f = reports.parse_filters({"start": DAY.isoformat(), "end": DAY.isoformat()}, DAY)
    for name in reports.REPORTS:
        body = reports.report(name, f, floor.ctx)
        for t in body["tables"]:
            filename, data = reports.export_table(name, t["id"], f, floor.ctx)
            assert filename.endswith(".csv") and DAY.isoformat() in filename
            rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
            assert rows[0] == [c["label"] for c in t["columns"]]
            assert len(rows) - 1 == len(t["rows"])
    _, data = reports.export_drill("on_time", {"carrier": "DXP"}, f, floor.ctx)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(r["Order"] for r in rows) == ["SO-RPT-A1", "SO-RPT-A2", "SO-RPT-A3"]


def test_daily_summary_is_one_page_that_reads_back(floor: Floor, tmp_path: Path) -> None:
    data = reports.daily_summary(DAY, floor.ctx, "Test DC", at(22))
    pdf = render_daily_summary(DailySummary.from_report(data))
    assert pdf == render_daily_summary(DailySummary.from_report(data))  # deterministic
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    assert re.search(r"^Pages:\s+1$", info.stdout, re.M), info.stdout
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Daily summary" in text and "Tuesday 24 November 2026" in text
    assert "50.0 %" in text  # on time
    assert "166.67" in text  # pick mis-scans per 1,000
    assert "33.3 %" in text and "DXP" in text and "PPL" in text
    assert "Packaging" in text and "BOX-S" in text
    assert "U0010" in text and "144.00" in text


def test_refresh_rebuilds_changed_days_only_and_never_twice(own_floor: Floor) -> None:
    floor = own_floor
    with floor.uow() as tx:
        facts = tx.session.scalar(select(func.count()).select_from(ReportOrderFact))
        units = tx.session.scalar(select(func.count()).select_from(ReportUnitsDaily))
    again = reports.refresh(floor.uow, floor.ctx, floor.clock)
    assert again.days == [DAY]  # today only: nothing older changed
    with floor.uow() as tx:
        assert tx.session.scalar(select(func.count()).select_from(ReportOrderFact)) == facts
        assert tx.session.scalar(select(func.count()).select_from(ReportUnitsDaily)) == units
    # An offline handheld delivers a scan from yesterday; a returned unit gets a new grade.
    with floor.uow() as tx:
        tx.session.add(
            ScanLog(
                station="pick",
                actor="U0012",
                raw="x",
                result="wrong_item",
                at=at(10, day=DAY - timedelta(days=1)),
            )
        )
        unit = tx.session.scalars(select(ReturnUnit)).one()
        unit.grade, unit.reason_code, unit.graded_at = "resellable", "ASNEW", floor.now
        tx.commit()
    floor.now += timedelta(days=1)
    later = reports.refresh(floor.uow, floor.ctx, floor.clock)
    assert later.days == [DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)]
    body = floor.report("returns")
    assert table(body, "by_reason")[0]["resellable"] == 1
    f = reports.parse_filters({"start": "2026-11-23", "end": "2026-11-23"}, DAY)
    assert reports.report("accuracy", f, floor.ctx)["tables"][0]["rows"][0]["errors"] == 1


def test_a_year_of_dates_reads_months_and_days_alike(floor: Floor) -> None:
    """The cycle-time histogram reads whole months from the monthly rollup: the same answer
    as reading the days."""
    whole = reports.report(
        "cycle_time", reports.Filters(date(2026, 1, 1), date(2026, 12, 31)), floor.ctx
    )
    just_day = floor.report("cycle_time")
    assert table(whole, "by_service_level") == table(just_day, "by_service_level")
    year = reports.Filters(date(2026, 1, 1), date(2026, 12, 31))
    for name in ("accuracy", "returns"):  # units per stage, person and SKU: monthly too
        assert reports.report(name, year, floor.ctx)["tables"] == floor.report(name)["tables"]
    months, head, tail = reports._date_parts(reports.Filters(date(2026, 1, 15), date(2026, 12, 3)))
    assert months[0] == date(2026, 2, 1) and months[-1] == date(2026, 11, 1)
    assert head == (date(2026, 1, 15), date(2026, 1, 31))
    assert tail == (date(2026, 12, 1), date(2026, 12, 3))


def test_rejects_bad_filters_with_the_field() -> None:
    today = datetime(2026, 11, 24, tzinfo=UTC).date()
    with pytest.raises(reports.ServiceError) as bad:
        reports.parse_filters({"start": "2026-11-30", "end": "2026-11-01"}, today)
    assert bad.value.field == "start"
    with pytest.raises(reports.ServiceError) as bad:
        reports.parse_filters({"end": "yesterday"}, today)
    assert bad.value.field == "end"
    f = reports.parse_filters({}, today)
    assert (f.start, f.end) == (today - timedelta(days=6), today)
