"""The /reports namespace: supervisors sign in with their badge like at any station, then ask
for reports, drill into a figure, open an order, and get a token for the downloads."""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

from app.domain.text import msg, nmsg
from app.services import reports
from app.services.errors import ServiceError
from stations.common import Ack, StationNamespace, acked, int_field, text_field
from stations.reports import refresh_process, reports_context

TOKEN_SALT = "dockhand.reports.download"
TOKEN_MAX_AGE_S = 12 * 3600  # a shift and then some


def download_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


class ReportsNamespace(StationNamespace):
    station = "reports"
    roles = reports.READER_ROLES

    def _filters(self, payload: Any) -> reports.Filters:
        raw = payload.get("filters") if isinstance(payload, dict) else None
        return reports.parse_filters(raw, reports.today(reports_context(), self.c.clock))

    def _fresh(self) -> reports.ReportsContext:
        ctx = reports_context()
        reports.ensure_fresh(self.c.uow, ctx, self.c.clock, refresh_process)
        return ctx

    @acked
    def on_options(self, payload: Any) -> Ack:
        self.user()
        ctx = self._fresh()
        return {"ok": True, "options": reports.options(ctx, reports.today(ctx, self.c.clock))}

    @acked
    def on_report(self, payload: Any) -> Ack:
        self.user()
        name = text_field(payload, "name", 40)
        f = self._filters(payload)
        return {"ok": True, "report": reports.report(name, f, self._fresh())}

    @acked
    def on_drill(self, payload: Any) -> Ack:
        self.user()
        name = text_field(payload, "name", 40)
        f = self._filters(payload)
        point = payload.get("point") if isinstance(payload, dict) else None
        return {"ok": True, "drill": reports.drill(name, point, f, self._fresh())}

    @acked
    def on_order(self, payload: Any) -> Ack:
        """{allocation_pk} from a drill-through row, or {code} scanned off a slip."""
        self.user()
        ctx = reports_context()
        if isinstance(payload, dict) and "code" in payload:
            pk = reports.find_order(text_field(payload, "code", 64), ctx)
        else:
            pk = int_field(payload, "allocation_pk")
        return {"ok": True, "order": reports.order_detail(pk, ctx)}

    @acked
    def on_refresh(self, payload: Any) -> Ack:
        """Rebuild now and wait (in its own process; this greenlet waits cooperatively)."""
        self.user()
        done = refresh_process(wait=True) or {}
        days = int(done.get("days", 0))
        return {
            "ok": True,
            "refresh": done,
            "message": nmsg(
                "Reports rebuilt for %(n)s day.", "Reports rebuilt for %(n)s days.", days, n=days
            ),
        }

    @acked
    def on_download_token(self, payload: Any) -> Ack:
        badge = self.user()
        if not reports.may_read_reports(badge, self.c.uow):
            raise ServiceError(msg("Only supervisors may download reports."), "badge")
        return {"ok": True, "token": download_signer().dumps({"badge": badge})}
