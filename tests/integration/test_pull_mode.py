"""Pull mode against the real simulated OMS on loopback: cursor, replays, rejects, reconcile."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from app.adapters.db.models import InboundReject
from app.adapters.oms.puller import http_fetch
from app.demo.oms_server import DemoOms
from app.services import pull
from tests.support.warehouse import SECRET, allocation_doc, signed_get, signed_post, uow_of


@pytest.fixture
def oms() -> Iterator[DemoOms]:
    with DemoOms(SECRET) as peer:
        yield peer


def _pull(app: Flask, oms: DemoOms, limit: int = 50) -> pull.PullResult:
    c = app.extensions["dockhand"]
    return pull.pull_once(c.uow, http_fetch(oms.url, SECRET, timeout_s=5), c.clock, limit)


def status(app: Flask, allocation_id: str) -> str:
    resp = signed_get(app.test_client(), f"/api/v1/allocations/{allocation_id}")
    return str(resp.get_json().get("status"))


def test_pulled_allocations_are_applied_and_the_cursor_advances(app: Flask, oms: DemoOms) -> None:
    for i in range(5):
        oms.enqueue("allocation", allocation_doc(f"AL-P{i}"))
    first = _pull(app, oms, limit=3)
    assert (first.received, first.applied) == (3, 3)
    second = _pull(app, oms, limit=3)
    assert (second.received, second.applied) == (2, 2)
    assert _pull(app, oms).received == 0  # nothing new: the cursor held
    assert [status(app, f"AL-P{i}") for i in range(5)] == ["accepted"] * 5


def test_a_crash_before_commit_replays_the_page_without_double_effects(
    app: Flask, oms: DemoOms
) -> None:
    oms.enqueue("allocation", allocation_doc("AL-R"))
    _pull(app, oms)
    # The OMS answers the same page again (as after a lost commit): applied once only.
    c = app.extensions["dockhand"]
    from app.adapters.db.models import SyncState

    with c.uow() as tx:
        tx.session.delete(tx.session.get(SyncState, pull.CURSOR_KEY))
        tx.commit()
    again = _pull(app, oms)
    assert (again.received, again.applied) == (1, 1)  # a duplicate is a no-op, not an error
    state = signed_get(app.test_client(), "/api/v1/allocations/AL-R").get_json()
    assert state["version"] == 1 and state["status"] == "accepted"


def test_bad_messages_are_kept_for_supervisors_and_do_not_block_the_rest(
    app: Flask, oms: DemoOms
) -> None:
    bad = allocation_doc("AL-BAD")
    bad["lines"][0]["qty"] = -1
    oms.enqueue("allocation", bad)
    oms.enqueue("cancel", {"reason": "no id"})
    oms.enqueue("allocation", allocation_doc("AL-GOOD"))
    result = _pull(app, oms)
    assert (result.applied, result.rejected) == (1, 2)
    assert status(app, "AL-GOOD") == "accepted"
    with uow_of(app)() as tx:
        rejects = tx.session.scalars(select(InboundReject).order_by(InboundReject.id)).all()
        assert [r.errors[0]["field"] for r in rejects] == ["lines[0].qty", "body.allocation_id"]


def test_webhook_and_pull_reconcile_by_version(app: Flask, oms: DemoOms) -> None:
    client = app.test_client()
    signed_post(client, "/api/v1/allocations", allocation_doc("AL-W", version=2))
    oms.enqueue("allocation", allocation_doc("AL-W", version=1))  # older, arrives later
    oms.enqueue("allocation", allocation_doc("AL-W", version=2))  # the same, again
    oms.enqueue("hold", {"allocation_id": "AL-W", "reason": "fraud review"})
    result = _pull(app, oms)
    assert result.received == 3 and result.rejected == 1  # the stale version is kept aside
    state = signed_get(client, "/api/v1/allocations/AL-W").get_json()
    assert (state["version"], state["status"], state["holds"]) == (2, "held", ["fraud review"])


def test_oms_down_raises_a_pull_error_and_keeps_the_cursor(app: Flask, oms: DemoOms) -> None:
    oms.enqueue("allocation", allocation_doc("AL-D"))
    oms.down()
    with pytest.raises(pull.PullError):
        _pull(app, oms)
    oms.up()
    assert _pull(app, oms).applied == 1
