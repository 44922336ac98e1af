"""Allocations from a CSV file, for shops without an API: one row per order line, the
order's own columns repeated (or left blank) on its further rows."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from app.adapters.oms.schemas import AllocationIn, field_errors

ORDER_COLUMNS = [
    "allocation_id",
    "version",
    "order_number",
    "channel",
    "type",
    "priority",
    "placed_at",
    "ship_by",
    "service_level",
    "notes",
]
SHIP_TO = [
    "name",
    "company",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "phone",
    "email",
]
LINE_COLUMNS = ["line_id", "sku", "qty", "lot"]
COLUMNS = ORDER_COLUMNS + [f"ship_to_{c}" for c in SHIP_TO] + LINE_COLUMNS
REQUIRED = {"allocation_id", "order_number", "service_level", "sku", "qty"}
_LINE_FIELD = re.compile(r"^lines\[(\d+)\]")


@dataclass
class RowError:
    row: int  # 1-based line number in the file, the header being line 1
    allocation_id: str
    field: str
    error: str


@dataclass
class ParsedFile:
    documents: list[tuple[AllocationIn, list[int]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def _int(value: str) -> Any:
    value = value.strip()
    return int(value) if re.fullmatch(r"-?\d+", value) else value


def parse_csv(lines: Iterable[str]) -> ParsedFile:
    reader = csv.DictReader(lines)
    result = ParsedFile()
    missing = REQUIRED - set(reader.fieldnames or [])
    if missing:
        result.errors.append(RowError(1, "", "header", f"missing columns: {sorted(missing)}"))
        return result
    groups: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in enumerate(reader, start=2):
        clean = {k: (v or "").strip() for k, v in row.items() if k}
        aid = clean.get("allocation_id", "")
        if not aid:
            result.errors.append(RowError(number, "", "allocation_id", "is required"))
            continue
        groups.setdefault(aid, []).append((number, clean))
    for aid, rows in groups.items():
        first = rows[0][1]
        conflicts = [
            RowError(n, aid, col, f"differs from row {rows[0][0]} of the same allocation")
            for n, row in rows[1:]
            for col in ORDER_COLUMNS + [f"ship_to_{c}" for c in SHIP_TO]
            if row.get(col) and row.get(col) != first.get(col)
        ]
        if conflicts:
            result.errors.extend(conflicts)
            continue
        doc: dict[str, Any] = {
            "allocation_id": aid,
            "version": _int(first.get("version") or "1"),
            "order_number": first.get("order_number"),
            "channel": first.get("channel") or "csv",
            "type": first.get("type") or "b2c",
            "priority": _int(first.get("priority") or "5"),
            "placed_at": first.get("placed_at") or None,
            "ship_by": first.get("ship_by") or None,
            "service_level": first.get("service_level"),
            "notes": first.get("notes") or None,
            "ship_to": {c: first.get(f"ship_to_{c}") or None for c in SHIP_TO},
            "lines": [
                {
                    "line_id": row.get("line_id") or str(i + 1),
                    "sku": row.get("sku"),
                    "qty": _int(row.get("qty", "")),
                    "lot": row.get("lot") or None,
                }
                for i, (_, row) in enumerate(rows)
            ],
        }
        if doc["ship_to"]["postal_code"] is None:
            doc["ship_to"]["postal_code"] = ""
        try:
            result.documents.append((AllocationIn.model_validate(doc), [n for n, _ in rows]))
        except ValidationError as exc:
            for err in field_errors(exc):
                m = _LINE_FIELD.match(err["field"])
                row_no = rows[int(m.group(1))][0] if m else rows[0][0]
                column = err["field"].split(".")[-1] if m else err["field"].replace(".", "_")
                result.errors.append(RowError(row_no, aid, column, err["error"]))
    return result
