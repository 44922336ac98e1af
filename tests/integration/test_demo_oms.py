"""The demo OMS over real HTTP on 127.0.0.1: events, signatures, faults, pull mode, feeder."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.serving import make_server

from app.demo.oms_server import DemoOms, decode_cursor, encode_cursor
from app.demo.orders import make_allocation
from app.domain.signing import check, signature, signed_headers

SECRET = "demo-oms-test-secret"
REPO_ROOT = Path(__file__).resolve().parents[2]
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
POSTAL_CODE = {
    "GB": re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}$"),
    "DE": re.compile(r"^\d{5}$"),
    "NL": re.compile(r"^[1-9]\d{3} [A-Z]{2}$"),
    "US": re.compile(r"^\d{5}$"),
}
SERVICE_LEVELS = {"economy", "standard", "express", "next_day", "freight"}


@pytest.fixture
def oms() -> Iterator[DemoOms]:
    with DemoOms(SECRET) as server:
        yield server


def make_event(event_type: str = "allocation.accepted", **data: Any) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "type": event_type,
        "occurred_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "allocation_id": "AL-000001",
        "order_number": "SO-000001",
        "data": data,
    }


def post_event(
    oms: DemoOms,
    event: dict[str, Any],
    *,
    secret: str = SECRET,
    timestamp: float | None = None,
    idempotency_key: str | None = "from-body",
    session: requests.Session | None = None,
) -> requests.Response:
    raw = json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json",
        **signed_headers(secret, raw, time.time() if timestamp is None else timestamp),
    }
    if idempotency_key == "from-body":
        headers["Idempotency-Key"] = event["event_id"]
    elif idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    http = session or requests
    return http.post(f"{oms.url}/events", data=raw, headers=headers, timeout=5)


def signed_get(url: str, params: dict[str, Any] | None = None) -> requests.Response:
    return requests.get(
        url, params=params, headers=signed_headers(SECRET, b"", time.time()), timeout=5
    )


# -- events ------------------------------------------------------------------------------


def test_signed_event_is_recorded_and_answered_ok(oms: DemoOms) -> None:
    event = make_event("allocation.accepted")

    response = post_event(oms, event)

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert oms.events == [event]
    assert oms.duplicates == 0


def test_events_are_recorded_in_arrival_order(oms: DemoOms) -> None:
    sent = [make_event("allocation.accepted"), make_event("allocation.picked", lines=[])]
    for event in sent:
        assert post_event(oms, event).status_code == 200

    assert [e["event_id"] for e in oms.events] == [e["event_id"] for e in sent]
    assert oms.wait_for_events("allocation.picked", timeout=1) == [sent[1]]


def test_event_signed_with_wrong_secret_gets_401_and_is_not_recorded(oms: DemoOms) -> None:
    response = post_event(oms, make_event(), secret="not-the-secret")

    assert response.status_code == 401
    assert "error" in response.json()
    assert oms.events == []
    assert oms.rejected_signatures == 1


def test_event_whose_body_was_altered_after_signing_gets_401(oms: DemoOms) -> None:
    event = make_event()
    ts = str(int(time.time()))
    headers = {
        "X-Timestamp": ts,
        "X-Signature": signature(SECRET, ts, json.dumps(event).encode()),
        "Idempotency-Key": event["event_id"],
    }
    tampered = json.dumps({**event, "type": "allocation.shipped"}).encode()

    response = requests.post(f"{oms.url}/events", data=tampered, headers=headers, timeout=5)

    assert response.status_code == 401
    assert oms.events == []


def test_unsigned_event_gets_401(oms: DemoOms) -> None:
    event = make_event()
    response = requests.post(
        f"{oms.url}/events",
        json=event,
        headers={"Idempotency-Key": event["event_id"]},
        timeout=5,
    )

    assert response.status_code == 401
    assert oms.events == []


def test_event_with_stale_timestamp_gets_401_and_is_not_recorded(oms: DemoOms) -> None:
    response = post_event(oms, make_event(), timestamp=time.time() - 301 - 5)

    assert response.status_code == 401
    assert "300" in response.json()["error"]
    assert oms.events == []
    assert oms.rejected_signatures == 1


def test_event_without_idempotency_key_gets_400_and_is_not_recorded(oms: DemoOms) -> None:
    response = post_event(oms, make_event(), idempotency_key=None)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]
    assert oms.events == []


def test_event_whose_idempotency_key_differs_from_event_id_gets_400(oms: DemoOms) -> None:
    response = post_event(oms, make_event(), idempotency_key=str(uuid.uuid4()))

    assert response.status_code == 400
    assert oms.events == []


def test_signed_body_that_is_not_json_gets_400(oms: DemoOms) -> None:
    raw = b"{not json"
    headers = {**signed_headers(SECRET, raw, time.time()), "Idempotency-Key": "x"}

    response = requests.post(f"{oms.url}/events", data=raw, headers=headers, timeout=5)

    assert response.status_code == 400
    assert oms.events == []


def test_same_event_twice_is_recorded_once_and_counted_as_duplicate(oms: DemoOms) -> None:
    event = make_event("allocation.shipped", carrier="dhl", cartons=[])

    first = post_event(oms, event)
    second = post_event(oms, event)

    assert (first.status_code, second.status_code) == (200, 200)
    assert oms.events == [event]
    assert oms.duplicates == 1
    assert oms.conflicting_duplicates == 0


def test_resent_event_id_with_a_different_body_is_counted_as_conflicting(oms: DemoOms) -> None:
    event = make_event("allocation.accepted")
    post_event(oms, event)

    post_event(oms, {**event, "type": "allocation.rejected"})

    assert oms.events == [event]
    assert (oms.duplicates, oms.conflicting_duplicates) == (1, 1)


# -- fault injection ---------------------------------------------------------------------


def test_fail_status_answers_that_status_without_recording(oms: DemoOms) -> None:
    oms.fail_status = 500
    event = make_event()

    failed = post_event(oms, event)
    oms.fail_status = None
    retried = post_event(oms, event)

    assert failed.status_code == 500
    assert retried.status_code == 200
    assert oms.events == [event]
    assert oms.duplicates == 0


def test_delay_s_holds_the_answer_back(oms: DemoOms) -> None:
    oms.delay_s = 0.4
    started = time.monotonic()

    response = post_event(oms, make_event())

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4


def test_delay_longer_than_client_timeout_makes_the_client_time_out(oms: DemoOms) -> None:
    oms.delay_s = 1.0
    event = make_event()
    raw = json.dumps(event).encode()
    headers = {**signed_headers(SECRET, raw, time.time()), "Idempotency-Key": event["event_id"]}

    with pytest.raises(requests.Timeout):
        requests.post(f"{oms.url}/events", data=raw, headers=headers, timeout=0.2)


def test_down_refuses_connections_and_up_serves_again_on_same_port(oms: DemoOms) -> None:
    port = oms.port
    with requests.Session() as session:  # keep-alive connections must not survive down()
        assert post_event(oms, make_event(), session=session).status_code == 200

        oms.down()
        assert not oms.is_up
        with pytest.raises(requests.ConnectionError):
            post_event(oms, make_event(), session=session)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{oms.url}/stats", timeout=2)
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0

        oms.up()
        assert oms.port == port
        assert post_event(oms, make_event(), session=session).status_code == 200

    assert len(oms.events) == 2


def test_down_and_up_can_repeat(oms: DemoOms) -> None:
    for _ in range(3):
        oms.down()
        oms.up()

    assert post_event(oms, make_event()).status_code == 200


def test_context_manager_stops_listening_on_exit() -> None:
    with DemoOms(SECRET) as server:
        url = server.url
        assert requests.get(f"{url}/stats", timeout=2).status_code == 200

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/stats", timeout=2)


# -- pull mode ---------------------------------------------------------------------------


def test_pull_mode_pages_through_enqueued_messages_with_cursors(oms: DemoOms) -> None:
    now = datetime.now(UTC)
    bodies = [make_allocation(random.Random(i), i, ["A", "B", "C"], now) for i in range(1, 6)]
    for body in bodies:
        oms.enqueue("allocation", body)
    oms.enqueue("cancel", {"allocation_id": "AL-000001", "reason": "customer request"})

    first = signed_get(f"{oms.url}/allocations", {"limit": 4}).json()
    second = signed_get(
        f"{oms.url}/allocations", {"cursor": first["next_cursor"], "limit": 4}
    ).json()
    third = signed_get(
        f"{oms.url}/allocations", {"cursor": second["next_cursor"], "limit": 4}
    ).json()

    assert first["items"] == [{"kind": "allocation", "body": b} for b in bodies[:4]]
    assert second["items"] == [
        {"kind": "allocation", "body": bodies[4]},
        {"kind": "cancel", "body": {"allocation_id": "AL-000001", "reason": "customer request"}},
    ]
    assert third["items"] == []
    assert third["next_cursor"] == second["next_cursor"]


def test_pull_mode_without_cursor_starts_at_the_beginning(oms: DemoOms) -> None:
    oms.enqueue("hold", {"allocation_id": "AL-000002", "reason": "fraud review"})

    page = signed_get(f"{oms.url}/allocations").json()

    assert page["items"] == [
        {"kind": "hold", "body": {"allocation_id": "AL-000002", "reason": "fraud review"}}
    ]
    assert decode_cursor(page["next_cursor"]) == 1


def test_pull_mode_cursor_picks_up_messages_enqueued_later(oms: DemoOms) -> None:
    empty = signed_get(f"{oms.url}/allocations").json()
    assert empty["items"] == []

    oms.enqueue("release", {"allocation_id": "AL-000003", "reason": "cleared"})
    later = signed_get(f"{oms.url}/allocations", {"cursor": empty["next_cursor"]}).json()

    assert [item["kind"] for item in later["items"]] == ["release"]


def test_pull_mode_answers_401_to_unsigned_or_badly_signed_get(oms: DemoOms) -> None:
    oms.enqueue("allocation", {"allocation_id": "AL-000001"})

    unsigned = requests.get(f"{oms.url}/allocations", timeout=5)
    wrong = requests.get(
        f"{oms.url}/allocations",
        headers=signed_headers("wrong-secret", b"", time.time()),
        timeout=5,
    )

    assert unsigned.status_code == 401
    assert wrong.status_code == 401
    assert "items" not in unsigned.json()
    assert oms.rejected_signatures == 2


def test_pull_mode_answers_400_to_malformed_cursor_or_limit(oms: DemoOms) -> None:
    assert signed_get(f"{oms.url}/allocations", {"cursor": "!!nope"}).status_code == 400
    assert signed_get(f"{oms.url}/allocations", {"limit": "0"}).status_code == 400
    assert signed_get(f"{oms.url}/allocations", {"limit": "many"}).status_code == 400


def test_cursor_round_trips_and_is_opaque() -> None:
    assert decode_cursor(encode_cursor(0)) == 0
    assert decode_cursor(encode_cursor(1234)) == 1234
    assert "1234" not in encode_cursor(1234)


def test_enqueue_refuses_unknown_message_kind(oms: DemoOms) -> None:
    with pytest.raises(ValueError):
        oms.enqueue("teleport", {})


# -- stats -------------------------------------------------------------------------------


def test_stats_counts_events_duplicates_rejections_and_recent_shipments(oms: DemoOms) -> None:
    shipped = make_event(
        "allocation.shipped",
        carrier="dhl",
        service="parcel",
        shipped_at="2026-11-26T15:02:11+00:00",
        cartons=[{"carton_id": "C1", "tracking_number": "JD0001", "weight_g": 840}],
        lines=[{"line_id": "1", "qty": 1}],
    )
    post_event(oms, make_event("allocation.accepted"))
    post_event(oms, shipped)
    post_event(oms, shipped)
    post_event(oms, make_event(), secret="wrong")

    stats = requests.get(f"{oms.url}/stats", timeout=5).json()

    assert stats["events_by_type"] == {"allocation.accepted": 1, "allocation.shipped": 1}
    assert stats["events"] == 2
    assert stats["duplicates"] == 1
    assert stats["rejected_signatures"] == 1
    assert stats["posted"] == 0
    assert stats["post_errors"] == 0
    assert len(stats["shipped"]) == 1
    assert stats["shipped"][0]["cartons"][0]["tracking_number"] == "JD0001"
    assert stats["shipped"][0]["allocation_id"] == "AL-000001"


def test_stats_keeps_only_the_last_20_shipments(oms: DemoOms) -> None:
    for n in range(25):
        event = make_event("allocation.shipped", cartons=[{"tracking_number": f"T{n}"}])
        post_event(oms, event)

    shipped = requests.get(f"{oms.url}/stats", timeout=5).json()["shipped"]

    assert [s["cartons"][0]["tracking_number"] for s in shipped] == [f"T{n}" for n in range(5, 25)]


# -- orders ------------------------------------------------------------------------------


def assert_rfc3339_with_offset(value: str) -> datetime:
    assert RFC3339.match(value), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None
    return parsed


def assert_contract_valid_allocation(body: dict[str, Any], seq: int, skus: list[str]) -> None:
    assert body["allocation_id"] == f"AL-{seq:06d}"
    assert body["order_number"] == f"SO-{seq:06d}"
    assert body["version"] == 1
    assert body["type"] == "b2c"
    assert body["b2b"] is None
    assert isinstance(body["channel"], str) and body["channel"]
    assert isinstance(body["priority"], int) and 1 <= body["priority"] <= 9
    assert body["service_level"] in SERVICE_LEVELS
    placed_at = assert_rfc3339_with_offset(body["placed_at"])
    ship_by = assert_rfc3339_with_offset(body["ship_by"])
    assert placed_at < ship_by <= placed_at + timedelta(hours=48)

    ship_to = body["ship_to"]
    assert set(ship_to) >= {
        "name", "company", "line1", "line2", "city", "region", "postal_code", "country",
        "phone", "email",
    }  # fmt: skip
    for field in ("name", "line1", "city", "postal_code", "phone", "email"):
        assert isinstance(ship_to[field], str) and ship_to[field].strip(), field
    assert re.fullmatch(r"[A-Z]{2}", ship_to["country"])
    assert POSTAL_CODE[ship_to["country"]].match(ship_to["postal_code"]), ship_to
    assert re.fullmatch(r"\+\d[\d ]{6,}", ship_to["phone"])
    assert re.fullmatch(r"[a-z.]+@example\.com", ship_to["email"])
    if ship_to["country"] == "US":
        assert re.fullmatch(r"[A-Z]{2}", ship_to["region"])

    lines = body["lines"]
    assert 1 <= len(lines) <= 3
    assert [line["line_id"] for line in lines] == [str(i) for i in range(1, len(lines) + 1)]
    assert len({line["sku"] for line in lines}) == len(lines)
    for line in lines:
        assert line["sku"] in skus
        assert isinstance(line["qty"], int) and not isinstance(line["qty"], bool)
        assert 1 <= line["qty"] <= 3
    json.dumps(body)  # serialisable as is


def test_make_allocation_produces_contract_valid_bodies() -> None:
    skus = ["TSHIRT-BLK-M", "MUG-WHT", "CAP-RED", "SOCKS-3PK", "BOTTLE-1L"]
    rng = random.Random(123)
    now = datetime(2026, 11, 26, 9, 14, tzinfo=UTC)
    bodies = [make_allocation(rng, seq, skus, now) for seq in range(1, 301)]

    for seq, body in enumerate(bodies, start=1):
        assert_contract_valid_allocation(body, seq, skus)
    assert bodies[0]["placed_at"] == "2026-11-26T09:14:00+00:00"
    line_counts = [len(b["lines"]) for b in bodies]
    assert line_counts.count(1) > line_counts.count(2) > line_counts.count(3) > 0
    levels = [b["service_level"] for b in bodies]
    assert levels.count("standard") > len(bodies) / 2
    assert {"express", "economy", "next_day"} <= set(levels)
    assert {b["ship_to"]["country"] for b in bodies} == {"GB", "DE", "NL", "US"}


def test_make_allocation_times_are_utc_even_for_a_non_utc_now() -> None:
    berlin = timezone(timedelta(hours=1))
    now = datetime(2026, 11, 26, 11, 0, 30, 123456, tzinfo=berlin)

    body = make_allocation(random.Random(1), 1, ["A"], now)

    assert body["placed_at"] == "2026-11-26T10:00:30+00:00"


def test_make_allocation_never_asks_for_more_lines_than_skus() -> None:
    rng = random.Random(5)
    now = datetime.now(UTC)

    for seq in range(1, 200):
        assert len(make_allocation(rng, seq, ["ONLY-ONE"], now)["lines"]) == 1


def test_make_allocation_is_deterministic_for_a_seed() -> None:
    skus = ["A", "B", "C", "D"]
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

    def run(seed: int) -> list[dict[str, Any]]:
        rng = random.Random(seed)
        return [make_allocation(rng, seq, skus, now) for seq in range(1, 21)]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_make_allocation_refuses_naive_time_and_empty_catalog() -> None:
    with pytest.raises(ValueError):
        make_allocation(random.Random(1), 1, ["A"], datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        make_allocation(random.Random(1), 1, [], datetime.now(UTC))


# -- feeder against a real (stub) warehouse app -----------------------------------------


class StubWarehouse:
    """A tiny signed warehouse API: paged inventory and an allocation inbox."""

    def __init__(self, *, unavailable_first: int = 0, fail_every: int = 0) -> None:
        self.unavailable_left = unavailable_first
        self.fail_every = fail_every
        self.allocations: list[dict[str, Any]] = []
        self.inventory_calls = 0
        self.bad_signatures = 0
        self.lock = threading.Lock()
        self.pages: dict[str | None, tuple[list[dict[str, Any]], str | None]] = {
            None: (
                [
                    {"sku": "MUG-WHT", "on_hand": 40, "allocated": 3, "available": 37},
                    {"sku": "LOW-STOCK", "on_hand": 5, "allocated": 0, "available": 5},
                ],
                "page-2",
            ),
            "page-2": (
                [
                    {"sku": "CAP-RED", "on_hand": 12, "allocated": 0, "available": 12},
                    {"sku": "GONE", "on_hand": 9, "allocated": 9, "available": 0},
                ],
                None,
            ),
        }
        app = Flask("stub-warehouse")
        app.add_url_rule("/api/v1/inventory", view_func=self.inventory)
        app.add_url_rule("/api/v1/allocations", view_func=self.allocate, methods=["POST"])
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def authentic(self, body: bytes) -> bool:
        problem = check(
            SECRET,
            request.headers.get("X-Timestamp"),
            request.headers.get("X-Signature"),
            body,
            time.time(),
        )
        if problem is not None:
            with self.lock:
                self.bad_signatures += 1
        return problem is None

    def inventory(self) -> ResponseReturnValue:
        if not self.authentic(b""):
            return jsonify(error="bad signature"), 401
        with self.lock:
            self.inventory_calls += 1
            if self.unavailable_left > 0:
                self.unavailable_left -= 1
                return jsonify(error="starting up"), 503
        items, next_cursor = self.pages[request.args.get("cursor")]
        return jsonify(items=items, next_cursor=next_cursor)

    def allocate(self) -> ResponseReturnValue:
        raw = request.get_data()
        if not self.authentic(raw):
            return jsonify(error="bad signature"), 401
        assert request.content_type == "application/json"
        with self.lock:
            self.allocations.append(json.loads(raw))
            if self.fail_every and len(self.allocations) % self.fail_every == 0:
                return jsonify(error="database is busy"), 500
        return jsonify(status="accepted", reasons=[]), 202

    def __enter__(self) -> StubWarehouse:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_feeder_posts_signed_allocations_for_skus_with_stock(oms: DemoOms) -> None:
    with StubWarehouse() as warehouse:
        oms.feed_allocations(warehouse.url, rate_per_min=6000, total=6, stop=threading.Event())

    assert len(warehouse.allocations) == 6
    assert warehouse.bad_signatures == 0
    assert warehouse.inventory_calls == 2  # both pages of the catalog
    for seq, body in enumerate(warehouse.allocations, start=1):
        assert_contract_valid_allocation(body, seq, ["CAP-RED", "MUG-WHT"])
    assert (oms.posted, oms.post_errors) == (6, 0)


def test_feeder_retries_until_the_app_answers_and_counts_failed_posts(oms: DemoOms) -> None:
    with StubWarehouse(unavailable_first=2, fail_every=3) as warehouse:
        oms.feed_allocations(
            warehouse.url, rate_per_min=6000, total=6, stop=threading.Event(), retry_s=0.05
        )

    assert warehouse.inventory_calls == 2 + 2
    assert len(warehouse.allocations) == 6
    assert (oms.posted, oms.post_errors) == (4, 2)
    stats = requests.get(f"{oms.url}/stats", timeout=5).json()
    assert (stats["posted"], stats["post_errors"]) == (4, 2)


def test_feeder_keeps_waiting_for_an_unreachable_app_until_stopped(oms: DemoOms) -> None:
    with StubWarehouse() as warehouse:
        assert oms.fetch_catalog(warehouse.url) == ["CAP-RED", "MUG-WHT"]
    stop = threading.Event()
    feeder = threading.Thread(
        target=oms.feed_allocations,
        args=(warehouse.url, 6000, 3, stop),
        kwargs={"retry_s": 0.05},
    )

    feeder.start()
    time.sleep(0.3)
    assert feeder.is_alive()
    stop.set()
    feeder.join(timeout=5)

    assert not feeder.is_alive()
    assert (oms.posted, oms.post_errors) == (0, 0)


def test_feeder_counts_connection_errors_and_keeps_going_when_the_app_dies(
    oms: DemoOms,
) -> None:
    stop = threading.Event()
    warehouse = StubWarehouse().__enter__()
    feeder = threading.Thread(target=oms.feed_allocations, args=(warehouse.url, 6000, None, stop))
    feeder.start()
    try:
        deadline = time.monotonic() + 5
        while len(warehouse.allocations) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        warehouse.__exit__()
        deadline = time.monotonic() + 5
        while oms.post_errors < 3 and time.monotonic() < deadline:
            time.sleep(0.01)

        assert feeder.is_alive()
        assert oms.post_errors >= 3
        assert oms.posted >= 2
    finally:
        stop.set()
        feeder.join(timeout=5)
    assert not feeder.is_alive()


def test_feeder_stops_promptly_when_stop_is_set(oms: DemoOms) -> None:
    stop = threading.Event()
    with StubWarehouse() as warehouse:
        feeder = threading.Thread(
            target=oms.feed_allocations, args=(warehouse.url, 60, None, stop)
        )  # one a second, unlimited
        feeder.start()
        time.sleep(0.3)
        stop.set()
        feeder.join(timeout=3)

        assert not feeder.is_alive()
        assert len(warehouse.allocations) == 1


def test_feeder_in_pull_mode_enqueues_instead_of_posting(oms: DemoOms) -> None:
    with StubWarehouse() as warehouse:
        oms.feed_allocations(
            warehouse.url, rate_per_min=6000, total=3, stop=threading.Event(), push=False
        )

    assert warehouse.allocations == []
    page = signed_get(f"{oms.url}/allocations").json()
    assert [item["body"]["allocation_id"] for item in page["items"]] == [
        "AL-000001",
        "AL-000002",
        "AL-000003",
    ]


# -- CLI ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_cli_serves_prints_events_and_exits_cleanly_on_sigterm() -> None:
    port = free_port()
    env = {**os.environ, "DOCKHAND_OMS_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    with subprocess.Popen(
        [sys.executable, "-m", "app.demo.oms_server", "--no-feed", "--port", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        try:
            assert proc.stdout is not None
            assert (
                proc.stdout.readline().strip() == f"demo OMS listening on http://127.0.0.1:{port}"
            )
            event = make_event(
                "allocation.shipped", carrier="dhl", cartons=[{"tracking_number": "JD0042"}]
            )
            raw = json.dumps(event).encode()
            headers = {
                **signed_headers(SECRET, raw, time.time()),
                "Idempotency-Key": event["event_id"],
            }
            response = requests.post(
                f"http://127.0.0.1:{port}/events", data=raw, headers=headers, timeout=5
            )
            assert response.status_code == 200
            line = proc.stdout.readline().strip()
            assert line.startswith("event allocation.shipped AL-000001 tracking=JD0042")

            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
            assert "1 events" in proc.stdout.read()
        finally:
            if proc.poll() is None:
                proc.kill()


def test_cli_refuses_to_start_without_a_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DOCKHAND_OMS_SECRET"}
    result = subprocess.run(
        [sys.executable, "-m", "app.demo.oms_server", "--no-feed", "--port", "0"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )

    assert result.returncode == 2
    assert "DOCKHAND_OMS_SECRET" in result.stderr


def test_cli_feeds_the_app_at_the_given_rate_and_total() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("DOCKHAND_OMS_SECRET", None)
    with StubWarehouse() as warehouse:
        command = [sys.executable, "-m", "app.demo.oms_server", "--port", str(free_port())]
        command += ["--secret", SECRET, "--app-url", warehouse.url, "--rate", "6000"]
        command += ["--total", "3"]
        with subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ) as proc:
            try:
                deadline = time.monotonic() + 10
                while len(warehouse.allocations) < 3 and time.monotonic() < deadline:
                    time.sleep(0.02)
                time.sleep(0.1)  # nothing beyond --total arrives
                proc.send_signal(signal.SIGINT)
                assert proc.wait(timeout=10) == 0
            finally:
                if proc.poll() is None:
                    proc.kill()

    assert [a["allocation_id"] for a in warehouse.allocations] == [
        "AL-000001",
        "AL-000002",
        "AL-000003",
    ]
    assert warehouse.bad_signatures == 0
