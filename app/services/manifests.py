"""End-of-day close-out per carrier: the manifest of every carton its driver takes.

Closing a carrier's day puts every active label of that carrier whose ship day is today or
earlier (yesterday's forgotten ones too) on one manifest, numbered ``MF-<carrier>-<yyyymmdd>``.
From then on, that carrier's new labels get the next pickup day as their ship day
(:func:`app.domain.rate_shopping.manifest_day`), so they join the next manifest. A manifested
label cannot be voided any more.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from app.adapters.db import repositories as repo
from app.adapters.db.models import Allocation, Carton
from app.adapters.db.models_ship import ShipLabel, ShipManifest
from app.adapters.db.uow import SessionFactory
from app.domain.text import msg
from app.services.clock import Clock
from app.services.errors import Conflict, NotFound, ServiceError
from app.services.shipping import ShipContext, _local_today
from labels import Manifest, ManifestLine, render_manifest_csv, render_manifest_pdf


def _open_labels(s: Any, carrier: str, today: Any) -> list[ShipLabel]:
    return list(
        s.scalars(
            select(ShipLabel)
            .where(
                ShipLabel.carrier == carrier,
                ShipLabel.status == "active",
                ShipLabel.manifest_id.is_(None),
                ShipLabel.ship_day <= today,
            )
            .order_by(ShipLabel.id)
        ).all()
    )


def _manifest_json(m: ShipManifest) -> dict[str, Any]:
    return {
        "code": m.code,
        "carrier": m.carrier,
        "ship_day": m.ship_day.isoformat(),
        "cartons": m.carton_count,
        "total_weight_g": m.total_weight_g,
        "closed_at": m.closed_at.isoformat(),
        "closed_by": m.closed_by,
        "pdf_url": f"/ship/manifest/{m.code}.pdf",
        "csv_url": f"/ship/manifest/{m.code}.csv",
    }


def close_out_summary(uow: SessionFactory, clock: Clock, ctx: ShipContext) -> list[dict[str, Any]]:
    """Per carrier: what today's close-out would take, or the manifest already closed."""
    now = clock()
    today = _local_today(ctx, now)
    with uow() as tx:
        s = tx.session
        rows = []
        for carrier in ctx.carriers:
            labels = _open_labels(s, carrier.code, today)
            closed = s.scalars(
                select(ShipManifest).where(
                    ShipManifest.carrier == carrier.code, ShipManifest.ship_day == today
                )
            ).first()
            later = s.scalar(
                select(func.count(ShipLabel.id)).where(
                    ShipLabel.carrier == carrier.code,
                    ShipLabel.status == "active",
                    ShipLabel.manifest_id.is_(None),
                    ShipLabel.ship_day > today,
                )
            )
            rows.append(
                {
                    "carrier": carrier.code,
                    "carrier_name": carrier.name,
                    "ship_day": today.isoformat(),
                    "open_cartons": len(labels),
                    "open_weight_g": sum(lb.weight_g for lb in labels),
                    "next_day_cartons": int(later or 0),
                    "closed": _manifest_json(closed) if closed else None,
                }
            )
        return rows


def close_out(
    carrier: str, closed_by: str, uow: SessionFactory, clock: Clock, ctx: ShipContext
) -> dict[str, Any]:
    if not any(c.code == carrier for c in ctx.carriers):
        raise ServiceError(
            msg("Carrier %(carrier)s is not configured.", carrier=carrier), "carrier"
        )
    now = clock()
    today = _local_today(ctx, now)
    with uow() as tx:
        s = tx.session
        existing = s.scalars(
            select(ShipManifest).where(
                ShipManifest.carrier == carrier, ShipManifest.ship_day == today
            )
        ).first()
        if existing is not None:
            raise Conflict(
                msg(
                    "%(carrier)s was already closed today: manifest %(code)s "
                    "(%(carton_count)s cartons). Cartons labelled since go on "
                    "the next pickup day's manifest.",
                    carrier=carrier,
                    code=existing.code,
                    carton_count=existing.carton_count,
                ),
                "carrier",
            )
        labels = _open_labels(s, carrier, today)
        if not labels:
            raise Conflict(
                msg("No %(carrier)s cartons are waiting for today's manifest.", carrier=carrier),
                "carrier",
            )
        manifest = ShipManifest(
            code=f"MF-{carrier}-{today:%Y%m%d}",
            carrier=carrier,
            ship_day=today,
            carton_count=len(labels),
            total_weight_g=sum(lb.weight_g for lb in labels),
            closed_by=closed_by,
            closed_at=now,
        )
        s.add(manifest)
        s.flush()
        for label in labels:
            label.manifest_id = manifest.id
        view = _manifest_json(manifest)
        tx.commit()
        return view


def recent_manifests(uow: SessionFactory, limit: int = 20) -> list[dict[str, Any]]:
    with uow() as tx:
        rows = tx.session.scalars(
            select(ShipManifest).order_by(ShipManifest.closed_at.desc()).limit(limit)
        ).all()
        return [_manifest_json(m) for m in rows]


def _document(code: str, uow: SessionFactory, ctx: ShipContext) -> Manifest:
    with uow() as tx:
        s = tx.session
        manifest = s.scalars(select(ShipManifest).where(ShipManifest.code == code)).first()
        if manifest is None:
            raise NotFound(msg("No manifest %(code)s.", code=code), "manifest")
        lines = []
        labels = s.scalars(
            select(ShipLabel).where(ShipLabel.manifest_id == manifest.id).order_by(ShipLabel.id)
        ).all()
        for label in labels:
            carton = repo.must_get(s, Carton, label.carton_pk)
            allocation = repo.must_get(s, Allocation, label.allocation_pk)
            lines.append(
                ManifestLine(
                    tracking_number=label.tracking_number or "",
                    carton_id=carton.code,
                    order_number=allocation.order_number,
                    service=label.service,
                    weight_g=label.weight_g,
                    country=str(allocation.ship_to.get("country") or ""),
                    postal_code=str(allocation.ship_to.get("postal_code") or ""),
                )
            )
        return Manifest(
            manifest_id=manifest.code,
            carrier=manifest.carrier,
            carrier_name=ctx.carrier_name(manifest.carrier),
            ship_day=manifest.ship_day,
            closed_at=manifest.closed_at,
            closed_by=manifest.closed_by or "",
            ship_from=ctx.ship_from,
            lines=tuple(lines),
        )


def manifest_pdf(code: str, uow: SessionFactory, ctx: ShipContext) -> bytes:
    return render_manifest_pdf(_document(code, uow, ctx))


def manifest_csv(code: str, uow: SessionFactory, ctx: ShipContext) -> bytes:
    return render_manifest_csv(_document(code, uow, ctx))
