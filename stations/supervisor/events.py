from __future__ import annotations

from pathlib import Path
from typing import Any

from flask_socketio import join_room, leave_room

from app.adapters.wave_config import WaveConfig, load_wave_config
from app.services import dashboard, outbox, wave_ops, waves
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
    def on_snapshot(self, payload: Any) -> Ack:
        self.user()
        return {
            "ok": True,
            "dashboard": dashboard.snapshot(
                self.c.uow, clock=self.c.clock, config=self.waves_config
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
            "message": f"Wave {wave['code']} {wave['status']}: {wave['orders']} "
            f"order{'' if wave['orders'] == 1 else 's'}, {wave['strategy']} picking, "
            f"{wave['batches']} walk{'' if wave['batches'] == 1 else 's'}.",
        }

    @acked
    def on_release_wave(self, payload: Any) -> Ack:
        self.user()
        wave = waves.release_wave(
            int_field(payload, "wave_id"), self.c.uow, self.c.clock, self.waves_config
        )
        Changes.mark()
        return {"ok": True, "wave": wave, "message": f"Wave {wave['code']} released."}

    @acked
    def on_pause_wave(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.pause_wave(int_field(payload, "wave_id"), self.c.uow)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": f"Wave {wave['code']} paused: pickers finish the task in hand.",
        }

    @acked
    def on_resume_wave(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.resume_wave(int_field(payload, "wave_id"), self.c.uow)
        Changes.mark()
        return {"ok": True, "wave": wave, "message": f"Wave {wave['code']} {wave['status']}."}

    @acked
    def on_cancel_wave(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.cancel_wave(int_field(payload, "wave_id"), self.c.uow, self.c.clock)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": f"Wave {wave['code']}: {wave['returned']} order(s) back to waiting"
            + (f", {wave['kept']} already started are being finished." if wave["kept"] else "."),
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
        who = result["to_picker"] or "the pool"
        return {
            "ok": True,
            **result,
            "message": f"{result['tasks']} task(s) of {result['orders']} order(s) to {who}.",
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
        return {"ok": True, **result, "message": f"Priority set to {payload['priority']}."}

    @acked
    def on_resequence(self, payload: Any) -> Ack:
        self.user()
        wave = wave_ops.resequence(int_field(payload, "wave_id"), self.c.uow, self.waves_config)
        Changes.mark()
        return {
            "ok": True,
            "wave": wave,
            "message": f"Wave {wave['code']} re-sequenced ({wave['saved_m']} m shorter).",
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
        message = f"{len(ids)} order(s) added to {wave['code']}."
        return {"ok": True, "wave": wave, "message": message}

    @acked
    def on_picker_zones(self, payload: Any) -> Ack:
        self.user()
        badge = text_field(payload, "badge", 40)
        zones = _str_list(payload, "zones") or []
        result = wave_ops.set_picker_zones(self.c.uow, badge, zones, self.c.clock)
        Changes.mark()
        where = ", ".join(result["zones"]) or "any zone"
        return {"ok": True, **result, "message": f"{badge} picks in {where}."}

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
            "message": f"{len(released)} wave(s) released on their cutoffs."
            if released
            else "No wave is due yet.",
        }

    @acked
    def on_retry_outbox(self, payload: Any) -> Ack:
        self.user()
        event_id = text_field(payload or {}, "event_id", 36, required=False) or None
        n = outbox.retry_dead(event_id, self.c.uow, self.c.clock)
        Changes.mark()
        return {"ok": True, "requeued": n, "message": f"{n} event(s) queued again."}
