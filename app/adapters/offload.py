"""Blocking work off the event loop. Under `dockhand serve` every station shares one gevent
loop: a call that holds it (decoding a camera frame, verifying an argon2 PIN hash, about
120 ms here; a SQLite COMMIT waiting for the disk) stops every other handheld's scan for as
long. Such work runs on a native thread pool; the C libraries doing it release the GIL, so
it also gets the second core. Outside gevent (tests, tools) it is a plain call."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")

# Thread pools of their own, by name: commits must not queue behind a shift's worth of
# sign-ins' PIN checks on the hub's shared pool. Per process (a forked worker has none of
# its parent's threads).
_lanes: dict[tuple[int, str], Any] = {}
LANE_SIZE = 2


def cooperative() -> bool:
    """Whether gevent has patched the standard library: one event loop for everyone, where a
    call that waits stops every other greenlet unless it runs through `run_blocking`."""
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return bool(monkey.is_module_patched("socket"))


def run_blocking(fn: Callable[..., _T], *args: Any, lane: str | None = None) -> _T:
    """`fn(*args)` on a native thread when gevent has patched the standard library (its
    exception, if any, is raised here): on the hub's thread pool, or on the pool named
    `lane`. A plain call otherwise."""
    if cooperative():
        result: _T = _pool(lane).apply(fn, args)
        return result
    return fn(*args)


def _pool(lane: str | None) -> Any:
    import gevent

    if lane is None:
        return gevent.get_hub().threadpool
    key = (os.getpid(), lane)
    pool = _lanes.get(key)
    if pool is None:
        from gevent.threadpool import ThreadPool

        pool = _lanes[key] = ThreadPool(LANE_SIZE)
    return pool
