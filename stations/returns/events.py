from __future__ import annotations

import base64
import binascii
from typing import Any

from app.domain.text import msg
from app.services import returns
from app.services.errors import ServiceError
from stations.common import Ack, Changes, StationNamespace, acked, int_field, text_field
from stations.returns import returns_context

_DATA_URL = "data:image/jpeg;base64,"


def _photo_bytes(payload: Any) -> bytes:
    """The JPEG as a binary attachment (`jpeg`), or as a data URL (`data_url`)."""
    if not isinstance(payload, dict):
        raise ServiceError("the message must be a JSON object", "payload")
    raw = payload.get("jpeg")
    if isinstance(raw, bytes | bytearray | memoryview):
        return bytes(raw)
    url = payload.get("data_url")
    if isinstance(url, str) and url.startswith(_DATA_URL):
        try:
            return base64.b64decode(url[len(_DATA_URL) :], validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ServiceError("the photo is not valid base64", "data_url") from exc
    raise ServiceError("send the photo as a JPEG (jpeg bytes or a data URL)", "jpeg")


class ReturnsNamespace(StationNamespace):
    station = "returns"
    roles = frozenset({"returns", "packer", "supervisor", "admin"})

    @acked
    def on_worklist(self, payload: Any) -> Ack:
        self.user()
        return {"ok": True, **returns.worklist(self.c.uow)}

    @acked
    def on_receive(self, payload: Any) -> Ack:
        review = bool(payload.get("review")) if isinstance(payload, dict) else False
        receipt = returns.receive(
            text_field(payload, "code", 80),
            self.user(),
            self.c.uow,
            self.c.clock,
            returns_context(),
            review=review,
        )
        return {"ok": True, "receipt": receipt, "message": _opened(receipt)}

    @acked
    def on_scan(self, payload: Any) -> Ack:
        unit_id = payload.get("unit_id") if isinstance(payload, dict) else None
        reply = returns.scan(
            text_field(payload, "receipt", 20),
            text_field(payload, "code", 400),
            self.user(),
            self.c.uow,
            self.c.clock,
            returns_context(),
            unit_id=int_field(payload, "unit_id") if unit_id is not None else None,
            client_scan_id=text_field(payload, "client_scan_id", 64, required=False) or None,
            device=text_field(payload, "device", 64, required=False) or None,
        )
        Changes.mark()
        return reply.to_json()

    @acked
    def on_photo(self, payload: Any) -> Ack:
        receipt = returns.add_photo(
            int_field(payload, "unit_id"),
            _photo_bytes(payload),
            text_field(payload, "source", 16, required=False) or "camera",
            self.user(),
            self.c.uow,
            self.c.clock,
            returns_context(),
            client_photo_id=text_field(payload, "client_photo_id", 64, required=False) or None,
        )
        return {"ok": True, "receipt": receipt, "message": msg("Photo saved.")}

    @acked
    def on_remove_unit(self, payload: Any) -> Ack:
        receipt = returns.remove_unit(
            int_field(payload, "unit_id"),
            self.user(),
            self.c.uow,
            self.c.clock,
            returns_context(),
        )
        return {"ok": True, "receipt": receipt, "message": msg("Item scan removed.")}

    @acked
    def on_close(self, payload: Any) -> Ack:
        reply, receipt = returns.close(
            text_field(payload, "receipt", 20),
            self.user(),
            self.c.uow,
            self.c.clock,
            returns_context(),
        )
        Changes.mark()
        return {**reply.to_json(), "receipt": receipt}

    @acked
    def on_resolve_review(self, payload: Any) -> Ack:
        receipt = returns.resolve_review(
            text_field(payload, "receipt", 20),
            text_field(payload, "rma_id", 64),
            self.user(),
            self.c.uow,
            self.c.clock,
            returns_context(),
        )
        Changes.mark()
        return {
            "ok": True,
            "receipt": receipt,
            "message": msg(
                "%(code)s is now return %(rma)s: finish each unit.",
                code=receipt["code"],
                rma=receipt["rma_id"],
            ),
        }


def _opened(receipt: dict[str, Any]) -> str:
    if receipt["status"] == "closed":
        return msg(
            "Return %(rma)s (%(code)s) is already closed.",
            rma=receipt["rma_id"],
            code=receipt["code"],
        )
    if receipt["review"]:
        return msg(
            "Review %(code)s: no authorization. Scan each item; "
            "units are held on the returns shelf.",
            code=receipt["code"],
        )
    if receipt["order_number"]:
        return msg(
            "Return %(rma)s for order %(order)s: scan each item from the parcel.",
            rma=receipt["rma_id"],
            order=receipt["order_number"],
        )
    return msg("Return %(rma)s: scan each item from the parcel.", rma=receipt["rma_id"])
