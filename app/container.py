"""Everything a handler needs, built once in create_app and passed to services as parameters."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flask import Flask, current_app

from app.adapters.carriers import build_gateways
from app.adapters.carriers.config import karrio_settings_from_env, load_shop_policy
from app.adapters.config_files import load_carriers, load_cartons
from app.adapters.db.engine import make_engine
from app.adapters.db.group_commit import GroupCommitter
from app.adapters.db.uow import SessionFactory
from app.adapters.gs1_config import load_gs1_if_present
from app.adapters.printers import load_station_printers
from app.domain.weighing import Tolerance
from app.services.clock import Clock, system_clock
from app.services.outbox import OutboxPolicy
from app.services.packing import PackContext
from app.services.shipping import ShipContext
from app.settings import Settings
from labels import Address


@dataclass
class Container:
    settings: Settings
    uow: SessionFactory
    clock: Clock
    pack: PackContext
    ship: ShipContext
    tolerance: Tolerance
    outbox_policy: OutboxPolicy
    writer: GroupCommitter


def build_container(settings: Settings, clock: Clock = system_clock) -> Container:
    engine = make_engine(settings.database_url)
    cartons = load_cartons(settings.config_file("cartons.toml"))
    carriers = load_carriers(settings.config_file("carriers.toml"))
    ship_from = Address(
        name=settings.warehouse_name,
        line1=settings.warehouse_line1,
        city=settings.warehouse_city,
        postal_code=settings.warehouse_postal_code,
        country=settings.warehouse_country,
    )
    uow = SessionFactory(engine)
    return Container(
        settings=settings,
        uow=uow,
        writer=GroupCommitter(uow, clock),
        clock=clock,
        pack=PackContext(cartons=cartons, dunnage_g=settings.dunnage_g),
        ship=ShipContext(
            carriers=carriers,
            ship_from=ship_from,
            policy=load_shop_policy(settings.config_file("carriers.toml")),
            gateways=build_gateways(carriers, karrio_settings_from_env(os.environ)),
            printers=load_station_printers(settings.config_file("stations.toml")),
            gs1=load_gs1_if_present(settings.config_file("gs1.toml")),
        ),
        tolerance=Tolerance(settings.weight_tolerance_g, settings.weight_tolerance_pct),
        outbox_policy=OutboxPolicy(
            settings.outbox_max_attempts,
            settings.outbox_backoff_base_s,
            settings.outbox_backoff_max_s,
        ),
    )


def container(app: Flask | None = None) -> Container:
    c: Container = (app or current_app).extensions["dockhand"]
    return c
