"""`dockhand import allocations FILE`: every valid allocation goes through the same intake
as the webhook; every bad row is reported with its line number, field and reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.adapters.db.uow import SessionFactory
from app.adapters.oms.csv_allocations import RowError, parse_csv
from app.services import intake
from app.services.clock import Clock


@dataclass
class ImportReport:
    allocations: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)


def import_allocations(path: Path, uow: SessionFactory, clock: Clock) -> ImportReport:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        parsed = parse_csv(fh)
    report = ImportReport(errors=list(parsed.errors))
    for doc, rows in parsed.documents:
        result = intake.receive_allocation(doc, uow, clock)
        status = str(result.body.get("status") or result.body.get("error"))
        report.allocations += 1
        report.by_status[status] = report.by_status.get(status, 0) + 1
        if result.http_status == 409:
            report.errors.append(
                RowError(rows[0], doc.allocation_id, "version", str(result.body.get("detail")))
            )
    report.errors.sort(key=lambda e: e.row)
    return report
