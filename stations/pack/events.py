"""The /pack namespace (docs/pack.md, docs/station-protocol.md)."""

from __future__ import annotations

import base64
import binascii
import logging
import time
from typing import Any

from flask import session

from app.adapters.cameras import CameraError, encode_jpeg
from app.adapters.offload import run_blocking
from app.domain.text import msg
from app.services import pack_photos, packing, queues
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, text_field
from stations.first_shift.events import FirstShiftEvents, pack_hints
from stations.pack import camera_hub, pack_context
from stations.setup.wiring import saved_camera

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 2_000_000  # a 1280x720 JPEG at the page's quality is a tenth of this
_DATA_URL = "data:image/jpeg;base64,"
_IN_VIEW = "pack.in_view"  # per connection: which barcodes each camera is looking at


def _image_bytes(payload: Any, name: str, limit: int) -> bytes:
    """A JPEG as a binary attachment (`name`), or as a data URL (`data_url`)."""
    if not isinstance(payload, dict):
        raise ServiceError("the message must be a JSON object", "payload")
    raw = payload.get(name)
    data: bytes | None = None
    if isinstance(raw, bytes | bytearray | memoryview):
        data = bytes(raw)
    else:
        url = payload.get("data_url")
        if isinstance(url, str) and url.startswith(_DATA_URL):
            try:
                data = base64.b64decode(url[len(_DATA_URL) :], validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ServiceError("the image is not valid base64", "data_url") from exc
    if not data:
        raise ServiceError(f"send {name} as the bytes of a JPEG (or a data URL)", name)
    if len(data) > limit:
        raise ServiceError(f"{name} is larger than {limit} bytes", name)
    return data


def _target(payload: Any) -> tuple[str, str | None]:
    """The order a scan is for, or the multi-order tote it is sorted from."""
    allocation_id = text_field(payload, "allocation_id", 64, required=False)
    tote = text_field(payload, "tote", 40, required=False) or None
    if not allocation_id and not tote:
        raise ServiceError("allocation_id (or tote) is required", "allocation_id")
    return allocation_id, tote


def _in_view(key: str) -> dict[str, float]:
    views: dict[str, dict[str, float]] = session.setdefault(_IN_VIEW, {})
    return dict(views.get(key, {}))


def _keep_in_view(key: str, state: dict[str, float]) -> None:
    views: dict[str, dict[str, float]] = session.setdefault(_IN_VIEW, {})
    views[key] = state
    session[_IN_VIEW] = views


class PackNamespace(FirstShiftEvents, StationNamespace):
    station = "pack"
    roles = frozenset({"packer", "supervisor", "admin"})

    @acked
    def on_queue(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, "queue": queues.pack_queue(self.c.uow)}

    @acked
    @pack_hints
    def on_open(self, payload: Any) -> Ack:
        self.user()
        opened = packing.open_code(text_field(payload, "code", 64), self.c.uow, pack_context())
        return {"ok": True, **opened}

    @acked
    @pack_hints
    def on_scan(self, payload: Any) -> Ack:
        allocation_id, tote = _target(payload)
        reply = packing.scan_unit(
            allocation_id,
            text_field(payload, "code", 400),
            self.user(),
            self.c.uow,
            self.c.clock,
            pack_context(),
            client_scan_id=text_field(payload, "client_scan_id", 64, required=False) or None,
            device=text_field(payload, "device", 64, required=False) or None,
            tote=tote,
        )
        Changes.mark()
        return reply.to_json()

    def _close(self, payload: Any, reason_required: bool) -> Ack:
        reason = text_field(payload, "reason", 24, required=reason_required) or None
        order = packing.close_carton(
            text_field(payload, "allocation_id", 64),
            text_field(payload, "carton_type", 40),
            self.user(),
            self.c.uow,
            self.c.clock,
            pack_context(),
            reason=reason,
            note=text_field(payload, "note", 400, required=False) or None,
        )
        Changes.mark()
        carton = order["carton"]
        ack: Ack = {
            "ok": True,
            "order": order,
            "carton": carton,
            "message": msg(
                "Carton %(carton)s closed. Label it and send it on.", carton=carton["code"]
            ),
        }
        station = text_field(payload, "station", 40, required=False)
        if station and camera_hub().config(station) is not None:
            # The station camera photographs the box as it was closed: evidence, no extra step.
            try:
                ack["photo"] = self._station_photo(
                    station, order["allocation_id"], carton["code"], None
                )
            except ServiceError as exc:
                ack["photo_error"] = exc.message
        return ack

    @acked
    @pack_hints
    def on_close_carton(self, payload: Any) -> Ack:
        return self._close(payload, reason_required=False)

    @acked
    @pack_hints
    def on_override_carton(self, payload: Any) -> Ack:
        return self._close(payload, reason_required=True)

    @acked
    def on_history(self, payload: Any) -> Ack:
        self.user()
        history = packing.order_history(text_field(payload, "allocation_id", 64), self.c.uow)
        return {"ok": True, "history": history}

    # ------------------------------------------------------------------ cameras

    @acked
    def on_frame(self, payload: Any) -> Ack:
        """A browser camera frame: its barcodes are scanned against the order."""
        packer = self.user()
        allocation_id, tote = _target(payload)
        image = _image_bytes(payload, "image", MAX_FRAME_BYTES)
        codes = pack_photos.decode(image, run_blocking)
        return self._scan_codes(codes, "browser", packer, allocation_id, tote, payload)

    def _scan_codes(
        self,
        codes: list[pack_photos.SeenCode],
        source: str,
        packer: str,
        allocation_id: str,
        tote: str | None,
        payload: Any,
    ) -> Ack:
        answer, state = pack_photos.scan_frame_codes(
            codes,
            _in_view(source),
            time.monotonic(),
            allocation_id=allocation_id,
            tote=tote,
            packer=packer,
            uow=self.c.uow,
            clock=self.c.clock,
            ctx=pack_context(),
            frame_id=text_field(payload, "frame_id", 40, required=False) or None,
        )
        _keep_in_view(source, state)
        if answer["results"]:
            Changes.mark()
        return answer

    @acked
    def on_camera(self, payload: Any) -> Ack:
        """Whether this station has a camera of its own (config/stations.toml), and the
        browser camera saved for it on the set-up page (``device``: label and device id)."""
        self.user()
        station = text_field(payload, "station", 40, required=False)
        device = saved_camera(station)
        config = camera_hub().config(station) if station else None
        if config is None:
            return {"ok": True, "camera": None, "device": device}
        return {
            "ok": True,
            "camera": {"station": station, "name": config.label, "source": config.describe()},
            "device": device,
        }

    def _station_frame(self, station: str, fresh_after: float) -> Any:
        try:
            _, frame = camera_hub().camera(station).frame(fresh_after=fresh_after)
        except CameraError as exc:
            raise ServiceError(str(exc), "camera") from exc
        return frame

    @acked
    def on_look(self, payload: Any) -> Ack:
        """The station camera's view now: its barcodes scanned against the order, and a
        small preview for the screen."""
        packer = self.user()
        station = text_field(payload, "station", 40)
        allocation_id = text_field(payload, "allocation_id", 64, required=False)
        tote = text_field(payload, "tote", 40, required=False) or None
        frame = self._station_frame(station, time.monotonic() - 0.5)
        codes = pack_photos.decode(frame, run_blocking)
        if allocation_id or tote:
            ack = self._scan_codes(
                codes, f"station:{station}", packer, allocation_id, tote, payload
            )
        else:
            ack = {"ok": True, "codes": [c.to_json() for c in codes], "results": []}
        if isinstance(payload, dict) and payload.get("preview"):
            ack["preview"] = run_blocking(_preview_jpeg, frame)
        return ack

    def _station_photo(
        self, station: str, allocation_id: str, carton: str | None, client_photo_id: str | None
    ) -> dict[str, Any]:
        frame = self._station_frame(station, time.monotonic())
        data = run_blocking(encode_jpeg, frame, 88)
        codes = pack_photos.decode(frame, run_blocking)
        config = camera_hub().config(station)
        return pack_photos.add_photo(
            allocation_id,
            data,
            source="station",
            packer=self.user(),
            uow=self.c.uow,
            clock=self.c.clock,
            ctx=pack_context(),
            carton_code=carton,
            client_photo_id=client_photo_id,
            camera=config.label if config else station,
            codes_seen=codes,
        )

    @acked
    def on_photo(self, payload: Any) -> Ack:
        """A photo of the packed carton: from the browser camera (`jpeg`), or taken now by the
        station camera (`source: "station"`, `station`)."""
        packer = self.user()
        allocation_id = text_field(payload, "allocation_id", 64)
        carton = text_field(payload, "carton", 40, required=False) or None
        client_photo_id = text_field(payload, "client_photo_id", 64, required=False) or None
        source = text_field(payload, "source", 16, required=False) or "browser"
        if source == "station":
            photo = self._station_photo(
                text_field(payload, "station", 40), allocation_id, carton, client_photo_id
            )
        else:
            data = _image_bytes(payload, "jpeg", pack_photos.MAX_PHOTO_BYTES)
            try:
                codes = pack_photos.decode(data, run_blocking)
            except ServiceError:
                codes = []
            photo = pack_photos.add_photo(
                allocation_id,
                data,
                source=source,
                packer=packer,
                uow=self.c.uow,
                clock=self.c.clock,
                ctx=pack_context(),
                carton_code=carton,
                client_photo_id=client_photo_id,
                camera=text_field(payload, "camera", 80, required=False) or None,
                codes_seen=codes,
            )
        if photo["carton"]:
            kept = msg("Photo kept with carton %(carton)s.", carton=photo["carton"])
        else:
            kept = msg("Photo kept with the next carton closed.")
        return {"ok": True, "photo": photo, "message": kept}


def _preview_jpeg(frame: Any) -> bytes:
    import cv2

    height, width = frame.shape[:2]
    scale = min(1.0, 640 / max(1, width))
    small = cv2.resize(frame, (int(width * scale), int(height * scale))) if scale < 1 else frame
    return encode_jpeg(small, 70)
