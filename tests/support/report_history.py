"""A small scripted day on the floor, written straight into a seeded database, with answers
known by hand: the reports tests (integration and e2e) check the figures against these.

The day is Tuesday 2026-11-24 in Europe/London (winter: local time = UTC), with the carrier
pickups of `CUTOFFS` (DXP 11:00 and 16:30, PPL 14:00 and 18:30). Every order arrives at
08:00 and must ship by 17:00 unless noted.

| order | carrier | channel | level    | shipped | verdict        | cycle   | picker | units |
| A1    | DXP     | shopify | standard | 12:00   | on_time        | 240 min | U0010  | 2     |
| A2    | DXP     | shopify | standard | 16:45   | missed_pickup  | 525 min | U0010  | 3     |
| A3    | DXP     | amazon  | standard | 17:30   | late           | 570 min | U0010  | 1     |
| A4    | PPL     | amazon  | express  | 10:00   | no_promise     | 120 min | U0011  | 2     |
| A5    | PPL     | amazon  | express  | 13:00   | on_time        | 300 min | U0011  | 4     |

On time: 2 of 4 promised = 50.0 % (DXP 1 of 3 = 33.3 %, PPL 1 of 1 = 100.0 %).
Cycle time: standard median 525, p90 570; express median 120, p90 300; all median 300, p90 570.
Accuracy: 12 units picked, 2 mis-scans at pick (U0010 wrong_item on A1, U0011 wrong_location
on A4) = 166.67 per 1,000; 12 units packed, 1 mis-pack (A2, picked by U0010) and 1 weight
failure (A3, U0010) = 83.33 per 1,000 each. U0010: 6 units, 1 caught (166.67), 2 escaped
(333.33); U0011: 6 units, 1 caught, 0 escaped.
Productivity: U0010 scans at pick 09:00:00, :30, 09:01:00, :30, 09:02:00 (walk 1: A1, A2,
A3 tasks), then 09:30:00, 09:30:30 (after a 28-minute break) = 150 s working for 6 units =
144.0 units/hour. One walk: depot, A01-01 (A1), A01-03 (A2), A02-02 (A3), depot = 24.0 m,
8.0 m per pick; U0011: A03-01, A03-02 = 22.8 m, 11.4 m per pick, 6 units in 40 s = 540/hour.
Packaging: each order in the carton the pack station recommends; all also fit BOX-L.
Returns: one unit of A1's SKU back (customer: "too small", graded damaged / DEFECT).
Exceptions: one short pick on A5 (bin empty, 1 unit), one cancel of A6 ("customer changed
mind", 2 units), one hold on A7 ("credit check").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.adapters.config_files import load_cartons
from app.adapters.db import models_pick, models_returns
from app.adapters.db.models import (
    Allocation,
    AllocationLine,
    Barcode,
    Carton,
    CartonLine,
    Location,
    OutboxEvent,
    PickTask,
    ReturnAuthorization,
    ScanLog,
    Shipment,
    Sku,
    Stock,
    StockMovement,
    Wave,
)
from app.adapters.db.uow import SessionFactory
from app.domain.cartons import Unit, choose_carton
from app.domain.events import event_body

DAY = date(2026, 11, 24)
CUTOFFS = """timezone = "Europe/London"
lead_minutes = 20

[[carriers]]
code = "DXP"
service_levels = ["economy", "standard", "next_day"]
pickups = ["11:00", "16:30"]

[[carriers]]
code = "PPL"
service_levels = ["standard", "express"]
pickups = ["14:00", "18:30"]
"""
REPORTS = """timezone = "Europe/London"
idle_gap_minutes = 5

[[shifts]]
name = "early"
start = "06:00"

[[shifts]]
name = "late"
start = "14:00"

[[shifts]]
name = "night"
start = "22:00"
"""


def config_dir(base: Path, repo_config: Path) -> Path:
    """The repository's config with known pickups and shifts for these tests."""
    target = base / "config"
    target.mkdir(parents=True, exist_ok=True)
    for f in repo_config.glob("*.toml"):
        (target / f.name).write_bytes(f.read_bytes())
    (target / "cutoffs.toml").write_text(CUTOFFS)
    (target / "reports.toml").write_text(REPORTS)
    return target


def at(hh: int, mm: int = 0, ss: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC)


@dataclass
class OrderPlan:
    name: str
    carrier: str
    service: str
    channel: str
    level: str
    shipped: datetime
    picker: str
    qty: int
    sku_index: int
    location: str
    ship_by: datetime | None = field(default_factory=lambda: at(17))


PLANS = [
    OrderPlan("A1", "DXP", "DXP-STD", "shopify", "standard", at(12), "U0010", 2, 0, "A01-01-1"),
    OrderPlan("A2", "DXP", "DXP-STD", "shopify", "standard", at(16, 45), "U0010", 3, 1, "A01-03-1"),
    OrderPlan("A3", "DXP", "DXP-STD", "amazon", "standard", at(17, 30), "U0010", 1, 2, "A02-02-1"),
    OrderPlan("A4", "PPL", "PPL-EXP", "amazon", "express", at(10), "U0011", 2, 3, "A03-01-1", None),
    OrderPlan("A5", "PPL", "PPL-EXP", "amazon", "express", at(13), "U0011", 4, 4, "A03-02-1"),
]


@dataclass
class History:
    day: date
    pks: dict[str, int]
    skus: list[str]
    barcodes: list[str]
    cartons: dict[str, str]


SHIP_TO = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


def write_history(uow: SessionFactory, prefix: str = "RPT") -> History:
    """Write the scripted day (see the module docstring). `prefix` keeps ids unique when a
    database gets the day twice. Each order goes in the carton the pack station would
    recommend (config/cartons.toml)."""
    catalog = load_cartons(REPO_CONFIG / "cartons.toml")
    with uow() as tx:
        s = tx.session
        skus = list(s.scalars(select(Sku).order_by(Sku.id).limit(6)))
        barcodes = [
            s.scalars(select(Barcode.code).where(Barcode.sku_id == k.id)).first() or ""
            for k in skus
        ]
        wave = Wave(code=f"W{prefix}", status="done", created_at=at(8), released_at=at(8, 30))
        s.add(wave)
        s.flush()
        pks: dict[str, int] = {}
        cartons: dict[str, str] = {}
        tasks: dict[str, PickTask] = {}
        for n, p in enumerate(PLANS):
            sku = skus[p.sku_index]
            loc = s.scalars(select(Location).where(Location.code == p.location)).one()
            stock = s.scalars(
                select(Stock).where(Stock.location_id == loc.id, Stock.sku_id == sku.id)
            ).first()
            if stock is None:
                stock = Stock(location_id=loc.id, sku_id=sku.id, lot="", on_hand=50, allocated=0)
                s.add(stock)
                s.flush()
            a = Allocation(
                allocation_id=f"{prefix}-{p.name}",
                version=1,
                order_number=f"SO-{prefix}-{p.name}",
                channel=p.channel,
                type="b2c",
                priority=5,
                placed_at=at(7, 55),
                ship_by=p.ship_by,
                service_level=p.level,
                ship_to=SHIP_TO,
                b2b=None,
                status="shipped",
                reasons=[],
                wave_id=wave.id,
                received_at=at(8),
                updated_at=p.shipped,
            )
            s.add(a)
            s.flush()
            pks[p.name] = a.id
            line = AllocationLine(
                allocation_pk=a.id,
                line_id="1",
                sku=sku.sku,
                sku_id=sku.id,
                qty=p.qty,
                picked=p.qty,
                packed=p.qty,
                shipped=p.qty,
            )
            s.add(line)
            s.flush()
            task = PickTask(
                wave_id=wave.id,
                allocation_pk=a.id,
                line_pk=line.id,
                stock_id=stock.id,
                sequence=n + 1,
                qty=p.qty,
                picked_qty=p.qty,
                location_confirmed=True,
                status="done",
                picker=p.picker,
                tote_code=f"T{9000 + n}",
            )
            s.add(task)
            s.flush()
            tasks[p.name] = task
            unit = Unit(sku.sku, (sku.length_mm, sku.width_mm, sku.height_mm), sku.weight_g)
            box = choose_carton([unit] * p.qty, catalog) or catalog[-1]
            carton = Carton(
                code=f"CT{prefix}{n:04d}",
                allocation_pk=a.id,
                carton_type=box.code,
                status="shipped",
                expected_weight_g=sku.weight_g * p.qty + box.tare_g,
                weight_g=sku.weight_g * p.qty + box.tare_g + 10,
                length_mm=box.outer_mm[0],
                width_mm=box.outer_mm[1],
                height_mm=box.outer_mm[2],
                carrier=p.carrier,
                service=p.service,
                tracking_number=f"TRK{prefix}{n:06d}",
                rate_minor=595,
                packed_by="U0040",
                packed_at=p.shipped - timedelta(minutes=30),
                weighed_at=p.shipped - timedelta(minutes=20),
                shipped_at=p.shipped,
            )
            s.add(carton)
            s.flush()
            cartons[p.name] = carton.code
            s.add(CartonLine(carton_id=carton.id, line_pk=line.id, qty=p.qty))
            s.add(
                Shipment(
                    allocation_pk=a.id, carrier=p.carrier, service=p.service, shipped_at=p.shipped
                )
            )
            # The ledger: the picker took the units from the bin.
            s.add(
                StockMovement(
                    stock_id=stock.id,
                    sku_id=sku.id,
                    location_id=loc.id,
                    on_hand_delta=-p.qty,
                    allocated_delta=-p.qty,
                    reason="pick",
                    reference=a.allocation_id,
                    actor=p.picker,
                    at=at(9, 1) if p.picker == "U0010" else at(9, 10),
                )
            )
            # Pack: one accepted scan per unit, by the packer at bench PB1.
            for u in range(p.qty):
                s.add(
                    ScanLog(
                        station="pack",
                        device="PB1",
                        actor="U0040",
                        raw=barcodes[p.sku_index],
                        result="unit_ok",
                        allocation_pk=a.id,
                        at=p.shipped - timedelta(minutes=40, seconds=-20 * u),
                    )
                )
        # Pick scans of U0010: one walk (A1, A2, A3), a break, two more scans.
        u10 = [
            (at(9, 0, 0), "A1", "location_ok"),
            (at(9, 0, 30), "A1", "wrong_item"),
            (at(9, 1, 0), "A2", "item_ok"),
            (at(9, 1, 30), "A3", "expected_location"),  # a prompt, not an error
            (at(9, 2, 0), "A3", "item_ok"),
            (at(9, 30, 0), "A3", "tote_ok"),
            (at(9, 30, 30), "A3", "item_ok"),
        ]
        u11 = [
            (at(9, 10, 0), "A4", "wrong_location"),
            (at(9, 10, 20), "A4", "item_ok"),
            (at(9, 10, 40), "A5", "item_ok"),
        ]
        for picker, scans in (("U0010", u10), ("U0011", u11)):
            for when, name, result in scans:
                s.add(
                    ScanLog(
                        station="pick",
                        device="HH-7",
                        actor=picker,
                        raw="x",
                        result=result,
                        allocation_pk=pks[name],
                        task_id=tasks[name].id,
                        at=when,
                    )
                )
        for name, when in (("A1", at(9, 1, 40)), ("A2", at(9, 1, 50)), ("A3", at(9, 2, 10))):
            tasks[name].completed_at = when
        tasks["A4"].completed_at = at(9, 10, 30)
        tasks["A5"].completed_at = at(9, 10, 50)
        # Caught downstream: a wrong unit at pack in A2, a weight failure on A3's carton.
        s.add(
            ScanLog(
                station="pack",
                device="PB1",
                actor="U0040",
                raw=barcodes[5],
                result="wrong_item",
                allocation_pk=pks["A2"],
                at=at(16, 5),
            )
        )
        s.add(
            ScanLog(
                station="weigh",
                actor="U0040",
                raw=f"{cartons['A3']} 999g (manual)",
                result="weight_out_of_tolerance",
                allocation_pk=pks["A3"],
                at=at(17, 5),
            )
        )
        # Returns: one unit of A1 back, graded damaged.
        rma = ReturnAuthorization(
            rma_id=f"RMA-{prefix}-1",
            allocation_id=f"{prefix}-A1",
            order_number=f"SO-{prefix}-A1",
            status="authorized",
            lines=[{"line_id": "1", "sku": skus[0].sku, "qty": 1, "reason": "too small"}],
            received_at=at(15),
        )
        s.add(rma)
        s.flush()
        receipt = models_returns.ReturnReceipt(
            code=f"RR{prefix}1",
            rma_pk=rma.id,
            rma_id=rma.rma_id,
            allocation_pk=pks["A1"],
            order_number=f"SO-{prefix}-A1",
            scanned_code=rma.rma_id,
            matched_by="rma",
            status="closed",
            opened_by="U0040",
            opened_at=at(15, 30),
        )
        s.add(receipt)
        s.flush()
        s.add(
            models_returns.ReturnUnit(
                receipt_id=receipt.id,
                seq=1,
                raw_code=barcodes[0],
                sku_id=skus[0].id,
                sku=skus[0].sku,
                line_id="1",
                grade="damaged",
                reason_code="DEFECT",
                status="quarantined",
                scanned_by="U0040",
                scanned_at=at(15, 31),
                graded_by="U0040",
                graded_at=at(15, 32),
            )
        )
        # Exceptions: a short pick on A5, a cancelled A6, a held A7.
        s.add(
            models_pick.PickShort(
                pick_task_id=tasks["A5"].id,
                allocation_pk=pks["A5"],
                line_pk=tasks["A5"].line_pk,
                stock_id=tasks["A5"].stock_id,
                reason="empty",
                missing_qty=1,
                reallocated_qty=1,
                short_qty=0,
                actor="U0011",
                at=at(9, 10, 45),
            )
        )
        extra: dict[str, Any] = {}
        for name, status, reasons in (("A6", "cancelled", []), ("A7", "held", ["credit check"])):
            a = Allocation(
                allocation_id=f"{prefix}-{name}",
                version=1,
                order_number=f"SO-{prefix}-{name}",
                channel="shopify",
                type="b2c",
                priority=5,
                placed_at=at(7, 55),
                ship_by=at(17),
                service_level="standard",
                ship_to=SHIP_TO,
                b2b=None,
                status=status,
                reasons=reasons,
                held_from="accepted" if status == "held" else None,
                cancel_reason="customer changed mind" if status == "cancelled" else None,
                received_at=at(8),
                updated_at=at(11),
            )
            s.add(a)
            s.flush()
            pks[name] = a.id
            extra[name] = a
        body = event_body(
            f"ev-{prefix}-cancel",
            "allocation.cancelled",
            at(11),
            extra["A6"].allocation_id,
            extra["A6"].order_number,
            {
                "result": "cancelled",
                "reason": "customer changed mind",
                "lines": [{"line_id": "1", "qty": 2, "refused_qty": 0}],
                "put_back_pending": 0,
            },
        )
        s.add(
            OutboxEvent(
                event_id=f"ev-{prefix}-cancel",
                type="allocation.cancelled",
                allocation_id=extra["A6"].allocation_id,
                stream_key=f"allocation:{extra['A6'].allocation_id}",
                body=body,
                status="sent",
                next_attempt_at=at(11),
                created_at=at(11),
            )
        )
        tx.commit()
    return History(DAY, pks, [k.sku for k in skus], barcodes, cartons)
