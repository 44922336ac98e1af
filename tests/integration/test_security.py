"""Security as an attacker or a careless client would meet it."""

from __future__ import annotations

import secrets

import pytest
from flask import Flask

from tests.support.warehouse import REDIS_URL, allocation_doc, make_app, signed_get, signed_post


def test_pages_carry_security_headers(app: Flask) -> None:
    resp = app.test_client().get("/pick")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_an_oms_client_over_its_rate_limit_gets_429_and_changes_nothing(sqlite_url: str) -> None:
    limited = make_app(sqlite_url, api_rate_limit="3 per minute")
    client = limited.test_client()
    for i in range(3):
        assert (
            signed_post(client, "/api/v1/allocations", allocation_doc(f"AL-{i}")).status_code == 202
        )
    over = signed_post(client, "/api/v1/allocations", allocation_doc("AL-9"))
    assert over.status_code == 429
    assert over.get_json()["error"] == "too_many_requests"
    assert 1 <= int(over.headers["Retry-After"]) <= 60  # when to try again, in seconds
    fresh = make_app(sqlite_url)
    assert signed_get(fresh.test_client(), "/api/v1/allocations/AL-9").status_code == 404


def test_station_scripts_never_build_html_from_strings() -> None:
    """Customer text (names, addresses, gift messages) reaches pages only as text: no
    innerHTML-style sinks in our scripts, so a crafted address cannot run script."""
    from pathlib import Path

    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write")
    root = Path(__file__).resolve().parents[2] / "static" / "js"
    found = [
        f"{js.name}: {sink}"
        for js in sorted(root.glob("*.js"))
        for sink in sinks
        if sink in js.read_text()
    ]
    assert not found, found


def test_unsigned_requests_count_against_the_rate_limit_too(sqlite_url: str) -> None:
    limited = make_app(sqlite_url, api_rate_limit="2 per minute")
    client = limited.test_client()
    for _ in range(2):
        assert client.post("/api/v1/allocations", json=allocation_doc()).status_code == 401
    assert signed_post(client, "/api/v1/allocations", allocation_doc()).status_code == 429
    # Pages are not the OMS API: no limit there.
    assert all(client.get("/pick").status_code == 200 for _ in range(3))


def test_the_oms_api_neither_reads_nor_sets_the_session_cookie(app: Flask) -> None:
    """Pages keep their signed session; the OMS API has no use for it (and a cookie sent
    along changes nothing), and its answers still carry the security headers."""
    client = app.test_client()
    client.set_cookie("session", "forged-or-stale")
    resp = signed_post(client, "/api/v1/allocations", allocation_doc("AL-COOKIE"))
    assert resp.status_code == 202
    assert "Set-Cookie" not in resp.headers
    assert "Cookie" not in resp.headers.get("Vary", "")
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert signed_get(client, "/api/v1/allocations/AL-COOKIE").get_json()["status"] == "accepted"


@pytest.mark.redis
def test_workers_sharing_a_message_queue_share_the_rate_limit(sqlite_url: str) -> None:
    """Two worker processes' apps, one Redis: the limit is per OMS address, not per worker."""
    workers = [
        make_app(sqlite_url, api_rate_limit="3 per minute", message_queue=REDIS_URL)
        for _ in range(2)
    ]
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"
    clients = [w.test_client() for w in workers]
    for c in clients:
        c.environ_base["REMOTE_ADDR"] = address  # a fresh OMS address: no count yet
    codes = [
        signed_post(clients[i % 2], "/api/v1/allocations", allocation_doc(f"AL-W{i}")).status_code
        for i in range(4)
    ]
    assert codes == [202, 202, 202, 429]
