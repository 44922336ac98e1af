"""Allocation webhooks that arrive together share one job of the group-commit writer, and
each still gets its own answer; if the shared job fails, each allocation is run again on its
own, so one bad allocation never costs the others theirs."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.adapters.db.models import Allocation, OutboxEvent
from app.adapters.oms.schemas import AllocationIn, validate_document
from app.container import container
from app.services import intake
from app.services.intake import IntakeResult
from app.services.intake_batch import IntakeBatcher
from tests.support.warehouse import allocation_doc, signed_post, uow_of


def _doc(allocation_id: str, version: int = 1) -> AllocationIn:
    return validate_document(allocation_doc(allocation_id, version), AllocationIn)


def _together(app: Flask, batcher: IntakeBatcher, docs: list[AllocationIn]) -> list[Any]:
    """Submit the documents while the writer is busy, so that they all wait for it, then
    let it go: one intake job takes them all."""
    writer = container(app).writer
    hold, holding = threading.Event(), threading.Event()

    def busy(_s: Session, _now: datetime) -> None:
        holding.set()
        hold.wait(10)

    blocker = threading.Thread(target=writer.run, args=(busy,))
    blocker.start()
    assert holding.wait(10)
    answers: list[Any] = [None] * len(docs)

    def submit(i: int) -> None:
        try:
            answers[i] = batcher.apply(docs[i])
        except Exception as exc:
            answers[i] = exc

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(docs))]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 10
    while len(batcher._waiting) < len(docs) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(batcher._waiting) == len(docs)
    hold.set()
    for t in [*threads, blocker]:
        t.join(30)
    return answers


def _stored(app: Flask) -> dict[str, int]:
    with uow_of(app)() as tx:
        s = tx.session
        rows = s.execute(
            select(OutboxEvent.allocation_id, func.count())
            .where(OutboxEvent.type.in_(("allocation.accepted", "allocation.short")))
            .group_by(OutboxEvent.allocation_id)
        ).all()
        assert len(s.scalars(select(Allocation.allocation_id)).all()) == len(rows)
        return {a: n for a, n in rows}


def test_allocations_arriving_together_share_one_job_and_get_their_own_answers(
    app: Flask,
) -> None:
    batcher = IntakeBatcher(container(app).writer)
    docs = [_doc(f"AL-B{i}") for i in range(12)] + [_doc("AL-B0")]  # and a replay
    answers = _together(app, batcher, docs)
    assert batcher.jobs == 1
    assert [a.http_status for a in answers] == [202] * 12 + [200]
    assert answers[-1].body["status"] == "duplicate"
    assert _stored(app) == {f"AL-B{i}": 1 for i in range(12)}


def test_allocations_the_orm_path_takes_share_the_job_with_the_others(app: Flask) -> None:
    """A newer version, an unknown SKU and a backorder (the ORM path) in the same job as
    new allocations (the fast path): each answered as if alone."""
    batcher = IntakeBatcher(container(app).writer)
    first = _together(app, batcher, [_doc("AL-V")])
    assert first[0].http_status == 202
    unknown = allocation_doc("AL-UNKNOWN")
    unknown["lines"][0]["sku"] = "NO-SUCH-SKU"
    huge = allocation_doc("AL-HUGE")
    huge["lines"][0]["qty"] = 1_000_000
    docs = [
        _doc("AL-N1"),
        _doc("AL-V", version=2),
        validate_document(unknown, AllocationIn),
        validate_document(huge, AllocationIn),
        _doc("AL-N2"),
    ]
    answers = _together(app, batcher, docs)
    assert [(a.http_status, a.body["status"]) for a in answers] == [
        (202, "accepted"),
        (202, "accepted"),
        (202, "rejected"),
        (202, "backordered"),
        (202, "accepted"),
    ]
    assert batcher.jobs == 2
    assert intake.allocation_state("AL-V", uow_of(app))["version"] == 2


def test_one_failing_allocation_costs_the_others_nothing(app: Flask) -> None:
    def apply(s: Session, doc: AllocationIn, now: datetime) -> IntakeResult:
        result = intake.apply_allocation(s, doc, now)  # written, then the failure
        if doc.allocation_id == "AL-BAD":
            raise RuntimeError("the database went away")
        return result

    batcher = IntakeBatcher(container(app).writer, apply=apply)
    docs = [_doc("AL-A"), _doc("AL-BAD"), _doc("AL-C")]
    answers = _together(app, batcher, docs)
    assert isinstance(answers[1], RuntimeError)
    assert [answers[0].http_status, answers[2].http_status] == [202, 202]
    assert _stored(app) == {"AL-A": 1, "AL-C": 1}  # AL-BAD left nothing behind


def test_webhooks_from_many_clients_at_once(app: Flask) -> None:
    """Through the HTTP API: every allocation accepted once, replays answered duplicate."""
    statuses: dict[str, list[int]] = {}
    lock = threading.Lock()

    def client(k: int) -> None:
        c = app.test_client()
        for i in range(6):
            doc = allocation_doc(f"AL-H{k}-{i % 4}")
            code = signed_post(c, "/api/v1/allocations", doc).status_code
            with lock:
                statuses.setdefault(doc["allocation_id"], []).append(code)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for codes in statuses.values():
        assert sorted(codes) == [200] * (len(codes) - 1) + [202]
    assert _stored(app) == {a: 1 for a in statuses}


@pytest.fixture(autouse=True)
def _writer_stopped_waiting(app: Flask) -> Any:
    yield
    # Nothing may be left waiting for a job that will never come.
    from app.services.intake_batch import batcher_for

    assert batcher_for(container(app).writer)._waiting == []
