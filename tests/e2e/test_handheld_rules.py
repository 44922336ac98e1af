"""The handheld judges scans itself when the server is slow or out of reach: its rules
(static/js/pick-rules.js) must give the server's verdicts (app/domain/picking.py). Checked
in Chromium over a corpus of tasks and scans; and the wedge's reading of key bursts."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Browser

from app.domain.picking import PickState, ScanContext, step
from app.domain.scanning import parse_scan
from tests.e2e.live import Server

pytestmark = pytest.mark.e2e

TODAY = date(2026, 11, 26)
GTIN13 = "5012340000003"
GTIN14 = "0" + GTIN13
GS = "\x1d"

TASKS: dict[str, dict[str, Any]] = {
    "new": {"location_confirmed": False, "picked": 0},
    "at-bin": {"location_confirmed": True, "picked": 0},
    "half": {"location_confirmed": True, "picked": 1},
    "all-picked": {"location_confirmed": True, "picked": 2},
    "all-picked-own-tote": {"location_confirmed": True, "picked": 2, "tote": "T0005"},
    "done": {"location_confirmed": True, "picked": 2, "status": "done"},
    "lot-line": {"location_confirmed": True, "picked": 0, "lot": "L7"},
    "lot-bin": {"location_confirmed": True, "picked": 0, "bin_lot": "B1"},
    "expired-bin": {
        "location_confirmed": True,
        "picked": 0,
        "bin_lot": "B1",
        "expires_on": "2024-01-31",
    },
    "serials": {
        "location_confirmed": True,
        "picked": 1,
        "serial_required": True,
        "serials_seen": ["SN1"],
    },
}
SCANS = [
    "A01-03-2",
    "a01-03-2",
    "A01-04-1",
    GTIN13,
    GTIN14,
    "MUG-ALT",
    "4006381333931",
    "T0005",
    "T0006",
    f"01{GTIN14}17240131" + "10B1",
    f"01{GTIN14}17301231" + "10L7",
    f"]C101{GTIN14}10L8",
    f"]d201{GTIN14}17301231" + f"10B1{GS}21SN1",
    f"01{GTIN14}21SN2",
    f"https://id.gs1.org/01/{GTIN14}/10/L7/21/SN3?17=301231",
    f"(01){GTIN14}(10)B2",
]


def python_verdict(task: dict[str, Any], code: str) -> dict[str, Any]:
    state = PickState(
        location="A01-03-2",
        sku="MUG-WHT",
        item_codes=frozenset({GTIN13, GTIN14, "MUG-WHT", "MUG-ALT"}),
        qty=2,
        picked=task["picked"],
        location_confirmed=task["location_confirmed"],
        allocation_tote=task.get("tote"),
        wanted_lot=task.get("lot"),
        done=task.get("status") == "done",
        serial_required=bool(task.get("serial_required")),
        serials=frozenset(task.get("serials_seen", [])),
        bin_lot=task.get("bin_lot"),
        bin_expires_on=date.fromisoformat(task["expires_on"]) if task.get("expires_on") else None,
    )
    result = step(state, parse_scan(code), ScanContext(TODAY))
    return {
        "result": result.outcome.value,
        "message": result.message,
        "picked": result.state.picked,
        "confirmed": result.state.location_confirmed,
        "done": result.state.done,
    }


JUDGE_ALL = """
async ({ cases, today }) => {
  const rules = await import("/static/js/pick-rules.js");
  return cases.map(({ task, code }) => {
    const v = rules.judge(task, code, today);
    return { result: v.result, message: v.message, picked: v.task.picked,
             confirmed: v.task.location_confirmed, done: v.task.stage === "done" };
  });
}
"""


def page_and_server_verdicts(
    browser: Browser, server: Server, scans: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every task of TASKS with every scan of `scans`, judged by the page's pick-rules.js:
    the cases and the page's verdict on each (compare them with `mismatches`)."""
    base = {
        "location": "A01-03-2",
        "sku": "MUG-WHT",
        "item_codes": sorted({GTIN13, GTIN14, "MUG-WHT", "MUG-ALT"}),
        "qty": 2,
        "tote": None,
    }
    cases = [
        {"name": name, "task": base | task, "code": code}
        for (name, task), code in itertools.product(TASKS.items(), scans)
    ]
    context = browser.new_context(base_url=server.base_url)
    try:
        page = context.new_page()
        page.goto("/")
        page_verdicts = page.evaluate(
            JUDGE_ALL,
            {
                "cases": [{"task": c["task"], "code": c["code"]} for c in cases],
                "today": TODAY.isoformat(),
            },
        )
    finally:
        context.close()
    return cases, page_verdicts


def mismatches(cases: list[dict[str, Any]], verdicts: list[dict[str, Any]]) -> list[Any]:
    return [
        (c["name"], c["code"], mine, theirs)
        for c, mine in zip(cases, verdicts, strict=True)
        if mine != (theirs := python_verdict(c["task"], c["code"]))
    ]


def test_the_handheld_gives_the_server_s_verdict_for_every_task_and_scan(
    browser: Browser, server: Server
) -> None:
    cases, page_verdicts = page_and_server_verdicts(browser, server, SCANS)
    differ = mismatches(cases, page_verdicts)
    assert differ == [], "\n".join(map(str, differ))
    assert len(cases) == len(TASKS) * len(SCANS)


CLASSIFY = """
async (bursts) => {
  const { classifyBurst, WEDGE_DEFAULTS } = await import("/static/js/station.js");
  return bursts.map(([text, gaps, config]) =>
    classifyBurst(text, gaps, { ...WEDGE_DEFAULTS, ...config }));
}
"""


def test_the_wedge_tells_scanners_from_people_and_strips_its_framing(
    browser: Browser, server: Server
) -> None:
    bursts = [
        ["5012340000003", [3, 2, 4, 3, 2, 3, 2, 3, 2, 3, 2, 4], {}],  # a scanner
        ["5012340000003", [140, 120, 180, 90, 130, 150, 110, 170, 125, 140, 95, 160], {}],
        ["5012340000003", [3, 2, 250, 3, 2, 3, 2, 3, 2, 3, 2, 4], {}],  # one hiccup: median
        ["#A01-03-2", [2] * 8, {"prefix": "#"}],
        ["A01-03-2", [2] * 7, {"prefix": "#"}],  # no prefix with one configured: a person
        ["T0001$", [2] * 5, {"suffix": "$"}],
        ["01095011015300031726123110LOT42~21SN9", [2] * 36, {"gs": "~"}],
        ["  ", [2], {}],
    ]
    context = browser.new_context(base_url=server.base_url)
    try:
        page = context.new_page()
        page.goto("/")
        found = page.evaluate(CLASSIFY, bursts)
    finally:
        context.close()
    assert found == [
        {"code": "5012340000003", "entry": "scan"},
        {"code": "5012340000003", "entry": "keyed"},
        {"code": "5012340000003", "entry": "scan"},
        {"code": "A01-03-2", "entry": "scan"},
        {"code": "A01-03-2", "entry": "keyed"},
        {"code": "T0001", "entry": "scan"},
        {"code": f"01095011015300031726123110LOT42{GS}21SN9", "entry": "scan"},
        None,
    ]
