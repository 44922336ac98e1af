from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_socketio import join_room, leave_room

from app import socketio
from app.adapters.wave_config import WaveConfig, load_wave_config
from app.domain.text import msg, nmsg
from app.services import dashboard, outbox, stock_alerts, wave_ops, waves
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field

ROOM = "dashboard"


def _str_list(payload: dict[str, Any], name: str) -> list[str] | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise ServiceError(f"{name} must be a list of text", name)
    return value


def _opt_int(payload: dict[str, Any], name: str) -> int | None:
    return int_field(payload, name) if payload.get(name) is not None else None


class SupervisorNamespace(StationNamespace):
    station = "supervisor"
    roles = frozenset({"supervisor", "admin"})

    @property
    def waves_config(self) -> WaveConfig:
        return load_wave_config(Path(self.c.settings.config_dir))

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
    def on_stock_alerts(self, payload: Any) -> Ack:
        """Open stock alerts (low stock, faces without reserve); pushed as `stock_alerts`."""
        self.user()
        return {"ok": True, "alerts": stock_alerts.list_alerts(self.c.uow)}

    @acked
    def on_snapshot(self, payload: Any) -> Ack:
        self.user()
        return {
            "ok": True,
            # Yielding between its parts, as the push loop's: a snapshot is tens of
            # milliseconds that every station's scans would otherwise wait behind.
            "dashboard": dashboard.snapshot(
                self.c.uow,
                clock=self.c.clock,
                config=self.waves_config,
                pause=lambda: socketio.sleep(0),
            ),
        }

    @acked
    def on_build_wave(self, payload: Any) -> Ack:
        badge = self.user()
        payload = payload or {}
        if not isinstance(payload, dict):
            raise ServiceError("the message must be a JSON object", "payload")
        ids = payload.get("allocation_ids")
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
        wave = waves.build_wave(
            self.c.uow,
            self.c.clock,
            ids or None,
            max_orders,
            strategy=text_field(payload, "strategy", 16, required=False) or None,
            carrier=text_field(payload, "carrier", 40, required=False) or None,
            min_priority=_opt_int(payload, "min_priority"),
            service_levels=_str_list(payload, "service_levels"),
            profiles=_str_list(payload, "profiles"),
            zone=text_field(payload, "zone", 16, required=False) or None,
            planned_by=badge,
            config=self.waves_config,
        )
        if payload.get("release"):
            wave = waves.release_wave(wave["wave_id"], self.c.uow, self.c.clock, self.waves_config)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": msg(
                "Wave %(wave)s %(status)s: %(orders)s, %(strategy)s picking, %(walks)s.",
                wave=wave["code"],
                status=msg(wave["status"]),
                orders=nmsg("%(n)s order", "%(n)s orders", wave["orders"], n=wave["orders"]),
                strategy=msg(wave["strategy"]),
                walks=nmsg("%(n)s walk", "%(n)s walks", wave["batches"], n=wave["batches"]),
            ),
        }

    @acked
    def on_release_wave(self, payload: Any) -> Ack:
        self.user()
        wave = waves.release_wave(
            int_field(payload, "wave_id"), self.c.uow, self.c.clock, self.waves_config
        )
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": msg("Wave %(wave)s released.", wave=wave["code"]),
        }

    @acked
    def on_pause_wave(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.pause_wave(int_field(payload, "wave_id"), self.c.uow)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": msg(
                "Wave %(wave)s paused: pickers finish the task in hand.", wave=wave["code"]
            ),
        }

    @acked
    def on_resume_wave(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.resume_wave(int_field(payload, "wave_id"), self.c.uow)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": msg(
                "Wave %(wave)s %(status)s.", wave=wave["code"], status=msg(wave["status"])
            ),
        }

    @acked
    def on_cancel_wave(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.cancel_wave(int_field(payload, "wave_id"), self.c.uow, self.c.clock)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": msg(
                "Wave %(wave)s: %(n)s order(s) back to waiting, %(kept)s already started "
                "are being finished.",
                wave=wave["code"],
                n=wave["returned"],
                kept=wave["kept"],
            )
            if wave["kept"]
            else msg(
                "Wave %(wave)s: %(n)s order(s) back to waiting.",
                wave=wave["code"],
                n=wave["returned"],
            ),
        }

    @acked
    def on_reassign(self, payload: Any) -> Ack:
        self.user()
        payload = payload or {}
        result = wave_ops.reassign(
            self.c.uow,
            from_picker=text_field(payload, "from_picker", 40, required=False) or None,
            allocation_id=text_field(payload, "allocation_id", 64, required=False) or None,
            batch_id=_opt_int(payload, "batch_id"),
            to_picker=text_field(payload, "to_picker", 40, required=False) or None,
        )
        Changes.mark()
        who = result["to_picker"] or msg("the pool")
        return {
            "ok": True,
            **result,
            "message": msg(
                "%(tasks)s task(s) of %(orders)s order(s) to %(who)s.",
                tasks=result["tasks"],
                orders=result["orders"],
                who=who,
            ),
        }

    @acked
    def on_reprioritize(self, payload: Any) -> Ack:
        self.user()
        payload = payload or {}
        result = wave_ops.reprioritize(
            self.c.uow,
            int_field(payload, "priority"),
            wave_id=_opt_int(payload, "wave_id"),
            allocation_id=text_field(payload, "allocation_id", 64, required=False) or None,
        )
        Changes.mark()
        return {
            "ok": True,
            **result,
            "message": msg("Priority set to %(priority)s.", priority=payload["priority"]),
        }

    @acked
    def on_resequence(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.resequence(int_field(payload, "wave_id"), self.c.uow, self.waves_config)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": msg(
                "Wave %(wave)s re-sequenced (%(saved)s m shorter).",
                wave=wave["code"],
                saved=wave["saved_m"],
            ),
        }

    @acked
    def on_add_urgent(self, payload: Any) -> Ack:
        self.user()
        ids = _str_list(payload or {}, "allocation_ids") or []
        if not ids:
            raise ServiceError("name the urgent allocations", "allocation_ids")
        wave = wave_ops.add_urgent(
            ids, int_field(payload, "wave_id"), self.c.uow, self.c.clock, self.waves_config
        )
        Changes.mark()
        message = msg("%(n)s order(s) added to %(wave)s.", n=len(ids), wave=wave["code"])
        return {"ok": True, "wave": wave, "message": message}

    @acked
    def on_picker_zones(self, payload: Any) -> Ack:
        self.user()
        badge = text_field(payload, "badge", 40)
        zones = _str_list(payload, "zones") or []
        result = wave_ops.set_picker_zones(self.c.uow, badge, zones, self.c.clock)
        Changes.mark()
        where = ", ".join(result["zones"]) or msg("any zone")
        return {
            "ok": True,
            **result,
            "message": msg("%(badge)s picks in %(where)s.", badge=badge, where=where),
        }

    @acked
    def on_plan(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, "plan": waves.preview(self.c.uow, self.c.clock, self.waves_config)}

    @acked
    def on_release_due(self, payload: Any) -> Ack:
        """Run the automatic release now: every wave due within the horizon goes out."""
        self.user()
        released = waves.auto_release(self.c.uow, self.c.clock, self.waves_config)
        Changes.mark()
        return {
            "ok": True,
            "waves": released,
            "message": msg("%(n)s wave(s) released on their cutoffs.", n=len(released))
            if released
            else msg("No wave is due yet."),
        }

    @acked
    def on_retry_outbox(self, payload: Any) -> Ack:
        self.user()
        event_id = text_field(payload or {}, "event_id", 36, required=False) or None
        n = outbox.retry_dead(event_id, self.c.uow, self.c.clock)
        Changes.mark()
        return {"ok": True, "requeued": n, "message": msg("%(n)s event(s) queued again.", n=n)}
