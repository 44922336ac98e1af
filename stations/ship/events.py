from __future__ import annotations

from typing import Any

from app.domain.text import Text, join, msg
from app.services import manifests, pallets, queues, shipping
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field


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
                text_field(payload, "code", 64),
                self.c.uow,
                self.c.ship,
                self.c.clock,
                station=text_field(payload, "station", 40, required=False) or None,
            ),
        }

    @acked
    def on_ship(self, payload: Any) -> Ack:
        user = self.user()
        code = text_field(payload, "carton", 64)
        station = text_field(payload, "station", 40, required=False) or None
        carton = shipping.ship_carton(
            code,
            text_field(payload, "service", 40, required=False) or None,
            user,
            self.c.uow,
            self.c.clock,
            self.c.ship,
            carrier_code=text_field(payload, "carrier", 40, required=False) or None,
            override_reason=text_field(payload, "override_reason", 200, required=False) or None,
            station=station,
        )
        Changes.mark()
        reprint = bool(carton.get("reprint"))
        printed = shipping.print_label(
            carton["carton"],
            station,
            user,
            self.c.uow,
            self.c.clock,
            self.c.ship,
            reprint=reprint,
        )
        return {
            "ok": True,
            "carton": carton,
            "label_url": printed["label_url"],
            "print": printed,
            "message": _print_message(carton, printed, reprint),
        }

    @acked
    def on_reprint(self, payload: Any) -> Ack:
        user = self.user()
        code = text_field(payload, "carton", 64)
        station = text_field(payload, "station", 40, required=False) or None
        printed = shipping.print_label(
            code, station, user, self.c.uow, self.c.clock, self.c.ship, reprint=True
        )
        carton = shipping.rate_carton(code, self.c.uow, self.c.ship, self.c.clock, station)
        return {
            "ok": True,
            "carton": carton,
            "label_url": printed["label_url"],
            "print": printed,
            "message": _print_message(carton, printed, True),
        }

    @acked
    def on_void(self, payload: Any) -> Ack:
        user = self.user()
        code = text_field(payload, "carton", 64)
        carton = shipping.void_label(
            code,
            user,
            text_field(payload, "reason", 200, required=False),
            self.c.uow,
            self.c.clock,
            self.c.ship,
        )
        Changes.mark()
        voided = carton["voided"][0]["tracking_number"]
        return {
            "ok": True,
            "carton": shipping.rate_carton(
                code,
                self.c.uow,
                self.c.ship,
                self.c.clock,
                text_field(payload, "station", 40, required=False) or None,
            ),
            "message": msg(
                "Label %(tracking)s voided. Peel it off; the carton can be shipped again.",
                tracking=voided,
            ),
        }

    @acked
    def on_printer_status(self, payload: Any) -> Ack:
        self.user()
        station = text_field(payload, "station", 40, required=False) or None
        return {"ok": True, "printer": shipping.printer_status(station, self.c.ship)}

    @acked
    def on_close_out_summary(self, payload: Any) -> Ack:
        self.user()
        return {
            "ok": True,
            "carriers": manifests.close_out_summary(self.c.uow, self.c.clock, self.c.ship),
        }

    @acked
    def on_close_out(self, payload: Any) -> Ack:
        user = self.user()
        manifest = manifests.close_out(
            text_field(payload, "carrier", 40), user, self.c.uow, self.c.clock, self.c.ship
        )
        Changes.mark()
        return {
            "ok": True,
            "manifest": manifest,
            "carriers": manifests.close_out_summary(self.c.uow, self.c.clock, self.c.ship),
            "message": msg(
                "%(carrier)s closed: manifest %(manifest)s, %(n)s cartons. "
                "Print it for the driver.",
                carrier=manifest["carrier"],
                manifest=manifest["code"],
                n=manifest["cartons"],
            ),
        }

    # ------------------------------------------------------------- pallets (/ship/pallet)

    @acked
    def on_pallet_state(self, payload: Any) -> Ack:
        self.user()
        return {
            "ok": True,
            **pallets.pallet_state(
                self.c.uow,
                self.c.ship,
                text_field(payload, "station", 40, required=False) or None,
                text_field(payload, "pallet", 40, required=False) or None,
            ),
        }

    @acked
    def on_pallet_scan(self, payload: Any) -> Ack:
        user = self.user()
        done = pallets.scan(
            text_field(payload, "code", 64),
            text_field(payload, "pallet", 40, required=False) or None,
            text_field(payload, "station", 40, required=False) or None,
            user,
            self.c.uow,
            self.c.clock,
            self.c.ship,
        )
        return {"ok": True, **done}

    @acked
    def on_pallet_new(self, payload: Any) -> Ack:
        user = self.user()
        station = text_field(payload, "station", 40, required=False) or None
        view = pallets.new_pallet(station, user, self.c.uow, self.c.clock, self.c.ship)
        return {
            "ok": True,
            "pallet": view,
            "message": msg("New pallet %(pallet)s.", pallet=view["pallet"]),
        }

    @acked
    def on_pallet_remove(self, payload: Any) -> Ack:
        user = self.user()
        carton = text_field(payload, "carton", 64)
        view = pallets.remove_carton(
            text_field(payload, "pallet", 40), carton, user, self.c.uow, self.c.ship
        )
        return {
            "ok": True,
            "pallet": view,
            "message": msg(
                "%(carton)s taken off %(pallet)s.", carton=carton, pallet=view["pallet"]
            ),
        }

    @acked
    def on_pallet_close(self, payload: Any) -> Ack:
        user = self.user()
        weight = payload.get("weight_g") if isinstance(payload, dict) else None
        view = pallets.close_pallet(
            text_field(payload, "pallet", 40),
            None if weight in (None, "") else int_field(payload, "weight_g"),
            int_field(payload, "height_mm"),
            text_field(payload, "station", 40, required=False) or None,
            user,
            self.c.uow,
            self.c.clock,
            self.c.ship,
        )
        printed = view.pop("print")
        head = msg(
            "Pallet %(pallet)s closed: SSCC %(sscc)s.", pallet=view["pallet"], sscc=view["sscc"]
        )
        if printed["printed"]:
            tail = msg("Label printed on %(printer)s.", printer=printed["printer"])
        elif printed["error"]:
            tail = msg(
                "The printer failed: %(error)s Open the PDF instead.", error=printed["error"]
            )
        else:
            tail = msg("Open the label PDF to print it.")
        return {"ok": True, "pallet": view, "print": printed, "message": join([head, tail])}

    @acked
    def on_pallet_reopen(self, payload: Any) -> Ack:
        user = self.user()
        view = pallets.reopen_pallet(
            text_field(payload, "pallet", 40), user, self.c.uow, self.c.ship
        )
        return {
            "ok": True,
            "pallet": view,
            "message": msg("Pallet %(pallet)s is open again.", pallet=view["pallet"]),
        }

    @acked
    def on_pallet_ship(self, payload: Any) -> Ack:
        user = self.user()
        codes = payload.get("pallets") if isinstance(payload, dict) else None
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ServiceError("pallets must be a list of pallet codes", "pallets")
        shipped = pallets.ship_pallets(
            codes[:50],
            user,
            self.c.uow,
            self.c.clock,
            self.c.ship,
            service_code=text_field(payload, "service", 40, required=False) or None,
            carrier_code=text_field(payload, "carrier", 40, required=False) or None,
            freight_class=text_field(payload, "freight_class", 8, required=False) or None,
            special_instructions=text_field(payload, "instructions", 2000, required=False),
            trailer_number=text_field(payload, "trailer", 40, required=False),
            seal_number=text_field(payload, "seal", 40, required=False),
        )
        Changes.mark()
        return {"ok": True, **shipped}

    @acked
    def on_carton_sscc(self, payload: Any) -> Ack:
        self.user()
        sscc = pallets.carton_label_sscc(
            text_field(payload, "carton", 64), self.c.uow, self.c.clock, self.c.ship
        )
        return {"ok": True, "sscc": sscc, "label_url": f"/ship/logistic/{sscc}.pdf"}


def _print_message(carton: dict[str, Any], printed: dict[str, Any], reprint: bool) -> Text:
    tracking = carton.get("tracking_number")
    if reprint:
        head = msg("Reprint: tracking %(tracking)s", tracking=tracking)
    else:
        head = msg("Tracking %(tracking)s", tracking=tracking)
    if printed["format"] == "zpl" and printed["printed"]:
        return msg("%(head)s: label printed on %(printer)s.", head=head, printer=printed["printer"])
    if printed["format"] == "zpl":
        return msg(
            "%(head)s: saved, but the printer failed: %(error)s Open the PDF instead.",
            head=head,
            error=printed["error"],
        )
    return msg("%(head)s: label ready, open the PDF to print.", head=head)
