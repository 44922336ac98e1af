"""The /stock namespace: the stock handheld's events (docs/stock.md).

`check` judges one scan of a sequence (receive: item, location; move: from, item, to;
replenish: from, item, to); `receive`, `move` and `replenish_confirm` book the change;
`replenish_next` / `replenish_release` hand tasks out and back. Every answer is sent after
the commit."""

from __future__ import annotations

from typing import Any

from app.domain.text import msg
from app.services import receiving, replenishment
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field

ENTRIES = frozenset({"scan", "keyed", "inject", "camera", "form", "keypad", "button"})


def _flag(payload: Any, name: str) -> bool:
    value = payload.get(name, False) if isinstance(payload, dict) else False
    if not isinstance(value, bool):
        raise ServiceError(msg("%(name)s must be true or false", name=name), name)
    return value


def _opt_int(payload: Any, name: str) -> int | None:
    if isinstance(payload, dict) and payload.get(name) is not None:
        return int_field(payload, name)
    return None


class StockNamespace(StationNamespace):
    station = "stock"
    # Receivers, and the pickers and supervisors who fill in for them (docs/stock.md).
    roles = frozenset({"receiver", "picker", "supervisor", "admin"})

    def _who(self, payload: Any, booking: bool) -> receiving.Who:
        entry = text_field(payload, "entry", 16, required=False) or None
        return receiving.Who(
            actor=self.user(),
            # Only bookings carry the client id that makes a resend harmless.
            client_scan_id=(
                text_field(payload, "client_scan_id", 64, required=False) or None
                if booking
                else None
            ),
            device=text_field(payload, "device", 64, required=False) or None,
            entry=entry if entry in ENTRIES else None,
        )

    @property
    def policy(self) -> receiving.StockPolicy:
        return receiving.StockPolicy(max_units=self.c.settings.stock_max_units_per_scan)

    @acked
    def on_check(self, payload: Any) -> Ack:
        who = self._who(payload, booking=False)
        cmd = receiving.Check(
            mode=text_field(payload, "mode", 16),
            stage=text_field(payload, "stage", 16),
            code=text_field(payload, "code", 400),
            from_code=text_field(payload, "from", 400, required=False) or None,
            quarantine=_flag(payload, "quarantine"),
            task_id=_opt_int(payload, "task_id"),
        )
        return receiving.check_scan(cmd, who, self.c.uow, self.c.clock).to_json()

    @acked
    def on_receive(self, payload: Any) -> Ack:
        who = self._who(payload, booking=True)
        cmd = receiving.Receive(
            item_code=text_field(payload, "item", 400),
            qty=int_field(payload, "qty"),
            location_code=text_field(payload, "location", 400),
            reference=text_field(payload, "reference", 64, required=False) or None,
            quarantine=_flag(payload, "quarantine"),
        )
        reply = receiving.receive(cmd, who, self.policy, self.c.uow, self.c.clock)
        Changes.mark()
        return reply.to_json()

    @acked
    def on_move(self, payload: Any) -> Ack:
        who = self._who(payload, booking=True)
        cmd = receiving.Move(
            from_code=text_field(payload, "from", 400),
            item_code=text_field(payload, "item", 400),
            qty=int_field(payload, "qty"),
            to_code=text_field(payload, "to", 400),
            quarantine=_flag(payload, "quarantine"),
        )
        reply = receiving.move(cmd, who, self.policy, self.c.uow, self.c.clock)
        Changes.mark()
        return reply.to_json()

    @acked
    def on_replenish_next(self, payload: Any) -> Ack:
        task = replenishment.next_task(self.user(), self.c.uow, self.c.clock)
        return {"ok": True, "task": task}

    @acked
    def on_replenish_release(self, payload: Any) -> Ack:
        done = replenishment.release_task(int_field(payload, "task_id"), self.user(), self.c.uow)
        return {"ok": True, **done, "message": msg("Task given back: someone else can take it.")}

    @acked
    def on_replenish_confirm(self, payload: Any) -> Ack:
        who = self._who(payload, booking=True)
        cmd = replenishment.ReplenishConfirm(
            task_id=int_field(payload, "task_id"),
            from_code=text_field(payload, "from", 400),
            item_code=text_field(payload, "item", 400),
            to_code=text_field(payload, "to", 400),
            qty=_opt_int(payload, "qty"),
            actor=who.actor,
            client_scan_id=who.client_scan_id,
            device=who.device,
        )
        reply = replenishment.confirm(cmd, self.c.uow, self.c.clock)
        Changes.mark()
        return reply.to_json()
