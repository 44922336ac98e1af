"""The reports page in real headless Chromium: a supervisor signs in with the wedge scanner,
picks a day, filters by carrier, clicks a bar of a chart and follows it to the orders behind
it, then to one order's scans; the CSV and PDF links work as plain downloads."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from app.adapters.db.engine import make_engine
from app.adapters.db.uow import SessionFactory
from tests.e2e.live import Server
from tests.support.report_history import DAY, write_history
from tests.support.signin import scan_badge_and_pin

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000
expect.set_options(timeout=TIMEOUT_MS)


@pytest.fixture
def reports_page(browser: Browser, server: Server) -> Iterator[tuple[Page, list[str]]]:
    uow = SessionFactory(make_engine(server.database_url))
    write_history(uow, prefix=f"E{uuid.uuid4().hex[:6].upper()}")
    uow.engine.dispose()
    context = browser.new_context(
        base_url=server.base_url, viewport={"width": 1400, "height": 1000}
    )
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto("/reports")
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    yield page, errors
    context.close()


def settled(page: Page, action: Any) -> None:
    before = int(page.locator("body").get_attribute("data-scans") or "0")
    action()
    page.wait_for_function(
        "n => Number(document.body.dataset.scans) > n && !document.body.dataset.busy",
        arg=before,
        timeout=TIMEOUT_MS,
    )


def bar_point(page: Page, table_id: str) -> dict[str, Any]:
    """The screen position of the tallest bar segment of a chart, and what it stands for."""
    page.locator(f'canvas[data-chart="{table_id}"]').scroll_into_view_if_needed()
    found: dict[str, Any] = page.evaluate(
        """(id) => {
          const chart = window.dockhandReports.charts[id];
          let best = null;
          chart.data.datasets.forEach((ds, d) => ds.data.forEach((v, i) => {
            if (v > 0 && (!best || v > best.value)) best = {dataset: d, index: i, value: v};
          }));
          const el = chart.getDatasetMeta(best.dataset).data[best.index];
          const box = chart.canvas.getBoundingClientRect();
          const p = el.getCenterPoint();
          return {x: box.left + p.x, y: box.top + p.y, value: best.value,
                  label: chart.data.datasets[best.dataset].label,
                  category: chart.data.labels[best.index]};
        }""",
        table_id,
    )
    return found


def test_supervisor_filters_by_carrier_and_follows_a_chart_to_its_orders(
    reports_page: tuple[Page, list[str]], server: Server, screenshots: Path
) -> None:
    page, errors = reports_page
    expect(page.locator("#signin")).to_be_visible()
    scan_badge_and_pin(page, "U0001")  # the badge by wedge scan, then the password
    expect(page.locator("#user")).to_have_attribute("data-badge", "U0001")
    expect(page.locator("#report")).to_have_attribute("data-report", "on_time")
    expect(page.locator('#report-tabs [data-report="cycle_time"]')).to_be_visible()
    # Rebuild now rather than wait for the minute's background refresh.
    settled(page, lambda: page.click("#refresh"))
    expect(page.locator("#banner")).to_contain_text("Reports rebuilt")

    # The scripted day, one carrier.
    page.fill("#f-start", DAY.isoformat())
    page.fill("#f-end", DAY.isoformat())
    page.select_option("#f-carrier", "DXP")
    settled(page, lambda: page.click("#apply"))
    by_carrier = page.locator('[data-table="by_carrier"] tbody tr')
    expect(by_carrier).to_have_count(1)
    expect(by_carrier.first).to_contain_text("DXP")
    expect(page.locator("#summary")).to_contain_text("Orders shipped")
    day_row = page.locator('[data-table="by_day"] tbody tr')
    expect(day_row).to_have_count(1)
    expect(day_row.first).to_contain_text("3")  # three DXP orders that day
    page.wait_for_function("() => window.dockhandReports.charts.by_day !== undefined")
    page.screenshot(path=str(screenshots / "reports.png"), full_page=True)

    # Click the tallest segment of the by-day chart: its orders appear.
    point = bar_point(page, "by_day")
    settled(page, lambda: page.mouse.click(point["x"], point["y"]))
    drill = page.locator("#drill")
    expect(drill).to_be_visible()
    rows = page.locator("#drill-table tbody tr")
    expect(rows).to_have_count(int(point["value"]))
    verdict = {"On time": "on_time", "Missed pickup": "missed_pickup", "After ship-by": "late"}[
        point["label"]
    ]
    for i in range(rows.count()):
        expect(rows.nth(i)).to_contain_text("DXP")
        expect(rows.nth(i)).to_contain_text(verdict)
    page.screenshot(path=str(screenshots / "reports-drill.png"), full_page=True)

    # The drill-through as CSV: the same orders.
    href = page.locator("#drill-csv").get_attribute("href")
    assert href
    resp = requests.get(server.url(href), timeout=10)
    assert resp.status_code == 200, resp.text[:200]
    listed = list(csv.DictReader(io.StringIO(resp.content.decode("utf-8-sig"))))
    assert len(listed) == int(point["value"])
    assert {r["Carrier"] for r in listed} == {"DXP"}

    # One order: its lines, carton and every scan.
    first_order = rows.first.locator("button[data-allocation]")
    order_number = first_order.inner_text()
    settled(page, lambda: first_order.click())
    expect(page.locator("#order")).to_be_visible()
    expect(page.locator("#order-title")).to_contain_text(order_number)
    scans = page.locator("#order-scans tbody tr")
    expect(scans.first).to_be_visible()
    assert scans.count() >= 2
    expect(page.locator("#order-scans")).to_contain_text("pick")
    page.screenshot(path=str(screenshots / "reports-order.png"), full_page=True)

    # Another report: accuracy for the same day, carrier filter said not to apply.
    settled(page, lambda: page.click('#report-tabs [data-report="accuracy"]'))
    expect(page.locator("#report")).to_have_attribute("data-report", "accuracy")
    expect(page.locator("#ignored")).to_contain_text("carrier")
    expect(page.locator('[data-table="by_stage"] tbody tr')).to_have_count(3)

    # The shift-end summary opens as a PDF.
    pdf_href = page.locator("#summary-pdf").get_attribute("href")
    assert pdf_href and pdf_href.startswith(f"/reports/summary/{DAY.isoformat()}.pdf")
    pdf = requests.get(server.url(pdf_href), timeout=20)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert not errors, errors
