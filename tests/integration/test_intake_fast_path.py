"""The intake's fast path (prepared statements for new allocations, duplicates and stale
versions) leaves exactly the rows the ORM path leaves: the same allocations, lines,
reservations, stock, ledger and outbox events, the same answers, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text

from app.adapters.db import intake_rows as rows_module
from app.adapters.db import repositories as repo
from app.adapters.db.models import Location, Sku, Stock
from app.adapters.oms.schemas import AllocationIn, validate_document
from app.demo.orders import make_allocation
from app.services import intake, pull
from tests.support.twins import twin_postgres_apps, twin_sqlite_apps
from tests.support.warehouse import (
    allocation_doc,
    uow_of,
)

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
TABLES = ("allocations", "allocation_lines", "reservations", "stock", "stock_movements", "outbox")


def _lots(app: Flask, sku_code: str, lots: list[tuple[str, str, date | None, int]]) -> None:
    """Replace the SKU's stock with these (location kind, lot, expiry, qty) bins."""
    with uow_of(app)() as tx:
        s = tx.session
        sku = s.scalars(select(Sku).where(Sku.sku == sku_code)).one()
        for st in s.scalars(select(Stock).where(Stock.sku_id == sku.id)).all():
            repo.move_stock(
                s, st, on_hand_delta=-st.on_hand, reason="adjust", reference="t", actor="t", now=NOW
            )
        used = {st.location_id for st in s.scalars(select(Stock))}
        for kind, lot, expires, qty in lots:
            loc = s.scalars(
                select(Location)
                .where(Location.kind == kind, Location.id.not_in(used))
                .order_by(Location.id)
                .limit(1)
            ).one()
            used.add(loc.id)
            st = Stock(location_id=loc.id, sku_id=sku.id, lot=lot, expires_on=expires)
            st.on_hand, st.allocated = 0, 0
            s.add(st)
            s.flush()
            repo.move_stock(
                s, st, on_hand_delta=qty, reason="receipt", reference="t", actor="t", now=NOW
            )
        tx.commit()


def _line(line_id: str, sku: str, qty: int) -> dict[str, Any]:
    return {"line_id": line_id, "sku": sku, "qty": qty}


def _documents(skus: list[str]) -> list[dict[str, Any]]:
    rng = random.Random(7)
    skus = [sku for sku in skus if sku != "CANDLE-BLK-S"]  # its lots are set up below
    docs = [make_allocation(rng, i, skus, NOW) for i in range(60)]
    b2b = {"po_number": "PO-1", "allow_partial": False, "credit_approved": True}
    docs += [
        # Two lines of one SKU share its bins.
        allocation_doc("AL-TWICE", lines=[_line("1", "MUG-BLK-S", 2), _line("2", "MUG-BLK-S", 3)]),
        # FEFO across lots; the second line sees what the first took. The expired lot
        # counts as stock but may not be promised: a backorder found while reserving.
        allocation_doc(
            "AL-LOTS", lines=[_line("1", "CANDLE-BLK-S", 3), _line("2", "CANDLE-BLK-S", 3)]
        ),
        allocation_doc("AL-EXPIRED", lines=[_line("1", "CANDLE-BLK-S", 7)]),
        allocation_doc("AL-LAST-LOT", lines=[_line("1", "CANDLE-BLK-S", 4)]),
        # Held for credit: reserved, event says held.
        allocation_doc(
            "AL-HELD", type="b2b", b2b={**b2b, "credit_approved": False}, service_level="freight"
        ),
        # Partial B2B intake, backorder, unknown SKU: the ORM path decides.
        allocation_doc(
            "AL-PARTIAL",
            type="b2b",
            b2b={**b2b, "allow_partial": True},
            lines=[_line("1", "TSHIRT-BLK-S", 1), _line("2", "CANDLE-BLK-S", 50)],
        ),
        allocation_doc("AL-SHORT", lines=[_line("1", "CANDLE-BLK-S", 500)]),
        allocation_doc("AL-UNKNOWN", lines=[_line("1", "NO-SUCH-SKU", 1)]),
        # Replays: a duplicate, a stale version, a newer version, a duplicate of that.
        make_allocation(random.Random(7), 0, skus, NOW),
        {**make_allocation(random.Random(7), 0, skus, NOW), "version": 3},
        {**make_allocation(random.Random(7), 1, skus, NOW), "version": 2, "notes": "v2"},
        {**make_allocation(random.Random(7), 1, skus, NOW), "version": 1},
        {**make_allocation(random.Random(7), 1, skus, NOW), "version": 2, "notes": "v2"},
    ]
    return docs


def _last_ids(app: Flask) -> dict[str, int]:
    with uow_of(app)() as tx:
        return {
            table: int(tx.session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}")) or 0)
            for table in TABLES
        }


def _dump(app: Flask, since: dict[str, int]) -> dict[str, list[dict[str, Any]]]:
    """The rows written after `since` (stock: every bin, as it stands)."""
    out: dict[str, list[dict[str, Any]]] = {}
    with uow_of(app)() as tx:
        for table in TABLES:
            after = 0 if table == "stock" else since[table]
            rows = tx.session.execute(
                text(f"SELECT * FROM {table} WHERE id > :after ORDER BY id"), {"after": after}
            ).mappings()
            out[table] = [dict(r) for r in rows]
    for ev in out["outbox"]:  # event ids are random; everything else must match
        body = json.loads(ev.pop("body"))
        body.pop("event_id")
        ev["body"] = body
        ev.pop("event_id")
        if ev["type"] == "inventory.changed":  # stamped at commit by the wall clock
            for stamp in ("next_attempt_at", "created_at"):
                ev.pop(stamp)
            body.pop("occurred_at")
    return out


# The allocations whose documents the fast path leaves to the ORM path, and why.
ORM_DECIDES = {
    "AL-EXPIRED": "backordered while reserving",
    "AL-PARTIAL": "partial B2B intake",
    "AL-SHORT": "backordered",
    "AL-UNKNOWN": "rejected",
    "AL-000000": "version 3 replaces version 1",
    "AL-000001": "version 2 replaces version 1",
}


def _run(app: Flask, docs: list[dict[str, Any]], fast: bool) -> list[tuple[int, Any]]:
    apply = intake.apply_allocation if fast else intake.apply_allocation_orm
    answers = []
    for doc in docs:
        with uow_of(app)() as tx:
            result = apply(tx.session, validate_document(doc, AllocationIn), NOW)
            if result.changed:
                tx.commit()
            answers.append((result.http_status, result.body))
    return answers


def _prepare(app: Flask) -> None:
    _lots(
        app,
        "CANDLE-BLK-S",
        [
            ("pick", "L-OLD", date(2026, 11, 1), 5),  # expired: never promised
            ("reserve", "L-SOON", date(2026, 12, 1), 4),
            ("pick", "L-LATER", date(2027, 3, 1), 6),
        ],
    )


def _skus(app: Flask) -> list[str]:
    """SKUs stocked on pick faces."""
    with uow_of(app)() as tx:
        return sorted(
            tx.session.scalars(
                select(Sku.sku)
                .join(Stock, Stock.sku_id == Sku.id)
                .join(Location, Location.id == Stock.location_id)
                .where(Location.kind == "pick")
                .distinct()
            )
        )


def _compare(fast_app: Flask, orm_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    _prepare(fast_app)
    _prepare(orm_app)
    docs = _documents(_skus(fast_app))
    since = _last_ids(fast_app)
    assert since == _last_ids(orm_app)
    orm_path = intake.apply_allocation_orm
    decided: list[str] = []

    def watched(s: Any, doc: AllocationIn, now: datetime) -> intake.IntakeResult:
        decided.append(doc.allocation_id)
        return orm_path(s, doc, now)

    monkeypatch.setattr(intake, "apply_allocation_orm", watched)
    answers = _run(fast_app, docs, fast=True)
    monkeypatch.undo()
    assert sorted(decided) == sorted(ORM_DECIDES)  # everything else took the fast path
    assert answers == _run(orm_app, docs, fast=False)
    fast, orm = _dump(fast_app, since), _dump(orm_app, since)
    for table in TABLES:
        assert fast[table] == orm[table], table
    statuses = {a["status"] for a in fast["allocations"]}
    assert {"accepted", "held", "backordered", "rejected"} <= statuses


@pytest.fixture
def two_sqlite_apps(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    with twin_sqlite_apps(sqlite_url, tmp_path) as apps:
        yield apps


def test_the_fast_path_writes_what_the_orm_path_writes(
    two_sqlite_apps: tuple[Flask, Flask], monkeypatch: pytest.MonkeyPatch
) -> None:
    _compare(*two_sqlite_apps, monkeypatch)


@pytest.mark.postgres
def test_the_fast_path_writes_what_the_orm_path_writes_on_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with twin_postgres_apps() as apps:
        _compare(*apps, monkeypatch)


def test_a_pull_page_mixing_both_paths_matches_one_transaction_per_message(
    two_sqlite_apps: tuple[Flask, Flask],
) -> None:
    """Pull mode applies a page in one transaction without savepoints for allocations: the
    rows are those of applying each message alone through the ORM path."""
    fast_app, orm_app = two_sqlite_apps
    _prepare(fast_app)
    _prepare(orm_app)
    docs = _documents(_skus(fast_app))
    items: list[Any] = [{"kind": "allocation", "body": d} for d in docs]
    items.insert(5, {"kind": "allocation", "body": {"allocation_id": "AL-BAD"}})  # invalid
    page = {"items": items, "next_cursor": "c1"}
    since = _last_ids(fast_app)
    result = pull.pull_once(uow_of(fast_app), lambda _c, _n: page, lambda: NOW, limit=500)
    assert result.received == len(items)
    # The stale replay and the invalid message are refused and kept for supervisors.
    assert result.rejected == 2
    _run(orm_app, docs, fast=False)
    fast, orm = _dump(fast_app, since), _dump(orm_app, since)
    for table in ("allocations", "allocation_lines", "reservations", "stock"):
        assert fast[table] == orm[table], table
    ledger = ["stock_id", "sku_id", "location_id", "on_hand_delta", "allocated_delta", "reason"]
    assert [[m[k] for k in ledger] for m in fast["stock_movements"]] == [
        [m[k] for k in ledger] for m in orm["stock_movements"]
    ]
    per_allocation = [
        (e["allocation_id"], e["type"], e["body"]["data"])
        for e in fast["outbox"]
        if e["allocation_id"]
    ]
    assert per_allocation == [
        (e["allocation_id"], e["type"], e["body"]["data"])
        for e in orm["outbox"]
        if e["allocation_id"]
    ]
    # One inventory.changed per SKU for the whole page, with the page's final figures.
    changed = [e["body"]["data"] for e in fast["outbox"] if e["type"] == "inventory.changed"]
    assert len(changed) == len({c["sku"] for c in changed})


def test_inventory_events_in_two_statements_match_the_repository_writer(app: Flask) -> None:
    """Pull pages write their inventory.changed events with intake_rows; the rows are those
    of repositories.write_inventory_events, practice items left out alike."""
    with uow_of(app)() as tx:
        everything = set(tx.session.scalars(select(Sku.id)))
        practice = set(tx.session.scalars(select(Sku.id).where(Sku.practice.is_(True))))
    assert practice and everything - practice

    def written(writer: Any) -> list[tuple[Any, ...]]:
        with uow_of(app)() as tx:
            s = tx.session
            before = int(s.scalar(text("SELECT coalesce(max(id), 0) FROM outbox")) or 0)
            s.info["available_changed"] = set(everything)
            writer(s, NOW)
            s.flush()
            rows = s.execute(
                text(
                    "SELECT type, allocation_id, stream_key, status, attempts, body FROM outbox"
                    " WHERE id > :after ORDER BY id"
                ),
                {"after": before},
            ).all()
            out = []
            for type_, allocation_id, stream_key, status, attempts, body in rows:
                doc = json.loads(body)
                doc.pop("event_id")
                out.append((type_, allocation_id, stream_key, status, attempts, doc))
            return out  # rolled back on leaving

    ours = written(rows_module.write_inventory_events)
    assert ours == written(repo.write_inventory_events)
    assert len(ours) == len(everything - practice)


def test_a_bin_loaded_earlier_in_the_transaction_stays_true_to_its_row(app: Flask) -> None:
    """Webhooks share the group transaction with pick scans: a Stock object a scan loaded
    must show the units the fast path reserved from its bin, without a SELECT."""
    _prepare(app)
    with uow_of(app)() as tx:
        s = tx.session
        later = s.scalars(select(Stock).where(Stock.lot == "L-LATER")).one()
        soon = s.scalars(select(Stock).where(Stock.lot == "L-SOON")).one()
        before = (soon.allocated, later.allocated)
        doc = allocation_doc("AL-MIRROR", lines=[_line("1", "CANDLE-BLK-S", 6)])
        result = intake.apply_allocation(s, validate_document(doc, AllocationIn), NOW)
        assert result.http_status == 202
        assert (soon.allocated, later.allocated) == (before[0] + 4, before[1] + 2)
        s.expire_all()
        assert (soon.allocated, later.allocated) == (before[0] + 4, before[1] + 2)
