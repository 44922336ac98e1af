"""What a pick task's screen shows: the facts that never change while the task lives (the
bin, the item, the order line), read once per task and kept per process, and the handheld's
view of a task built from them and the task's own row.

Shared by the ORM path (app/services/picking.py) and the prepared-statement path of the
common scan (app/services/pick_fast.py), so both answer with the same task view.
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, AllocationLine, PickTask, Stock, Wave
from app.domain.picking import PickState, stage_of
from app.services.per_owner import PerOwner


@dataclass(frozen=True)
class TaskContext:
    """What a pick task's screen shows that never changes while the task lives: the bin,
    the item, the order line. Read once per task and kept per process (bounded, and only
    for a minute so a renamed item or a new barcode shows soon), so a scan costs the few
    rows it changes, not a dozen lookups (issue #12: the scan handler's throughput)."""

    stock_id: int
    sku_id: int
    location_id: int
    location: str
    sku: str
    sku_name: str
    barcode: str
    item_codes: frozenset[str]
    bin_lot: str | None
    bin_expires_on: date | None
    line_id: str | None
    wanted_lot: str | None
    serial_required: bool
    allocation_id: str | None
    order_number: str | None
    wave: str | None

    @functools.cached_property
    def screen(self) -> dict[str, Any]:
        """The part of the task's view (`view`) that is the same on every scan. Read-only:
        every answer copies it."""
        return {
            "wave": self.wave,
            "allocation_id": self.allocation_id,
            "order_number": self.order_number,
            "location": self.location,
            "sku": self.sku,
            "sku_name": self.sku_name,
            "barcode": self.barcode,
            "line_id": self.line_id,
            "lot": self.wanted_lot,
            "bin_lot": self.bin_lot,
            "expires_on": self.bin_expires_on.isoformat() if self.bin_expires_on else None,
            "serial_required": self.serial_required,
            "kind": "pick",
        }


@dataclass(frozen=True)
class TaskRow:
    """The columns of a pick task that change while it lives (and the ones the cache key
    is made of)."""

    id: int
    stock_id: int
    line_pk: int
    allocation_pk: int
    wave_id: int | None
    sequence: int
    qty: int
    picked_qty: int
    location_confirmed: bool
    status: str
    picker: str | None

    @classmethod
    def of(cls, task: PickTask) -> TaskRow:
        return cls(
            task.id,
            task.stock_id,
            task.line_pk,
            task.allocation_pk,
            task.wave_id,
            task.sequence,
            task.qty,
            task.picked_qty,
            task.location_confirmed,
            task.status,
            task.picker,
        )

    @property
    def key(self) -> _ContextKey:
        return (
            self.id,
            self.stock_id,
            self.line_pk,
            self.allocation_pk,
            self.wave_id,
            self.sequence,
            self.qty,
        )


_CONTEXT_TTL_S = 60.0
_CONTEXT_MAX = 20_000
_ContextKey = tuple[int, int, int, int, int | None, int, int]
# One cache per database (an engine), so that two databases in one process never mix.
_contexts: PerOwner[Any, OrderedDict[_ContextKey, tuple[float, TaskContext]]] = PerOwner(
    lambda _engine: OrderedDict()
)


def forget() -> None:
    """Drop every task context this process holds (tests; a restart does the same)."""
    _contexts.forget()


def _cache(s: Session) -> OrderedDict[_ContextKey, tuple[float, TaskContext]]:
    bind = s.bind or s.get_bind()  # get_bind() returns the attribute anyway, more slowly
    return _contexts(getattr(bind, "engine", bind))


def cached_context(s: Session, row: TaskRow) -> TaskContext | None:
    """The task's context if this process read it less than a minute ago, else None."""
    hit = _cache(s).get(row.key)
    if hit is not None and hit[0] > time.monotonic():
        return hit[1]
    return None


def task_context(s: Session, task: PickTask) -> TaskContext:
    row = TaskRow.of(task)
    found = cached_context(s, row)
    if found is not None:
        return found
    stock = repo.must_get(s, Stock, task.stock_id)
    line = s.get(AllocationLine, task.line_pk)
    allocation = s.get(Allocation, task.allocation_pk)
    wave = s.get(Wave, task.wave_id) if task.wave_id is not None else None
    ctx = TaskContext(
        stock_id=stock.id,
        sku_id=stock.sku_id,
        location_id=stock.location_id,
        location=stock.location.code,
        sku=stock.sku.sku,
        sku_name=stock.sku.name,
        barcode=next((b.code for b in stock.sku.barcodes), stock.sku.sku),
        item_codes=repo.item_codes(stock.sku),
        bin_lot=stock.lot or None,
        bin_expires_on=stock.expires_on,
        line_id=line.line_id if line else None,
        wanted_lot=line.lot if line else None,
        serial_required=bool(line and line.serial_required),
        allocation_id=allocation.allocation_id if allocation else None,
        order_number=allocation.order_number if allocation else None,
        wave=wave.code if wave else None,
    )
    cache = _cache(s)
    cache[row.key] = (time.monotonic() + _CONTEXT_TTL_S, ctx)
    cache.move_to_end(row.key)
    while len(cache) > _CONTEXT_MAX:
        cache.popitem(last=False)
    return ctx


def state_of(
    ctx: TaskContext, row: TaskRow, tote: str | None, serials: frozenset[str] = frozenset()
) -> PickState:
    """The domain's view of the task (app/domain/picking.py)."""
    return PickState(
        location=ctx.location,
        sku=ctx.sku,
        item_codes=ctx.item_codes,
        qty=row.qty,
        picked=row.picked_qty,
        location_confirmed=row.location_confirmed,
        allocation_tote=tote,
        wanted_lot=ctx.wanted_lot,
        done=row.status == "done",
        serial_required=ctx.serial_required,
        serials=serials,
        bin_lot=ctx.bin_lot,
        bin_expires_on=ctx.bin_expires_on,
    )


def view(ctx: TaskContext, row: TaskRow, tote: str | None) -> dict[str, Any]:
    """The task as the handheld shows it (docs/station-protocol.md)."""
    if ctx.allocation_id is not None:
        done = row.status == "done"
        stage: str | None = stage_of(done, row.location_confirmed, row.picked_qty, row.qty).value
    else:
        stage = None
    return {
        **ctx.screen,
        # Every code a scan of this SKU may normalise to: the handheld judges a scan itself
        # when the server is slow or out of reach, by the same rules.
        "item_codes": sorted(ctx.item_codes),
        "task_id": row.id,
        "wave_id": row.wave_id,
        "qty": row.qty,
        "picked": row.picked_qty,
        "location_confirmed": row.location_confirmed,
        "tote": tote,
        "status": row.status,
        "picker": row.picker,
        "stage": stage,
    }
