"""`create_app()` wires settings, database and stations; `socketio` is the one Socket.IO server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, Request
from flask_socketio import SocketIO
from werkzeug.routing import MapAdapter

from app.settings import Settings, load_settings
from app.web.packets import JsonOncePacket

socketio = SocketIO()

ROOT = Path(__file__).resolve().parent.parent


class DockhandFlask(Flask):
    """Flask, except that a Socket.IO event's request context matches no URL.

    Flask-SocketIO pushes a request context built from the connection's environ for every
    event; matching its path (/socket.io/, no Flask route) against the URL map and building
    the NotFound it ends in cost a tenth of a pick scan's CPU, for a result nothing reads:
    station handlers build no URLs."""

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        if request is not None and request.environ.get("PATH_INFO", "").startswith("/socket.io"):
            return None
        return super().create_url_adapter(request)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    from app.container import build_container
    from app.web import register_web
    from stations import register_stations

    settings = settings or load_settings()
    if overrides:
        settings = settings.with_overrides(**overrides)
    app = DockhandFlask(
        __name__,
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
        template_folder=str(ROOT / "app" / "web" / "templates"),
    )
    app.config.update(SECRET_KEY=settings.secret_key, JSON_SORT_KEYS=False)
    app.extensions["dockhand"] = build_container(settings)
    register_web(app)
    # Flask-SocketIO keeps the last app's queue manager in its options; an app without a
    # message queue (another app in the same process: tests, tools) must not inherit it.
    socketio.server_options.pop("client_manager", None)
    socketio.init_app(
        app,
        async_mode=settings.async_mode or None,
        message_queue=settings.message_queue or None,
        channel=settings.message_queue_channel,
        serializer=JsonOncePacket,
    )
    # After init_app: on_namespace then registers on this app's Socket.IO server. Before it,
    # every app but a process's first registered on the previous app's server, and the new
    # one got the first app's namespaces (a /bench enabled later was missing).
    register_stations(app)
    return app
