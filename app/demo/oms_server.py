"""A simulated upstream OMS (contract oms-v1) served over real HTTP.

Used two ways:

- `dockhand demo-oms` (see `main`): feeds a demo warehouse with signed allocations at a
  steady rate and prints the events the warehouse reports back;
- integration tests: a real peer for the app's outbox (`POST /events`) and pull mode
  (`GET /allocations`), with fault injection (`fail_status`, `delay_s`, `down()`/`up()`).

Endpoints:

- `POST /events` — signed, `Idempotency-Key` must equal the body's `event_id`;
- `GET /allocations?cursor=C&limit=N` — signed over an empty body; pages through `feed`;
- `GET /stats` — unsigned counters for humans and tests.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import json
import logging
import os
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType, TracebackType
from typing import Any

import requests
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from app.demo.orders import make_allocation
from app.domain.signing import check, signed_headers

log = logging.getLogger(__name__)

MESSAGE_KINDS = ("allocation", "cancel", "hold", "release", "return")
DEFAULT_PULL_LIMIT = 50
MAX_PULL_LIMIT = 500
SHIPPED_KEPT = 20
CATALOG_REFRESH_EVERY = 50
MIN_AVAILABLE = 5  # the feeder only orders SKUs with available > this
HTTP_TIMEOUT_S = 10.0
_POLL_INTERVAL_S = 0.05  # how quickly serve_forever notices shutdown()

Event = dict[str, Any]


def encode_cursor(position: int) -> str:
    """The opaque pull-mode cursor for a position in the feed."""
    return base64.urlsafe_b64encode(f"pos:{position}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The feed position of a cursor made by `encode_cursor`; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed cursor {cursor!r}") from exc
    prefix, _, number = raw.partition(":")
    if prefix != "pos" or not (number.isascii() and number.isdigit()):
        raise ValueError(f"malformed cursor {cursor!r}")
    return int(number)


def describe_event(event: Event) -> str:
    """One human line for an event, e.g. `event allocation.shipped AL-000001 tracking=1Z..`."""
    data = event.get("data")
    data = data if isinstance(data, dict) else {}
    subject = event.get("allocation_id") or data.get("rma_id") or data.get("sku") or "-"
    parts = ["event", str(event.get("type")), str(subject)]
    kind = event.get("type")
    if kind == "allocation.shipped":
        cartons = data.get("cartons")
        cartons = cartons if isinstance(cartons, list) else []
        tracking = [str(c.get("tracking_number")) for c in cartons if isinstance(c, dict)]
        parts.append("tracking=" + ",".join(tracking))
        if data.get("carrier"):
            parts.append(f"carrier={data['carrier']}")
    elif kind == "allocation.delivered":
        parts.append(f"tracking={data.get('tracking_number')}")
    elif kind == "allocation.rejected":
        parts.append(f"reasons={json.dumps(data.get('reasons'))}")
    elif kind == "inventory.changed":
        parts.append(f"on_hand={data.get('on_hand')} available={data.get('available')}")
    return " ".join(parts)


def _error(message: str, status: int) -> ResponseReturnValue:
    return jsonify(error=message), status


class DemoOms:
    """The simulated OMS. `DemoOms(secret).start()` listens on a free port; see `url`.

    Everything it records is guarded by one lock; read it through the attributes below
    (or `stats()`) once the requests you are waiting for have been answered.

    Recorded:
      events          accepted events, first arrival of each event_id, in arrival order
      duplicates      events received again with an event_id already recorded
      conflicting_duplicates  ... of which the body differed from the first one
      rejected_signatures     requests answered 401 (events and pull mode)
      feed            pull-mode queue of (kind, body); append with `enqueue`
      pulls           answered GET /allocations requests
      posted, post_errors     allocations the feeder delivered / failed to deliver
    Fault injection (set at any time):
      fail_status     answer this status to POST /events without recording (None: off)
      delay_s         sleep this long before answering POST /events
      down() / up()   close / reopen the listening socket on the same port
    Hook:
      on_event        called with each newly recorded event (the CLI prints it)
    """

    def __init__(self, secret: str, host: str = "127.0.0.1", port: int = 0) -> None:
        if not secret:
            raise ValueError("the demo OMS needs a signing secret")
        self.secret = secret
        self.host = host
        self.port = port

        self.fail_status: int | None = None
        self.delay_s: float = 0.0
        self.on_event: Callable[[Event], None] | None = None

        self.events: list[Event] = []
        self.duplicates = 0
        self.conflicting_duplicates = 0
        self.rejected_signatures = 0
        self.feed: list[tuple[str, dict[str, Any]]] = []
        self.pulls = 0
        self.posted = 0
        self.post_errors = 0

        self._cond = threading.Condition()
        self._seen: dict[str, Event] = {}
        self._by_type: Counter[str] = Counter()
        self._shipped: deque[dict[str, Any]] = deque(maxlen=SHIPPED_KEPT)

        self._life = threading.Lock()  # serialises start/stop/down/up
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._generation = 0  # bumped whenever the listener goes up or down

        self.app = self._build_app()

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = self.host
        if host in ("", "0.0.0.0"):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def start(self) -> DemoOms:
        """Listen (port 0 picks a free port, kept for later `up()` calls) and serve in a
        background thread. Starting a running server does nothing."""
        with self._life:
            if self._server is None:
                self._listen()
        return self

    def stop(self) -> None:
        """Stop listening and drop open connections. `start()` or `up()` serve again."""
        with self._life:
            self._close()

    def down(self) -> None:
        """Really go away: close the listening socket and every open connection, so
        clients get connection refused (or reset, mid-request) until `up()`."""
        self.stop()

    def up(self) -> None:
        """Listen again on the same port after `down()`."""
        with self._life:
            if self._server is None:
                if self.port == 0:
                    raise RuntimeError("start() the demo OMS before calling up()")
                self._listen()

    def __enter__(self) -> DemoOms:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _listen(self) -> None:
        try:
            server = make_server(
                self.host, self.port, self.app, threaded=True, request_handler=self._handler()
            )
        except SystemExit as exc:  # werkzeug prints the reason and exits when it cannot bind
            raise OSError(f"demo OMS cannot listen on {self.host}:{self.port}") from exc
        self.port = server.port
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL_INTERVAL_S},
            name=f"demo-oms-{self.port}",
            daemon=True,
        )
        with self._cond:
            self._server = server
            self._thread = thread
            self._generation += 1
        thread.start()

    def _close(self) -> None:
        with self._cond:
            server, thread = self._server, self._thread
            if server is None:
                return
            self._server = self._thread = None
            self._generation += 1
        server.shutdown()
        server.server_close()
        with self._cond:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join(timeout=5)

    def _handler(self) -> type[WSGIRequestHandler]:
        oms = self

        class Handler(WSGIRequestHandler):
            def setup(self) -> None:
                super().setup()
                oms._track(self.server, self.connection)

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    oms._untrack(self.connection)

            def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
                pass  # the CLI prints one line per event instead

        return Handler

    def _track(self, server: BaseWSGIServer, conn: socket.socket) -> None:
        with self._cond:
            if server is self._server:
                self._connections.add(conn)
                return
        # Accepted just before the listener went down: drop it like the rest.
        with contextlib.suppress(OSError):
            conn.shutdown(socket.SHUT_RDWR)

    def _untrack(self, conn: socket.socket) -> None:
        with self._cond:
            self._connections.discard(conn)

    # -- HTTP --------------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask(__name__)

        @app.errorhandler(HTTPException)
        def http_error(exc: HTTPException) -> ResponseReturnValue:
            return _error(exc.description or exc.name, exc.code or 500)

        @app.post("/events")
        def receive_event() -> ResponseReturnValue:
            return self._receive_event()

        @app.get("/allocations")
        def pull_allocations() -> ResponseReturnValue:
            return self._pull()

        @app.get("/stats")
        def stats() -> ResponseReturnValue:
            return jsonify(self.stats())

        return app

    def _authenticate(self, body: bytes) -> ResponseReturnValue | None:
        problem = check(
            self.secret,
            request.headers.get("X-Timestamp"),
            request.headers.get("X-Signature"),
            body,
            time.time(),
        )
        if problem is None:
            return None
        with self._cond:
            self.rejected_signatures += 1
        log.warning("rejected %s %s: %s", request.method, request.path, problem.value)
        return _error(problem.value, 401)

    def _receive_event(self) -> ResponseReturnValue:
        generation = self._generation
        delay = self.delay_s
        if delay > 0:
            time.sleep(delay)
        if generation != self._generation:
            return _error("the demo OMS went down while handling this request", 503)
        status = self.fail_status
        if status is not None:
            return _error(f"injected failure {status}", status)

        raw = request.get_data(cache=True)
        unauthorized = self._authenticate(raw)
        if unauthorized is not None:
            return unauthorized
        try:
            event = json.loads(raw)
        except ValueError:
            return _error("body is not valid JSON", 400)
        if not isinstance(event, dict) or not isinstance(event.get("event_id"), str):
            return _error("body must be a JSON object with a string event_id", 400)
        key = request.headers.get("Idempotency-Key")
        if not key:
            return _error("missing Idempotency-Key header", 400)
        if key != event["event_id"]:
            return _error("Idempotency-Key must equal the body's event_id", 400)

        if self._record(event) and self.on_event is not None:
            try:
                self.on_event(event)
            except Exception:
                log.exception("on_event hook failed")
        return jsonify(status="ok")

    def _record(self, event: Event) -> bool:
        """Store an event; False when its event_id was already recorded."""
        with self._cond:
            first = self._seen.get(event["event_id"])
            if first is not None:
                self.duplicates += 1
                if first != event:
                    self.conflicting_duplicates += 1
                    log.warning("event %s re-sent with a different body", event["event_id"])
                self._cond.notify_all()
                return False
            self._seen[event["event_id"]] = event
            self.events.append(event)
            kind = str(event.get("type"))
            self._by_type[kind] += 1
            if kind == "allocation.shipped":
                data = event.get("data")
                self._shipped.append(
                    {
                        "allocation_id": event.get("allocation_id"),
                        "order_number": event.get("order_number"),
                        **(data if isinstance(data, dict) else {}),
                    }
                )
            self._cond.notify_all()
            return True

    def _pull(self) -> ResponseReturnValue:
        unauthorized = self._authenticate(b"")  # GETs are signed over an empty body
        if unauthorized is not None:
            return unauthorized
        cursor = request.args.get("cursor")
        try:
            start = decode_cursor(cursor) if cursor else 0
        except ValueError as exc:
            return _error(str(exc), 400)
        limit = DEFAULT_PULL_LIMIT
        raw_limit = request.args.get("limit")
        if raw_limit is not None:
            if not (raw_limit.isascii() and raw_limit.isdigit()) or int(raw_limit) < 1:
                return _error("limit must be a positive integer", 400)
            limit = min(int(raw_limit), MAX_PULL_LIMIT)
        with self._cond:
            batch = self.feed[start : start + limit]
            self.pulls += 1
        return jsonify(
            items=[{"kind": kind, "body": body} for kind, body in batch],
            next_cursor=encode_cursor(start + len(batch)),
        )

    # -- for tests and the CLI -----------------------------------------------------------

    def enqueue(self, kind: str, body: dict[str, Any]) -> None:
        """Offer a message to pull mode (`GET /allocations`)."""
        if kind not in MESSAGE_KINDS:
            raise ValueError(f"kind must be one of {MESSAGE_KINDS}, not {kind!r}")
        with self._cond:
            self.feed.append((kind, body))

    def stats(self) -> dict[str, Any]:
        with self._cond:
            return {
                "events_by_type": dict(self._by_type),
                "events": len(self.events),
                "duplicates": self.duplicates,
                "conflicting_duplicates": self.conflicting_duplicates,
                "rejected_signatures": self.rejected_signatures,
                "shipped": list(self._shipped),
                "posted": self.posted,
                "post_errors": self.post_errors,
                "feed": len(self.feed),
                "pulls": self.pulls,
            }

    def events_of(self, event_type: str, allocation_id: str | None = None) -> list[Event]:
        """Recorded events of one type (and allocation), in arrival order."""
        with self._cond:
            return [
                e
                for e in self.events
                if e.get("type") == event_type
                and (allocation_id is None or e.get("allocation_id") == allocation_id)
            ]

    def wait_for_events(
        self,
        event_type: str | None = None,
        *,
        allocation_id: str | None = None,
        count: int = 1,
        timeout: float = 10.0,
    ) -> list[Event]:
        """Block until `count` recorded events match; returns them all. TimeoutError otherwise."""

        def matching() -> list[Event]:
            return [
                e
                for e in self.events
                if (event_type is None or e.get("type") == event_type)
                and (allocation_id is None or e.get("allocation_id") == allocation_id)
            ]

        with self._cond:
            if self._cond.wait_for(lambda: len(matching()) >= count, timeout=timeout):
                return matching()
            seen = [(e.get("type"), e.get("allocation_id")) for e in self.events]
        raise TimeoutError(
            f"waited {timeout}s for {count} x {event_type or 'any'} event"
            f"{f' on {allocation_id}' if allocation_id else ''}; recorded: {seen}"
        )

    def reset(self) -> None:
        """Forget every recorded event, counter and queued message; faults are cleared too."""
        with self._cond:
            self.events.clear()
            self._seen.clear()
            self._by_type.clear()
            self._shipped.clear()
            self.feed.clear()
            self.duplicates = self.conflicting_duplicates = self.rejected_signatures = 0
            self.pulls = self.posted = self.post_errors = 0
            self.fail_status = None
            self.delay_s = 0.0

    # -- feeder ------------------------------------------------------------------------

    def fetch_catalog(self, app_url: str, session: requests.Session | None = None) -> list[str]:
        """SKUs with available > MIN_AVAILABLE, sorted, from the app's signed, paged
        `GET /api/v1/inventory`. Raises requests.RequestException or ValueError."""
        http = session or requests.Session()
        skus: set[str] = set()
        cursor: str | None = None
        cursors_seen: set[str] = set()
        while True:
            params = {"cursor": cursor} if cursor else None
            response = http.get(
                f"{app_url.rstrip('/')}/api/v1/inventory",
                params=params,
                headers=signed_headers(self.secret, b"", time.time()),
                timeout=HTTP_TIMEOUT_S,
            )
            response.raise_for_status()
            page = response.json()
            if not isinstance(page, dict) or not isinstance(page.get("items"), list):
                raise ValueError("inventory answer has no items list")
            for item in page["items"]:
                available = item.get("available") if isinstance(item, dict) else None
                if isinstance(available, int) and available > MIN_AVAILABLE and item.get("sku"):
                    skus.add(str(item["sku"]))
            next_cursor = page.get("next_cursor")
            if not next_cursor:
                return sorted(skus)
            if next_cursor in cursors_seen:
                raise ValueError(f"inventory paging loops at cursor {next_cursor!r}")
            cursors_seen.add(next_cursor)
            cursor = str(next_cursor)

    def _catalog_or_none(self, app_url: str, session: requests.Session) -> list[str] | None:
        try:
            skus = self.fetch_catalog(app_url, session)
        except (requests.RequestException, ValueError) as exc:
            log.warning("catalog from %s unavailable: %s", app_url, exc)
            return None
        if not skus:
            log.warning("no SKU at %s has more than %d available", app_url, MIN_AVAILABLE)
            return None
        return skus

    def feed_allocations(
        self,
        app_url: str,
        rate_per_min: float,
        total: int | None,
        stop: threading.Event,
        rng_seed: int = 7,
        *,
        start_seq: int = 1,
        retry_s: float = 2.0,
        push: bool = True,
    ) -> None:
        """Send `total` (None: unlimited) random allocations at `rate_per_min` until `stop`.

        Waits for the app's catalog first (retrying every `retry_s`), re-reads it every
        CATALOG_REFRESH_EVERY orders. `push=True` POSTs each allocation, signed, to
        `{app_url}/api/v1/allocations`; `push=False` enqueues it for pull mode instead.
        Failures are counted in `post_errors` and logged; they never end the loop.
        """
        if rate_per_min <= 0:
            raise ValueError("rate_per_min must be positive")
        app_url = app_url.rstrip("/")
        interval = 60.0 / rate_per_min
        rng = random.Random(rng_seed)
        with requests.Session() as session:
            skus = self._catalog_or_none(app_url, session)
            while skus is None:
                if stop.wait(retry_s):
                    return
                skus = self._catalog_or_none(app_url, session)
            log.info("catalog: %d SKUs with stock; feeding %s", len(skus), app_url)

            sent = 0
            next_at = time.monotonic()
            while not stop.is_set() and (total is None or sent < total):
                if sent and sent % CATALOG_REFRESH_EVERY == 0:
                    skus = self._catalog_or_none(app_url, session) or skus
                body = make_allocation(rng, start_seq + sent, skus, datetime.now(UTC))
                if push:
                    self._post_allocation(session, app_url, body)
                else:
                    self.enqueue("allocation", body)
                    with self._cond:
                        self.posted += 1
                sent += 1
                if total is not None and sent >= total:
                    break
                next_at = max(next_at + interval, time.monotonic())
                stop.wait(next_at - time.monotonic())
        log.info("feeder done: %d allocations sent", sent)

    def _post_allocation(
        self, session: requests.Session, app_url: str, body: dict[str, Any]
    ) -> bool:
        raw = json.dumps(body).encode()
        headers = {
            "Content-Type": "application/json",
            **signed_headers(self.secret, raw, time.time()),
        }
        allocation_id = body.get("allocation_id")
        try:
            response = session.post(
                f"{app_url}/api/v1/allocations", data=raw, headers=headers, timeout=HTTP_TIMEOUT_S
            )
        except requests.RequestException as exc:
            with self._cond:
                self.post_errors += 1
            log.warning("allocation %s not delivered: %s", allocation_id, exc)
            return False
        if not 200 <= response.status_code < 300:
            with self._cond:
                self.post_errors += 1
            log.warning(
                "allocation %s answered %d: %s",
                allocation_id,
                response.status_code,
                response.text[:300],
            )
            return False
        with self._cond:
            self.posted += 1
        log.info("allocation %s -> %d %s", allocation_id, response.status_code, response.text[:200])
        return True


# -- CLI ------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dockhand demo-oms",
        description="Run a simulated upstream OMS: feed signed allocations to a Dockhand "
        "app and print the events it reports back.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on")
    parser.add_argument("--app-url", help="base URL of the Dockhand app to feed")
    parser.add_argument("--rate", type=float, default=30.0, help="allocations per minute")
    parser.add_argument("--total", type=int, default=None, help="stop feeding after N")
    parser.add_argument("--secret", help="shared signing secret (default: $DOCKHAND_OMS_SECRET)")
    parser.add_argument("--no-feed", action="store_true", help="only receive events")
    parser.add_argument(
        "--pull",
        action="store_true",
        help="queue allocations for the app to poll at GET /allocations instead of POSTing",
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for the orders")
    parser.add_argument(
        "--start-seq", type=int, default=1, help="number of the first allocation (AL-000001)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    secret = args.secret or os.environ.get("DOCKHAND_OMS_SECRET")
    if not secret:
        parser.print_usage(sys.stderr)
        print("error: give --secret or set DOCKHAND_OMS_SECRET", file=sys.stderr)
        return 2
    if not args.no_feed and not args.app_url:
        parser.print_usage(sys.stderr)
        print("error: --app-url is required unless --no-feed", file=sys.stderr)
        return 2
    if args.rate <= 0 or (args.total is not None and args.total < 0):
        print("error: --rate must be positive and --total not negative", file=sys.stderr)
        return 2

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    oms = DemoOms(secret, host=args.host, port=args.port)
    oms.on_event = lambda event: print(describe_event(event), flush=True)
    try:
        oms.start()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"demo OMS listening on http://{host}:{oms.port}", flush=True)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, on_signal)

    feeder: threading.Thread | None = None
    if not args.no_feed:
        feeder = threading.Thread(
            target=oms.feed_allocations,
            args=(args.app_url, args.rate, args.total, stop),
            kwargs={"rng_seed": args.seed, "start_seq": args.start_seq, "push": not args.pull},
            name="demo-oms-feeder",
            daemon=True,
        )
        feeder.start()
    try:
        while not stop.wait(0.5):
            pass
    finally:
        stop.set()
        if feeder is not None:
            feeder.join(timeout=HTTP_TIMEOUT_S + 1)
        oms.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    stats = oms.stats()
    print(
        f"demo OMS stopped: {stats['events']} events ({stats['duplicates']} duplicates), "
        f"{stats['posted']} allocations sent, {stats['post_errors']} errors",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
