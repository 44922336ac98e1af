"""A bare handler for the scan-load benchmark: insert one scan-log row and commit, through
the same group-commit writer as real scans, nothing else. Registered only when the setting
`bench_endpoints` is on.

The row goes in as a pick scan's does on its fast path (a prepared statement in the
writer's plain savepoint): the cheapest write the writer offers, so that `full_vs_bare`
compares the scan handler with nothing but the web stack, the writer and the commit. (It
was an ORM insert, a nested transaction and a flush per job, which cost the writer about
three times as much and flattered the ratio.)"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db import pick_rows
from app.adapters.db.models import ScanLog
from app.adapters.db.prepared import Cursor
from stations.common import Ack, StationNamespace, acked, text_field


class BenchNamespace(StationNamespace):
    station = "bench"

    @acked
    def on_bare(self, payload: Any) -> Ack:
        raw = text_field(payload, "code", 64)
        row = {
            "client_scan_id": None,
            "station": "bench",
            "device": None,
            "actor": None,
            "raw": raw,
            "parsed": None,
            "result": "bare_ok",
            "detail": "",
            "allocation_pk": None,
            "task_id": None,
        }

        def insert(s: Session, now: datetime) -> bool:
            cur = Cursor(s)
            try:
                pick_rows.log_scan(cur, row | {"at": now})
            finally:
                cur.close()
            return True

        def job(s: Session, now: datetime) -> None:  # only if the prepared insert failed
            s.add(ScanLog(station="bench", raw=raw, result="bare_ok", at=now))

        self.c.writer.run(job, fast=insert)
        return {"ok": True, "result": "bare_ok"}
