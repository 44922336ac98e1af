"""The /weigh namespace: live scale per station, weights, QC exceptions, supervisor decisions.

Pages join their station's room (`weigh:<station id>`) and receive `reading` pushes from the
scale hub; supervisors signed in here also join `weigh:supervisors` and receive
`qc_changed` when an exception or a learned weight needs them. docs/weigh.md lists the events.
"""

from __future__ import annotations

from typing import Any

from flask import request, session
from flask_socketio import join_room, leave_room

from app.domain.text import msg
from app.domain.weighing import ScaleCommandRefused
from app.services import weighing, weight_qc
from app.services.errors import ServiceError
from app.services.scale_hub import CommandResult, room_for
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field
from stations.weigh.wiring import SUPERVISOR_ROOM, WeighWiring, weigh


def _sid() -> str:
    sid: str = request.sid  # type: ignore[attr-defined]  # Flask-SocketIO sets it per event
    return sid


def _bool_field(payload: Any, name: str, default: bool) -> bool:
    value = payload.get(name, default) if isinstance(payload, dict) else default
    if not isinstance(value, bool):
        raise ServiceError(f"{name} must be true or false", name)
    return value


def _bytes_field(payload: Any, name: str) -> bytes:
    value = payload.get(name) if isinstance(payload, dict) else None
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, list) and all(
        isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in value
    ):
        return bytes(value)
    raise ServiceError(f"{name} must be bytes (a list of 0-255)", name)


def _said(refused: Exception) -> str:
    """The refusal's sentence as raised (a Text stays translatable)."""
    first = refused.args[0] if refused.args else None
    return first if isinstance(first, str) else str(refused)


class WeighNamespace(StationNamespace):
    station = "weigh"
    roles = frozenset({"packer", "shipper", "supervisor", "admin"})

    @property
    def w(self) -> WeighWiring:
        return weigh()

    def _station_id(self, payload: Any) -> str:
        named = text_field(payload or {}, "station", 40, required=False)
        return self.w.hub.station(named or session.get("weigh_station")).id

    def _supervisor(self) -> bool:
        return session.get("role") in self.w.ctx.override_roles

    def _qc_changed(self, ack: Ack) -> Ack:
        if ack.get("qc_changed"):
            self.emit("qc_changed", {}, room=SUPERVISOR_ROOM)
        return ack

    def _command(self, action: str, run: Any, payload: Any) -> Ack:
        user = self.user()
        station_id = self._station_id(payload)
        try:
            result: CommandResult = run(station_id)
        except ScaleCommandRefused as refused:
            raise ServiceError(_said(refused), "scale") from None
        weight_qc.log_scale_command(
            action, user, station_id, {"message": result.message}, self.c.uow, self.c.clock
        )
        return {
            "ok": True,
            "message": result.message,
            "send": list(result.send),
            "live": self.w.hub.live(station_id),
        }

    # -- session --------------------------------------------------------------------------

    def on_sign_in(self, payload: Any) -> Ack:
        ack = super().on_sign_in(payload)
        if ack.get("ok"):
            session["role"] = ack["user"]["role"]
            if self._supervisor():
                join_room(SUPERVISOR_ROOM)
            else:
                leave_room(SUPERVISOR_ROOM)
        return ack

    def on_sign_out(self, payload: Any) -> Ack:
        leave_room(SUPERVISOR_ROOM)
        session.pop("role", None)
        return super().on_sign_out(payload)

    def on_disconnect(self, reason: Any = None) -> None:
        weigh().hub.unsubscribe(_sid())

    @acked
    def on_join(self, payload: Any) -> Ack:
        """The page's station: its live scale from now on, and what this person may do."""
        self.user()
        station_id = self._station_id(payload)
        previous = session.get("weigh_station")
        if previous and previous != station_id:
            leave_room(room_for(previous))
        join_room(room_for(station_id))
        session["weigh_station"] = station_id
        live = self.w.hub.subscribe(station_id, _sid())
        cfg = self.w.hub.station(station_id)
        return {
            "ok": True,
            "station": self.w.hub.describe(station_id),
            "live": live,
            "manual_entry": session.get("role") in cfg.manual_entry_roles,
            "supervisor": self._supervisor(),
            "reasons": [
                {"code": r.code, "label": r.label, "note_required": r.note_required}
                for r in self.w.ctx.reasons
            ],
        }

    # -- cartons and weights ---------------------------------------------------------------

    @acked
    def on_queue(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, "queue": weighing.weigh_queue(self.c.uow)}

    @acked
    def on_open(self, payload: Any) -> Ack:
        self.user()
        carton = weighing.open_carton(text_field(payload, "code", 64), self.c.uow, self.w.ctx)
        return {"ok": True, "carton": carton}

    @acked
    def on_weight(self, payload: Any) -> Ack:
        """A typed weight (whatever `source` says, a number from a client is typed)."""
        source = text_field(payload, "source", 20, required=False) or "manual"
        if source not in ("manual", "scale", "simulated"):
            source = "manual"
        station_id = self._station_id(payload)
        reply = weighing.record_weight(
            text_field(payload, "carton", 64),
            int_field(payload, "weight_g"),
            self.user(),
            source,
            self.c.uow,
            self.c.clock,
            self.w.ctx,
            station=station_id,
            manual_roles=self.w.hub.station(station_id).manual_entry_roles,
        )
        Changes.mark()
        return self._qc_changed(reply.to_json())

    @acked
    def on_capture(self, payload: Any) -> Ack:
        """Record the weight the station's scale settled on."""
        reply = weighing.capture_weight(
            self._station_id(payload),
            text_field(payload, "carton", 64),
            self.user(),
            self.w.hub,
            self.c.uow,
            self.c.clock,
            self.w.ctx,
        )
        Changes.mark()
        return self._qc_changed(reply.to_json())

    # -- the scale ---------------------------------------------------------------------------

    @acked
    def on_zero(self, payload: Any) -> Ack:
        return self._command("zero", self.w.hub.zero, payload)

    @acked
    def on_tare(self, payload: Any) -> Ack:
        return self._command("tare", self.w.hub.tare, payload)

    @acked
    def on_clear_tare(self, payload: Any) -> Ack:
        return self._command("clear_tare", self.w.hub.clear_tare, payload)

    @acked
    def on_simulate(self, payload: Any) -> Ack:
        """Demo only (simulated scales): put a load on the scale, or take it off (0)."""
        self.user()
        station_id = self._station_id(payload)
        load_g = int_field(payload, "load_g")
        try:
            self.w.hub.simulate(station_id, load_g, _bool_field(payload, "settles", True))
        except ScaleCommandRefused as refused:
            raise ServiceError(_said(refused), "station") from None
        return {"ok": True}

    @acked
    def on_scale_data(self, payload: Any) -> Ack:
        """Bytes from a scale a Chrome kiosk reads over WebHID or Web Serial."""
        self.user()
        live = self.w.hub.feed_browser(self._station_id(payload), _bytes_field(payload, "data"))
        return {"ok": True, "live": live}

    # -- QC exception --------------------------------------------------------------------------

    @acked
    def on_reverify(self, payload: Any) -> Ack:
        carton = weight_qc.start_reverify(
            text_field(payload, "carton", 64),
            self.user(),
            self._station_id(payload),
            self.c.uow,
            self.c.clock,
            self.w.ctx,
        )
        return {
            "ok": True,
            "carton": carton,
            "message": msg("Take each unit out and scan it; put it back after the scan."),
        }

    @acked
    def on_verify_scan(self, payload: Any) -> Ack:
        reply = weight_qc.reverify_scan(
            text_field(payload, "carton", 64),
            text_field(payload, "code", 400),
            self.user(),
            self._station_id(payload),
            self.c.uow,
            self.c.clock,
            self.w.ctx,
        )
        Changes.mark()
        return self._qc_changed(reply.to_json())

    @acked
    def on_repack(self, payload: Any) -> Ack:
        carton = weight_qc.start_repack(
            text_field(payload, "carton", 64),
            self.user(),
            self._station_id(payload),
            self.c.uow,
            self.c.clock,
            self.w.ctx,
        )
        return {
            "ok": True,
            "carton": carton,
            "message": msg("Make the carton match the packing list, then put it on the scale."),
        }

    @acked
    def on_override(self, payload: Any) -> Ack:
        carton = weight_qc.override(
            text_field(payload, "carton", 64),
            text_field(payload, "reason", 40, required=False),
            text_field(payload, "note", 400, required=False),
            self.user(),
            self._station_id(payload),
            self.c.uow,
            self.c.clock,
            self.w.ctx,
        )
        Changes.mark()
        return self._qc_changed(
            {
                "ok": True,
                "result": "overridden",
                "carton": carton,
                "message": msg(
                    "Override recorded: carton %(carton)s released at %(weight)s g. "
                    "It may get its label.",
                    carton=carton["carton"],
                    weight=carton["weight_g"],
                ),
                "qc_changed": True,
            }
        )

    # -- supervisors ---------------------------------------------------------------------------

    @acked
    def on_qc(self, payload: Any) -> Ack:
        overview = weight_qc.qc_overview(self.user(), self.c.uow, self.w.ctx)
        return {"ok": True, **overview}

    @acked
    def on_decide(self, payload: Any) -> Ack:
        proposal = weight_qc.decide_proposal(
            int_field(payload, "proposal_id"),
            _bool_field(payload, "approve", False),
            text_field(payload, "note", 400, required=False),
            self.user(),
            self.c.uow,
            self.c.clock,
            self.w.ctx,
        )
        if proposal["status"] == "approved":
            said = msg(
                "%(sku)s: %(weight)s g a unit approved.",
                sku=proposal["sku"],
                weight=proposal["proposed_g"],
            )
        else:
            said = msg(
                "%(sku)s: %(weight)s g a unit rejected.",
                sku=proposal["sku"],
                weight=proposal["proposed_g"],
            )
        return self._qc_changed(
            {
                "ok": True,
                "proposal": proposal,
                "message": said,
                "qc_changed": True,
            }
        )
