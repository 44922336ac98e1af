from __future__ import annotations

from flask import Flask


def register_pages(app: Flask) -> None:
    from stations.count.views import bp as count
    from stations.first_shift.views import bp as first_shift
    from stations.labels.views import bp as labels
    from stations.pack.views import bp as pack
    from stations.pick.views import bp as pick
    from stations.reports.views import bp as reports
    from stations.returns.views import api as returns_api
    from stations.returns.views import bp as returns
    from stations.setup.views import bp as setup
    from stations.ship.views import bp as ship
    from stations.stock.views import bp as stock
    from stations.supervisor.views import bp as supervisor
    from stations.weigh.views import bp as weigh

    for bp in (
        supervisor,
        pick,
        count,
        pack,
        weigh,
        ship,
        returns,
        returns_api,
        reports,
        first_shift,
        stock,
        labels,
        setup,
    ):
        app.register_blueprint(bp)
