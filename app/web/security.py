"""Security headers on every response, and rate limits on the OMS API.

The OMS API is machine to machine and hot (docs/oms.md, "Throughput"): its requests skip
the page machinery that costs a webhook CPU and gives it nothing, the session cookie
(`ApiAwareSessionInterface`) and flask-limiter's per-request bookkeeping (the limit is
checked with the `limits` library that flask-limiter itself runs on).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, cast

from flask import Flask, Request, Response, jsonify, request
from flask.sessions import NullSession, SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from app.container import container

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self' ws: wss:",
        "worker-src 'self'",
        "frame-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), usb=(self), "
    "serial=(self), hid=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_HEADER_KEYS = {name.lower() for name in HEADERS}
API_PREFIX = "/api/"  # app/web/api.py's blueprint lives under /api/v1


_SOCKETIO_SESSION = "saved_session"  # flask_socketio.SocketIO._handle_event's environ key


class ApiAwareSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, except that OMS API requests get none: nothing under
    /api/ reads or writes it, and opening it (parsing cookies, building the signing
    serializer) was a tenth of a webhook's time in Flask. The serializer is built once per
    secret key instead of once per request."""

    _cached: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._cached
        if cached is None or cached[0] != key:
            cached = self._cached = (key, super().get_signing_serializer(app))
        return cached[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return NullSession()  # is_null_session: never saved, no Set-Cookie
        # A Socket.IO event after the first: Flask-SocketIO swaps in the session it saved
        # for this connection (a copy of the cookie's, made at the first event) as soon as
        # the context is pushed, so decoding and verifying the cookie again (a thirtieth of
        # a pick scan) would be thrown away.
        saved = request.environ.get(_SOCKETIO_SESSION)
        if saved is not None:
            return cast(SecureCookieSession, saved)
        return super().open_session(app, request)


class SlidingWindowCounter:
    """The `limits` library's sliding window counter for one process's memory: per key the
    hits of the current fixed window and of the previous one; a hit is allowed while the
    current count plus the previous count, weighted by how much of the previous window the
    sliding window still covers, stays within the limit. (The library's memory storage
    keeps an expiry timer thread and locks that cost a webhook more than this.)"""

    def __init__(self, item: RateLimitItem) -> None:
        self.amount = item.amount
        self.window = float(item.get_expiry())
        self._counts: dict[str, tuple[int, int, int]] = {}  # key: (window no, current, prev)
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> bool:
        number = int(now // self.window)
        with self._lock:
            start, current, previous = self._counts.get(key, (number, 0, 0))
            if start != number:  # a later window: the last one's count becomes the previous
                previous = current if start == number - 1 else 0
                current = 0
                if len(self._counts) > 10_000:  # addresses seen once long ago
                    self._counts = {k: v for k, v in self._counts.items() if v[0] >= number - 1}
            weight = 1.0 - (now - number * self.window) / self.window
            if math.floor(previous * weight) + current + 1 > self.amount:
                self._counts[key] = (number, current, previous)
                return False
            self._counts[key] = (number, current + 1, previous)
            return True

    def reset_in(self, now: float) -> float:
        """Seconds until the current window ends (a Retry-After that is never too soon)."""
        return self.window - (now - (now // self.window) * self.window)


class ApiRateLimit:
    """`api_rate_limit` (config/app.toml, e.g. "60000 per minute") per client address on
    every /api/v1 route, checked before the signature, so unsigned floods count too.

    Sliding window counter: the hits of the current fixed window plus the previous
    window's, weighted by how much of it the sliding window still covers. Like a moving
    window it allows no double burst at a window's edge, but it keeps two counters per
    address instead of a timestamp per hit (60,000 of them at the default). With a message
    queue (several workers) the counters live in its Redis, shared by every worker (the
    `limits` library's strategy of the same name); else in this process's memory."""

    def __init__(self, limit: str, storage_uri: str) -> None:
        self.item: RateLimitItem = parse(limit)
        self.local = SlidingWindowCounter(self.item) if storage_uri == "memory://" else None
        self.shared = (
            None
            if self.local is not None
            else SlidingWindowCounterRateLimiter(storage_from_string(storage_uri))
        )

    def check(self) -> tuple[Response, int, dict[str, str]] | None:
        """None when the request may go on; else the 429 answer."""
        if request.blueprint != "api":
            return None
        address = request.remote_addr or "127.0.0.1"
        now = time.time()
        if self.local is not None:
            if self.local.hit(address, now):
                return None
            retry_after = self.local.reset_in(now)
        else:
            assert self.shared is not None
            if self.shared.hit(self.item, "api", address):
                return None
            stats = self.shared.get_window_stats(self.item, "api", address)
            retry_after = stats.reset_time - now
        body = {"error": "too_many_requests", "detail": f"rate limit {self.item} exceeded"}
        return jsonify(body), 429, {"Retry-After": str(max(1, math.ceil(retry_after)))}


def _security_headers(resp: Response) -> Response:
    present = {name.lower() for name, _value in resp.headers}
    if present.isdisjoint(_HEADER_KEYS):  # the usual case: add them without a lookup each
        resp.headers.extend(HEADERS)
    else:
        for name, value in HEADERS.items():
            resp.headers.setdefault(name, value)
    return resp


def register_security(app: Flask) -> None:
    app.session_interface = ApiAwareSessionInterface()
    app.after_request(_security_headers)
    settings = container(app).settings
    # An OMS that floods us gets 429s; the limit is per client address. App-level, so it
    # runs before the API blueprint's signature check.
    limit = ApiRateLimit(settings.api_rate_limit, settings.message_queue or "memory://")
    app.before_request(limit.check)
