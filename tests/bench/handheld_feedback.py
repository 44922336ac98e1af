"""Handheld feedback benchmark: how long from the Enter key that ends a wedge scan to the
banner's change (colour, tone, vibration start together), measured in the page with
performance.now(), on the real server with headless Chromium at 360x640.

    python tests/bench/handheld_feedback.py [--scans 120]

Three figures from one run: online (the server's verdict: queue write, Socket.IO round trip,
durable commit), offline (the handheld's own verdict: the baseline, no network at all), and
the replay of the offline queue once back online (scans per second applied exactly once).
The goal is feedback within 150 ms; the ratio online/offline says what the network costs.
The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from playwright.sync_api import Page, sync_playwright

from app.domain.signing import signed_headers
from app.simulate import Station, Tally
from tests.bench._common import LiveServer, deep_stock_warehouse
from tests.support.handheld import FEEDBACK_PROBE, HANDHELD
from tests.support.warehouse import allocation_doc

SECRET = "bench-secret-0123456789abcdef"


def release(base: str, qty: int) -> str:
    import requests

    allocation_id = f"AL-BENCH-{uuid.uuid4().hex[:8]}"
    body = json.dumps(
        allocation_doc(allocation_id, lines=[{"line_id": "1", "sku": "MUG-RED-S", "qty": qty}])
    ).encode()
    headers = {"Content-Type": "application/json", **signed_headers(SECRET, body, time.time())}
    resp = requests.post(f"{base}/api/v1/allocations", data=body, headers=headers, timeout=10)
    assert resp.status_code == 202, resp.text
    sup = Station(base, "/supervisor", "U0001", Tally())
    sup.connect()
    ack = sup.call("build_wave", {"allocation_ids": [allocation_id], "release": True})
    sup.close()
    assert ack["ok"], ack
    return allocation_id


def scan(page: Page, code: str) -> None:
    before = int(page.get_attribute("body", "data-scans") or "0")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => Number(document.body.dataset.scans) > n && !document.body.dataset.busy", arg=before
    )


def figures(ms: list[float]) -> dict[str, Any]:
    ms = sorted(ms)
    return {
        "n": len(ms),
        "median_ms": round(statistics.median(ms), 1),
        "p95_ms": round(ms[max(0, int(len(ms) * 0.95) - 1)], 1),
        "max_ms": round(ms[-1], 1),
        "within_150_ms": round(sum(1 for m in ms if m <= 150) / len(ms), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=120)
    args = parser.parse_args()
    n = args.scans

    folder = Path(tempfile.mkdtemp(prefix="dockhand-bench-hh-"))
    url = f"sqlite:///{folder / 'dockhand.db'}"
    deep_stock_warehouse(url, skus=30)
    server = LiveServer(url, SECRET)
    try:
        release(server.base, 2 * n + 10)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium"), args=["--no-sandbox"]
            )
            context = browser.new_context(
                base_url=server.base, viewport=HANDHELD, has_touch=True, is_mobile=True
            )
            context.add_init_script(FEEDBACK_PROBE)
            page = context.new_page()
            page.goto("/pick")
            page.wait_for_selector("#conn[data-state=online]")
            scan(page, "U0020")
            page.wait_for_selector("#task:not([hidden])")
            location = page.inner_text("#task-location").strip()
            barcode = page.get_attribute("#task", "data-barcode") or ""
            scan(page, location)

            page.evaluate("window.__feedback = []")
            for _ in range(n):
                scan(page, barcode)
            online = [f["ms"] for f in page.evaluate("window.__feedback")]

            context.set_offline(True)
            page.wait_for_selector("#conn[data-state=offline]")
            page.evaluate("window.__feedback = []")
            for _ in range(n):
                scan(page, barcode)
            offline = [f["ms"] for f in page.evaluate("window.__feedback")]

            started = time.perf_counter()
            context.set_offline(False)
            page.wait_for_selector("#reconcile:not([hidden])", timeout=120_000)
            replay_s = time.perf_counter() - started
            replayed = int(page.get_attribute("#reconcile", "data-scans") or "0")
            browser.close()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    result = {
        "online": figures(online),
        "offline_baseline": figures(offline),
        "online_over_offline_median": round(
            statistics.median(online) / max(statistics.median(offline), 0.1), 2
        ),
        "replay": {
            "scans": replayed,
            "seconds": round(replay_s, 2),
            "scans_per_s": round(replayed / replay_s, 1),
        },
    }
    print(f"online  (server verdict): {result['online']}")
    print(f"offline (own verdict):    {result['offline_baseline']}")
    print(f"replay after reconnect:   {result['replay']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
