"""Station set-up pages: /setup itself (admins, over the /setup namespace), the DataWedge
sheet and profile downloads, and the PDF test label of a station that prints from the
browser."""

from __future__ import annotations

import json
import re
from typing import cast

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask.blueprints import BlueprintSetupState

from app.container import container
from app.domain.datawedge import PROFILE_NAME, TEST_CODES, set_config
from labels.datawedge_sheet import DataWedgeSheet, render_datawedge_sheet
from labels.station_test_label import PrinterTestLabel, render_test_label_pdf
from stations.setup.wiring import setup, station_setup

bp = Blueprint("setup", __name__, template_folder="templates")

_STATION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")


@bp.record_once
def _wire(state: BlueprintSetupState) -> None:
    setup(cast(Flask, state.app))


def _badge_sheet_url() -> str | None:
    """The labels page's badge sheets (stations/labels), when this installation has them."""
    if "labels.page" not in current_app.view_functions:
        return None
    return url_for("labels.page") + "#form-badges"


@bp.get("/setup")
def page() -> str:
    return render_template(
        "setup.html",
        station="setup",
        test_codes=TEST_CODES,
        badge_sheet_url=_badge_sheet_url(),
    )


@bp.get("/setup/datawedge.pdf")
def datawedge_sheet() -> Response:
    base = request.args.get("url") or request.host_url
    if not base.startswith(("http://", "https://")) or len(base) > 200:
        abort(400)
    pdf = render_datawedge_sheet(DataWedgeSheet(base_url=base.rstrip("/")))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": 'inline; filename="dockhand-datawedge.pdf"'},
    )


@bp.get("/setup/datawedge.json")
def datawedge_json() -> Response:
    return Response(
        json.dumps(set_config(), indent=2) + "\n",
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="datawedge-{PROFILE_NAME}.json"'},
    )


@bp.get("/setup/test-label/<station_id>.pdf")
def test_label(station_id: str) -> Response:
    if not _STATION.match(station_id):
        abort(404)
    wiring = station_setup()
    printer = wiring.setup.effective_printer(station_id)
    label = PrinterTestLabel(
        station_id, printer.label if printer else "Browser (PDF)", container().clock()
    )
    return Response(
        render_test_label_pdf(label),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="test-{station_id}.pdf"'},
    )
