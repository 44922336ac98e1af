"""Unmasking client websocket frames: geventwebsocket's byte-by-byte Python loop (the
baseline) against `unmask` in app/web/serving.py, for a scan message, a larger handheld
message and camera frames. Every microsecond of it holds the event loop every station shares.

    python tests/bench/ws_unmask.py [--rounds 7]

Medians of the rounds, in microseconds per frame; the last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from geventwebsocket.websocket import Header

from app.web.serving import unmask

SIZES = {"scan_100B": 100, "handheld_200B": 200, "frame_100kB": 100_000, "frame_1MB": 1_000_000}


def _per_call_us(fn: Callable[[Any, bytes], Any], header: Any, payload: bytes) -> float:
    calls = max(3, 200_000 // len(payload))
    t0 = time.perf_counter()
    for _ in range(calls):
        fn(header, payload)
    return (time.perf_counter() - t0) / calls * 1e6


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    result: dict[str, Any] = {}
    print(f"{'frame':14} {'loop µs':>10} {'unmask µs':>10} {'ratio':>7}")
    for name, size in SIZES.items():
        header = Header(fin=1, opcode=1, length=size)
        header.mask = os.urandom(4)
        payload = os.urandom(size)
        assert unmask(header, payload) == Header.mask_payload(header, payload)
        loop, fast = [], []
        for _ in range(args.rounds):  # alternate: this machine's speed drifts
            loop.append(_per_call_us(Header.mask_payload, header, payload))
            fast.append(_per_call_us(unmask, header, payload))
        lm, fm = statistics.median(loop), statistics.median(fast)
        print(f"{name:14} {lm:10.1f} {fm:10.1f} {lm / fm:7.1f}")
        result[name] = {
            "loop_us": round(lm, 1),
            "unmask_us": round(fm, 1),
            "ratio": round(lm / fm, 1),
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
