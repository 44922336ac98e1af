from __future__ import annotations

from typing import Any

from app.services import picking, put_back
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field


class PickNamespace(StationNamespace):
    station = "pick"
    roles = frozenset({"picker", "supervisor", "admin"})

    @acked
    def on_next_task(self, payload: Any) -> Ack:
        task = picking.next_task(self.user(), self.c.uow)
        Changes.mark()
        return {"ok": True, "task": task}

    @acked
    def on_scan(self, payload: Any) -> Ack:
        if isinstance(payload, dict) and payload.get("kind") == "put_back":
            reply = put_back.record_put_back_scan(
                int_field(payload, "task_id"),
                text_field(payload, "code", 400),
                self.user(),
                self.c.uow,
                self.c.clock,
                client_scan_id=text_field(payload, "client_scan_id", 64, required=False) or None,
                device=text_field(payload, "device", 64, required=False) or None,
            )
            Changes.mark()
            return reply.to_json()
        cmd = picking.PickScan(
            task_id=int_field(payload, "task_id"),
            raw=text_field(payload, "code", 400),
            picker=self.user(),
            client_scan_id=text_field(payload, "client_scan_id", 64, required=False) or None,
            device=text_field(payload, "device", 64, required=False) or None,
        )
        reply = picking.record_scan(cmd, self.c.uow, self.c.clock)
        Changes.mark()
        return reply.to_json()
