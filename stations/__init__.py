"""Station packages: each has events.py (its Socket.IO namespace), views.py (its page)."""

from __future__ import annotations

from flask import Flask


def register_stations(app: Flask) -> None:
    from app import socketio
    from stations.pack.events import PackNamespace
    from stations.pick.events import PickNamespace
    from stations.reports.events import ReportsNamespace
    from stations.returns.events import ReturnsNamespace
    from stations.ship.events import ShipNamespace
    from stations.supervisor.events import SupervisorNamespace
    from stations.views import register_pages
    from stations.weigh.events import WeighNamespace

    register_pages(app)
    for ns in (
        SupervisorNamespace("/supervisor"),
        PickNamespace("/pick"),
        PackNamespace("/pack"),
        WeighNamespace("/weigh"),
        ShipNamespace("/ship"),
        ReturnsNamespace("/returns"),
        ReportsNamespace("/reports"),
    ):
        socketio.on_namespace(ns)
    if app.extensions["dockhand"].settings.bench_endpoints:
        from stations.bench.events import BenchNamespace

        socketio.on_namespace(BenchNamespace("/bench"))
