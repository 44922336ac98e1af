from __future__ import annotations

from flask import Blueprint, Response, render_template, send_file

from app.container import container
from app.domain.packing import OVERRIDE_REASONS
from app.services import pack_photos, packing
from stations.pack import pack_context

bp = Blueprint("pack", __name__, template_folder="templates")


@bp.get("/pack")
def page() -> str:
    return render_template(
        "pack.html", station="pack", override_reasons=[r.to_json() for r in OVERRIDE_REASONS]
    )


@bp.get("/pack/slip/<allocation_id>.pdf")
def slip(allocation_id: str) -> Response:
    c = container()
    pdf = packing.packing_slip_pdf(allocation_id, c.uow, c.ship.ship_from)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{allocation_id}.pdf"'},
    )


@bp.get("/pack/carton/<carton>/contents.pdf")
def contents_label(carton: str) -> Response:
    pdf = packing.carton_content_pdf(carton, container().uow)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="contents-{carton}.pdf"'},
    )


@bp.get("/pack/carton/<carton>/diagram.svg")
def diagram(carton: str) -> Response:
    svg = packing.carton_diagram_svg(carton, container().uow, pack_context())
    resp = Response(svg, mimetype="image/svg+xml")
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/pack/photos/<int:photo_id>.jpg")
def photo(photo_id: int) -> Response:
    path = pack_photos.photo_file(photo_id, container().uow, pack_context())
    resp = send_file(path, mimetype="image/jpeg", max_age=86400)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.get("/pack/history/<allocation_id>")
def history(allocation_id: str) -> str:
    return render_template(
        "pack_history.html",
        station="pack",
        history=packing.order_history(allocation_id, container().uow),
    )
