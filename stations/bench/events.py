"""A bare handler for the scan-load benchmark: insert one scan-log row and commit, through
the same group-commit writer as real scans, nothing else. Registered only when the setting
`bench_endpoints` is on."""

from __future__ import annotations

from typing import Any

from app.adapters.db.models import ScanLog
from stations.common import Ack, StationNamespace, acked, text_field


class BenchNamespace(StationNamespace):
    station = "bench"

    @acked
    def on_bare(self, payload: Any) -> Ack:
        raw = text_field(payload, "code", 64)

        def job(s: Any, now: Any) -> None:
            s.add(ScanLog(station="bench", raw=raw, result="bare_ok", at=now))

        self.c.writer.run(job)
        return {"ok": True, "result": "bare_ok"}
