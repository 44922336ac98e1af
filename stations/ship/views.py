from __future__ import annotations

import re

from flask import Blueprint, Response, render_template, request

from app.container import container
from app.domain.b2b import FREIGHT_CLASSES
from app.services import manifests, pallets, shipping

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


@bp.get("/ship/pallet")
def pallet_page() -> str:
    c = container()
    station_id = request.args.get("station", "")
    if not _STATION.match(station_id):
        station_id = next((sid for sid in c.ship.printers if sid.startswith("ship")), "")
    printer = c.ship.printer(station_id)
    gs1 = c.ship.gs1
    return render_template(
        "pallet.html",
        station="pallet",
        station_id=station_id,
        printer_label=printer.label if printer else "Browser (PDF)",
        pallet_spec=gs1.pallet if gs1 else None,
        freight_classes=FREIGHT_CLASSES,
    )


@bp.get("/ship/logistic/<sscc>.pdf")
def logistic_label(sscc: str) -> Response:
    c = container()
    return Response(
        pallets.logistic_label_pdf(sscc, c.uow, c.ship),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="SSCC-{sscc}.pdf"'},
    )


@bp.get("/ship/logistic/<sscc>.zpl")
def logistic_label_zpl(sscc: str) -> Response:
    c = container()
    dpi = 300 if request.args.get("dpi") == "300" else 203
    return Response(
        pallets.logistic_label_zpl(sscc, c.uow, c.ship, dpi),
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="SSCC-{sscc}.zpl"'},
    )


@bp.get("/ship/bol/<number>.pdf")
def bill_of_lading(number: str) -> Response:
    c = container()
    return Response(
        pallets.bol_pdf(number, c.uow),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="BOL-{number}.pdf"'},
    )
