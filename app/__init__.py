"""Dockhand: warehouse-floor execution.

`create_app` and `socketio` live in app.factory and are loaded on first use, so that
`dockhand serve` can monkey-patch gevent before Flask, requests or redis import ssl.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.factory import create_app, socketio

__all__ = ["create_app", "socketio"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from app import factory

        return getattr(factory, name)
    raise AttributeError(name)
