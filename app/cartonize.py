"""`dockhand cartonize INSTANCES.json -o RESULTS.json [--group G] [--limit N]`

Runs the 3D cartonizer (app/domain/cartonization.py) over a `carton-instances/v1` file and
writes the results format of the carton benchmark (packer "dockhand", one result per instance
with status, time_ms, boxes and unpacked units). `time_ms` is the packer's own time for the
instance, parsing and writing excluded.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from app.domain.cartonization import cartonize
from app.domain.cartonization_check import validate
from app.domain.cartonization_format import (
    INSTANCES_FORMAT,
    catalog_of,
    failure_json,
    items_of,
    mode_of,
    result_json,
)

PACKER = "dockhand"


def packer_version() -> str:
    try:
        return metadata.version("dockhand")
    except metadata.PackageNotFoundError:
        return "0.0.0+unknown"


def solve(instance: Mapping[str, Any]) -> dict[str, Any]:
    """One instance in, one result out; an exception becomes status "error"."""
    instance_id = str(instance.get("id", ""))
    start = time.perf_counter()
    try:
        items, catalog, mode = items_of(instance), catalog_of(instance), mode_of(instance)
        start = time.perf_counter()
        answer = cartonize(items, catalog, mode=mode)
        elapsed = (time.perf_counter() - start) * 1000
    except (ValueError, KeyError, TypeError) as exc:
        elapsed = (time.perf_counter() - start) * 1000
        return failure_json(instance_id, "error", elapsed, f"{type(exc).__name__}: {exc}")
    return result_json(instance_id, answer, elapsed)


def select(
    instances: list[dict[str, Any]], groups: list[str] | None, limit: int | None
) -> list[dict[str, Any]]:
    """Instances of the given groups (all when none), at most `limit` per group."""
    chosen: list[dict[str, Any]] = []
    taken: dict[str, int] = {}
    for inst in instances:
        group = str(inst.get("group", ""))
        if groups and group not in groups:
            continue
        if limit is not None and taken.get(group, 0) >= limit:
            continue
        taken[group] = taken.get(group, 0) + 1
        chosen.append(inst)
    return chosen


def load_instances(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != INSTANCES_FORMAT:
        raise ValueError(f"{path}: format is {data.get('format')!r}, not {INSTANCES_FORMAT!r}")
    instances: list[dict[str, Any]] = data["instances"]
    return instances


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dockhand cartonize", description=__doc__.split("\n\n")[1])
    p.add_argument("instances", type=Path, help="a carton-instances/v1 JSON file")
    p.add_argument("-o", "--output", type=Path, required=True, help="results JSON to write")
    p.add_argument("--group", action="append", help="only this group (repeatable)")
    p.add_argument("--limit", type=int, help="at most N instances per group")
    p.add_argument("--check", action="store_true", help="validate every answer, report invalid")
    return p


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        instances = select(load_instances(args.instances), args.group, args.limit)
    except (OSError, ValueError, KeyError) as exc:
        print(f"dockhand cartonize: {exc}", file=sys.stderr)
        return 2
    results = []
    invalid = 0
    for inst in instances:
        result = solve(inst)
        if args.check:
            problems = validate(inst, result)
            if problems:
                invalid += 1
                print(f"{inst['id']}: {'; '.join(problems[:3])}", file=sys.stderr)
        results.append(result)
    out = {"packer": PACKER, "packer_version": packer_version(), "results": results}
    args.output.write_text(json.dumps(out, separators=(",", ":")) + "\n", encoding="utf-8")
    failed = sum(r["status"] in ("error", "timeout") for r in results)
    print(
        f"{len(results)} instances, {failed} without an answer"
        + (f", {invalid} invalid" if args.check else "")
        + f" -> {args.output}"
    )
    return 1 if failed or invalid else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
