"""The weigh station's own dependencies, built once per app when its blueprint is registered:
the station configuration (config/stations.toml), the scale hub and the service context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from app.adapters.station_config import WeighConfig, load_station_config
from app.container import container
from app.domain.weighing import Tolerance
from app.services.scale_hub import ScaleHub
from app.services.weight_qc import WeighContext

NAMESPACE = "/weigh"
SUPERVISOR_ROOM = "weigh:supervisors"
_KEY = "dockhand.weigh"


@dataclass
class WeighWiring:
    config: WeighConfig
    hub: ScaleHub
    ctx: WeighContext


def _emit(event: str, data: dict[str, Any], room: str) -> None:
    from app import socketio

    socketio.emit(event, data, to=room, namespace=NAMESPACE)


def _spawn(target: Any, *args: Any) -> Any:
    from app import socketio

    return socketio.start_background_task(target, *args)


def _sleep(seconds: float) -> Any:
    from app import socketio

    return socketio.sleep(seconds)


def setup(app: Flask) -> WeighWiring:
    """Read stations.toml now, so a bad file stops the server at start-up."""
    settings = container(app).settings
    config = load_station_config(
        settings.config_file("stations.toml"),
        Tolerance(settings.weight_tolerance_g, settings.weight_tolerance_pct),
    )
    wiring = WeighWiring(
        config=config,
        hub=ScaleHub(config, emit=_emit, spawn=_spawn, sleep=_sleep),
        ctx=WeighContext(config.policy, config.learning, config.reasons, config.override_roles),
    )
    app.extensions[_KEY] = wiring
    return wiring


def weigh(app: Flask | None = None) -> WeighWiring:
    target = app or current_app
    found: WeighWiring | None = target.extensions.get(_KEY)
    return found if found is not None else setup(target)
