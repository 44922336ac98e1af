"""`dockhand decode`: decode barcodes in image files, answering in JSON.

    dockhand decode PATH [PATH ...]   one JSON line per path, then exit
    dockhand decode --stdin           long-lived: read one image path per line on stdin and
                                      answer one JSON line for each, flushed at once

Each answer is `{"results": [{"text": "...", "format": "..."}, ...], "elapsed_ms": 1.23}`:
the barcodes found (most prominent first; `[]` when there is none) and the time spent
reading and decoding that image. A file that cannot be read or is not an image is answered
`{"results": [], "error": "...", "elapsed_ms": ...}`; with --stdin the process carries on.
Texts keep control characters (GS1 GS separators are 0x1d), JSON-escaped.

Also runnable as `python -m app.decode …`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import IO, Any


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dockhand decode",
        description="Decode barcodes in image files (JSON out).",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="image file(s) to decode")
    p.add_argument(
        "--stdin",
        action="store_true",
        help="read one image path per line from stdin, answer one JSON line each",
    )
    p.add_argument(
        "--budget-ms",
        type=float,
        default=None,
        help="stop escalating to slower image variants after this many ms per image",
    )
    p.add_argument(
        "--gtin",
        action="store_true",
        help="also give gtin14 for EAN/UPC results",
    )
    return p


def answer(path: str, budget_ms: float | None = None, gtin: bool = False) -> dict[str, Any]:
    """The protocol answer for one image path."""
    from app.adapters.decoding import ImageLoadError, decode_image

    t0 = time.perf_counter()
    try:
        found = decode_image(path, budget_ms=budget_ms)
    except ImageLoadError as exc:
        return {"results": [], "error": str(exc), "elapsed_ms": _ms(t0)}
    except Exception as exc:  # a decoder failure must not take a station's stream down
        return {
            "results": [],
            "error": f"{type(exc).__name__}: {exc}",
            "elapsed_ms": _ms(t0),
        }
    results: list[dict[str, Any]] = []
    for d in found:
        item: dict[str, Any] = {"text": d.text, "format": d.format}
        if gtin and d.gtin14 is not None:
            item["gtin14"] = d.gtin14
        results.append(item)
    return {"results": results, "elapsed_ms": _ms(t0)}


def _ms(t0: float) -> float:
    return round((time.perf_counter() - t0) * 1000.0, 3)


def _emit(out: IO[str], obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj) + "\n")  # ASCII-only JSON: safe whatever stdout's encoding
    out.flush()


def serve(inp: IO[bytes], out: IO[str], budget_ms: float | None = None, gtin: bool = False) -> int:
    """The long-lived mode: one path per input line, one JSON line per answer."""
    while True:
        raw = inp.readline()
        if not raw:
            return 0
        path = os.fsdecode(raw.rstrip(b"\r\n"))
        if not path.strip():
            _emit(out, {"results": [], "error": "empty line: expected an image path"})
            continue
        _emit(out, answer(path, budget_ms, gtin))


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.stdin:
        if args.paths:
            _parser().error("give paths on stdin or as arguments, not both")
        try:
            return serve(sys.stdin.buffer, sys.stdout, args.budget_ms, args.gtin)
        except (KeyboardInterrupt, BrokenPipeError):
            return 0
    if not args.paths:
        _parser().error("give an image PATH, or --stdin")
    status = 0
    for path in args.paths:
        reply = answer(path, args.budget_ms, args.gtin)
        if "error" in reply:
            status = 1
        _emit(sys.stdout, reply)
    return status


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
