from __future__ import annotations

from typing import Any

from app.services import queues, shipping
from stations.common import Ack, Changes, StationNamespace, acked, text_field


class ShipNamespace(StationNamespace):
    station = "ship"
    roles = frozenset({"shipper", "packer", "supervisor", "admin"})

    @acked
    def on_queue(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, "queue": queues.carton_queue(self.c.uow, "weighed")}

    @acked
    def on_open(self, payload: Any) -> Ack:
        self.user()
        return {
            "ok": True,
            "carton": shipping.rate_carton(
                text_field(payload, "code", 64), self.c.uow, self.c.ship
            ),
        }

    @acked
    def on_ship(self, payload: Any) -> Ack:
        carton = shipping.ship_carton(
            text_field(payload, "carton", 64),
            text_field(payload, "service", 40, required=False) or None,
            self.user(),
            self.c.uow,
            self.c.clock,
            self.c.ship,
        )
        Changes.mark()
        return {
            "ok": True,
            "carton": carton,
            "label_url": f"/ship/label/{carton['carton']}.pdf",
            "message": f"Tracking {carton['tracking_number']}: label printed.",
        }
