"""Carton benchmark, run on demand (not part of the test suite):

    python tests/bench/cartons.py [--group efficiency_3d] [--limit N] [--budget-s S]

Packs the public BoxPacker-derived instances (../shared/bench/cartons/boxpacker_instances.json
beside the repo), validates every answer with app.domain.cartonization_check.validate, and
prints per group: instances, valid %, cartons used against BoxPacker's (sum, and % of instances
with no more cartons than BoxPacker), total inner carton volume against BoxPacker's (m³; for the
efficiency sets BoxPacker's cartons are recovered from its carton count and utilisation), mean
utilisation, units resting on nothing, and time per instance (median / p95 / max ms, the
packer's own wall-clock time by time.perf_counter; cpu_ms = process CPU time around the whole
call, for a machine shared with other work). The last line is one JSON object with those
figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from itertools import combinations_with_replacement
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from app.cartonize import load_instances, select, solve  # noqa: E402
from app.domain.cartonization_check import validate  # noqa: E402

DEFAULT = ROOT.parent / "shared/bench/cartons/boxpacker_instances.json"


def _vol(d: list[int]) -> int:
    return d[0] * d[1] * d[2]


def item_volume(inst: dict[str, Any]) -> int:
    return sum(_vol(it["dims"]) * it["qty"] for it in inst["items"])


def reference_volume(inst: dict[str, Any]) -> int | None:
    """Inner volume of the cartons BoxPacker used: from its box types when the reference names
    them, else the combination of its carton count whose utilisation matches its figure."""
    ref = inst["reference"]
    vols = {b["id"]: _vol(b["inner"]) for b in inst["boxes"]}
    if "boxpacker_box_types" in ref:
        return sum(vols[k] * n for k, n in ref["boxpacker_box_types"].items())
    n, util = ref.get("boxpacker_boxes"), ref.get("boxpacker_utilisation")
    if n is None or util is None:
        return None
    if n == 0:
        return 0
    iv = item_volume(inst)
    best: tuple[float, int] | None = None
    for combo in combinations_with_replacement(sorted(vols.values()), n):
        v = sum(combo)
        gap = abs(iv / v * 100 - util)
        if best is None or gap < best[0]:
            best = (gap, v)
    return best[1] if best else None


def unsupported(result: dict[str, Any]) -> int:
    """Units above the floor with no other unit's top face under any part of them."""
    count = 0
    for box in result["boxes"]:
        solids = [(p["pos"], p["dims"]) for p in box["items"]]
        for pos, dims in solids:
            if pos[2] == 0:
                continue
            if not any(
                q[2] + e[2] == pos[2]
                and q[0] < pos[0] + dims[0]
                and pos[0] < q[0] + e[0]
                and q[1] < pos[1] + dims[1]
                and pos[1] < q[1] + e[1]
                for q, e in solids
            ):
                count += 1
    return count


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def summarise(group: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    valid = [r for r in rows if r["valid"]]
    times = [r["time_ms"] for r in rows]
    cpus = [r["cpu_ms"] for r in rows]
    out: dict[str, Any] = {
        "group": group,
        "instances": n,
        "valid_pct": round(100 * len(valid) / n, 2) if n else 0.0,
        "time_ms_median": round(statistics.median(times), 2) if times else 0.0,
        "time_ms_mean": round(statistics.fmean(times), 2) if times else 0.0,
        "time_ms_p95": round(_pct(times, 0.95), 2),
        "time_ms_max": round(max(times), 2) if times else 0.0,
        "cpu_ms_median": round(statistics.median(cpus), 2) if cpus else 0.0,
        "cpu_ms_p95": round(_pct(cpus, 0.95), 2),
        "cpu_ms_max": round(max(cpus), 2) if cpus else 0.0,
        "unsupported_units": sum(r["unsupported"] for r in rows),
        "unpacked_units": sum(r["unpacked"] for r in rows),
    }
    counted = [r for r in rows if r["ref_boxes"] is not None]
    if counted:
        out["cartons"] = sum(r["boxes"] for r in counted)
        out["cartons_boxpacker"] = sum(r["ref_boxes"] for r in counted)
        ok = [r for r in counted if r["valid"] and r["boxes"] <= r["ref_boxes"]]
        out["le_boxpacker_pct"] = round(100 * len(ok) / len(counted), 2)
        out["fewer_than_boxpacker"] = sum(
            1 for r in counted if r["valid"] and r["boxes"] < r["ref_boxes"]
        )
        out["more_than_boxpacker"] = sum(1 for r in counted if r["boxes"] > r["ref_boxes"])
    with_vol = [r for r in rows if r["ref_volume"] is not None]
    if with_vol:
        out["inner_m3"] = round(sum(r["volume"] for r in with_vol) / 1e9, 3)
        out["inner_m3_boxpacker"] = round(sum(r["ref_volume"] for r in with_vol) / 1e9, 3)
    utils = [r["util"] for r in rows if r["boxes"]]
    out["mean_util_pct"] = round(statistics.fmean(utils), 2) if utils else 0.0
    ref_utils = [r["ref_util"] for r in rows if r["ref_util"] is not None]
    if ref_utils:
        out["mean_util_pct_boxpacker"] = round(statistics.fmean(ref_utils), 2)
    return out


def run(instances: list[dict[str, Any]], budget_s: float | None, show: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    start = time.perf_counter()
    shown = 0
    for inst in instances:
        if budget_s is not None and time.perf_counter() - start > budget_s:
            print(f"time budget of {budget_s} s spent after {len(rows)} instances")
            break
        cpu = time.process_time()
        result = solve(inst)
        cpu = time.process_time() - cpu
        problems = validate(inst, result)
        ref = inst.get("reference", {})
        inner = {b["id"]: _vol(b["inner"]) for b in inst["boxes"]}
        items = {it["id"]: _vol(it["dims"]) for it in inst["items"]}
        volume = sum(inner.get(b["box_id"], 0) for b in result["boxes"])
        packed = sum(items.get(p["item_id"], 0) for b in result["boxes"] for p in b["items"])
        row = {
            "id": inst["id"],
            "group": inst["group"],
            "valid": not problems,
            "boxes": len(result["boxes"]),
            "volume": volume,
            "util": 100 * packed / volume if volume else 0.0,
            "unpacked": len(result["unpacked"]),
            "time_ms": result["time_ms"],
            "cpu_ms": cpu * 1000,
            "unsupported": unsupported(result) if not problems else 0,
            "ref_boxes": ref.get("boxpacker_boxes"),
            "ref_volume": reference_volume(inst),
            "ref_util": ref.get("boxpacker_utilisation"),
        }
        rows.append(row)
        if problems:
            print(f"INVALID {inst['id']}: {'; '.join(problems[:4])}")
        elif (
            show
            and shown < show
            and row["ref_boxes"] is not None
            and (row["boxes"] > row["ref_boxes"])
        ):
            shown += 1
            print(f"more cartons than BoxPacker: {inst['id']} {row['boxes']} vs {row['ref_boxes']}")
    return rows


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--file", type=Path, default=DEFAULT)
    p.add_argument("--group", action="append", help="only this group (repeatable)")
    p.add_argument("--limit", type=int, help="at most N instances per group")
    p.add_argument("--budget-s", type=float, help="stop starting instances after S seconds")
    p.add_argument("--show", type=int, default=0, help="list up to N instances worse than BP")
    args = p.parse_args(argv)
    if not args.file.exists():
        print(f"no instances at {args.file}")
        return 2
    instances = select(load_instances(args.file), args.group, args.limit)
    rows = run(instances, args.budget_s, args.show)
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["group"], []).append(r)
    summary = [summarise(g, rs) for g, rs in groups.items()]
    for s in summary:
        line = ", ".join(f"{k}={v}" for k, v in s.items() if k != "group")
        print(f"{s['group']}: {line}")
    print(json.dumps({"groups": summary}))
    return 0 if all(s["valid_pct"] == 100 for s in summary) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
