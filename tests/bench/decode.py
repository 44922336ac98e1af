"""Barcode decode benchmark, run on demand (not part of the test suite):

    python tests/bench/decode.py [--data DIR] [--verbose] [--repeat N]

Decodes every image of the shared photo set (../shared/bench/barcodes beside the repo:
manifest.json and negatives.json) with three decoders in the same run, so that gains are ratios
measured on the same machine at the same moment:

- `cascade`: app.adapters.decoding.decode_image, the project's decoder;
- `zxing`: zxingcpp.read_barcodes with its default options, except text_mode=Plain (the
  default HRI mode renders GS1 element strings as "(01)…" and control characters as symbols,
  which would count as wrong texts for reasons that have nothing to do with reading);
- `naive`: that zxing-cpp read and pyzbar.decode (default options) together.

Scoring follows the set's README. strict: a reported text equals `expected`. match (the
headline): for EAN/UPC both sides compare as a GTIN (UPC-E expanded, leading zeros ignored).
A false positive is an image where a text other than `expected` (and other than the image's
`other_codes`) was reported and `expected` was not; on a negative, any text. Texts reported
beside the right one are counted separately as `extra_reads`.

Times are per image, for the decode of an already loaded grey image: CPU (time.process_time)
and wall (time.perf_counter), median and p95. Loading (file read and PNG/JPEG/WebP decode) is
the same for every decoder and is reported once. With --repeat N each image is decoded N times
and the fastest run counts (less noise from other processes).

Prints one table per decoder (per format: n, strict %, match %, false positives, median ms)
and, last, one JSON object with the headline figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import zxingcpp  # noqa: E402

from app.adapters.decoding import decode_image, load_gray, upce_to_upca  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "bench" / "barcodes"
RETAIL = {"ean13", "ean8", "upca", "upce"}
FORMATS = ["ean13", "ean8", "upca", "upce", "code128", "itf", "code39", "qrcode", "datamatrix"]

Result = list[tuple[str, str]]  # (text, format) pairs as the decoder reported them


# ------------------------------------------------------------------------------ comparison


def _gtin(text: str, fmt: str) -> str | None:
    """README rule: GTIN with UPC-E expanded and leading zeros ignored."""
    if not text.isdigit():
        return None
    if fmt.lower().replace("-", "") == "upce" and len(text) == 8:
        text = upce_to_upca(text) or text
    if len(text) not in (8, 12, 13, 14):
        return None
    return text.lstrip("0")


def matches(expected: str, exp_fmt: str, text: str, fmt: str) -> bool:
    if text == expected:
        return True
    if exp_fmt in RETAIL:
        a, b = _gtin(expected, exp_fmt), _gtin(text, fmt)
        return a is not None and a == b
    return False


# ------------------------------------------------------------------------------ decoders


def _cascade(img: np.ndarray) -> Result:
    return [(d.text, d.format) for d in decode_image(img)]


def _zxing_default(img: np.ndarray) -> Result:
    found = zxingcpp.read_barcodes(img, text_mode=zxingcpp.TextMode.Plain)
    return [(b.text, str(b.format)) for b in found]


def _naive(img: np.ndarray) -> Result:
    from pyzbar import pyzbar

    out = _zxing_default(img)
    for s in pyzbar.decode(img):
        out.append((s.data.decode("utf-8", "replace"), s.type))
    return out


DECODERS: dict[str, Callable[[np.ndarray], Result]] = {
    "cascade": _cascade,
    "zxing": _zxing_default,
    "naive": _naive,
}


# ------------------------------------------------------------------------------ running


def _timed(
    fn: Callable[[np.ndarray], Result], img: np.ndarray, repeat: int
) -> tuple[Result, float, float]:
    best_cpu = best_wall = float("inf")
    out: Result = []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn(img)
        cpu, wall = (time.process_time() - c0) * 1e3, (time.perf_counter() - w0) * 1e3
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    return out, best_cpu, best_wall


def _pct(xs: list[float], q: float) -> float:
    if not xs:
        return 0.0
    s = sorted(xs)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def score(entries: list[dict[str, Any]], outputs: list[Result]) -> dict[str, Any]:
    per: dict[str, Counter[str]] = {}
    fp_files: list[str] = []
    extra = 0
    for e, out in zip(entries, outputs, strict=True):
        c = per.setdefault(e["format"], Counter())
        c["n"] += 1
        exp = e["expected"]
        if exp is None:
            if out:
                c["fp"] += 1
                fp_files.append(e["file"])
            continue
        others = e.get("other_codes", [])
        good = [t for t, f in out if matches(exp, e["format"], t, f)]
        wrong = [
            t
            for t, f in out
            if not matches(exp, e["format"], t, f)
            and not any(matches(o, e["format"], t, f) for o in others)
        ]
        c["strict"] += any(t == exp for t, _ in out)
        c["match"] += bool(good)
        if wrong and not good:
            c["fp"] += 1
            fp_files.append(e["file"])
        elif wrong:
            extra += 1
    n = sum(c["n"] for f, c in per.items() if f != "none")
    return {
        "per_format": per,
        "n": n,
        "match": sum(c["match"] for c in per.values()),
        "strict": sum(c["strict"] for c in per.values()),
        "fp": sum(c["fp"] for c in per.values()),
        "fp_files": fp_files,
        "extra": extra,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT, help="folder with manifest.json")
    ap.add_argument("--verbose", action="store_true", help="list the images each decoder misses")
    ap.add_argument("--repeat", type=int, default=1, help="decode each image N times, keep best")
    ap.add_argument("--only", choices=list(DECODERS), action="append", help="decoders to run")
    args = ap.parse_args(argv)

    if not (args.data / "manifest.json").is_file():
        print(f"no manifest.json in {args.data}", file=sys.stderr)
        return 2
    entries = json.loads((args.data / "manifest.json").read_text(encoding="utf-8"))
    negatives_path = args.data / "negatives.json"
    if negatives_path.is_file():
        entries += json.loads(negatives_path.read_text(encoding="utf-8"))

    load_ms: list[float] = []
    images = []
    for e in entries:
        w0 = time.perf_counter()
        images.append(load_gray(args.data / e["file"]))
        load_ms.append((time.perf_counter() - w0) * 1e3)

    names = args.only or list(DECODERS)
    summary: dict[str, dict[str, Any]] = {}
    stages: Counter[str] = Counter()
    for name in names:
        fn = DECODERS[name]
        fn(images[0])  # warm-up: imports, OpenCV/zxing first-call setup
        outputs, cpu, wall = [], [], []
        for img in images:
            out, c, w = _timed(fn, img, max(1, args.repeat))
            outputs.append(out)
            cpu.append(c)
            wall.append(w)
        s = score(entries, outputs)
        s.update(
            median_ms=statistics.median(cpu),
            p95_ms=_pct(cpu, 0.95),
            median_wall_ms=statistics.median(wall),
            p95_wall_ms=_pct(wall, 0.95),
            max_ms=max(cpu),
        )
        summary[name] = s
        _print_table(name, s, entries, cpu)
        if args.verbose:
            _print_misses(name, entries, outputs)
        if name == "cascade":
            for img in images:
                for d in decode_image(img):
                    stages[d.stage.split(",")[-1]] += 1

    if stages:
        print("\ncascade: answers by the step that confirmed them (zxing:gray = first pass):")
        for k, v in stages.most_common():
            print(f"  {k:<24}{v:>5}")

    print(
        f"\nimage load (file read + decode), not in the times above: median "
        f"{statistics.median(load_ms):.2f} ms, p95 {_pct(load_ms, 0.95):.2f} ms"
    )
    print(json.dumps(_headline(summary), sort_keys=False))
    return 0


def _print_table(
    name: str, s: dict[str, Any], entries: list[dict[str, Any]], cpu: list[float]
) -> None:
    print(f"\n== {name}")
    print(f"{'format':<12}{'n':>5}{'strict%':>9}{'match%':>9}{'FP':>5}{'med ms':>9}")
    for fmt in [*FORMATS, "none"]:
        c = s["per_format"].get(fmt)
        if not c:
            continue
        ms = statistics.median([t for e, t in zip(entries, cpu, strict=True) if e["format"] == fmt])
        if fmt == "none":
            print(f"{fmt:<12}{c['n']:>5}{'':>9}{'':>9}{c['fp']:>5}{ms:>9.2f}")
        else:
            print(
                f"{fmt:<12}{c['n']:>5}{100 * c['strict'] / c['n']:>9.1f}"
                f"{100 * c['match'] / c['n']:>9.1f}{c['fp']:>5}{ms:>9.2f}"
            )
    print(
        f"{'all':<12}{s['n']:>5}{100 * s['strict'] / s['n']:>9.1f}{100 * s['match'] / s['n']:>9.1f}"
        f"{s['fp']:>5}{s['median_ms']:>9.2f}   p95 {s['p95_ms']:.2f} ms CPU, wall median "
        f"{s['median_wall_ms']:.2f} p95 {s['p95_wall_ms']:.2f}, extra reads {s['extra']}"
    )
    if s["fp_files"]:
        print("  false positives:", ", ".join(Path(f).name for f in s["fp_files"]))


def _print_misses(name: str, entries: list[dict[str, Any]], outputs: list[Result]) -> None:
    for e, out in zip(entries, outputs, strict=True):
        exp = e["expected"]
        if exp is not None and not any(matches(exp, e["format"], t, f) for t, f in out):
            print(f"  miss {Path(e['file']).name:<44} {e.get('tags', '')} got {out}")


def _headline(summary: dict[str, dict[str, Any]]) -> dict[str, Any]:
    h: dict[str, Any] = {}
    for name, s in summary.items():
        prefix = "" if name == "cascade" else f"baseline_{name}_"
        h[prefix + "match_rate"] = round(s["match"] / s["n"], 4)
        h[prefix + "strict_rate"] = round(s["strict"] / s["n"], 4)
        h[prefix + "false_positives"] = s["fp"]
        h[prefix + "median_ms"] = round(s["median_ms"], 3)
        h[prefix + "p95_ms"] = round(s["p95_ms"], 3)
        if name == "cascade":
            h["extra_reads"] = s["extra"]
            h["median_wall_ms"] = round(s["median_wall_ms"], 3)
            h["p95_wall_ms"] = round(s["p95_wall_ms"], 3)
            h["max_ms"] = round(s["max_ms"], 3)
    if "cascade" in summary and "zxing" in summary:
        c, z = summary["cascade"], summary["zxing"]
        h["match_gain_vs_zxing"] = round(c["match"] / max(z["match"], 1), 4)
        h["median_cost_vs_zxing"] = round(c["median_ms"] / max(z["median_ms"], 1e-9), 3)
    h["images"] = next(iter(summary.values()))["n"] if summary else 0
    return h


if __name__ == "__main__":
    raise SystemExit(main())
