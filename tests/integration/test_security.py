"""Security as an attacker or a careless client would meet it."""

from __future__ import annotations

from flask import Flask

from tests.support.warehouse import allocation_doc, make_app, signed_get, signed_post


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
