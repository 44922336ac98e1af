from __future__ import annotations

from typing import Any

from app.services import queues, weighing
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field


class WeighNamespace(StationNamespace):
    station = "weigh"
    roles = frozenset({"packer", "shipper", "supervisor", "admin"})

    @acked
    def on_queue(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, "queue": queues.carton_queue(self.c.uow, "packed")}

    @acked
    def on_open(self, payload: Any) -> Ack:
        self.user()
        return {
            "ok": True,
            "carton": weighing.open_carton(text_field(payload, "code", 64), self.c.uow),
        }

    @acked
    def on_weight(self, payload: Any) -> Ack:
        """A reading: typed by the operator, or reported by the (simulated) scale."""
        source = text_field(payload, "source", 20, required=False) or "manual"
        if source not in ("manual", "scale", "simulated"):
            source = "manual"
        reply = weighing.record_weight(
            text_field(payload, "carton", 64),
            int_field(payload, "weight_g"),
            self.user(),
            source,
            self.c.uow,
            self.c.clock,
            self.c.tolerance,
        )
        Changes.mark()
        return reply.to_json()
