"""The returns station: receive parcels, grade units with photos, restock, report."""

from __future__ import annotations

from flask import Flask, current_app

from app.adapters.config_files import load_layout
from app.container import container
from app.domain.returns import BinCapacity
from app.services.returns import ReturnsContext, photo_folder

_KEY = "dockhand.returns"


def returns_context(app: Flask | None = None) -> ReturnsContext:
    """Built once per app from its settings and layout, on first use."""
    app = app or current_app
    ctx: ReturnsContext | None = app.extensions.get(_KEY)
    if ctx is None:
        settings = container(app).settings
        special: dict[str, str] = {}
        layout_file = settings.config_file("warehouse.toml")
        if layout_file.exists():
            special = load_layout(layout_file).special
        ctx = ReturnsContext(
            photo_dir=photo_folder(settings.returns_photo_dir, settings.database_url),
            returns_location=special.get("returns", "R00-00-1"),
            quarantine_location=special.get("quarantine", "Q00-00-1"),
            capacity=BinCapacity(
                settings.returns_pick_face_max_units, settings.returns_reserve_max_units
            ),
        )
        app.extensions[_KEY] = ctx
    return ctx
