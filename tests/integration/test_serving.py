"""`app/web/serving.py`, the gevent server `dockhand serve` runs, as an OMS and a station
meet it: webhooks one after another on a keep-alive connection, the Socket.IO handshake,
no access log line per request, and no stall while PINs are checked."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import socketio

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


class Served:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"

    def connect(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        deadline = time.monotonic() + 30
        while True:
            try:
                conn.request("GET", "/healthz")
                assert conn.getresponse().read() and True
                return conn
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def stop(self) -> str:
        self.proc.terminate()
        _, stderr = self.proc.communicate(timeout=10)
        return stderr


@pytest.fixture
def served(sqlite_url: str) -> Iterator[Served]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, sqlite_url, SECRET, str(port)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = Served(proc, port)
    try:
        yield server
    finally:
        if proc.poll() is None:
            server.stop()


def post_allocation(conn: http.client.HTTPConnection, allocation_id: str) -> None:
    body = json.dumps(allocation_doc(allocation_id)).encode()
    headers = {"Content-Type": "application/json", **signed_headers(SECRET, body, time.time())}
    conn.request("POST", "/api/v1/allocations", body=body, headers=headers)
    resp = conn.getresponse()
    assert resp.status == 202, resp.read()
    assert json.loads(resp.read())["status"] == "accepted"


def test_the_server_answers_webhooks_on_one_connection_and_logs_no_access_lines(
    served: Served,
) -> None:
    conn = served.connect()
    for n in range(3):  # the same keep-alive connection
        post_allocation(conn, f"AL-KEEP-{n}")
    conn.request("GET", "/socket.io/?EIO=4&transport=polling")
    handshake = conn.getresponse()
    assert handshake.status == 200
    assert b'"sid"' in handshake.read()
    conn.close()
    assert "POST /api/v1/allocations" not in served.stop()


def test_orders_keep_arriving_while_a_shift_signs_in(served: Served) -> None:
    """Checking a PIN's argon2 hash takes about a tenth of a second of CPU. Five people
    signing in at once must not stop the server meanwhile: an OMS webhook sent just after
    them (a write through the same writer) is answered before any of them is."""
    conn = served.connect()
    clients = []
    for _ in range(5):
        sio = socketio.Client(reconnection=False)
        sio.connect(served.base, namespaces=["/pick"], transports=["websocket"])
        clients.append(sio)
    answered: list[tuple[str, float]] = []
    lock = threading.Lock()

    def sign_in(sio: socketio.Client, badge: str) -> None:
        ack = sio.call("sign_in", {"badge": badge, "pin": "1234"}, namespace="/pick", timeout=30)
        with lock:
            answered.append((f"sign-in {badge}: {ack['ok']}", time.monotonic()))

    try:
        threads = [
            threading.Thread(target=sign_in, args=(sio, f"U00{10 + i}"))
            for i, sio in enumerate(clients)
        ]
        for t in threads:
            t.start()
        time.sleep(0.03)  # the checks are under way
        post_allocation(conn, "AL-DURING-SIGN-IN")
        with lock:
            answered.append(("webhook", time.monotonic()))
        for t in threads:
            t.join(timeout=30)
    finally:
        for sio in clients:
            sio.disconnect()
    order = [what for what, _at in sorted(answered, key=lambda a: a[1])]
    assert order[0] == "webhook", order
    assert sorted(order[1:]) == [f"sign-in U00{10 + i}: True" for i in range(5)]


def test_a_burst_of_pin_guesses_meets_the_lock_after_five(served: Served) -> None:
    """PINs are checked concurrently, off the event loop. Twenty wrong guesses and then the
    right PIN, sent at once on one socket: the badge locks after five guesses, so the right
    PIN arriving behind them is refused too (checked in turn, the lock stopped the sixth
    guess; checked all at once, the twenty-first would have signed in)."""
    served.connect()
    sio = socketio.Client(reconnection=False)
    sio.connect(served.base, namespaces=["/pick"], transports=["websocket"])
    answers: dict[int, dict[str, object]] = {}
    done = threading.Event()

    def answer(n: int) -> Callable[[dict[str, object]], None]:
        def got(ack: dict[str, object]) -> None:
            answers[n] = ack
            if len(answers) == 21:
                done.set()

        return got

    try:
        for n in range(21):
            pin = "1234" if n == 20 else f"{9000 + n}"
            sio.emit(
                "sign_in", {"badge": "U0015", "pin": pin}, namespace="/pick", callback=answer(n)
            )
        assert done.wait(60), f"{len(answers)} answers of 21"
    finally:
        sio.disconnect()
    assert all(a["ok"] is False for a in answers.values()), answers[20]
    locked = [n for n, a in answers.items() if "Too many" in str(a["message"])]
    assert len(locked) == 16 and 20 in locked, answers
