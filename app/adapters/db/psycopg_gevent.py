"""psycopg under gevent: wait for PostgreSQL on gevent's hub directly.

psycopg drives each round trip as a generator that says what it waits for (read, write or
both) and a wait function that blocks until the socket is ready. Under gevent's
monkey-patching psycopg picks `wait_poll`, and gevent emulates `poll()` with a watcher set,
a timeout and a result object per call; its `select()` emulation costs less but still
builds a timeout and a result per call. Here each wait is one io watcher on the hub and a
switch back when it fires. `scan_load.py --workers 2`, back to back (sixth session): worker
CPU 2.05-2.12 ms a scan against 2.20-2.21 with `select()` (2.46 against 2.51 in a slower
phase of the machine), and `select()` 2.18-2.24 against 2.56-2.59 with `poll()`.

A wait with a deadline (psycopg's `timeout`, used by connection attempts and
`notifies(timeout=...)`) goes to psycopg's own `wait_select`, cooperative under gevent.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg.waiting as waiting
from gevent.hub import Waiter, get_hub
from psycopg import errors

PSYCOPG_WAIT = "PSYCOPG_WAIT_FUNC"
_EVENTS = {waiting.WAIT_R: 1, waiting.WAIT_W: 2, waiting.WAIT_RW: 3}  # libev/libuv bits
_READY = {1: waiting.READY_R, 2: waiting.READY_W, 3: waiting.READY_RW}


def use_hub_wait() -> bool:
    """Under gevent's monkey-patching, psycopg waits on the hub (unless the operator chose a
    wait function with PSYCOPG_WAIT_FUNC). True if installed."""
    from gevent import monkey

    if os.environ.get(PSYCOPG_WAIT) or not monkey.is_module_patched("select"):
        return False
    waiting.wait = wait_on_hub
    return True


def wait_on_hub(gen: Any, fileno: int, interval: float = 0.0, timeout: float | None = None) -> Any:
    """psycopg's wait-function protocol (psycopg.waiting.wait) on gevent's hub."""
    if timeout is not None:
        return waiting.wait_select(gen, fileno, interval, timeout)
    hub = get_hub()
    try:
        wanted = next(gen)
        while True:
            io = hub.loop.io(fileno, _EVENTS[wanted])
            waiter = Waiter(hub)
            io.start(waiter.switch, pass_events=True)
            try:
                fired = waiter.get()
            finally:
                io.close()
            ready = _READY.get(fired & 3)
            if ready is None:  # neither readable nor writable: the socket is gone
                raise errors.OperationalError("connection socket closed")
            wanted = gen.send(ready)
    except StopIteration as done:
        return done.value
