"""The reports page and its downloads: CSV of any table or drill-through, the daily PDF.

Downloads are plain links (a spreadsheet or a printer can open them) carrying a token the
/reports namespace signs for a signed-in supervisor; the badge in it must still belong to an
active supervisor."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from itsdangerous import BadSignature, SignatureExpired

from app.container import container
from app.services import reports
from app.services.errors import ServiceError
from labels.daily_summary import DailySummary, render_daily_summary
from stations.reports import refresh_process, reports_context
from stations.reports.events import TOKEN_MAX_AGE_S, download_signer

bp = Blueprint("reports", __name__, template_folder="templates")


@bp.get("/reports")
def page() -> str:
    return render_template("reports.html", station="reports")


def _authorised() -> str:
    token = request.args.get("token", "")
    try:
        data = download_signer().loads(token, max_age=TOKEN_MAX_AGE_S)
    except SignatureExpired:
        abort(401, "This download link has expired: open the reports page again.")
    except BadSignature:
        abort(401, "Sign in on the reports page to download.")
    badge = str(data.get("badge", "")) if isinstance(data, dict) else ""
    if not badge or not reports.may_read_reports(badge, container().uow):
        abort(403, "Only supervisors may download reports.")
    return badge


def _filters() -> reports.Filters:
    ctx = reports_context()
    c = container()
    reports.ensure_fresh(c.uow, ctx, c.clock, refresh_process)
    return reports.parse_filters(request.args.to_dict(), reports.today(ctx, c.clock))


def _csv(filename: str, body: bytes) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _failed(exc: ServiceError) -> Response:
    return Response(json.dumps(exc.to_json()), status=exc.http_status, mimetype="application/json")


@bp.get("/reports/export/<name>/<table>.csv")
def export_table(name: str, table: str) -> Response:
    _authorised()
    try:
        f = _filters()
        if table == "orders":
            point = json.loads(request.args.get("point") or "{}")
            filename, body = reports.export_drill(name, point, f, reports_context())
        else:
            filename, body = reports.export_table(name, table, f, reports_context())
    except ServiceError as exc:
        return _failed(exc)
    except ValueError:
        return _failed(ServiceError("point must be JSON", "point"))
    return _csv(filename, body)


@bp.get("/reports/summary/<day>.pdf")
def summary_pdf(day: str) -> Response:
    _authorised()
    ctx = reports_context()
    c = container()
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        return _failed(ServiceError("the day must look like 2026-11-28", "day"))
    reports.ensure_fresh(c.uow, ctx, c.clock, refresh_process)
    data = reports.daily_summary(wanted, ctx, c.settings.warehouse_name, c.clock())
    pdf = render_daily_summary(DailySummary.from_report(data))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="daily-summary-{wanted.isoformat()}.pdf"',
            "Cache-Control": "no-store",
        },
    )
