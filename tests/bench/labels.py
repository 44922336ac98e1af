"""Label rendering benchmark, run on demand (not part of the test suite):

    python tests/bench/labels.py [--seconds S] [--rounds N]

Renders 4x6 shipping labels for varied cartons (names, addresses, tracking numbers of every
shape) on one core, single-threaded, in the same process and the same run:

- `pdf`: labels.render_shipping_label_pdf (reportlab, invariant, compressed);
- `zpl`: labels.render_shipping_label_zpl at 203 dpi (our ZPL builder);
- `baseline`: a bare reportlab canvas with one Code 128 and one line of text, the least a
  PDF label costs here, so the PDF figure can be read as a ratio on a shared, noisy machine.

Each renderer runs for --seconds per round (after a short warm-up); the median of --rounds
rounds is reported, with CPU time (time.process_time) as the clock so that time stolen by
other processes on the 2 shared cores does not count. Goals: pdf_labels_per_s >= 150,
zpl_labels_per_s >= 5000.

The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reportlab.graphics.barcode.code128 import Code128
from reportlab.pdfgen.canvas import Canvas

from labels import (
    Address,
    ShippingLabel,
    render_shipping_label_pdf,
    render_shipping_label_zpl,
)

FROM = Address(
    name="Dockhand Demo DC", line1="1 Dock Road", city="Daventry", postal_code="NN11 8QL",
    country="GB",
)  # fmt: skip
NAMES = ["Ada Lovelace", "Zoë Müller", "Łukasz Gołębiowski", "Bartholomew Featherstonehaugh-"
         "Cholmondeley of the Very Long Name", "Jo"]  # fmt: skip
TRACKING = ["DX00000000422", "1Z999AA10123456784", "9400111899223344556677", "RB123456785GB"]


def labels(n: int = 64) -> list[ShippingLabel]:
    out = []
    for i in range(n):
        out.append(
            ShippingLabel(
                tracking_number=TRACKING[i % len(TRACKING)],
                carrier="DockExpress" if i % 2 else "ParcelPal",
                service="Standard" if i % 3 else "Next Day",
                ship_from=FROM,
                ship_to=Address(
                    name=NAMES[i % len(NAMES)],
                    line1=f"{i + 1} Hauptstraße",
                    line2="3. OG links" if i % 4 == 0 else None,
                    city="Berlin" if i % 2 else "London",
                    postal_code="10115" if i % 2 else "SW1Y 4JH",
                    country="DE" if i % 2 else "GB",
                    phone="+44 20 7946 0000",
                ),
                weight_g=500 + 37 * i,
                carton_id=f"CT{i:06d}",
                order_number=f"SO-{100000 + i}",
                reference=f"AL-{i}",
                shipped_on=datetime.date(2026, 11, 26),
            )
        )
    return out


def baseline(label: ShippingLabel) -> bytes:
    buffer = BytesIO()
    canvas: Any = Canvas(buffer, pagesize=(288, 432), invariant=1, pageCompression=1)
    canvas.setFont("Helvetica", 10)
    canvas.drawString(20, 400, label.ship_to.name)
    barcode: Any = Code128(label.tracking_number, barWidth=1.4, barHeight=72, humanReadable=0)
    barcode.drawOn(canvas, 20, 200)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def per_second(
    render: Callable[[ShippingLabel], bytes], data: list[ShippingLabel], seconds: float
) -> float:
    for label in data[:8]:  # warm-up: fonts, caches
        render(label)
    count = 0
    start = time.process_time()
    while True:
        for label in data:
            render(label)
        count += len(data)
        spent = time.process_time() - start
        if spent >= seconds:
            return count / spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    data = labels()
    runs: dict[str, list[float]] = {"pdf": [], "zpl": [], "baseline": []}
    renderers: dict[str, Callable[[ShippingLabel], bytes]] = {
        "pdf": render_shipping_label_pdf,
        "zpl": render_shipping_label_zpl,
        "baseline": baseline,
    }
    for _ in range(args.rounds):
        for name, render in renderers.items():
            runs[name].append(per_second(render, data, args.seconds))
    median = {name: statistics.median(values) for name, values in runs.items()}
    sizes = {
        "pdf_bytes": statistics.median(len(render_shipping_label_pdf(x)) for x in data),
        "zpl_bytes": statistics.median(len(render_shipping_label_zpl(x)) for x in data),
    }
    print(f"{'renderer':10} {'median/s':>10}  rounds (labels per CPU second)")
    for name, values in runs.items():
        print(f"{name:10} {median[name]:10.0f}  {', '.join(f'{v:.0f}' for v in values)}")
    print(f"median sizes: PDF {sizes['pdf_bytes']:.0f} bytes, ZPL {sizes['zpl_bytes']:.0f} bytes")
    result = {
        "pdf_labels_per_s": round(median["pdf"], 1),
        "zpl_labels_per_s": round(median["zpl"], 1),
        "baseline_pdf_per_s": round(median["baseline"], 1),
        "pdf_vs_baseline": round(median["pdf"] / median["baseline"], 3),
        "pdf_goal_met": median["pdf"] >= 150,
        "zpl_goal_met": median["zpl"] >= 5000,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
