"""What a station hears back after a scan: accepted or not, a result code, a sentence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.adapters.db.models import ScanLog


@dataclass
class ScanReply:
    ok: bool
    result: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "result": self.result,
            "message": self.message,
            "replayed": self.replayed,
            **self.data,
        }


def log_scan(
    s: Session,
    *,
    station: str,
    raw: str,
    reply: ScanReply,
    now: Any,
    client_scan_id: str | None = None,
    device: str | None = None,
    actor: str | None = None,
    parsed: dict[str, Any] | None = None,
    allocation_pk: int | None = None,
    task_id: int | None = None,
) -> None:
    s.add(
        ScanLog(
            client_scan_id=client_scan_id or None,
            station=station,
            device=device,
            actor=actor,
            raw=raw[:400],
            parsed=parsed,
            result=reply.result,
            detail=reply.message[:400],
            allocation_pk=allocation_pk,
            task_id=task_id,
            at=now,
        )
    )


def replay(previous: ScanLog) -> ScanReply:
    """The same client scan id again (a retry after a lost ack, or an offline replay):
    answer what was answered the first time and change nothing."""
    ok = previous.result.endswith("_ok")
    return ScanReply(ok, previous.result, previous.detail or "", replayed=True)
