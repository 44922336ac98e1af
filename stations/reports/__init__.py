"""The reports area for supervisors: charts, drill-through to orders and scans, CSV and PDF."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask, current_app

from app.container import container
from app.services.errors import ServiceError
from app.services.reports import ReportsContext, build_context

_KEY = "dockhand.reports"
_PROCESS = "dockhand.reports.process"
ROOT = Path(__file__).resolve().parents[2]


def reports_context(app: Flask | None = None) -> ReportsContext:
    """Built once per app from its settings (config folder, database), on first use."""
    app = app or current_app
    ctx: ReportsContext | None = app.extensions.get(_KEY)
    if ctx is None:
        c = container(app)
        ctx = build_context(Path(c.settings.config_dir), c.settings.database_url, c.uow.engine)
        app.extensions[_KEY] = ctx
    return ctx


def refresh_process(app: Flask | None = None, wait: bool = False) -> dict[str, Any] | None:
    """Rebuild the changed days in a separate process (`python -m stations.reports.cli
    refresh`): the work is seconds of CPU at a busy site, which inside the server would stall
    every station's greenlets. Without `wait` it returns at once (None); one such process at
    a time per server process. With `wait` (under gevent, a cooperative wait) it returns the
    refresh's summary."""
    app = app or current_app
    running: subprocess.Popen[bytes] | None = app.extensions.get(_PROCESS)
    if running is not None and running.poll() is None:
        if not wait:
            return None
        running.wait()
    settings = container(app).settings
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKHAND_")}
    env |= {
        "DOCKHAND_DATABASE_URL": settings.database_url,
        "DOCKHAND_CONFIG_DIR": settings.config_dir,
    }
    command = [sys.executable, "-m", "stations.reports.cli", "refresh"]
    if not wait:
        app.extensions[_PROCESS] = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return None
    done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, timeout=3600)
    if done.returncode != 0:
        why = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise ServiceError(f"The reports could not be rebuilt: {why[0]}", "refresh")
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    reports_context(app).refreshed_monotonic = time.monotonic()
    return result
