"""OMS intake benchmark: signed allocations per second through the real HTTP stack, a large
backlog drained by pull mode, and a bare baseline of plain durable inserts, in one run.

    python tests/bench/oms_intake.py [--posts 3000] [--backlog 100000] [--clients 16]

The last line printed is one JSON object. Besides the rates it carries the CPU each
allocation cost (`http_server_cpu_ms`: the server process; `http_client_cpu_ms`: the load
client, one thread driving every connection; `pull_cpu_ms`: the pulling process, the
simulated OMS included) and the rates over the same run's baseline: on a
machine others share, those move much less than the rates. The exit status is 1 when not
every allocation was accepted (the rates would be meaningless).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import selectors
import socket
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlalchemy import text

from app.adapters.db.engine import make_engine
from app.adapters.db.uow import SessionFactory
from app.adapters.oms.puller import http_fetch
from app.demo.oms_server import DemoOms
from app.demo.orders import make_allocation
from app.domain.signing import signature
from app.services import pull
from app.services.clock import system_clock
from app.services.seeding import PRODUCTS, SIZES, VARIANTS
from tests.bench._common import LiveServer, deep_stock_warehouse

SECRET = "bench-secret-0123456789abcdef"


def sku_codes(n: int = 200) -> list[str]:
    out = []
    for i in range(n):
        base = PRODUCTS[i % len(PRODUCTS)][0]
        variant = VARIANTS[(i // len(PRODUCTS)) % len(VARIANTS)]
        size = SIZES[(i // (len(PRODUCTS) * len(VARIANTS))) % len(SIZES)]
        out.append(f"{base}-{variant}-{size}")
    return out


def process_cpu_s(pid: int) -> float:
    """User plus system CPU seconds of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class _Conn:
    """One keep-alive connection of the load client: a signed POST goes out whole, the answer
    is read back by its Content-Length (the server always sends one)."""

    def __init__(self, port: int, bodies: list[bytes]) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.bodies = bodies
        self.next = 0
        self.buf = b""
        self.sent_at = 0.0

    def send(self) -> bool:
        if self.next >= len(self.bodies):
            return False
        body = self.bodies[self.next]
        self.next += 1
        # Signed now, as an OMS would: the timestamp is the send time.
        ts = str(int(time.time()))
        head = (
            f"POST /api/v1/allocations HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"X-Timestamp: {ts}\r\nX-Signature: {signature(SECRET, ts, body)}\r\n\r\n"
        ).encode()
        self.sent_at = time.perf_counter()
        self.sock.setblocking(True)
        self.sock.sendall(head + body)
        self.sock.setblocking(False)
        return True

    def answer(self) -> int | None:
        """The status of the answer once it is complete; None while more is to come."""
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed a keep-alive connection")
        self.buf += chunk
        end = self.buf.find(b"\r\n\r\n")
        if end < 0:
            return None
        head = self.buf[:end].decode("latin-1").split("\r\n")
        length = None
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if length is None:
            raise ValueError(f"an answer without Content-Length: {head[0]}")
        if len(self.buf) < end + 4 + length:
            return None
        self.buf = self.buf[end + 4 + length :]
        return int(head[0].split()[1])


def post_all(port: int, bodies: list[bytes], clients: int) -> tuple[float, list[float], dict]:
    """Every body as a signed POST over `clients` keep-alive connections, each sending its
    next one when the last is answered. One thread with a selector: a thread per connection
    spent more CPU on the GIL and http.client than the server spent on some webhooks."""
    conns = [_Conn(port, bodies[k::clients]) for k in range(clients)]
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sel = selectors.DefaultSelector()
    t0 = time.perf_counter()
    busy = 0
    for c in conns:
        if c.send():
            sel.register(c.sock, selectors.EVENT_READ, c)
            busy += 1
    while busy:
        for key, _ in sel.select(timeout=30):
            c = key.data
            status = c.answer()
            if status is None:
                continue
            latencies.append((time.perf_counter() - c.sent_at) * 1000)
            statuses[status] = statuses.get(status, 0) + 1
            if not c.send():
                sel.unregister(c.sock)
                busy -= 1
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.sock.close()
    sel.close()
    return elapsed, latencies, statuses


def bench_http(workdir: Path, posts: int, clients: int) -> dict[str, float]:
    url = f"sqlite:///{workdir / 'http.db'}"
    deep_stock_warehouse(url)
    server = LiveServer(url, SECRET)
    rng = random.Random(1)
    now = datetime.now(UTC)
    skus = sku_codes()
    bodies = [json.dumps(make_allocation(rng, i, skus, now)).encode() for i in range(posts + 200)]
    try:
        post_all(server.port, bodies[:200], clients)  # warm-up
        cpu0 = process_cpu_s(server.proc.pid)
        client0 = time.process_time()
        elapsed, latencies, statuses = post_all(server.port, bodies[200:], clients)
        client_cpu = time.process_time() - client0
        server_cpu = process_cpu_s(server.proc.pid) - cpu0
    finally:
        server.stop()
    lat = sorted(latencies)
    print(
        f"http: {posts} signed allocations in {elapsed:.2f} s with {clients} clients; "
        f"statuses {statuses}; latency p50 {statistics.median(lat):.1f} ms, "
        f"p99 {lat[int(len(lat) * 0.99) - 1]:.1f} ms; "
        f"server CPU {server_cpu * 1000 / posts:.2f} ms per allocation, "
        f"client CPU {client_cpu * 1000 / posts:.2f} ms"
    )
    return {
        "allocations_per_s": round(posts / elapsed, 1),
        "http_p50_ms": round(statistics.median(lat), 2),
        "http_p99_ms": round(lat[int(len(lat) * 0.99) - 1], 2),
        "http_accepted": statuses.get(202, 0),
        # CPU the server process spent per allocation: steadier than rates on a shared machine.
        "http_server_cpu_ms": round(server_cpu * 1000 / posts, 3),
        # The load client's own CPU per allocation: it shares the machine with the server.
        "http_client_cpu_ms": round(client_cpu * 1000 / posts, 3),
    }


def bench_pull(workdir: Path, backlog: int, page: int) -> dict[str, float]:
    url = f"sqlite:///{workdir / 'pull.db'}"
    deep_stock_warehouse(url)
    uow = SessionFactory(make_engine(url))
    rng = random.Random(2)
    now = datetime.now(UTC)
    skus = sku_codes()
    with DemoOms(SECRET) as oms:
        for i in range(backlog):
            oms.enqueue("allocation", make_allocation(rng, 1_000_000 + i, skus, now))
        fetch = http_fetch(oms.url, SECRET)
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        applied = rejected = 0
        while True:
            result = pull.pull_once(uow, fetch, system_clock, limit=page)
            applied += result.applied
            rejected += result.rejected
            if result.received == 0:
                break
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
    print(
        f"pull: {backlog} allocations drained in {elapsed:.1f} s "
        f"({applied} applied, {rejected} rejected, pages of {page}); "
        f"CPU {cpu * 1000 / backlog:.2f} ms per allocation (this process, the OMS included)"
    )
    return {
        "backlog": backlog,
        "backlog_s": round(elapsed, 1),
        "backlog_100k_s": round(elapsed * 100_000 / backlog, 1),
        "pull_allocations_per_s": round(backlog / elapsed, 1),
        "pull_applied": applied,
        "pull_cpu_ms": round(cpu * 1000 / backlog, 3),
    }


def bench_baseline(workdir: Path, n: int) -> dict[str, float]:
    """The durability floor: one plain INSERT and one commit per allocation, same pragmas."""
    engine = make_engine(f"sqlite:///{workdir / 'baseline.db'}")
    rng = random.Random(3)
    now = datetime.now(UTC)
    bodies = [json.dumps(make_allocation(rng, i, sku_codes(), now)) for i in range(n)]
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE plain (id INTEGER PRIMARY KEY, body TEXT)"))
    t0 = time.perf_counter()
    for body in bodies:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO plain (body) VALUES (:b)"), {"b": body})
    elapsed = time.perf_counter() - t0
    print(f"baseline: {n} plain inserts, one commit each, in {elapsed:.2f} s")
    return {"baseline_inserts_per_s": round(n / elapsed, 1)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--posts", type=int, default=3000)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--backlog", type=int, default=100_000)
    p.add_argument("--page", type=int, default=500)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        figures: dict[str, float] = {}
        figures |= bench_baseline(work, args.posts)
        figures |= bench_http(work, args.posts, args.clients)
        figures |= bench_pull(work, args.backlog, args.page)
        # Other work on a shared machine moves every rate; the same-run ratios move less.
        for key, rate in (("http", "allocations_per_s"), ("pull", "pull_allocations_per_s")):
            figures[f"{key}_vs_baseline"] = round(
                figures[rate] / figures["baseline_inserts_per_s"], 3
            )
    incomplete = []
    if figures["http_accepted"] != args.posts:
        incomplete.append(f"only {figures['http_accepted']} of {args.posts} posts were accepted")
    if figures["pull_applied"] != args.backlog:
        incomplete.append(f"only {figures['pull_applied']} of {args.backlog} pulled were applied")
    for problem in incomplete:
        print(f"oms_intake: {problem}: the rates above are not valid", file=sys.stderr)
    print(json.dumps(figures))
    if incomplete:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
