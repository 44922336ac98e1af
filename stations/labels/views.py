"""The label sheets page and its PDF downloads.

Downloads are plain links (a browser or a printer opens them) carrying the token the
/reports namespace signs for a signed-in supervisor or admin, exactly like the reports'
downloads: the badge in it must still belong to an active supervisor or admin. Badge sheets
hold names, so nothing here is public."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template, request
from itsdangerous import BadSignature, SignatureExpired

from app.container import container
from app.services import labels, reports
from app.services.errors import ServiceError
from stations.reports.events import TOKEN_MAX_AGE_S, download_signer

bp = Blueprint("labels", __name__, template_folder="templates")


def _authorised() -> str:
    token = request.args.get("token", "")
    try:
        data = download_signer().loads(token, max_age=TOKEN_MAX_AGE_S)
    except SignatureExpired:
        abort(401, "This download link has expired: open the labels page again.")
    except BadSignature:
        abort(401, "Sign in on the labels page to download.")
    badge = str(data.get("badge", "")) if isinstance(data, dict) else ""
    if not badge or not reports.may_read_reports(badge, container().uow):
        abort(403, "Only supervisors and admins may print labels.")
    return badge


def _pdf(name: str, body: bytes) -> Response:
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{name}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _failed(exc: ServiceError) -> Response:
    return Response(json.dumps(exc.to_json()), status=exc.http_status, mimetype="application/json")


@bp.get("/labels")
def page() -> str:
    zones = labels.rack_zones(container().uow)
    return render_template("labels.html", station="labels", zones=zones, roles=labels.ROLES)


@bp.get("/labels/locations.pdf")
def locations_pdf() -> Response:
    _authorised()
    args = request.args
    try:
        pdf = labels.location_sheet(
            container().uow,
            zone=labels.zone_of(args.get("zone")),
            aisle=labels.number_of(args.get("aisle"), "aisle", 0, 99),
            paper=labels.paper_of(args.get("paper")),
            arrows=args.get("arrows", "1") != "0",
        )
    except ServiceError as exc:
        return _failed(exc)
    return _pdf("locations", pdf)


@bp.get("/labels/totes.pdf")
def totes_pdf() -> Response:
    _authorised()
    args = request.args
    try:
        pdf = labels.tote_sheet(
            labels.number_of(args.get("from"), "from", 1, labels.MAX_TOTE_NUMBER),
            labels.number_of(args.get("to"), "to", 1, labels.MAX_TOTE_NUMBER),
            paper=labels.paper_of(args.get("paper")),
        )
    except ServiceError as exc:
        return _failed(exc)
    return _pdf("totes", pdf)


@bp.get("/labels/badges.pdf")
def badges_pdf() -> Response:
    _authorised()
    args = request.args
    try:
        role = (args.get("role") or "").strip().lower() or None
        pdf = labels.badge_sheet(
            container().uow, paper=labels.paper_of(args.get("paper")), role=role
        )
    except ServiceError as exc:
        return _failed(exc)
    return _pdf("badges", pdf)
