"""Wave planning benchmark, run on demand (not part of the test suite):

    python tests/bench/planning.py [--orders 10000] [--repeat 3]

On the demo layout (10 aisles, 12 bays, front and back cross aisles, depot left of aisle 1):

- plan_10k_s: 10,000 open orders (1-4 lines) planned into waves with batches and routes
  (app.domain.planning.plan: grouping by pickup and profile, savings batching, exact routes);
  median of the repeats;
- route_vs_sshape: mean of optimal / S-shape walk over random pick lists of 5 to 30 stops;
- route_vs_optimal: mean router / brute-force optimum (Held-Karp) on small cases (<= 8
  stops), single-block (exact router) and, separately, a two-block layout (heuristics);
- batching_vs_fcfs: total routed walk of savings batching / first-come-first-served batching
  on random 40-order instances (carts of 8 totes); seed batching alongside.

The last line is one JSON object with those figures, all measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.adapters.wave_config import load_wave_config  # noqa: E402
from app.domain.batching import (  # noqa: E402
    Caps,
    OrderWork,
    fcfs_batches,
    savings_batches,
    seed_batches,
    total_walk,
)
from app.domain.paths import Stop  # noqa: E402
from app.domain.planning import OpenOrder, Rates, plan  # noqa: E402
from app.domain.routing import Geometry, Point, optimal_route, route, s_shape_route  # noqa: E402

FRONT = 2000


def held_karp(geo: Geometry, stops: list[Stop]) -> int:
    pts = list(dict.fromkeys(Point(s.aisle, s.y_mm) for s in stops))
    n = len(pts)
    d0 = [geo.distance(geo.depot, p) for p in pts]
    d = [[geo.distance(p, q) for q in pts] for p in pts]
    best = {(1 << i, i): d0[i] for i in range(n)}
    for mask in range(1, 1 << n):
        for i in range(n):
            c = best.get((mask, i))
            if c is None:
                continue
            for j in range(n):
                if not mask >> j & 1:
                    k = (mask | 1 << j, j)
                    v = c + d[i][j]
                    if v < best.get(k, 1 << 60):
                        best[k] = v
    full = (1 << n) - 1
    return min(best[(full, i)] + d0[i] for i in range(n))


def stops(rng: random.Random, n: int, aisles: int = 10, key0: int = 0) -> list[Stop]:
    return [
        Stop(key0 + i, rng.randint(1, aisles), FRONT + rng.randint(1, 12) * 1200) for i in range(n)
    ]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--orders", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    cfg = load_wave_config(ROOT / "config")
    geo = cfg.geometry
    rng = random.Random(42)

    # Route vs S-shape.
    per_n = {}
    for n in (5, 10, 15, 20, 25, 30):
        ratios = []
        for _ in range(200):
            st = stops(rng, n)
            ratios.append(optimal_route(geo, st).length_mm / s_shape_route(geo, st).length_mm)
        per_n[n] = statistics.mean(ratios)
        print(
            f"picks {n:2d}: optimal / S-shape = {per_n[n]:.3f} "
            f"(S-shape {100 / per_n[n] - 100:.0f}% longer)"
        )
    route_vs_sshape = statistics.mean(per_n.values())

    # Route vs optimal on small cases.
    single, multi = [], []
    geo2 = Geometry(geo.aisle_x_mm, (FRONT, FRONT + 7800, geo.cross_aisles_mm[-1]), geo.depot_x_mm)
    for _ in range(150):
        st = stops(rng, rng.randint(3, 8))
        single.append(route(geo, st).length_mm / held_karp(geo, st))
        multi.append(route(geo2, st).length_mm / held_karp(geo2, st))
    route_vs_optimal = statistics.mean(single)
    print(
        f"router / optimal, single block (exact): mean {route_vs_optimal:.4f}, "
        f"max {max(single):.4f}"
    )
    print(
        f"router / optimal, two blocks (heuristic): mean {statistics.mean(multi):.4f}, "
        f"max {max(multi):.4f}"
    )

    # Batching vs FCFS.
    sav, seed = [], []
    for _ in range(20):
        orders = []
        for i in range(40):
            lines = rng.randint(1, 4)
            orders.append(
                OrderWork(i, tuple(stops(rng, lines, key0=i * 10)), lines=lines, units=lines)
            )
        caps = Caps(totes=8)
        fcfs = total_walk(geo, fcfs_batches(orders, caps))
        sav.append(total_walk(geo, savings_batches(geo, orders, caps)) / fcfs)
        seed.append(total_walk(geo, seed_batches(geo, orders, caps)) / fcfs)
    batching_vs_fcfs = statistics.mean(sav)
    print(f"savings / FCFS walk: {batching_vs_fcfs:.3f}; seed / FCFS: {statistics.mean(seed):.3f}")

    # 10,000 orders planned.
    now = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
    levels = ["standard", "standard", "economy", "express", "next_day"]
    open_orders = []
    for i in range(args.orders):
        lines = rng.choice([1, 1, 1, 2, 2, 3, 4])
        units = lines + rng.choice([0, 0, 1])
        st = tuple(stops(rng, lines, key0=i * 10))
        open_orders.append(
            OpenOrder(
                i,
                f"AL-{i}",
                rng.randint(1, 9),
                rng.choice(levels),
                None,
                now - timedelta(minutes=i % 600),
                st,
                ("A",) * lines,
                lines,
                units,
                weight_g=400 * units,
                volume_cm3=1500 * units,
            )
        )
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        result = plan(open_orders, cfg.calendar, cfg.rules, Rates(), geo, now)
        times.append(time.perf_counter() - t0)
    plan_s = statistics.median(times)
    routes = sum(len(w.batches) for w in result.waves)
    walk = sum(w.route_mm for w in result.waves)
    s_walk = sum(w.s_shape_mm for w in result.waves)
    print(
        f"{args.orders} orders -> {len(result.waves)} waves, {routes} routed walks in "
        f"{plan_s:.2f} s (median of {args.repeat}: {', '.join(f'{t:.2f}' for t in times)}); "
        f"walk {walk / 1000:.0f} m vs S-shape {s_walk / 1000:.0f} m"
    )
    print(
        json.dumps(
            {
                "plan_10k_s": round(plan_s, 2),
                "route_vs_sshape": round(route_vs_sshape, 3),
                "route_vs_optimal": round(route_vs_optimal, 4),
                "route_vs_optimal_multiblock": round(statistics.mean(multi), 4),
                "batching_vs_fcfs": round(batching_vs_fcfs, 3),
                "seed_batching_vs_fcfs": round(statistics.mean(seed), 3),
                "waves": len(result.waves),
                "routed_walks": routes,
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
