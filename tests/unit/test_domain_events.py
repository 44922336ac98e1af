"""Outbound event bodies and retry backoff (app/domain/events.py, oms-v1 section 3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.events import backoff_s, event_body

SHIPPED_AT = datetime(2026, 11, 26, 15, 2, 11, tzinfo=UTC)


def shipped(data: dict[str, object]) -> str:
    return event_body("4b8e2d0c", "allocation.shipped", SHIPPED_AT, "AL-100045", "SO-5001", data)


def test_same_event_body_is_byte_identical() -> None:
    first = shipped({"carrier": "PX", "service": "std", "cartons": [{"carton_id": "CT1"}]})
    again = shipped({"cartons": [{"carton_id": "CT1"}], "service": "std", "carrier": "PX"})
    assert first.encode() == again.encode()


def test_event_body_has_the_contract_envelope() -> None:
    doc = json.loads(shipped({"carrier": "PX"}))
    assert doc == {
        "event_id": "4b8e2d0c",
        "type": "allocation.shipped",
        "occurred_at": "2026-11-26T15:02:11+00:00",
        "allocation_id": "AL-100045",
        "order_number": "SO-5001",
        "data": {"carrier": "PX"},
    }


def test_event_body_is_compact_with_sorted_keys() -> None:
    body = shipped({"b": 1, "a": 2})
    assert body.startswith('{"allocation_id":"AL-100045","data":{"a":2,"b":1},"event_id"')
    assert ", " not in body and ": " not in body


def test_occurred_at_keeps_its_utc_offset() -> None:
    paris = timezone(timedelta(hours=1))
    body = event_body("e", "inventory.changed", SHIPPED_AT.astimezone(paris), None, None, {})
    assert json.loads(body)["occurred_at"] == "2026-11-26T16:02:11+01:00"


def test_inventory_event_has_null_allocation_and_order() -> None:
    doc = json.loads(event_body("e", "inventory.changed", SHIPPED_AT, None, None, {"sku": "X"}))
    assert doc["allocation_id"] is None and doc["order_number"] is None


def test_non_ascii_names_are_escaped_so_the_bytes_never_depend_on_encoding() -> None:
    body = event_body("e", "return.received", SHIPPED_AT, "AL-1", "SO-1", {"name": "Zoë Ñúñez"})
    assert body.isascii()
    assert json.loads(body)["data"]["name"] == "Zoë Ñúñez"


# --- backoff ------------------------------------------------------------------------------


def test_backoff_grows_exponentially() -> None:
    delays = [backoff_s(n, base_s=2.0, max_s=10_000.0, jitter=0.5) for n in range(1, 8)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0]


def test_backoff_is_capped() -> None:
    assert backoff_s(30, base_s=2.0, max_s=300.0, jitter=0.999) == pytest.approx(299.7)
    assert backoff_s(60, base_s=2.0, max_s=300.0, jitter=0.999) == pytest.approx(299.7)


def test_backoff_never_drops_below_half_the_base() -> None:
    assert backoff_s(5, base_s=2.0, max_s=300.0, jitter=0.0) == 1.0


def test_first_attempt_waits_at_most_the_base() -> None:
    assert backoff_s(1, base_s=2.0, max_s=300.0, jitter=0.999) < 2.0
    assert backoff_s(0, base_s=2.0, max_s=300.0, jitter=0.999) < 2.0


def test_backoff_stays_capped_after_a_very_long_outage() -> None:
    assert backoff_s(1_100, base_s=1.0, max_s=300.0, jitter=0.5) == 150.0


@given(
    attempts=st.integers(min_value=0, max_value=1_000),
    base=st.floats(min_value=0.01, max_value=60),
    cap_factor=st.floats(min_value=1, max_value=1_000),
    jitter=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_jittered_backoff_stays_within_its_bounds(
    attempts: int, base: float, cap_factor: float, jitter: float
) -> None:
    max_s = base * cap_factor
    delay = backoff_s(attempts, base, max_s, jitter)
    ceiling = min(max_s, base * 2 ** max(0, attempts - 1))
    assert base / 2 <= delay <= max(base / 2, ceiling)
    assert delay <= max_s


@given(
    attempts=st.integers(min_value=1, max_value=200),
    jitter=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_backoff_never_shrinks_as_attempts_grow(attempts: int, jitter: float) -> None:
    assert backoff_s(attempts + 1, 1.0, 600.0, jitter) >= backoff_s(attempts, 1.0, 600.0, jitter)
