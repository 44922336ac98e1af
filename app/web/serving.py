"""The single-process server of `dockhand serve`: gevent's WSGI server with WebSocket
support, as `socketio.run` builds it, with two differences that matter to the OMS webhooks
(docs/oms.md, "Throughput"):

- TCP_NODELAY on every accepted connection. gevent writes a response's status line and
  headers, then its body, in two sends; without it Nagle's algorithm holds the body until
  the client acknowledges the headers, and a client delays that acknowledgement by up to
  40 ms. Every webhook on a keep-alive connection then waited about 40 ms, whatever the
  server's load: 16 connections could never send more than about 300 a second.
  (gunicorn, `dockhand serve --workers N`, sets TCP_NODELAY itself.)
- The access log is off when asked to be (`socketio.run(log_output=False)` turned off
  gevent's, but geventwebsocket's handler wrote one INFO line per request anyway).
"""

from __future__ import annotations

import contextlib
import gc
import socket
from typing import Any

from geventwebsocket.handler import WebSocketHandler


class NoDelayHandler(WebSocketHandler):  # type: ignore[misc]
    """geventwebsocket's handler on a connection with Nagle's algorithm off."""

    access_log = False

    def handle(self) -> None:
        with contextlib.suppress(OSError):  # not TCP (a Unix socket): nothing to turn off
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().handle()

    def log_request(self) -> None:
        if self.access_log:
            super().log_request()


def unmask(header: Any, payload: bytes) -> bytearray:
    """A client frame's payload XORed with its four-byte mask (RFC 6455, 5.3), as
    geventwebsocket's `Header.unmask_payload` does it, but as one XOR of two integers in C
    rather than a Python loop over the bytes: 13 µs against 1 for a 200-byte scan, 6.7 ms
    against 0.27 for a 100 kB camera frame, all of it holding the one event loop."""
    n = len(payload)
    if not n:
        return bytearray()
    key = int.from_bytes((header.mask * (n // 4 + 1))[:n], "big")
    return bytearray((int.from_bytes(payload, "big") ^ key).to_bytes(n, "big"))


def fast_frame_unmasking() -> None:
    """Have geventwebsocket unmask incoming frames with `unmask` (`dockhand serve` and the
    gunicorn workers of app/wsgi.py). Clients mask every frame they send; the server never
    masks, so only reading changes."""
    from geventwebsocket.websocket import Header

    Header.unmask_payload = unmask


# gen1 collections between two full ones (Python's default is 10): see tune_garbage_collector.
FULL_COLLECTION_EVERY = 1000


def tune_garbage_collector() -> None:
    """Fewer, shorter stops of the whole process for the cycle collector. Called by
    `dockhand serve` and by the gunicorn entry (app/wsgi.py) once the app is built.

    Everything loaded at start-up (modules, the ORM's mappers, the app) lives as long as the
    process: frozen, out of the collector's sight. Full collections then walk only what
    serving created, but with so little left in sight Python starts one every ten gen1
    collections: under 200 handhelds, one every one to two seconds, each stopping every
    scan in flight for 25-50 ms (the largest share of the tail in docs/scan-throughput.md).
    A hundredth as many: cyclic garbage that outlives two younger collections is rare, and
    the young generations still run as often as before. `dockhand_gc_pause_seconds` in
    /metrics shows what the collections cost."""
    gc.collect()
    gc.freeze()
    gen0, gen1, _gen2 = gc.get_threshold()
    gc.set_threshold(gen0, gen1, FULL_COLLECTION_EVERY)


def make_server(app: Any, host: str, port: int, access_log: bool = False) -> Any:
    """The WSGI server for `app` (already wrapped by Flask-SocketIO) on host:port."""
    from gevent import pywsgi

    fast_frame_unmasking()
    handler = type("Handler", (NoDelayHandler,), {"access_log": access_log})
    return pywsgi.WSGIServer((host, port), app, handler_class=handler, log=None)


def serve(app: Any, host: str, port: int, access_log: bool = False) -> None:
    """Serve until the process ends (what `socketio.run(app, host, port)` does on gevent)."""
    make_server(app, host, port, access_log).serve_forever()
