"""Order batching (app/domain/batching.py): caps are kept, every order lands in one cart, and
savings and seed batching walk less than first come, first served."""

from __future__ import annotations

import random

from app.domain.batching import (
    Caps,
    OrderWork,
    fcfs_batches,
    savings_batches,
    seed_batches,
    total_walk,
)
from app.domain.paths import Stop
from app.domain.routing import Geometry

GEO = Geometry.regular(10, 3000, 2000, 15_600)


def random_orders(rng: random.Random, n: int) -> list[OrderWork]:
    out = []
    for i in range(n):
        lines = rng.randint(1, 4)
        stops = tuple(
            Stop(i * 10 + k, rng.randint(1, 10), 2000 + rng.randint(1, 12) * 1200)
            for k in range(lines)
        )
        out.append(
            OrderWork(
                i,
                stops,
                lines=lines,
                units=lines,
                weight_g=rng.randint(200, 3000),
                volume_cm3=rng.randint(500, 8000),
            )
        )
    return out


def test_every_order_is_in_exactly_one_cart_and_every_cart_fits() -> None:
    orders = random_orders(random.Random(1), 60)
    caps = Caps(totes=6, lines=14, weight_g=9000, volume_cm3=30_000)
    for batches in (
        fcfs_batches(orders, caps),
        savings_batches(GEO, orders, caps),
        seed_batches(GEO, orders, caps),
    ):
        keys = sorted(k for b in batches for k in b.keys)
        assert keys == list(range(60))
        for b in batches:
            assert caps.fits(list(b.orders))


def test_savings_batching_walks_clearly_less_than_first_come_first_served() -> None:
    rng = random.Random(4)
    ratios_savings, ratios_seed = [], []
    for _ in range(8):
        orders = random_orders(rng, 40)
        caps = Caps(totes=8)
        fcfs = total_walk(GEO, fcfs_batches(orders, caps))
        ratios_savings.append(total_walk(GEO, savings_batches(GEO, orders, caps)) / fcfs)
        ratios_seed.append(total_walk(GEO, seed_batches(GEO, orders, caps)) / fcfs)
    assert sum(ratios_savings) / len(ratios_savings) < 0.88
    assert sum(ratios_seed) / len(ratios_seed) < 0.95


def test_an_order_over_the_caps_alone_still_gets_a_cart() -> None:
    big = OrderWork(1, (Stop(1, 1, 3200),), lines=50, units=50)
    small = OrderWork(2, (Stop(2, 1, 4400),), lines=1, units=1)
    caps = Caps(totes=8, lines=10)
    for batches in (
        savings_batches(GEO, [big, small], caps),
        seed_batches(GEO, [big, small], caps),
    ):
        assert sorted(b.keys for b in batches) == [(1,), (2,)]


def test_orders_in_the_same_aisle_share_a_cart() -> None:
    near = [OrderWork(i, (Stop(i, 2, 2000 + 1200 * (i + 1)),)) for i in range(3)]
    far = [OrderWork(10 + i, (Stop(10 + i, 9, 2000 + 1200 * (i + 1)),)) for i in range(3)]
    batches = savings_batches(
        GEO, [near[0], far[0], near[1], far[1], near[2], far[2]], Caps(totes=3)
    )
    assert sorted(b.keys for b in batches) == [(0, 1, 2), (10, 11, 12)]


def test_no_orders_no_carts() -> None:
    assert savings_batches(GEO, [], Caps()) == []
    assert seed_batches(GEO, [], Caps()) == []
    assert fcfs_batches([], Caps()) == []
