"""The pick page is an installable web app that loads offline: its manifest, its icons and
its service worker, served by the app the way a browser asks for them."""

from __future__ import annotations

import json
import re

from flask import Flask


def test_the_pick_page_links_its_manifest_and_the_manifest_is_installable(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/pick").get_data(as_text=True)
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    resp = client.get("/static/manifest.webmanifest")
    assert resp.status_code == 200
    assert resp.mimetype == "application/manifest+json"
    manifest = json.loads(resp.get_data(as_text=True))
    assert manifest["start_url"] == "/pick" and manifest["scope"] == "/pick"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes  # what Chrome wants before it offers to install
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.data.startswith(b"\x89PNG"), icon["src"]


def test_the_service_worker_is_served_from_the_root_and_never_cached_by_http(app: Flask) -> None:
    resp = app.test_client().get("/sw.js")
    assert resp.status_code == 200
    assert resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    assert 'self.addEventListener("fetch"' in resp.get_data(as_text=True)


def test_every_file_the_service_worker_keeps_for_offline_exists(app: Flask) -> None:
    """One missing file makes the worker's install fail, and the page would not load offline."""
    client = app.test_client()
    source = client.get("/sw.js").get_data(as_text=True)
    found = re.search(r"const SHELL = \[(.*?)\];", source, re.S)
    assert found is not None
    shell = re.findall(r'"([^"]+)"', found.group(1))
    assert "/pick" in shell
    for path in shell:
        assert client.get(path).status_code == 200, path
    # ...and every module the page imports is among them.
    for module in re.findall(
        r'from "\./([\w-]+\.js)"', client.get("/static/js/pick.js").get_data(as_text=True)
    ):
        assert f"/static/js/{module}" in shell, module
