"""The pack station: verify units by scan or camera, close the recommended carton, keep photos.

Its context is the container's pack context completed with what the pack station alone needs:
the carriers (to price cartons), the "this way up" SKU patterns (`[handling]` in
config/cartons.toml), the photo folder and the station cameras (config/stations.toml).
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.adapters.cameras import CameraHub, load_station_cameras
from app.container import container
from app.services.pack_photos import photo_folder
from app.services.packing import PackContext

_KEY = "dockhand.pack"


def load_handling(path: Path) -> tuple[str, ...]:
    """`[handling] this_way_up = ["CANDLE-*", ...]` from config/cartons.toml."""
    if not path.exists():
        return ()
    with path.open("rb") as fh:
        data: dict[str, Any] = tomllib.load(fh)
    handling = data.get("handling") or {}
    patterns = handling.get("this_way_up", [])
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"{path}: [handling] this_way_up must be a list of SKU patterns")
    return tuple(patterns)


@dataclasses.dataclass
class _PackState:
    base: PackContext
    ship: Any
    ctx: PackContext
    cameras: CameraHub


def _state(app: Flask | None = None) -> _PackState:
    app = app or current_app
    c = container(app)
    state: _PackState | None = app.extensions.get(_KEY)
    # Rebuilt when a test (or a reload) swaps the container's pack or ship context.
    if state is None or state.base is not c.pack or state.ship is not c.ship:
        settings = c.settings
        ctx = dataclasses.replace(
            c.pack,
            carriers=tuple(c.pack.carriers or c.ship.carriers),
            this_way_up=c.pack.this_way_up or load_handling(settings.config_file("cartons.toml")),
            photo_dir=c.pack.photo_dir
            or photo_folder(settings.pack_photo_dir, settings.database_url),
        )
        cameras = (
            state.cameras
            if state is not None
            else CameraHub(load_station_cameras(settings.config_file("stations.toml")))
        )
        state = _PackState(c.pack, c.ship, ctx, cameras)
        app.extensions[_KEY] = state
    return state


def pack_context(app: Flask | None = None) -> PackContext:
    return _state(app).ctx


def camera_hub(app: Flask | None = None) -> CameraHub:
    return _state(app).cameras
