"""Posts outbox events to `{oms_url}/events`, signed, with the event id as idempotency key."""

from __future__ import annotations

import time

import requests

from app.domain.signing import signed_headers
from app.services.outbox import Poster


def http_poster(oms_url: str, secret: str, timeout_s: float = 10.0) -> Poster:
    url = oms_url.rstrip("/") + "/events"
    http = requests.Session()

    def post(event_id: str, body: str) -> str | None:
        raw = body.encode()
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": event_id,
            **signed_headers(secret, raw, time.time()),
        }
        try:
            resp = http.post(url, data=raw, headers=headers, timeout=timeout_s)
        except requests.RequestException as exc:
            return f"{exc.__class__.__name__}: {exc}"[:400]
        if 200 <= resp.status_code < 300:
            return None
        return f"HTTP {resp.status_code}: {resp.text[:200]}"

    return post
