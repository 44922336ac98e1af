"""B2B documents and SSCCs benchmark, run on demand (not part of the test suite):

    python tests/bench/b2b_labels.py [--seconds S] [--rounds N] [--ssccs N]

On one core, single-threaded, in the same process and run:

- `logistic_pdf`: labels.logistic_label.render_logistic_label_pdf (4x6, three GS1-128);
- `logistic_zpl`: render_logistic_label_zpl at 203 dpi;
- `bol_pdf`: labels.bill_of_lading.render_bill_of_lading_pdf (A4, 4 pallets, 3 orders);
- `baseline`: a bare reportlab 4x6 page with one GS1-128 and one line of text, the least a
  PDF label costs here, so the PDF figures read as ratios on a shared, noisy machine;
- `sscc_tx`: SSCCs issued per second on a SQLite file, each in its own committed unit of
  work (counter row, used-number check, insert), against `counter_tx`: the bare counter
  increment in its own unit of work (what a tracking number costs).

Renderers: CPU time (time.process_time), median of --rounds rounds of --seconds. The SSCC
figures are wall-clock (they include fsync). The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfgen.canvas import Canvas

from app.domain.sscc import check_digit, make_gsin, make_sscc
from labels.bill_of_lading import Bol, BolOrder, BolParty, BolUnit, render_bill_of_lading_pdf
from labels.logistic_label import (
    LogisticLabel,
    render_logistic_label_pdf,
    render_logistic_label_zpl,
)
from labels.model import Address
from labels.zpl import FNC1

DC = Address("Dockhand Demo DC", "1 Dock Road", "Daventry", "NN11 8QL", "GB")
STORES = [
    Address("Goods In, Bay 4", "Unit 7 Retail Park", "Leeds", "LS11 5QR", "GB",
            company="Hardware Stores Ltd"),
    Address("Wareneingang Tor 2", "Lagerstraße 12", "Hamburg", "20457", "DE",
            company="Baumarkt Müller GmbH"),
]  # fmt: skip


def _gtin(n: int) -> str:
    body = f"0061414{n:06d}"
    return body + str(check_digit(body))


def logistic_labels(n: int = 32) -> list[LogisticLabel]:
    out = []
    for i in range(n):
        single = i % 2 == 0
        out.append(
            LogisticLabel(
                sscc=make_sscc(3, "0614141", i + 1),
                unit="PALLET" if i % 3 else "CARTON",
                ship_from=DC,
                ship_to=STORES[i % 2],
                ship_from_gln="0614141000012",
                ship_to_gln="0614141999996",
                po_number=f"PO-{4700 + i}",
                order_number=f"SO-{4700 + i}",
                content_gtin=_gtin(i) if single else None,
                content_count=24 + i if single else None,
                content_text="24 x MUG-BLK-S Mug black" if single else "Mixed: 57 units",
                gross_weight_g=250_000 + 1000 * i,
                height_mm=1200 + i,
                carrier="DockExpress",
                service="Pallet freight",
                bol_number=make_gsin("0614141", i + 1),
                pro_number=f"DX{i:010d}8",
                ship_date=datetime.date(2026, 11, 26),
                company_prefix_length=7,
            )
        )
    return out


def bills(n: int = 8) -> list[Bol]:
    out = []
    for i in range(n):
        out.append(
            Bol(
                number=make_gsin("0614141", i + 1),
                ship_date=datetime.date(2026, 11, 26),
                shipper=BolParty(DC, gln="0614141000012"),
                consignee=BolParty(STORES[i % 2], gln="0614141999996"),
                carrier_name="DockExpress",
                carrier_code="DXP",
                service="Pallet freight",
                freight_terms="prepaid",
                orders=tuple(
                    BolOrder(f"PO-{i}-{k}", f"SO-{i}-{k}", 4, 40_000, True, "Terms NET30")
                    for k in range(3)
                ),
                units=tuple(
                    BolUnit(
                        "PLT",
                        3,
                        300_000,
                        "Mixed: 57 units of 4 SKUs",
                        sscc=make_sscc(3, "0614141", 100 + k),
                        dims_mm=(1200, 800, 1400),
                        freight_class="70",
                    )
                    for k in range(4)
                ),
                pro_number=f"DX{i:010d}8",
                special_instructions="Call 30 minutes ahead.",
            )
        )
    return out


def baseline(label: LogisticLabel) -> bytes:
    buffer = BytesIO()
    canvas: Any = Canvas(buffer, pagesize=(288, 432), invariant=1, pageCompression=1)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(20, 400, label.ship_to.name)
    barcode: Any = Code128(FNC1 + "00" + label.sscc, barWidth=1.44, barHeight=88, humanReadable=0)
    barcode.drawOn(canvas, 20, 100)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def per_second(render: Callable[[Any], bytes], data: list[Any], seconds: float) -> float:
    for item in data[:4]:
        render(item)
    count = 0
    start = time.process_time()
    while True:
        for item in data:
            render(item)
        count += len(data)
        spent = time.process_time() - start
        if spent >= seconds:
            return count / spent


def sscc_rates(n: int) -> dict[str, float]:
    from app.adapters.db import repositories as repo
    from app.adapters.db.engine import make_engine
    from app.adapters.db.models_b2b import Pallet
    from app.adapters.db.uow import SessionFactory
    from app.adapters.gs1_config import parse_gs1
    from app.services import b2b
    from tests.support.warehouse import prepare_database

    folder = Path(tempfile.mkdtemp(prefix="bench-sscc-"))
    url = f"sqlite:///{folder / 'b2b.db'}"
    prepare_database(url, skus=5)
    uow = SessionFactory(make_engine(url))
    gs1 = parse_gs1({"company_prefix": "0614141", "extension_digit": 3})
    now = datetime.datetime.now(datetime.UTC)
    with uow() as tx:
        pallet_ids = []
        for k in range(n):
            p = Pallet(code=f"PB{k:08d}", status="open", pallet_type="EUR", length_mm=1200,
                       width_mm=800, tare_g=25000)  # fmt: skip
            tx.session.add(p)
            tx.session.flush()
            pallet_ids.append(p.id)
        tx.commit()
    start = time.perf_counter()
    for pid in pallet_ids:
        with uow() as tx:
            pallet = tx.session.get(Pallet, pid)
            assert pallet is not None
            b2b.issue_sscc(tx.session, gs1, now, pallet=pallet)
            tx.commit()
    sscc = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(n):
        with uow() as tx:
            repo.next_counter(tx.session, "bench")
            tx.commit()
    counter = n / (time.perf_counter() - start)
    uow.engine.dispose()
    return {"sscc_tx_per_s": sscc, "counter_tx_per_s": counter}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ssccs", type=int, default=500)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    labels, bols = logistic_labels(), bills()
    renderers: dict[str, tuple[Callable[[Any], bytes], list[Any]]] = {
        "logistic_pdf": (render_logistic_label_pdf, labels),
        "logistic_zpl": (render_logistic_label_zpl, labels),
        "bol_pdf": (render_bill_of_lading_pdf, bols),
        "baseline": (baseline, labels),
    }
    runs: dict[str, list[float]] = {name: [] for name in renderers}
    for _ in range(args.rounds):
        for name, (render, data) in renderers.items():
            runs[name].append(per_second(render, data, args.seconds))
    median = {name: statistics.median(values) for name, values in runs.items()}
    print(f"{'renderer':14} {'median/s':>10}  rounds (documents per CPU second)")
    for name, values in runs.items():
        print(f"{name:14} {median[name]:10.0f}  {', '.join(f'{v:.0f}' for v in values)}")
    sizes = {
        "logistic_pdf_bytes": statistics.median(len(render_logistic_label_pdf(x)) for x in labels),
        "logistic_zpl_bytes": statistics.median(len(render_logistic_label_zpl(x)) for x in labels),
        "bol_pdf_bytes": statistics.median(len(render_bill_of_lading_pdf(x)) for x in bols),
    }
    print("median sizes:", ", ".join(f"{k} {v:.0f}" for k, v in sizes.items()))
    rates = sscc_rates(args.ssccs)
    print(
        f"SSCC issued, one per committed unit of work: {rates['sscc_tx_per_s']:.0f}/s; "
        f"bare counter per unit of work: {rates['counter_tx_per_s']:.0f}/s"
    )
    result = {
        "logistic_pdf_per_s": round(median["logistic_pdf"], 1),
        "logistic_zpl_per_s": round(median["logistic_zpl"], 1),
        "bol_pdf_per_s": round(median["bol_pdf"], 1),
        "baseline_pdf_per_s": round(median["baseline"], 1),
        "logistic_pdf_vs_baseline": round(median["logistic_pdf"] / median["baseline"], 3),
        "sscc_tx_per_s": round(rates["sscc_tx_per_s"], 1),
        "counter_tx_per_s": round(rates["counter_tx_per_s"], 1),
        "sscc_vs_counter": round(rates["sscc_tx_per_s"] / rates["counter_tx_per_s"], 3),
        **{k: round(v) for k, v in sizes.items()},
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
