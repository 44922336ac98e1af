"""One object per owner, for what a process keeps per database: made on first use, dropped
with its owner (a weak reference), so that two databases in one process (tests, tools)
never mix and a disposed one leaves nothing behind."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

K = TypeVar("K")
V = TypeVar("V")


class PerOwner(Generic[K, V]):
    def __init__(self, make: Callable[[K], V]) -> None:
        self._make = make
        self._found: WeakKeyDictionary[K, V] = WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, owner: K) -> V:
        found = self._found.get(owner)
        if found is None:
            with self._lock:  # two first uses at once still share one
                found = self._found.get(owner)
                if found is None:
                    found = self._found[owner] = self._make(owner)
        return found

    def forget(self, owner: K | None = None) -> None:
        """Drop the owner's object (every owner's, without one): made again when next used."""
        with self._lock:
            if owner is None:
                self._found.clear()
            else:
                self._found.pop(owner, None)
