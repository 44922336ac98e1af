"""Stock alerts pushed to the supervisors' room: the background loop runs the alert sweep
(app/services/stock_alerts.AlertWatch) and, when the open alerts change, emits
`stock_alerts` {alerts, new} to everyone signed in on /supervisor."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from app import socketio
from app.adapters.db.leader import Leadership
from app.container import container
from app.services.stock_alerts import AlertWatch
from stations.supervisor.events import ROOM

log = logging.getLogger(__name__)
EVENT = "stock_alerts"


def push_stock_alerts(app: Flask, watch: AlertWatch) -> list[dict[str, Any]] | None:
    """One sweep; emits when the open alerts differ from what was shown. Returns them then."""
    c = container(app)
    before = watch.shown or frozenset()
    # Yields between its slices: scans and the intake go on meanwhile.
    alerts = watch.sweep(c.uow, c.clock, pause=lambda: socketio.sleep(0))
    if alerts is None:
        return None
    new = [a["id"] for a in alerts if a["id"] not in before]
    socketio.emit(EVENT, {"alerts": alerts, "new": new}, namespace="/supervisor", to=ROOM)
    return alerts


def stock_alert_loop(app: Flask) -> None:
    c = container(app)
    # Several workers may run: one sweeps and pushes (through the message queue to all).
    lead = Leadership(c.uow.engine, "stock-alerts")
    while not lead.try_acquire():
        socketio.sleep(5)
    watch = AlertWatch(default_threshold=c.settings.stock_low_available_units)
    while True:
        try:
            push_stock_alerts(app, watch)
        except Exception:
            log.exception("stock alert sweep failed; retrying")
        socketio.sleep(c.settings.stock_alert_poll_s)
