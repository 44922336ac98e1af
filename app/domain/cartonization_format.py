"""The benchmark's JSON shapes (`carton-instances/v1` instances, the results format) to and
from the cartonizer's types. Pure: dicts in, dicts out; reading and writing files is the
caller's business."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.domain.cartonization import Carton, Cartonization, Item, Mode

INSTANCES_FORMAT = "carton-instances/v1"


def _dims(value: Any) -> tuple[int, int, int]:
    a, b, c = (int(v) for v in value)
    return (a, b, c)


def catalog_of(instance: Mapping[str, Any]) -> list[Carton]:
    return [
        Carton(
            str(b["id"]),
            _dims(b["inner"]),
            _dims(b.get("outer", b["inner"])),
            int(b.get("empty_weight", 0)),
            int(b["max_weight"]),
            None if b.get("cost") is None else int(b["cost"]),
        )
        for b in instance["boxes"]
    ]


def items_of(instance: Mapping[str, Any]) -> list[Item]:
    items = []
    for it in instance["items"]:
        allowed = it.get("allowed_vertical")
        items.append(
            Item(
                str(it["id"]),
                _dims(it["dims"]),
                int(it.get("weight", 0)),
                int(it.get("qty", 1)),
                bool(it.get("keep_flat", False)),
                None if allowed is None else (bool(allowed[0]), bool(allowed[1]), bool(allowed[2])),
            )
        )
    return items


def mode_of(instance: Mapping[str, Any]) -> Mode:
    return "single_box" if instance.get("mode") == "single_box" else "cartonize"


def result_json(instance_id: str, answer: Cartonization, time_ms: float) -> dict[str, Any]:
    """One entry of the results format's `results` list."""
    return {
        "id": instance_id,
        "status": "partial" if answer.unpacked else "ok",
        "time_ms": round(time_ms, 3),
        "boxes": [
            {
                "box_id": packed.carton.id,
                "items": [
                    {"item_id": p.item_id, "pos": list(p.pos), "dims": list(p.dims)}
                    for p in packed.placements
                ],
            }
            for packed in answer.cartons
        ],
        "unpacked": list(answer.unpacked),
    }


def failure_json(instance_id: str, status: str, time_ms: float, reason: str) -> dict[str, Any]:
    return {
        "id": instance_id,
        "status": status,
        "time_ms": round(time_ms, 3),
        "boxes": [],
        "unpacked": [],
        "error": reason,
    }
