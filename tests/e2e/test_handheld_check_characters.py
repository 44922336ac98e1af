"""The handheld reads location and tote labels (code + check character) as the server does:
its own verdict (static/js/pick-rules.js, used while the server is slow or offline) must be
the server's (app/domain) for label payloads, failed checks and bare codes alike."""

from __future__ import annotations

import random

import pytest
from playwright.sync_api import Browser

from app.domain.codes import barcode_payload, location_code, tote_code
from app.domain.scanning import ScanKind, parse_scan
from tests.e2e.live import Server
from tests.e2e.test_handheld_rules import mismatches, page_and_server_verdicts

pytestmark = pytest.mark.e2e


def wrong(payload: str) -> str:
    return payload[:-1] + ("0" if payload[-1] != "0" else "1")


SCANS = [
    barcode_payload("A01-03-2"),  # the task's bin, as its label scans
    barcode_payload("A01-03-2").lower(),
    wrong(barcode_payload("A01-03-2")),
    "A01-03-21",  # a two-digit level reads as a failed check character
    barcode_payload("A01-04-1"),
    barcode_payload("A01-03-2-2"),
    "A01-03-2-2",
    barcode_payload("T000005"),
    wrong(barcode_payload("T000005")),
    "T000005",
    "T0005",
]

CHECK_ALL = """
async (texts) => {
  const rules = await import("/static/js/pick-rules.js");
  return texts.map((text) => {
    const scan = rules.parse(text);
    return [scan.kind, scan.value];
  });
}
"""


def test_the_handheld_judges_label_payloads_like_the_server(
    browser: Browser, server: Server
) -> None:
    cases, verdicts = page_and_server_verdicts(browser, server, SCANS)
    differ = mismatches(cases, verdicts)
    assert differ == [], "\n".join(map(str, differ))
    results = {v["result"] for v in verdicts}
    assert {"check_failed", "location_ok", "wrong_location", "tote_ok"} <= results


def test_the_handheld_computes_the_same_check_characters(browser: Browser, server: Server) -> None:
    rng = random.Random(7)
    codes = [
        location_code(
            rng.choice("ABCDPQRS"),
            rng.randint(0, 99),
            rng.randint(0, 99),
            rng.randint(1, 9),
            rng.randint(1, 9),
        )
        for _ in range(300)
    ] + [tote_code(rng.randint(1, 999_999)) for _ in range(300)]
    texts = [barcode_payload(c) for c in codes] + [wrong(barcode_payload(c)) for c in codes]
    context = browser.new_context(base_url=server.base_url)
    try:
        page = context.new_page()
        page.goto("/")
        found = page.evaluate(CHECK_ALL, texts)
    finally:
        context.close()
    js_kind = {
        "location": ScanKind.LOCATION,
        "tote": ScanKind.TOTE,
        "check_failed": ScanKind.CHECK_FAILED,
    }
    server_side = [(parse_scan(t).kind, parse_scan(t).value) for t in texts]
    assert [(js_kind[k], v) for k, v in found] == server_side
