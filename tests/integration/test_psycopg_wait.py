"""Under gevent the server has psycopg wait with select() (app/web/serving.py,
prefer_select_wait): gevent's poll() emulation cost a sixth of a worker's CPU on the
PostgreSQL scale-out. psycopg reads the choice once, when it is imported, so the server's
entry points must make it before anything imports psycopg."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import os, sys
os.environ.pop("PSYCOPG_WAIT_FUNC", None)
from gevent import monkey
monkey.patch_all()
# What app/wsgi.py and `dockhand serve` import before they call prefer_select_wait.
from app import create_app
from app.background import start_background
from app.settings import load_settings
from app.web.serving import prefer_select_wait, tune_garbage_collector
assert "psycopg" not in sys.modules, "psycopg imported before the wait was chosen"
prefer_select_wait()
import psycopg.waiting as waiting
print(waiting.wait.__name__)
"""


def test_the_servers_psycopg_waits_with_select_under_gevent() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "wait_select"


def test_an_operators_own_choice_wins() -> None:
    probe = PROBE.replace(
        'os.environ.pop("PSYCOPG_WAIT_FUNC", None)', 'os.environ["PSYCOPG_WAIT_FUNC"] = "wait_poll"'
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "wait_poll"
