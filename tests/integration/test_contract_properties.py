"""Random sequences of OMS contract calls (hypothesis stateful testing): whatever the order,
duplicates and stale versions, the warehouse's answers and events never contradict the
contract, and the stock ledger stays exact."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from app.adapters.db.models import OutboxEvent
from tests.support.warehouse import allocation_doc, make_app, signed_get, signed_post, uow_of
from tests.test_support import floor_totals, release

IDS = ["AL-A", "AL-B", "AL-C"]
SKUS = ["TSHIRT-BLK-S", "MUG-BLK-S", "CANDLE-BLK-S"]


class ContractMachine(RuleBasedStateMachine):
    template: Path

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        db = self.dir / "db.sqlite"
        shutil.copy(self.template, db)
        self.app = make_app(f"sqlite:///{db}")
        self.client = self.app.test_client()
        self.version: dict[str, int] = {}
        self.cancelled: set[str] = set()
        self.started: set[str] = set()

    def teardown(self) -> None:
        self.app.extensions["dockhand"].uow.engine.dispose()
        shutil.rmtree(self.dir, ignore_errors=True)

    def state(self, aid: str) -> dict[str, Any]:
        body: dict[str, Any] = signed_get(self.client, f"/api/v1/allocations/{aid}").get_json()
        return body

    @rule(
        aid=st.sampled_from(IDS),
        version=st.integers(1, 4),
        sku=st.sampled_from(SKUS),
        qty=st.integers(1, 3),
    )
    def post_allocation(self, aid: str, version: int, sku: str, qty: int) -> None:
        doc = allocation_doc(aid, version=version, lines=[{"line_id": "1", "sku": sku, "qty": qty}])
        resp = signed_post(self.client, "/api/v1/allocations", doc)
        known = self.version.get(aid)
        if known is None:
            assert resp.status_code == 202
            self.version[aid] = version
        elif version < known:
            assert resp.status_code == 409, "a lower version must never win"
        elif version == known:
            assert resp.status_code == 200 and resp.get_json()["status"] == "duplicate"
        elif aid in self.started or aid in self.cancelled:
            assert resp.status_code == 409
        else:
            assert resp.status_code == 202, resp.get_json()
            self.version[aid] = version

    @precondition(lambda self: bool(self.version))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        aid = data.draw(st.sampled_from(sorted(self.version)))
        resp = signed_post(self.client, f"/api/v1/allocations/{aid}/cancel", {"reason": "r"})
        assert resp.status_code == 200
        assert resp.get_json()["result"] in ("cancelled", "partially_cancelled", "rejected")
        if resp.get_json()["result"] == "cancelled":
            self.cancelled.add(aid)

    @precondition(lambda self: bool(self.version))
    @rule(data=st.data(), hold=st.booleans())
    def hold_or_release(self, data: st.DataObject, hold: bool) -> None:
        aid = data.draw(st.sampled_from(sorted(self.version)))
        verb = "hold" if hold else "release"
        resp = signed_post(self.client, f"/api/v1/allocations/{aid}/{verb}", {"reason": "r"})
        if aid in self.cancelled and hold:
            assert resp.status_code == 409
        else:
            assert resp.status_code == 200

    @precondition(lambda self: bool(self.version))
    @rule(data=st.data())
    def wave_it(self, data: st.DataObject) -> None:
        aid = data.draw(st.sampled_from(sorted(self.version)))
        if self.state(aid)["status"] == "accepted":
            release(self.app, aid)

    @invariant()
    def answers_agree_with_the_model(self) -> None:
        for aid, version in self.version.items():
            state = self.state(aid)
            assert state["version"] == version
            if aid in self.cancelled:
                assert state["status"] == "cancelled"
                assert all(ln["cancelled"] == ln["qty"] for ln in state["lines"])

    @invariant()
    def events_never_contradict(self) -> None:
        with uow_of(self.app)() as tx:
            events = [
                json.loads(e.body)
                for e in tx.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id))
            ]
        seen_ids = [e["event_id"] for e in events]
        assert len(seen_ids) == len(set(seen_ids))
        for aid in self.version:
            types = [e["type"] for e in events if e["allocation_id"] == aid]
            if "allocation.cancelled" in types:
                after = types[types.index("allocation.cancelled") + 1 :]
                assert not {"allocation.picked", "allocation.packed", "allocation.shipped"} & set(
                    after
                )

    @invariant()
    def ledger_is_exact(self) -> None:
        totals = floor_totals(self.app)
        assert totals["on_hand"] == totals["ledger_on_hand"]
        assert totals["allocated"] == totals["ledger_allocated"]
        assert totals["negative_bins"] == 0 and totals["over_allocated_bins"] == 0


@pytest.fixture
def seeded_template(sqlite_url: str) -> Path:
    return Path(sqlite_url.removeprefix("sqlite:///"))


def test_random_contract_call_sequences_keep_the_contract(seeded_template: Path) -> None:
    ContractMachine.template = seeded_template
    ContractMachine.TestCase.settings = settings(
        max_examples=25,
        stateful_step_count=15,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    ContractMachine.TestCase().runTest()
