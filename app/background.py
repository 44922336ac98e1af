"""Work the server does on its own: send the outbox, push dashboard snapshots."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask

from app import socketio
from app.adapters.audience import RoomAudience
from app.adapters.change_relay import ChangeRelay
from app.adapters.db.leader import Leadership, describe
from app.adapters.oms.puller import http_fetch
from app.adapters.oms.sender import http_poster
from app.adapters.wave_config import load_wave_config
from app.container import container
from app.services import dashboard, outbox, pull, waves
from app.web.metrics import DASHBOARD_PUSHES
from stations.common import Changes
from stations.stock.alerts import stock_alert_loop
from stations.supervisor.events import ROOM

log = logging.getLogger(__name__)


def start_background(app: Flask) -> int:
    """The server's loops (outbox sender, dashboard push, automatic waves, stock alerts,
    and the OMS poller in pull mode); none when the setting `run_background` is off
    (`DOCKHAND_RUN_BACKGROUND=0`). Returns how many it started."""
    settings = container(app).settings
    if not settings.run_background:
        log.warning("run_background is off: no outbox sending, dashboard pushes or alerts here")
        return 0
    loops: list[Callable[[Flask], None]] = [
        _outbox_loop,
        _dashboard_loop,
        _auto_wave_loop,
        stock_alert_loop,
    ]
    if settings.oms_pull_interval > 0:
        loops.append(_pull_loop)
    for loop in loops:
        socketio.start_background_task(loop, app)
    return len(loops)


def _pull_loop(app: Flask) -> None:
    c = container(app)
    s = c.settings
    if not s.oms_url or not s.oms_secret:
        log.warning("pull mode needs DOCKHAND_OMS_URL and DOCKHAND_OMS_SECRET: not polling")
        return
    fetch = http_fetch(s.oms_url, s.oms_secret)
    lead = Leadership(c.uow.engine, "pull")
    while not lead.try_acquire():
        socketio.sleep(5)
    failures = 0
    while True:
        try:
            result = pull.pull_once(c.uow, fetch, c.clock)
            failures = 0
            if result.received:
                Changes.mark()
                continue  # a full page may mean more is waiting
        except pull.PullError as exc:
            failures += 1
            log.warning("pull mode: %s (retry %d)", exc, failures)
        except Exception:
            failures += 1
            log.exception("pull mode failed (retry %d)", failures)
        # Back off while the OMS is down, up to ten intervals.
        socketio.sleep(s.oms_pull_interval * min(10, 2**failures if failures else 1))


def _outbox_loop(app: Flask) -> None:
    c = container(app)
    s = c.settings
    if not s.oms_url or not s.oms_secret:
        log.warning("no OMS url/secret configured: events stay in the outbox until one is set")
        return
    post = http_poster(s.oms_url, s.oms_secret)
    rng = random.Random()
    # Several workers may run: only the leader sends, so events are not raced for.
    lead = Leadership(c.uow.engine, "outbox")
    while not lead.try_acquire():
        socketio.sleep(5)
    log.info("outbox sender: %s", describe(lead))
    while True:
        try:
            sent = outbox.dispatch_due(c.uow, post, c.outbox_policy, c.clock, rng)
            if sent:
                Changes.mark()
        except Exception:
            log.exception("outbox dispatch failed; retrying")
            sent = 0
        socketio.sleep(0 if sent else s.outbox_poll_s)


LEAD_RETRY_S = 2.0  # how often a worker that does not push the dashboard asks to


def _dashboard_loop(app: Flask, tick_s: float = 1.0) -> None:
    c = container(app)
    s = c.settings
    audience = RoomAudience(
        socketio.server, "/supervisor", ROOM, s.message_queue, s.message_queue_channel
    )
    # Several workers on Redis: one pushes for all, from every worker's changes.
    relay = ChangeRelay.for_queue(s.message_queue, s.message_queue_channel)
    lead = Leadership(c.uow.engine, "dashboard") if relay is not None else None
    changed = False  # changes this process is to push
    last = next_try = 0.0
    while True:
        socketio.sleep(0.2)
        audience.keep_saying()
        now = time.monotonic()
        if Changes.dirty.is_set():
            Changes.dirty.clear()
            if relay is None or not relay.tell():
                changed = True
        if relay is not None and lead is not None and (lead.held or now >= next_try):
            next_try = now + LEAD_RETRY_S
            if lead.try_acquire():
                changed = relay.take() or changed
        if not changed or now - last < tick_s:
            continue
        # Nobody watching: nothing to compute (a snapshot holds every station's scans up).
        # The changes stay to push; the first tick with somebody watching pushes them.
        if not audience.anyone():
            continue
        changed = False
        last = now
        try:
            snap = dashboard.snapshot(
                c.uow,
                clock=c.clock,
                config=load_wave_config(Path(s.config_dir)),
                pause=lambda: socketio.sleep(0),
            )
            socketio.emit("dashboard", snap, namespace="/supervisor", to=ROOM)
            DASHBOARD_PUSHES.inc()
        except Exception:
            log.exception("dashboard snapshot failed")


def _auto_wave_loop(app: Flask) -> None:
    """Release waves backwards from the carrier pickups (config/waves.toml [auto_release])."""
    c = container(app)
    lead: Leadership | None = None
    while True:
        cfg = load_wave_config(Path(c.settings.config_dir))
        if cfg.auto_release and lead is None:
            # Several workers may run: only the leader plans, so orders are not raced for.
            lead = Leadership(c.uow.engine, "waves")
        if cfg.auto_release and lead is not None and lead.try_acquire():
            try:
                if waves.auto_release(c.uow, c.clock, cfg):
                    Changes.mark()
            except Exception:
                log.exception("automatic wave release failed; retrying")
        socketio.sleep(cfg.auto_interval_s)
