"""The /setup namespace: station set-up for administrators (supervisors may look).

Events (docs/station-setup.md): ``stations`` (every station with its devices and the choices
there are), ``save`` / ``remove`` (admins), ``test_print`` (admins: a label to the real
printer), ``watch_scale`` / ``scale_reading`` / ``unwatch_scale`` (the live reading of a
station's scale through the scale hub), ``test_decode`` (a camera frame through the server's
decoder).
"""

from __future__ import annotations

from typing import Any

from flask import request, session

from app.domain.text import msg
from app.services import station_setup as service
from app.services.errors import ServiceError
from stations.common import Ack, StationNamespace, acked, text_field
from stations.pick.events import MAX_CODES_PER_FRAME, MAX_FRAME_BYTES, _decoder, _off_the_loop
from stations.setup.wiring import SetupWiring, station_setup

ADMIN = "admin"


def _sid() -> str:
    sid: str = request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets it per event
    return sid


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise ServiceError("the message must be a JSON object", "payload")
    return payload


class SetupNamespace(StationNamespace):
    station = "set-up"
    roles = frozenset({"supervisor", "admin"})

    @property
    def w(self) -> SetupWiring:
        return station_setup()

    def _admin(self) -> str:
        badge = self.user()
        if session.get("role") != ADMIN:
            raise ServiceError(
                msg("Only an administrator can change station set-up: supervisors can look."),
                "role",
            )
        return badge

    def on_sign_in(self, payload: Any) -> Ack:
        ack = super().on_sign_in(payload)
        if ack.get("ok"):
            session["role"] = ack["user"]["role"]
        return ack

    def on_sign_out(self, payload: Any) -> Ack:
        self.w.hub.unsubscribe(_sid())
        session.pop("role", None)
        return super().on_sign_out(payload)

    def on_disconnect(self, reason: Any = None) -> None:
        self.w.hub.unsubscribe(_sid())

    @acked
    def on_stations(self, payload: Any) -> Ack:
        self.user()
        return {
            "ok": True,
            **service.overview(self.w.setup),
            "can_edit": session.get("role") == ADMIN,
        }

    @acked
    def on_save(self, payload: Any) -> Ack:
        actor = self._admin()
        data = _object(payload)
        changes = data.get("changes")
        if not isinstance(changes, dict) or not changes:
            raise ServiceError(
                msg("Say what to change: changes is an object of settings."), "changes"
            )
        view = service.save(
            self.w.setup,
            data.get("station"),
            changes,
            actor,
            self.c.clock,
            new=data.get("new") is True,
        )
        self.w.sync()
        what = ", ".join(sorted(changes))
        return {
            "ok": True,
            "station": view,
            "message": msg("Saved %(station)s: %(what)s.", station=view["id"], what=what),
        }

    @acked
    def on_remove(self, payload: Any) -> Ack:
        actor = self._admin()
        result = service.remove(self.w.setup, _object(payload).get("station"), actor)
        self.w.sync()
        sid = result["station"]
        message = (
            msg("Station %(station)s removed.", station=sid)
            if result["gone"]
            else msg("Station %(station)s is back to config/stations.toml.", station=sid)
        )
        return {"ok": True, **result, "message": message}

    @acked
    def on_test_print(self, payload: Any) -> Ack:
        actor = self._admin()
        data = _object(payload)
        return service.test_print(
            self.w.setup, data.get("station"), data.get("printer"), actor, self.c.clock
        )

    # -- the live scale ---------------------------------------------------------------------

    def _weigh_station(self, payload: Any) -> str:
        self.user()
        return self.w.hub.station(text_field(payload, "station", 40)).id

    @acked
    def on_watch_scale(self, payload: Any) -> Ack:
        station_id = self._weigh_station(payload)
        live = self.w.hub.subscribe(station_id, _sid())
        return {"ok": True, "station": self.w.hub.describe(station_id), "live": live}

    @acked
    def on_scale_reading(self, payload: Any) -> Ack:
        # Subscribing again is cheap and keeps the reader going even when an earlier
        # unwatch_scale from this page was handled after this page's watch_scale.
        station_id = self._weigh_station(payload)
        return {"ok": True, "live": self.w.hub.subscribe(station_id, _sid())}

    @acked
    def on_unwatch_scale(self, payload: Any) -> Ack:
        self.user()
        self.w.hub.unsubscribe(_sid())
        return {"ok": True}

    # -- the camera ---------------------------------------------------------------------------

    @acked
    def on_test_decode(self, payload: Any) -> Ack:
        self.user()
        image = payload.get("image") if isinstance(payload, dict) else None
        if not isinstance(image, bytes | bytearray) or not image:
            raise ServiceError(msg("image must be the bytes of a JPEG or PNG frame"), "image")
        if len(image) > MAX_FRAME_BYTES:
            raise ServiceError(msg("frame larger than %(n)s bytes", n=MAX_FRAME_BYTES), "image")
        decode = _decoder()
        if decode is None:
            return {
                "ok": False,
                "error": "decoder_unavailable",
                "message": msg(
                    "This server cannot read camera frames (its decoder is not installed)."
                ),
            }
        try:
            found = _off_the_loop(decode, bytes(image))
        except ValueError as exc:
            raise ServiceError(
                msg("The frame is not an image the decoder can read: %(why)s", why=str(exc)),
                "image",
            ) from exc
        codes = [{"text": d.text, "format": d.format} for d in found[:MAX_CODES_PER_FRAME]]
        if not codes:
            return {
                "ok": False,
                "error": "no_code",
                "codes": [],
                "message": msg(
                    "No barcode in this frame: hold it 10 to 30 cm from the camera, "
                    "flat and in focus, and try again."
                ),
            }
        first = codes[0]
        return {
            "ok": True,
            "codes": codes,
            "message": msg(
                "Read '%(text)s' (%(format)s) through the server's decoder.",
                text=first["text"],
                format=first["format"],
            ),
        }
