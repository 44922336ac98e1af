"""Station set-up's dependencies, built once per app when its blueprint is registered: the
saved devices over the config files, hooked into where the stations resolve theirs (the ship
station's printer, the weigh station's scale hub)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app

from app.adapters.setup_config import load_carrier_accounts, load_station_tables
from app.container import container
from app.services.scale_hub import ScaleHub
from app.services.station_setup import SetupBase, StationSetup
from stations.weigh.wiring import weigh

_KEY = "dockhand.setup"


@dataclass
class SetupWiring:
    setup: StationSetup
    hub: ScaleHub

    def sync(self) -> None:
        """After a save in this process: the weigh station reads the new scale at once."""
        self.setup.invalidate()
        self.setup.sync_hub(self.hub)


def setup(app: Flask) -> SetupWiring:
    c = container(app)
    scales = weigh(app)
    settings = c.settings
    base = SetupBase(
        tables=load_station_tables(settings.config_file("stations.toml")),
        weigh=scales.config,
        printers=dict(c.ship.printers),
        accounts=load_carrier_accounts(settings.config_file("carriers.toml")),
        tolerance=c.tolerance,
    )
    saved = StationSetup(c.uow, base)
    hub = scales.hub
    hub.before_resolve = lambda: saved.sync_hub(hub)
    c.ship = dataclasses.replace(
        c.ship, resolve_printer=saved.printer, resolve_account=saved.account
    )
    wiring = SetupWiring(saved, hub)
    app.extensions[_KEY] = wiring
    return wiring


def station_setup(app: Flask | None = None) -> SetupWiring:
    target = app or current_app
    found: SetupWiring | None = target.extensions.get(_KEY)
    return found if found is not None else setup(target)


def saved_camera(station: str | None, app: Flask | None = None) -> dict[str, Any] | None:
    """The browser camera saved for ``station`` on the set-up page (``{"label",
    "device_id"}``), for the pick and pack pages to open; None when nothing is saved."""
    return station_setup(app).setup.camera(station) if station else None
