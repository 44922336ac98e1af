from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request

from app.container import container
from app.services import manifests, shipping

bp = Blueprint("ship", __name__, template_folder="templates")

_STATION = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")


@bp.get("/ship")
def page() -> str:
    c = container()
    station_id = request.args.get("station", "")
    if not _STATION.match(station_id):
        # No station given: the first configured ship printer, else the browser's PDF.
        station_id = next((sid for sid in c.ship.printers if sid.startswith("ship")), "")
    printer = c.ship.printer(station_id)
    return render_template(
        "ship.html",
        station="ship",
        station_id=station_id,
        printer_label=printer.label if printer else "Browser (PDF)",
        override_reasons=shipping.OVERRIDE_REASONS,
    )


@bp.get("/ship/label/<code>.pdf")
def label(code: str) -> Response:
    c = container()
    pdf = shipping.label_pdf(code, c.uow, c.ship)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{code}.pdf"'},
    )


@bp.get("/ship/label/<code>.zpl")
def label_zpl(code: str) -> Response:
    c = container()
    dpi = request.args.get("dpi", "203")
    zpl = shipping.label_zpl(code, c.uow, c.ship, 300 if dpi == "300" else 203)
    return Response(
        zpl,
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{code}.zpl"'},
    )


@bp.get("/ship/manifest/<code>.pdf")
def manifest_pdf(code: str) -> Response:
    c = container()
    return Response(
        manifests.manifest_pdf(code, c.uow, c.ship),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{code}.pdf"'},
    )


@bp.get("/ship/manifest/<code>.csv")
def manifest_csv(code: str) -> Response:
    c = container()
    return Response(
        manifests.manifest_csv(code, c.uow, c.ship),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{code}.csv"'},
    )
