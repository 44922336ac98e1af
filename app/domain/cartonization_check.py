"""Is a cartonization answer valid? `validate(instance, result)` checks one result of the
`carton-instances/v1` results format against its instance, rule by rule as the benchmark README
states them, and returns the problems found (empty = valid).

It reads the JSON shapes directly and shares no code with the packer, so a packer bug cannot
hide itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def _triple(value: Any) -> tuple[int, int, int] | None:
    if (
        isinstance(value, list | tuple)
        and len(value) == 3
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    ):
        return (value[0], value[1], value[2])
    return None


def _vertical_edges(item: Mapping[str, Any]) -> list[int]:
    allowed = item.get("allowed_vertical")
    if allowed is not None:
        return [i for i in range(3) if allowed[i]]
    if item.get("keep_flat"):
        return [2]
    return [0, 1, 2]


def rotation_allowed(item: Mapping[str, Any], dims: Sequence[int]) -> bool:
    """`dims` is the item's extents turned a way its `keep_flat` / `allowed_vertical` allow."""
    own = list(item["dims"])
    if sorted(own) != sorted(dims):
        return False
    return any(own[i] == dims[2] for i in _vertical_edges(item))


def fits_alone(item: Mapping[str, Any], box: Mapping[str, Any]) -> bool:
    """One unit of `item` goes into an empty `box`: some allowed turn fits the inner extents and
    the gross weight stays within the limit."""
    if box["empty_weight"] + item["weight"] > box["max_weight"]:
        return False
    a, b, c = item["dims"]
    inner = box["inner"]
    turns = [(a, b, c), (a, c, b), (b, a, c), (b, c, a), (c, a, b), (c, b, a)]
    return any(rotation_allowed(item, t) and all(t[i] <= inner[i] for i in range(3)) for t in turns)


def _overlaps(boxes: list[tuple[int, int, int, int, int, int, int]]) -> list[tuple[int, int]]:
    """Pairs (by index) of boxes sharing positive volume; sweep along x."""
    order = sorted(boxes, key=lambda b: b[0])
    found: list[tuple[int, int]] = []
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            if b[0] >= a[3]:
                break
            if b[1] < a[4] and a[1] < b[4] and b[2] < a[5] and a[2] < b[5]:
                found.append((a[6], b[6]))
    return found


def validate(instance: Mapping[str, Any], result: Mapping[str, Any]) -> list[str]:
    """Every validity rule of the benchmark README; each broken one is one message."""
    problems: list[str] = []
    status = result.get("status")
    if status not in ("ok", "partial"):
        return [f"status {status!r}: no answer"]
    if result.get("id") != instance.get("id"):
        problems.append(f"result id {result.get('id')!r} is not instance {instance.get('id')!r}")
    items = {it["id"]: it for it in instance["items"]}
    catalog = {b["id"]: b for b in instance["boxes"]}
    mode = instance.get("mode", "cartonize")
    seen = dict.fromkeys(items, 0)
    boxes = result.get("boxes", [])
    unpacked = result.get("unpacked", [])
    if mode == "single_box" and len(boxes) > 1:
        problems.append(f"single_box mode: {len(boxes)} containers used")
    for n, box in enumerate(boxes):
        where = f"box {n} ({box.get('box_id')!r})"
        spec = catalog.get(box.get("box_id"))
        if spec is None:
            problems.append(f"{where}: not in the instance's catalog")
            continue
        placements = box.get("items", [])
        if not placements:
            problems.append(f"{where}: empty carton")
        inner = spec["inner"]
        weight = spec["empty_weight"]
        solids: list[tuple[int, int, int, int, int, int, int]] = []
        for k, p in enumerate(placements):
            item = items.get(p.get("item_id"))
            label = f"{where} placement {k} ({p.get('item_id')!r})"
            if item is None:
                problems.append(f"{label}: unknown item id")
                continue
            seen[item["id"]] += 1
            weight += item["weight"]
            pos, dims = _triple(p.get("pos")), _triple(p.get("dims"))
            if pos is None or dims is None:
                problems.append(f"{label}: pos and dims must be three integers")
                continue
            if not rotation_allowed(item, dims):
                problems.append(
                    f"{label}: dims {list(dims)} are not an allowed turn of {list(item['dims'])}"
                )
            if any(pos[i] < 0 or pos[i] + dims[i] > inner[i] for i in range(3)):
                problems.append(f"{label}: at {list(pos)} size {list(dims)} leaves inner {inner}")
            solids.append(
                (pos[0], pos[1], pos[2], pos[0] + dims[0], pos[1] + dims[1], pos[2] + dims[2], k)
            )
        for i, j in _overlaps(solids):
            problems.append(f"{where}: placements {min(i, j)} and {max(i, j)} overlap")
        if weight > spec["max_weight"]:
            problems.append(f"{where}: gross weight {weight} g over max {spec['max_weight']} g")
    for item_id in unpacked:
        item = items.get(item_id)
        if item is None:
            problems.append(f"unpacked: unknown item id {item_id!r}")
            continue
        seen[item_id] += 1
        if mode != "single_box" and any(fits_alone(item, b) for b in instance["boxes"]):
            problems.append(f"unpacked {item_id!r} fits a catalog carton on its own")
    for item_id, item in items.items():
        if seen[item_id] != item["qty"]:
            problems.append(
                f"item {item_id!r}: {seen[item_id]} units accounted for, qty is {item['qty']}"
            )
    if status == "ok" and unpacked:
        problems.append("status ok but units are unpacked")
    if status == "partial" and not unpacked:
        problems.append("status partial but nothing is unpacked")
    return problems
