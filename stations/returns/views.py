from __future__ import annotations

from flask import Blueprint, Response, render_template, send_file

from app.container import container
from app.domain.returns import REASONS, Command, Grade
from app.domain.text import N_
from app.services import returns
from app.web.api import _verify_signature
from stations.returns import returns_context

bp = Blueprint("returns", __name__, template_folder="templates")

# What the OMS reads for a return (signed like the rest of /api/v1).
api = Blueprint("returns_api", __name__, url_prefix="/api/v1/returns")
api.before_request(_verify_signature)

GRADE_TITLES = {
    Grade.RESELLABLE: N_("Resellable"),
    Grade.DAMAGED: N_("Damaged → quarantine"),
    Grade.DISPOSE: N_("Dispose"),
}


@bp.get("/returns")
def page() -> str:
    grades = [
        {
            "grade": g.value,
            "title": GRADE_TITLES[g],
            "reasons": [r.to_json() for r in REASONS if r.grade is g],
        }
        for g in Grade
    ]
    commands = {c.name.lower(): c.value for c in Command}
    return render_template("returns.html", station="returns", grades=grades, commands=commands)


def _jpeg(photo_id: int, rma_id: str | None = None) -> Response:
    path = returns.photo_file(photo_id, container().uow, returns_context(), rma_id)
    resp = send_file(path, mimetype="image/jpeg", max_age=86400)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


def _label(rma_id: str, fmt: str, actor: str) -> Response:
    c = container()
    data = returns.return_label(rma_id, fmt, actor, c.uow, c.clock, c.ship)
    mimetype = "application/pdf" if fmt == "pdf" else "application/x-zpl"
    return Response(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f'inline; filename="return-{rma_id}.{fmt}"'},
    )


@bp.get("/returns/label/<rma_id>.<any(pdf, zpl):fmt>")
def label(rma_id: str, fmt: str) -> Response:
    return _label(rma_id, fmt, "station")


@api.get("/<rma_id>/label.<any(pdf, zpl):fmt>")
def api_label(rma_id: str, fmt: str) -> Response:
    return _label(rma_id, fmt, "oms")


@bp.get("/returns/photos/<int:photo_id>.jpg")
def photo(photo_id: int) -> Response:
    return _jpeg(photo_id)


@api.get("/<rma_id>/photos/<int:photo_id>.jpg")
def api_photo(rma_id: str, photo_id: int) -> Response:
    return _jpeg(photo_id, rma_id)
