"""Blocking work off the event loop. Under `dockhand serve` every station shares one gevent
loop: a call that holds it (decoding a camera frame, verifying an argon2 PIN hash, about
120 ms here) stops every other handheld's scan for as long. Such work runs on the hub's
native thread pool; the C libraries doing it release the GIL, so it also gets the second
core. Outside gevent (tests, tools) it is a plain call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_T = TypeVar("_T")


def run_blocking(fn: Callable[..., _T], *args: Any) -> _T:
    """`fn(*args)` on gevent's thread pool when gevent has patched the standard library
    (its exception, if any, is raised here); a plain call otherwise."""
    try:
        from gevent import monkey

        if monkey.is_module_patched("socket"):
            import gevent

            result: _T = gevent.get_hub().threadpool.apply(fn, args)
            return result
    except ImportError:  # pragma: no cover - gevent is a dependency
        pass
    return fn(*args)
