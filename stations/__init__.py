"""Station packages: each has events.py (its Socket.IO namespace), views.py (its page)."""

from __future__ import annotations

from flask import Flask


def register_stations(app: Flask) -> None:
    from app import socketio
    from stations.count.events import CountNamespace, CountReviewNamespace
    from stations.first_shift.events import FirstShiftNamespace
    from stations.pack.events import PackNamespace
    from stations.pick.events import PickNamespace
    from stations.reports.events import ReportsNamespace
    from stations.returns.events import ReturnsNamespace
    from stations.setup.events import SetupNamespace
    from stations.ship.events import ShipNamespace
    from stations.stock.events import StockNamespace
    from stations.supervisor.events import SupervisorNamespace
    from stations.views import register_pages
    from stations.weigh.events import WeighNamespace

    register_pages(app)
    for ns in (
        SupervisorNamespace("/supervisor"),
        PickNamespace("/pick"),
        CountNamespace("/count"),
        CountReviewNamespace("/count_review"),
        PackNamespace("/pack"),
        WeighNamespace("/weigh"),
        ShipNamespace("/ship"),
        ReturnsNamespace("/returns"),
        ReportsNamespace("/reports"),
        FirstShiftNamespace("/first-shift"),
        StockNamespace("/stock"),
        SetupNamespace("/setup"),
    ):
        socketio.on_namespace(ns)
    if app.extensions["dockhand"].settings.bench_endpoints:
        from stations.bench.events import BenchNamespace

        socketio.on_namespace(BenchNamespace("/bench"))
