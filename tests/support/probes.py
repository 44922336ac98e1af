"""A short Python program run in a fresh interpreter from the project's root: for checks
that need a process of their own (gevent's monkey-patching, say, which cannot be undone)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Probe code, after `import gevent`: a greenlet counting 10 ms sleeps in `ticks`, which tells
# whether the event loop went on while something else waited.
TICKER = """
ticks = 0
def ticker():
    global ticks
    while True:
        gevent.sleep(0.01)
        ticks += 1
gevent.spawn(ticker)
"""


def run_python(code: str, *args: str, env: dict[str, str | None] | None = None) -> str:
    """`code` run with `args` as sys.argv[1:] and `env` over this process's environment (a
    None value removes the variable); its standard output. A non-zero exit fails the test
    with its stderr."""
    merged = {**os.environ, **(env or {})}
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env={k: v for k, v in merged.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout
