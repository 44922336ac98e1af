"""The demo warehouse: a layout from config/warehouse.toml, about 200 SKUs with valid GTINs,
stock in pick faces and reserve, and a few users per role. Deterministic for a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from app.adapters.config_files import Layout
from app.adapters.db import repositories as repo
from app.adapters.db.models import Barcode, Location, Sku, Stock, User
from app.adapters.db.uow import SessionFactory
from app.services import practice_stock, replenishment
from app.services.auth import hash_secret
from app.services.clock import Clock

PRODUCTS = [
    ("TSHIRT", "T-shirt", (300, 250, 20), 180),
    ("HOODIE", "Hoodie", (350, 300, 60), 520),
    ("MUG", "Mug", (120, 95, 95), 350),
    ("BOTTLE", "Water bottle", (260, 75, 75), 240),
    ("CAP", "Cap", (270, 190, 110), 110),
    ("SOCKS", "Socks 3-pack", (220, 120, 40), 150),
    ("NOTEBOOK", "Notebook A5", (210, 148, 15), 260),
    ("CANDLE", "Candle", (90, 90, 110), 420),
    ("LAMP", "Desk lamp", (380, 180, 160), 1450),
    ("SPEAKER", "Speaker", (200, 110, 110), 780),
]
VARIANTS = ["BLK", "WHT", "RED", "BLU", "GRN"]
SIZES = ["S", "M", "L", "XL"]


def ean13(payload12: str) -> str:
    """GS1 check digit (weights 1,3 from the left) for a 12-digit payload."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(payload12))
    return payload12 + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class SeedReport:
    skus: int
    locations: int
    units: int
    users: int


def seed_demo(
    uow: SessionFactory, layout: Layout, clock: Clock, seed: int = 42, sku_count: int = 200
) -> SeedReport:
    rng = random.Random(seed)
    now = clock()
    with uow() as tx:
        s = tx.session
        if s.scalar(select(func.count(Sku.id))):
            raise RuntimeError("this database already has SKUs; seed only an empty database")
        locations = _locations(layout)
        s.add_all(locations)
        users = _users()
        s.add_all(users)
        s.flush()
        picks = [loc for loc in locations if loc.kind == "pick"]
        reserves = [loc for loc in locations if loc.kind == "reserve"]
        if not picks or not reserves:
            # The demo stocks every SKU in one pick face and one reserve location.
            raise RuntimeError("the layout needs pick faces and reserve levels (pick_levels)")
        rng.shuffle(picks)
        rng.shuffle(reserves)
        units = 0
        for n in range(sku_count):
            base, name, dims, weight = PRODUCTS[n % len(PRODUCTS)]
            variant = VARIANTS[(n // len(PRODUCTS)) % len(VARIANTS)]
            size = SIZES[(n // (len(PRODUCTS) * len(VARIANTS))) % len(SIZES)]
            code = f"{base}-{variant}-{size}"
            if n >= len(PRODUCTS) * len(VARIANTS) * len(SIZES):
                code += f"-{n}"
            sku = Sku(
                sku=code,
                name=f"{name} {variant.lower()} {size}",
                length_mm=dims[0],
                width_mm=dims[1],
                height_mm=dims[2],
                weight_g=weight + rng.randint(-10, 10),
            )
            sku.barcodes.append(Barcode(code=ean13(f"501234{n:06d}"), kind="gtin"))
            s.add(sku)
            s.flush()
            for loc, qty in (
                (picks[n % len(picks)], rng.randint(60, 120)),
                (reserves[n % len(reserves)], rng.randint(100, 300)),
            ):
                stock = Stock(location_id=loc.id, sku_id=sku.id, lot="", on_hand=0, allocated=0)
                s.add(stock)
                s.flush()
                repo.move_stock(
                    s,
                    stock,
                    on_hand_delta=qty,
                    reason="receipt",
                    reference="demo seed",
                    actor="seed",
                    now=now,
                )
                units += qty
        replenishment.seed_demo_rules(s, now)  # min/max for every stocked pick face
        practice_stock.seed_practice(s, now)  # practice bins and items for first shifts
        report = SeedReport(sku_count, len(locations), units, len(users))
        # The initial load is not news for the OMS: it reads /api/v1/inventory to start.
        s.info.pop("available_changed", None)
        tx.commit()
        return report


def _locations(layout: Layout) -> list[Location]:
    # Pick faces and reserve levels as the layout says (config/warehouse.toml pick_levels);
    # the special locations (pack, ship, returns, quarantine, receiving) last.
    return [
        Location(
            code=p.code,
            kind=p.kind,
            zone=p.zone,
            aisle=p.aisle,
            bay=p.bay,
            level=p.level,
            x_mm=p.x_mm,
            y_mm=p.y_mm,
        )
        for p in layout.locations()
    ]


DEMO_PIN = "1234"  # floor roles
DEMO_PASSWORD = "1234"  # supervisors and admins: the demo keeps one secret for everyone


def _users() -> list[User]:
    # One hash per secret for the whole demo crew: argon2 is slow on purpose.
    pin_hash, password_hash = hash_secret(DEMO_PIN), hash_secret(DEMO_PASSWORD)
    people: list[tuple[str, str, str]] = [
        ("U0001", "Sam Supervisor", "supervisor"),
        ("U0002", "Alex Admin", "admin"),
    ]
    people += [(f"U{10 + i:04d}", f"Picker {i + 1}", "picker") for i in range(20)]
    people += [(f"U{40 + i:04d}", f"Packer {i + 1}", "packer") for i in range(6)]
    people += [(f"U{60 + i:04d}", f"Shipper {i + 1}", "shipper") for i in range(4)]
    return [
        User(
            badge=b,
            name=n,
            role=r,
            pin_hash=password_hash if r in ("supervisor", "admin") else pin_hash,
        )
        for b, n, r in people
    ]


def describe(report: SeedReport) -> dict[str, Any]:
    return {
        "skus": report.skus,
        "locations": report.locations,
        "units": report.units,
        "users": report.users,
    }


__all__ = ["SeedReport", "describe", "ean13", "seed_demo"]
