from __future__ import annotations

from typing import cast

from flask import Blueprint, Flask, abort, render_template
from flask.blueprints import BlueprintSetupState

from app.services.errors import NotFound
from stations.weigh.wiring import setup, weigh

bp = Blueprint("weigh", __name__, template_folder="templates")


@bp.record_once
def _wire(state: BlueprintSetupState) -> None:
    setup(cast(Flask, state.app))  # at create_app: a bad stations.toml stops start-up


@bp.get("/weigh")
@bp.get("/weigh/<station_id>")
def page(station_id: str | None = None) -> str:
    """`/weigh` is the default station; a kiosk at another bench opens `/weigh/<id>`."""
    wiring = weigh()
    try:
        info = wiring.hub.describe(station_id)
    except NotFound:
        abort(404)
    others = [
        {"id": s.id, "name": s.name} for s in wiring.config.stations.values() if s.id != info["id"]
    ]
    return render_template(
        "weigh.html",
        station="weigh",
        weigh_station=info,
        other_stations=others,
        reasons=wiring.config.reasons,
    )
