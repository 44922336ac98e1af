"""WSGI entry for several worker processes under gunicorn (`dockhand serve --workers N`).

Each worker builds its own app; Socket.IO rooms span workers through the Redis message
queue, and the outbox sender and pull poller elect one leader among them."""

from __future__ import annotations

from app import create_app
from app.adapters.db.psycopg_gevent import use_hub_wait
from app.background import start_background
from app.settings import load_settings
from app.web.serving import fast_frame_unmasking, tune_garbage_collector

use_hub_wait()  # psycopg waits for PostgreSQL on gevent's hub
fast_frame_unmasking()  # client frames unmasked in C, not byte by byte in Python
application = create_app(load_settings(async_mode="gevent"))
start_background(application)
tune_garbage_collector()
