from __future__ import annotations

from flask import Blueprint, Response, render_template

from app.container import container
from app.services import packing

bp = Blueprint("pack", __name__, template_folder="templates")


@bp.get("/pack")
def page() -> str:
    return render_template("pack.html", station="pack")


@bp.get("/pack/slip/<allocation_id>.pdf")
def slip(allocation_id: str) -> Response:
    c = container()
    pdf = packing.packing_slip_pdf(allocation_id, c.uow, c.ship.ship_from)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{allocation_id}.pdf"'},
    )
