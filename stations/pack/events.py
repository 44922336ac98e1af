from __future__ import annotations

from typing import Any

from app.services import packing, queues
from stations.common import Ack, Changes, StationNamespace, acked, text_field


class PackNamespace(StationNamespace):
    station = "pack"
    roles = frozenset({"packer", "supervisor", "admin"})

    @acked
    def on_queue(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, "queue": queues.pack_queue(self.c.uow)}

    @acked
    def on_open(self, payload: Any) -> Ack:
        self.user()
        order = packing.open_order(text_field(payload, "code", 64), self.c.uow, self.c.pack)
        return {"ok": True, "order": order}

    @acked
    def on_scan(self, payload: Any) -> Ack:
        reply = packing.scan_unit(
            text_field(payload, "allocation_id", 64),
            text_field(payload, "code", 400),
            self.user(),
            self.c.uow,
            self.c.clock,
            self.c.pack,
            client_scan_id=text_field(payload, "client_scan_id", 64, required=False) or None,
            device=text_field(payload, "device", 64, required=False) or None,
        )
        Changes.mark()
        return reply.to_json()

    @acked
    def on_close_carton(self, payload: Any) -> Ack:
        order = packing.close_carton(
            text_field(payload, "allocation_id", 64),
            text_field(payload, "carton_type", 40),
            self.user(),
            self.c.uow,
            self.c.clock,
            self.c.pack,
        )
        Changes.mark()
        return {
            "ok": True,
            "order": order,
            "carton": order["carton"],
            "message": f"Carton {order['carton']['code']} closed. Label it and send it on.",
        }
