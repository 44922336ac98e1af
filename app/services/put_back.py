"""Put-back work on the handheld: cancelled units that were already picked go back to a bin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, PutBackTask, Stock, Tote
from app.adapters.db.uow import SessionFactory
from app.domain.put_back import PutBackState, step
from app.domain.scanning import parse_scan
from app.domain.text import msg
from app.services.cancels import finish_if_put_back
from app.services.clock import Clock
from app.services.replies import ScanReply, log_scan, replay


def _view(s: Any, task: PutBackTask) -> dict[str, Any]:
    stock = repo.must_get(s, Stock, task.stock_id)
    a = repo.must_get(s, Allocation, task.allocation_pk)
    tote = s.scalars(select(Tote).where(Tote.allocation_pk == a.id)).first()
    return {
        "kind": "put_back",
        "task_id": task.id,
        "allocation_id": a.allocation_id,
        "order_number": a.order_number,
        "location": stock.location.code,
        "sku": stock.sku.sku,
        "sku_name": stock.sku.name,
        "barcode": next((b.code for b in stock.sku.barcodes), stock.sku.sku),
        "qty": task.qty,
        "picked": task.done_qty,
        "location_confirmed": task.location_confirmed,
        "tote": tote.code if tote else None,
        "from": f"tote {tote.code}" if tote else "the exceptions desk",
        "status": task.status,
        "stage": "done"
        if task.status == "done"
        else ("item" if task.location_confirmed else "location"),
    }


def next_put_back(s: Any, picker: str) -> dict[str, Any] | None:
    """Inside the caller's transaction: the picker's put-back, else an open one."""
    task = s.scalars(
        select(PutBackTask)
        .where(
            PutBackTask.status != "done",
            or_(PutBackTask.picker == picker, PutBackTask.picker.is_(None)),
        )
        .order_by(PutBackTask.picker.is_(None), PutBackTask.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if task is None:
        return None
    task.picker = picker
    task.status = "active"
    return _view(s, task)


def record_put_back_scan(
    task_id: int,
    raw: str,
    picker: str,
    uow: SessionFactory,
    clock: Clock,
    client_scan_id: str | None = None,
    device: str | None = None,
    client: dict[str, Any] | None = None,
) -> ScanReply:
    """`client`: how the scan reached the server (entry, scanned_at, queued), logged with it."""
    now = clock()
    extra = client or {}
    with uow() as tx:
        s = tx.session
        # Lock first: a racing second delivery of the same scan then sees the first's log row.
        task = s.get(PutBackTask, task_id, with_for_update=True)
        prev = repo.previous_scan(s, client_scan_id)
        if prev is not None:
            answer = replay(prev)
            if task is not None:
                answer.data["task"] = _view(s, task)
            return answer
        parsed = parse_scan(raw)
        if task is None:
            reply = ScanReply(
                False, "no_task", msg("Put-back task %(task_id)s does not exist.", task_id=task_id)
            )
            log_scan(
                s,
                station="pick",
                raw=raw,
                reply=reply,
                now=now,
                client_scan_id=client_scan_id,
                device=device,
                actor=picker,
                parsed={**parsed.to_json(), **extra},
            )
            tx.commit()
            return reply
        stock = repo.must_get(s, Stock, task.stock_id)
        a = repo.must_get(s, Allocation, task.allocation_pk)
        if task.picker not in (None, picker):
            reply = ScanReply(
                False,
                "reassigned",
                msg(
                    "This put-back now belongs to %(picker)s. Nothing was recorded for you.",
                    picker=task.picker,
                ),
            )
            reply.data["task"] = _view(s, task)
            log_scan(
                s,
                station="pick",
                raw=raw,
                reply=reply,
                now=now,
                client_scan_id=client_scan_id,
                device=device,
                actor=picker,
                parsed={**parsed.to_json(), **extra},
                allocation_pk=a.id,
                task_id=task.id,
            )
            tx.commit()
            return reply
        state = PutBackState(
            stock.location.code,
            stock.sku.sku,
            repo.item_codes(stock.sku),
            task.qty,
            task.done_qty,
            task.location_confirmed,
        )
        result = step(state, parsed)
        reply = ScanReply(
            result.outcome.accepted, "put_back_" + result.outcome.value, result.message
        )
        if result.outcome.accepted:
            task.location_confirmed = result.state.location_confirmed
            if result.state.done_qty > task.done_qty:
                repo.move_stock(
                    s,
                    stock,
                    on_hand_delta=1,
                    reason="put_back",
                    reference=a.allocation_id,
                    actor=picker,
                    now=now,
                )
                task.done_qty = result.state.done_qty
            if task.done_qty >= task.qty:
                task.status = "done"
                task.completed_at = now
                s.flush()
                finish_if_put_back(s, a)
        reply.data["task"] = _view(s, task)
        log_scan(
            s,
            station="pick",
            raw=raw,
            reply=reply,
            now=now,
            client_scan_id=client_scan_id,
            device=device,
            actor=picker,
            parsed={**parsed.to_json(), **extra},
            allocation_pk=a.id,
            task_id=task.id,
        )
        tx.commit()
        return reply
