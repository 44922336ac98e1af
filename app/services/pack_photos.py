"""Camera verification at the pack station: barcodes a camera sees count as unit scans, and a
photo of the packed carton is kept as evidence.

Frames come from the browser (getUserMedia, sent as JPEG over Socket.IO) or from the station's
own camera read by the server (`app.adapters.cameras`). Each frame is decoded
(`app.adapters.decoding.decode_image`); every unit barcode that has just come into view is
scanned against the order exactly like a wedge scan (same verdicts, same scan log, device
"camera"). A barcode stays "in view" while frames keep seeing it; it must be gone for
`GONE_AFTER_S` before it can count again, so one unit held under the camera is one scan even
when a frame or two misses it, and the next unit of the same item counts once the first has
been put down out of view.

Photos are JPEG files under the pack photo folder (`pack_photo_dir`; default `photos/pack`
beside the SQLite file, else var/photos/pack), written durably (fsync, rename) before the row
that names them commits; the row keeps the path, size and SHA-256, and the file is checked
against the hash each time it is served.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.adapters.db import repositories as repo
from app.adapters.db.engine import normalise_url
from app.adapters.db.models import Carton
from app.adapters.db.models_pack import PackPhoto
from app.adapters.db.uow import SessionFactory
from app.domain.scanning import ScanKind, parse_scan
from app.domain.text import msg
from app.services import packing
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.packing import PackContext

MIN_PHOTO_BYTES = 200
MAX_PHOTO_BYTES = 8_000_000
MAX_CODES_PER_FRAME = 8
GONE_AFTER_S = 1.5
SOURCES = ("browser", "station")
# What a camera may see on a pack bench that is not a unit: never counted as a unit scan.
NOT_UNITS = frozenset(
    {
        ScanKind.TOTE,
        ScanKind.CARTON,
        ScanKind.CARTON_TYPE,
        ScanKind.BADGE,
        ScanKind.LOCATION,
        ScanKind.SSCC,
        ScanKind.CHECK_FAILED,  # a misread tote or location label
    }
)


def photo_folder(configured: str, database_url: str) -> Path:
    """The configured folder; else `photos/pack` beside the SQLite file, else var/photos/pack.
    Relative paths are taken from the working folder."""
    if configured:
        return Path(configured).resolve()
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return (Path(str(url.database)).parent / "photos" / "pack").resolve()
    return Path("var/photos/pack").resolve()


# ------------------------------------------------------------------------------ codes in view


@dataclass(frozen=True)
class SeenCode:
    """A barcode found in a frame, as the decoder reports it."""

    text: str
    format: str
    gtin14: str | None = None

    @property
    def scan_text(self) -> str:
        """What to scan: the GTIN-14 of a retail symbol (UPC-E, UPC-A and EAN-13 of one item
        then match the same barcode), else the text as read."""
        return self.gtin14 or self.text

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "format": self.format, "gtin14": self.gtin14}


def unit_codes(found: Iterable[SeenCode]) -> list[SeenCode]:
    """The codes that may be units (not totes, cartons, badges, locations), each once."""
    out: list[SeenCode] = []
    seen: set[str] = set()
    for code in found:
        text = code.scan_text.strip()
        if not text or text in seen:
            continue
        if parse_scan(text).kind in NOT_UNITS:
            continue
        seen.add(text)
        out.append(code)
    return out[:MAX_CODES_PER_FRAME]


def arrivals(
    in_view: dict[str, float],
    codes: Sequence[str],
    now_s: float,
    gone_after_s: float = GONE_AFTER_S,
) -> tuple[list[str], dict[str, float]]:
    """Which codes just came into view, and the new in-view state (code -> last seen, in
    seconds on one monotonic clock). Pure: the caller keeps the state per camera."""
    state = {c: t for c, t in in_view.items() if now_s - t <= gone_after_s}
    new = [c for c in dict.fromkeys(codes) if c not in state]
    for c in codes:
        state[c] = now_s
    return new, state


def decoder() -> Callable[[Any], list[Any]] | None:
    """The server's barcode decoder, when this installation has it (OpenCV, zxing-cpp)."""
    try:
        from app.adapters.decoding import decode_image
    except Exception:  # a missing native library: camera scanning is then unavailable
        return None
    return decode_image


def decode(image: Any, run: Callable[..., Any] | None = None) -> list[SeenCode]:
    """Barcodes in a frame (JPEG/PNG bytes or a BGR array). ServiceError when unreadable."""
    fn = decoder()
    if fn is None:
        raise ServiceError(
            msg("This server cannot read barcodes from a camera. Use a scanner."), "image"
        )
    try:
        found = run(fn, image) if run else fn(image)
    except ValueError as exc:  # not an image the decoder can read
        raise ServiceError(msg("unreadable frame: %(exc)s", exc=exc), "image") from exc
    return [SeenCode(d.text, d.format, getattr(d, "gtin14", None)) for d in found]


def scan_frame_codes(
    codes: Sequence[SeenCode],
    in_view: dict[str, float],
    now_s: float,
    *,
    allocation_id: str,
    tote: str | None,
    packer: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: PackContext,
    frame_id: str | None = None,
) -> tuple[dict[str, Any], dict[str, float]]:
    """Scan every unit barcode that just came into view; returns the answer and the new
    in-view state. A retried frame (same `frame_id`) replays its scans' first answers."""
    units = unit_codes(codes)
    new, state = arrivals(in_view, [c.scan_text for c in units], now_s)
    results = []
    order = None
    tote_view = None
    for text in new:
        scan_id = f"cam:{frame_id}:{text}"[:64] if frame_id else f"cam:{uuid.uuid4().hex}"
        reply = packing.scan_unit(
            allocation_id,
            text,
            packer,
            uow,
            clock,
            ctx,
            client_scan_id=scan_id,
            device="camera",
            tote=tote,
        )
        body = reply.to_json()
        order = body.pop("order", None) or order
        tote_view = body.pop("tote", None) or tote_view
        results.append({"code": text, **body})
    return (
        {
            "ok": True,
            "codes": [c.to_json() for c in codes[:MAX_CODES_PER_FRAME]],
            "in_view": sorted(state),
            "results": results,
            "order": order,
            "tote": tote_view,
        },
        state,
    )


# ------------------------------------------------------------------------------ photos


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    width_px: int
    height_px: int


def check_jpeg(data: bytes) -> CheckedPhoto:
    if len(data) < MIN_PHOTO_BYTES:
        raise ServiceError(msg("The photo is empty. Take it again."), "photo")
    if len(data) > MAX_PHOTO_BYTES:
        raise ServiceError(
            msg(
                "The photo is %(value)s kB; the most is %(value2)s kB.",
                value=len(data) // 1000,
                value2=MAX_PHOTO_BYTES // 1000,
            ),
            "photo",
        )
    if not data.startswith(b"\xff\xd8"):
        raise ServiceError(msg("Photos are stored as JPEG: this is not one."), "photo")
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise ServiceError(msg("That is not a readable JPEG photo."), "photo")
    height, width = img.shape[:2]
    return CheckedPhoto(data, int(width), int(height))


def _write_durably(target: Path, data: bytes) -> None:
    """Write, fsync, rename: a crash leaves either no file or the whole photo."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".part")
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)


def _safe(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in text)[:64] or "order"


def add_photo(
    allocation_id: str,
    data: bytes,
    *,
    source: str,
    packer: str,
    uow: SessionFactory,
    clock: Clock,
    ctx: PackContext,
    carton_code: str | None = None,
    client_photo_id: str | None = None,
    camera: str | None = None,
    codes_seen: Sequence[SeenCode] = (),
) -> dict[str, Any]:
    """Keep a photo of an order's carton. With `carton_code` it belongs to that carton; without
    it to the order's next carton closed (or, once the order is packed, its last carton)."""
    if source not in SOURCES:
        raise ServiceError(
            msg("source must be one of %(items)s", items=", ".join(SOURCES)), "source"
        )
    if ctx.photo_dir is None:
        raise ServiceError(msg("No photo folder is configured for the pack station."), "photo")
    photo = check_jpeg(data)
    now = clock()
    with uow() as tx:
        s = tx.session
        if client_photo_id:
            prev = s.scalars(
                select(PackPhoto).where(PackPhoto.client_photo_id == client_photo_id)
            ).first()
            if prev is not None:  # a retry after a lost answer: the photo is already kept
                return _photo_json(s, prev)
        allocation = repo.allocation_by_external_id(s, allocation_id, lock=True)
        if allocation is None:
            raise NotFound(
                msg("no allocation %(allocation_id)s", allocation_id=allocation_id), "allocation_id"
            )
        carton = None
        if carton_code:
            carton = s.scalars(
                select(Carton).where(Carton.code == carton_code.strip().upper())
            ).first()
            if carton is None or carton.allocation_pk != allocation.id:
                raise NotFound(
                    msg(
                        "carton %(carton_code)s is not a carton of %(order_number)s",
                        carton_code=carton_code,
                        order_number=allocation.order_number,
                    ),
                    "carton",
                )
        elif not packing._loose(s, allocation):
            # Nothing waiting for a carton: the photo shows the last carton closed.
            carton = s.scalars(
                select(Carton)
                .where(Carton.allocation_pk == allocation.id, Carton.status != "voided")
                .order_by(Carton.id.desc())
            ).first()
        digest = hashlib.sha256(photo.data).hexdigest()
        relative = (
            f"{now:%Y/%m/%d}/{_safe(allocation.allocation_id)}/"
            f"{carton.code if carton else 'open'}-{uuid.uuid4().hex[:12]}.jpg"
        )
        target = ctx.photo_dir / relative
        _write_durably(target, photo.data)
        row = PackPhoto(
            allocation_pk=allocation.id,
            carton_id=carton.id if carton else None,
            client_photo_id=client_photo_id or None,
            path=relative,
            sha256=digest,
            size_bytes=len(photo.data),
            width_px=photo.width_px,
            height_px=photo.height_px,
            source=source,
            camera=(camera or None) and camera[:80],
            codes_seen=[c.to_json() for c in codes_seen] or None,
            taken_by=packer,
            taken_at=now,
        )
        s.add(row)
        try:
            s.flush()
            answer = _photo_json(s, row)
            tx.commit()
        except Exception:
            target.unlink(missing_ok=True)  # no row points at it
            raise
        return answer


def _photo_json(s: Any, row: PackPhoto) -> dict[str, Any]:
    carton = s.get(Carton, row.carton_id) if row.carton_id else None
    return {
        "id": row.id,
        "url": packing.photo_url(row.id),
        "carton": carton.code if carton else None,
        "sha256": row.sha256,
        "width_px": row.width_px,
        "height_px": row.height_px,
        "source": row.source,
        "codes_seen": row.codes_seen or [],
    }


def photo_file(photo_id: int, uow: SessionFactory, ctx: PackContext) -> Path:
    """The photo's file, checked against the SHA-256 recorded when it was taken."""
    if ctx.photo_dir is None:
        raise NotFound(msg("no pack photo folder"), "photo")
    with uow() as tx:
        photo = tx.session.get(PackPhoto, photo_id)
        if photo is None:
            raise NotFound(msg("No photo %(photo_id)s.", photo_id=photo_id), "photo")
        path = (ctx.photo_dir / photo.path).resolve()
        digest = photo.sha256
    if ctx.photo_dir.resolve() not in path.parents or not path.is_file():
        raise NotFound(
            msg(
                "Photo %(photo_id)s is missing from %(photo_dir)s.",
                photo_id=photo_id,
                photo_dir=ctx.photo_dir,
            ),
            "photo",
        )
    if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        raise Conflict(
            msg("Photo %(photo_id)s on disk is not the photo that was taken.", photo_id=photo_id),
            "photo",
        )
    return path
