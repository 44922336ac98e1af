from __future__ import annotations

from flask import Blueprint, Response, render_template

from app.container import container
from app.services import shipping

bp = Blueprint("ship", __name__, template_folder="templates")


@bp.get("/ship")
def page() -> str:
    return render_template("ship.html", station="ship")


@bp.get("/ship/label/<code>.pdf")
def label(code: str) -> Response:
    c = container()
    pdf = shipping.label_pdf(code, c.uow, c.ship)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{code}.pdf"'},
    )
