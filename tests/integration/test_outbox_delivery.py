"""Events reach a real HTTP OMS on loopback: signed, in order, never lost while it is down."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import OutboxEvent
from app.adapters.oms.sender import http_poster
from app.demo.oms_server import DemoOms
from app.services import outbox
from app.services.outbox import OutboxPolicy
from tests.support.warehouse import SECRET, allocation_doc, signed_post, uow_of

POLICY = OutboxPolicy(max_attempts=4, backoff_base_s=1.0, backoff_max_s=60.0)


class StepClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)  # events written just before are due

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def oms() -> Iterator[DemoOms]:
    with DemoOms(SECRET) as peer:
        yield peer


def _send(app: Flask, peer: DemoOms, clock: StepClock) -> int:
    return outbox.dispatch_due(
        uow_of(app), http_poster(peer.url, SECRET, timeout_s=2), POLICY, clock, random.Random(1)
    )


def allocation_events(peer: DemoOms) -> list[dict[str, object]]:
    """What the OMS heard about allocations (each intake also sends inventory.changed)."""
    return [e for e in peer.events if str(e["type"]).startswith("allocation.")]


def _post(app: Flask, n: int) -> None:
    client = app.test_client()
    for i in range(n):
        doc = allocation_doc(f"AL-{i}", lines=[{"line_id": "1", "sku": "MUG-BLK-S", "qty": 1}])
        assert signed_post(client, "/api/v1/allocations", doc).status_code == 202


def test_events_arrive_signed_with_their_idempotency_key(app: Flask, oms: DemoOms) -> None:
    _post(app, 3)
    assert _send(app, oms, StepClock()) == 6  # 3 accepted + 3 inventory.changed
    assert [e["allocation_id"] for e in allocation_events(oms)] == ["AL-0", "AL-1", "AL-2"]
    assert oms.rejected_signatures == 0
    assert {e["type"] for e in oms.events} == {"allocation.accepted", "inventory.changed"}
    available = [e["data"]["available"] for e in oms.events if e["type"] == "inventory.changed"]
    assert available == sorted(available, reverse=True)  # one mug fewer each time, in order


def test_oms_down_delays_events_but_loses_none(app: Flask, oms: DemoOms) -> None:
    clock = StepClock()
    _post(app, 2)
    oms.down()
    assert _send(app, oms, clock) == 0
    backlog = outbox.backlog(uow_of(app))
    assert backlog["pending"] == 4
    assert "ConnectionError" in (backlog["last_error"] or "")
    # Backoff: nothing is retried before its time.
    assert _send(app, oms, clock) == 0
    oms.up()
    clock.advance(120)
    assert _send(app, oms, clock) == 4
    assert [e["allocation_id"] for e in allocation_events(oms)] == ["AL-0", "AL-1"]
    assert outbox.backlog(uow_of(app))["pending"] == 0


def test_a_retry_resends_the_same_id_and_bytes(app: Flask, oms: DemoOms) -> None:
    clock = StepClock()
    _post(app, 1)
    with uow_of(app)() as tx:
        stored = (
            tx.session.scalars(select(OutboxEvent).where(OutboxEvent.allocation_id == "AL-0"))
            .one()
            .body
        )
    oms.fail_status = 500
    assert _send(app, oms, clock) == 0
    oms.fail_status = None
    clock.advance(120)
    assert _send(app, oms, clock) == 2
    assert json.loads(stored) == allocation_events(oms)[0]
    assert oms.duplicates == 0


def test_events_of_one_allocation_stay_in_order_behind_a_failure(app: Flask, oms: DemoOms) -> None:
    clock = StepClock()
    _post(app, 1)
    # A second event for the same allocation, written after the first.
    with uow_of(app)() as tx:
        from app.adapters.db import repositories as repo
        from app.adapters.db.models import Allocation

        a = tx.session.scalars(select(Allocation)).one()
        repo.add_event(tx.session, "allocation.picked", a, {"lines": []}, clock())
        tx.commit()
    oms.fail_status = 503
    assert _send(app, oms, clock) == 0
    oms.fail_status = None
    # The first event is still backing off; the second must not overtake it.
    assert _send(app, oms, clock) == 0
    assert oms.events == []
    clock.advance(120)
    assert _send(app, oms, clock) == 3
    assert [e["type"] for e in allocation_events(oms)] == [
        "allocation.accepted",
        "allocation.picked",
    ]


def test_dead_letter_after_max_attempts_then_supervisor_retry(app: Flask, oms: DemoOms) -> None:
    clock = StepClock()
    _post(app, 1)
    oms.fail_status = 500
    for _ in range(POLICY.max_attempts):
        _send(app, oms, clock)
        clock.advance(120)
    assert outbox.backlog(uow_of(app))["dead"] == 2
    oms.fail_status = None
    assert _send(app, oms, clock) == 0  # dead letters wait for a person
    assert outbox.retry_dead(None, uow_of(app), clock) == 2
    assert _send(app, oms, clock) == 2
    assert outbox.backlog(uow_of(app)) | {"oldest_pending": None} == {
        "pending": 0,
        "dead": 0,
        "sent": 2,
        "oldest_pending": None,
        "last_error": None,
    }


def test_a_slow_oms_gets_the_same_event_again_never_a_different_one(
    app: Flask, oms: DemoOms
) -> None:
    clock = StepClock()
    _post(app, 1)
    oms.delay_s = 2.5  # longer than the sender's 2 s timeout: the sender gives up...
    assert _send(app, oms, clock) == 0
    assert "Timeout" in (outbox.backlog(uow_of(app))["last_error"] or "")
    oms.delay_s = 0
    clock.advance(120)
    assert _send(app, oms, clock) == 2
    import time

    time.sleep(1.0)  # ...while the slow first attempts may still land at the OMS
    assert oms.conflicting_duplicates == 0  # a resend is byte-identical under the same id
    ids = [e["event_id"] for e in oms.events]
    assert len(ids) == len(set(ids)) == 2
