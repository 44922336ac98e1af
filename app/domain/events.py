"""Outbound event documents (oms-v1 section 3). The body is built once and stored verbatim,
so a retry re-sends the same id with the same bytes."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any


def event_body(
    event_id: str,
    type_: str,
    occurred_at: datetime,
    allocation_id: str | None,
    order_number: str | None,
    data: dict[str, Any],
) -> str:
    doc: dict[str, Any] = {
        "event_id": event_id,
        "type": type_,
        "occurred_at": occurred_at.isoformat(),
        "allocation_id": allocation_id,
        "order_number": order_number,
        "data": data,
    }
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def backoff_s(attempts: int, base_s: float, max_s: float, jitter: float) -> float:
    """Exponential backoff with full jitter (jitter in [0, 1) from the caller's RNG)."""
    # The exponent is clamped so a very long outage cannot overflow the float.
    ceiling = min(max_s, base_s * (2 ** min(max(0, attempts - 1), 60)))
    return float(max(base_s / 2, ceiling * jitter))
