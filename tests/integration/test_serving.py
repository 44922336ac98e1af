"""`app/web/serving.py`, the gevent server `dockhand serve` runs, as an OMS and a station
meet it: webhooks one after another on a keep-alive connection, the Socket.IO handshake,
and no access log line per request."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import time
from pathlib import Path

from app.domain.signing import signed_headers
from tests.bench._common import free_port
from tests.support.warehouse import SECRET, allocation_doc

ROOT = Path(__file__).resolve().parents[2]
SERVER = """
import sys
from gevent import monkey
monkey.patch_all()
from app import create_app
from app.settings import load_settings
from app.web.serving import serve
settings = load_settings(env={}, database_url=sys.argv[1], oms_secret=sys.argv[2],
                         async_mode="gevent", run_background=False)
import logging
logging.basicConfig(level=logging.INFO)
serve(create_app(settings), "127.0.0.1", int(sys.argv[3]))
"""


def test_the_server_answers_webhooks_on_one_connection_and_logs_no_access_lines(
    sqlite_url: str,
) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, sqlite_url, SECRET, str(port)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        deadline = time.monotonic() + 30
        while True:
            try:
                conn.request("GET", "/healthz")
                assert conn.getresponse().read() and True
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        for n in range(3):  # the same keep-alive connection
            body = json.dumps(allocation_doc(f"AL-KEEP-{n}")).encode()
            headers = {
                "Content-Type": "application/json",
                **signed_headers(SECRET, body, time.time()),
            }
            conn.request("POST", "/api/v1/allocations", body=body, headers=headers)
            resp = conn.getresponse()
            assert resp.status == 202, resp.read()
            assert json.loads(resp.read())["status"] == "accepted"
        conn.request("GET", "/socket.io/?EIO=4&transport=polling")
        handshake = conn.getresponse()
        assert handshake.status == 200
        assert b'"sid"' in handshake.read()
        conn.close()
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=10)
    assert "POST /api/v1/allocations" not in stderr
