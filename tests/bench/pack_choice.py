"""Pack station carton choice benchmark, run on demand (not part of the test suite):

    python tests/bench/pack_choice.py [--orders N] [--seed S]

Random orders drawn from the demo products (1-6 lines of 1-4 units; the demo's "this way up"
rules), shipped to random destinations the demo carriers serve, at random service levels, with
the real catalog (config/cartons.toml) and carriers (config/carriers.toml).

Baseline: the cartonizer's own answer (fewest cartons, then cheapest carton, the rule
BoxPacker-style packers follow), priced the same way: carton cost plus the cheapest carrier
rate per carton at its billable weight. Candidate: `choose_cartons`, lowest total cost.
Prints the share of orders where the choice differs, the total cost of both over all orders
and the saving, and time per order (median / p95, ms) for both, measured in the same run.
The last line is one JSON object with those figures.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.adapters.config_files import load_carriers, load_cartons  # noqa: E402
from app.domain.carton_choice import (  # noqa: E402
    Destination,
    choose_cartons,
    packing_carton,
    rate_carton,
    upright_matcher,
)
from app.domain.cartonization import Item, cartonize  # noqa: E402
from app.domain.cartons import Unit  # noqa: E402
from app.services.seeding import PRODUCTS  # noqa: E402
from stations.pack import load_handling  # noqa: E402

CONFIG = ROOT / "config"
DUNNAGE_G = 20
PLACES = [
    ("GB", "SW1Y 4JH"),
    ("GB", "KW15 1AA"),
    ("IE", "D02 X285"),
    ("FR", "75001"),
    ("DE", "10115"),
]
LEVELS = ["economy", "standard", "standard", "express"]


def orders(n: int, seed: int) -> list[tuple[list[Unit], Destination]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        units: list[Unit] = []
        for base, _, dims, weight in rng.sample(PRODUCTS, rng.randint(1, 6)):
            units += [Unit(f"{base}-BLK-S", dims, weight)] * rng.randint(1, 4)
        country, postal = rng.choice(PLACES)
        out.append((units, Destination(country, rng.choice(LEVELS), postal)))
    return out


def baseline_total(units: list[Unit], dest: Destination, catalog, carriers, upright) -> int | None:
    counts: dict[tuple[str, tuple[int, int, int], int], int] = {}
    for u in units:
        counts[(u.sku, u.dims_mm, u.weight_g)] = counts.get((u.sku, u.dims_mm, u.weight_g), 0) + 1
    items = [
        Item(f"{sku}#{i}", dims, w, q, keep_flat=upright(sku))
        for i, ((sku, dims, w), q) in enumerate(counts.items())
    ]
    by_code = {c.code: c for c in catalog}
    result = cartonize(items, [packing_carton(c, DUNNAGE_G) for c in catalog])
    total = 0
    for packed in result.cartons:
        carton = by_code[packed.carton.id]
        gross = carton.tare_g + DUNNAGE_G + packed.contents_weight
        rate = rate_carton(carriers, dest, gross, carton.outer_mm)
        if rate is None:
            return None
        total += carton.cost_minor + rate.price_minor
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    catalog = load_cartons(CONFIG / "cartons.toml")
    carriers = load_carriers(CONFIG / "carriers.toml")
    upright = upright_matcher(load_handling(CONFIG / "cartons.toml"))
    base_ms: list[float] = []
    choice_ms: list[float] = []
    base_sum = choice_sum = compared = differs = 0
    for units, dest in orders(args.orders, args.seed):
        t0 = time.perf_counter()
        base = baseline_total(units, dest, catalog, carriers, upright)
        base_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        choice = choose_cartons(
            units, catalog, carriers, dest, dunnage_g=DUNNAGE_G, upright=upright
        )
        choice_ms.append((time.perf_counter() - t0) * 1000)
        if base is None or choice.chosen is None or not choice.chosen.rated or choice.unfit:
            continue
        compared += 1
        base_sum += base
        choice_sum += choice.chosen.total_minor
        differs += choice.chosen.total_minor < base
        assert choice.chosen.total_minor <= base, "the choice must never cost more"

    def q(values: list[float], p: float) -> float:
        return statistics.quantiles(values, n=100)[int(p) - 1] if len(values) > 1 else values[0]

    figures = {
        "orders": args.orders,
        "compared": compared,
        "cheaper_orders_pct": round(100 * differs / max(1, compared), 1),
        "baseline_total_minor": base_sum,
        "choice_total_minor": choice_sum,
        "saving_pct": round(100 * (base_sum - choice_sum) / max(1, base_sum), 2),
        "baseline_median_ms": round(statistics.median(base_ms), 3),
        "baseline_p95_ms": round(q(base_ms, 95), 3),
        "choice_median_ms": round(statistics.median(choice_ms), 3),
        "choice_p95_ms": round(q(choice_ms, 95), 3),
        "time_ratio_median": round(statistics.median(choice_ms) / statistics.median(base_ms), 2),
    }
    print(f"orders {args.orders}, priced and compared {compared}")
    print(
        f"lowest-total-cost choice cheaper than fewest-cartons-then-cheapest on "
        f"{figures['cheaper_orders_pct']} % of orders"
    )
    print(
        f"total {base_sum / 100:.2f} -> {choice_sum / 100:.2f} (saving {figures['saving_pct']} %)"
    )
    print(
        f"time per order: baseline median {figures['baseline_median_ms']} ms "
        f"(p95 {figures['baseline_p95_ms']}), choice median {figures['choice_median_ms']} ms "
        f"(p95 {figures['choice_p95_ms']}), ratio {figures['time_ratio_median']}"
    )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
