"""Signed GETs of `{oms_url}/allocations?cursor=C&limit=N` (oms-v1 section 1)."""

from __future__ import annotations

import time
from typing import Any

import requests

from app.domain.signing import signed_headers
from app.services.pull import Fetch, PullError


def http_fetch(oms_url: str, secret: str, timeout_s: float = 30.0) -> Fetch:
    url = oms_url.rstrip("/") + "/allocations"
    http = requests.Session()

    def fetch(cursor: str | None, limit: int) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        try:
            resp = http.get(
                url,
                params=params,
                headers=signed_headers(secret, b"", time.time()),
                timeout=timeout_s,
            )
        except requests.RequestException as exc:
            raise PullError(f"{exc.__class__.__name__}: {exc}") from exc
        if resp.status_code != 200:
            raise PullError(f"HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            page: dict[str, Any] = resp.json()
        except ValueError as exc:
            raise PullError("the OMS answered with something that is not JSON") from exc
        if not isinstance(page, dict):
            raise PullError("the OMS answered with something that is not a JSON object")
        return page

    return fetch
