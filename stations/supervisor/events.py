from __future__ import annotations

from typing import Any

from flask_socketio import join_room, leave_room

from app.services import dashboard, outbox, waves
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field

ROOM = "dashboard"


class SupervisorNamespace(StationNamespace):
    station = "supervisor"
    roles = frozenset({"supervisor", "admin"})

    def on_sign_in(self, payload: Any) -> Ack:
        # Live dashboard pushes carry order data: only signed-in supervisors get them.
        ack = super().on_sign_in(payload)
        if ack.get("ok"):
            join_room(ROOM)
        return ack

    def on_sign_out(self, payload: Any) -> Ack:
        leave_room(ROOM)
        return super().on_sign_out(payload)

    @acked
    def on_snapshot(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, "dashboard": dashboard.snapshot(self.c.uow)}

    @acked
    def on_build_wave(self, payload: Any) -> Ack:
        self.user()
        payload = payload or {}
        ids = payload.get("allocation_ids") if isinstance(payload, dict) else None
        if ids is not None and (
            not isinstance(ids, list) or not all(isinstance(i, str) for i in ids)
        ):
            return {
                "ok": False,
                "error": "invalid",
                "field": "allocation_ids",
                "message": "allocation_ids must be a list of allocation ids",
            }
        max_orders = int_field(payload, "max_orders") if "max_orders" in payload else 20
        wave = waves.build_wave(self.c.uow, self.c.clock, ids or None, max_orders)
        if isinstance(payload, dict) and payload.get("release"):
            wave = waves.release_wave(wave["wave_id"], self.c.uow, self.c.clock)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": f"Wave {wave['code']} {wave['status']}: {wave['orders']} "
            f"order{'' if wave['orders'] == 1 else 's'}.",
        }

    @acked
    def on_release_wave(self, payload: Any) -> Ack:
        self.user()
        wave = waves.release_wave(int_field(payload, "wave_id"), self.c.uow, self.c.clock)
        Changes.mark()
        return {"ok": True, "wave": wave, "message": f"Wave {wave['code']} released."}

    @acked
    def on_retry_outbox(self, payload: Any) -> Ack:
        self.user()
        event_id = text_field(payload or {}, "event_id", 36, required=False) or None
        n = outbox.retry_dead(event_id, self.c.uow, self.c.clock)
        Changes.mark()
        return {"ok": True, "requeued": n, "message": f"{n} event(s) queued again."}
