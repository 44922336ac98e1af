"""The /pick namespace: the handheld pick app's events (docs/station-protocol.md)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.adapters.offload import run_blocking
from app.domain.text import msg
from app.services import picking, practice, put_back, short_picks
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field
from stations.first_shift.events import FirstShiftEvents, pick_hints
from stations.setup.wiring import saved_camera

log = logging.getLogger(__name__)

ENTRIES = frozenset({"scan", "keyed", "inject", "camera", "form", "keypad", "button"})
MAX_FRAME_BYTES = 2_000_000  # a 1280x720 JPEG at the page's quality is a tenth of this
MAX_CODES_PER_FRAME = 8


def _meta(payload: dict[str, Any], picker: str) -> picking.ScanMeta:
    """How the action reached us. Only client_scan_id matters for correctness; the rest is
    logged as given when it is well formed and dropped when it is not."""
    entry = text_field(payload, "entry", 16, required=False) or None
    scanned_at = text_field(payload, "scanned_at", 40, required=False) or None
    if scanned_at is not None:
        try:
            datetime.fromisoformat(scanned_at.replace("Z", "+00:00"))
        except ValueError:
            scanned_at = None
    return picking.ScanMeta(
        picker=picker,
        client_scan_id=text_field(payload, "client_scan_id", 64, required=False) or None,
        device=text_field(payload, "device", 64, required=False) or None,
        entry=entry if entry in ENTRIES else None,
        scanned_at=scanned_at,
        queued=payload.get("queued") is True,
    )


def _decoder() -> Callable[[bytes], list[Any]] | None:
    """The server's barcode decoder, if this installation has it (OpenCV, zxing-cpp)."""
    try:
        from app.adapters.decoding import decode_image
    except Exception:  # missing module or native library: the camera falls back to nothing
        log.warning("decode_frame: app.adapters.decoding is not available", exc_info=True)
        return None
    return decode_image


def _off_the_loop(fn: Callable[[bytes], list[Any]], data: bytes) -> list[Any]:
    """Decoding is CPU work: under gevent it runs on the hub's thread pool so the other
    handhelds' scans keep flowing (OpenCV releases the GIL for most of it)."""
    return list(run_blocking(fn, data))


class PickNamespace(FirstShiftEvents, StationNamespace):
    station = "pick"
    roles = frozenset({"picker", "supervisor", "admin"})

    @acked
    @pick_hints
    def on_next_task(self, payload: Any) -> Ack:
        picker = self.user()
        # A practice wave in progress (or just over) gives the picker nothing else.
        handled, task = practice.next_task(picker, self.c.uow, self.c.clock)
        if not handled:
            task = picking.next_task(picker, self.c.uow, self.c.clock)
        Changes.mark()
        return {"ok": True, "task": task}

    @acked
    @pick_hints
    def on_scan(self, payload: Any) -> Ack:
        picker = self.user()
        task_id = int_field(payload, "task_id")
        code = text_field(payload, "code", 400)
        meta = _meta(payload, picker)
        if payload.get("kind") == "put_back":
            reply = put_back.record_put_back_scan(
                task_id,
                code,
                picker,
                self.c.uow,
                self.c.clock,
                client_scan_id=meta.client_scan_id,
                device=meta.device,
                client=meta.log_fields(),
            )
        else:
            cmd = picking.PickScan(
                task_id=task_id,
                raw=code,
                picker=picker,
                client_scan_id=meta.client_scan_id,
                device=meta.device,
                entry=meta.entry,
                scanned_at=meta.scanned_at,
                queued=meta.queued,
            )
            c = self.c
            reply = picking.record_scan(cmd, c.uow, c.clock, c.writer)
        Changes.mark()
        return reply.to_json()

    @acked
    @pick_hints
    def on_quantity(self, payload: Any) -> Ack:
        picker = self.user()
        total = int_field(payload, "total")
        if not 1 <= total <= 9999:
            raise ServiceError("total must be between 1 and 9999", "total")
        cmd = picking.PickQuantity(int_field(payload, "task_id"), total, _meta(payload, picker))
        reply = picking.record_quantity(cmd, self.c.uow, self.c.clock)
        Changes.mark()
        return reply.to_json()

    @acked
    @pick_hints
    def on_short(self, payload: Any) -> Ack:
        picker = self.user()
        cmd = short_picks.ShortPick(
            int_field(payload, "task_id"),
            text_field(payload, "reason", 20),
            _meta(payload, picker),
        )
        reply = short_picks.record_short(cmd, self.c.uow, self.c.clock)
        Changes.mark()
        return reply.to_json()

    @acked
    @pick_hints
    def on_reconcile(self, payload: Any) -> Ack:
        picker = self.user()
        ids = payload.get("task_ids") if isinstance(payload, dict) else None
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) for i in ids
        ):
            raise ServiceError("task_ids must be a list of task ids", "task_ids")
        return {"ok": True, "tasks": picking.reconcile(picker, ids, self.c.uow)}

    @acked
    def on_camera(self, payload: Any) -> Ack:
        """The browser camera saved for this handheld's station on the set-up page
        (``device``: label and device id), or None: the page then opens the rear camera."""
        self.user()
        return {
            "ok": True,
            "device": saved_camera(text_field(payload, "station", 40, required=False) or None),
        }

    @acked
    def on_decode_frame(self, payload: Any) -> Ack:
        self.user()
        image = payload.get("image") if isinstance(payload, dict) else None
        if not isinstance(image, bytes | bytearray) or not image:
            raise ServiceError("image must be the bytes of a JPEG or PNG frame", "image")
        if len(image) > MAX_FRAME_BYTES:
            raise ServiceError(f"frame larger than {MAX_FRAME_BYTES} bytes", "image")
        decode = _decoder()
        if decode is None:
            return {
                "ok": False,
                "error": "decoder_unavailable",
                "message": msg(
                    "This server cannot read camera frames. Use a scanner or type the code."
                ),
            }
        try:
            found = _off_the_loop(decode, bytes(image))
        except ValueError as exc:  # not an image the decoder can read
            raise ServiceError(f"unreadable frame: {exc}", "image") from exc
        codes = [
            {
                "text": d.text,
                "format": d.format,
                "gtin14": getattr(d, "gtin14", None),
            }
            for d in found[:MAX_CODES_PER_FRAME]
        ]
        return {"ok": True, "codes": codes}
