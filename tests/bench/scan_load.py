"""Scan load: N simulated handhelds (python-socketio clients) against the real server.

Open loop: every handheld has a schedule (`--rate` scans per second each, with jitter) and
latency is timed from the *scheduled* send, so a slow server cannot hide behind slower
clients. Then saturation: as many scans as the server will take, through the full scan
handler and through a bare handler that only inserts a row and commits, in the same run, in
alternating rounds (`full_vs_bare` is the median of the rounds' ratios).

    python tests/bench/scan_load.py [--handhelds 200] [--rate 2] [--seconds 20]

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import requests
import socketio

from app.domain.signing import signed_headers
from app.web.serving import tune_garbage_collector
from tests.bench._common import LiveServer, deep_stock_warehouse
from tests.bench.oms_intake import process_cpu_s, sku_codes
from tests.support.metrics import gc_pauses
from tests.support.warehouse import allocation_doc

SECRET = "bench-secret-0123456789abcdef"
PIN = "1234"


def tree_cpu_s(pid: int) -> float:
    """CPU seconds of the server and of its worker processes (gunicorn's, with --workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return process_cpu_s(pid) + sum(tree_cpu_s(int(c)) for c in children)


def pickers(n: int) -> list[str]:
    # One badge per handheld: shared badges would share tasks (see add_pickers).
    return [f"U{1000 + i:04d}" for i in range(n)]


def add_pickers(url: str, n: int) -> None:
    """The demo seed has 20 pickers; a load test needs one person per handheld."""
    from app.adapters.db.engine import make_engine
    from app.adapters.db.models import User
    from app.adapters.db.uow import SessionFactory
    from app.services.auth import hash_secret

    uow = SessionFactory(make_engine(url))
    pin_hash = hash_secret(PIN)
    with uow() as tx:
        tx.session.add_all(
            User(badge=b, name=f"Load picker {b}", role="picker", pin_hash=pin_hash)
            for b in pickers(n)
        )
        tx.commit()
    uow.engine.dispose()


def prepare(server: LiveServer, handhelds: int, units: int) -> None:
    skus = sku_codes()
    for i in range(handhelds):
        doc = allocation_doc(
            f"AL-L{i}", lines=[{"line_id": "1", "sku": skus[i % len(skus)], "qty": units}]
        )
        body = json.dumps(doc).encode()
        resp = requests.post(
            server.base + "/api/v1/allocations",
            data=body,
            timeout=30,
            headers={
                "Content-Type": "application/json",
                **signed_headers(SECRET, body, time.time()),
            },
        )
        assert resp.status_code == 202, resp.text


async def connect(base: str, namespace: str, badge: str | None) -> socketio.AsyncClient:
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(base, namespaces=[namespace], transports=["websocket"], wait_timeout=30)
    if badge:
        ack = await sio.call(
            "sign_in", {"badge": badge, "pin": PIN}, namespace=namespace, timeout=60
        )
        assert ack["ok"], ack
    return sio


async def release_everything(base: str) -> None:
    sup = await connect(base, "/supervisor", "U0001")
    while (
        await sup.call(
            "build_wave",
            {"release": True, "max_orders": 200, "strategy": "discrete"},
            namespace="/supervisor",
            timeout=120,
        )
    )["ok"]:
        pass
    await sup.disconnect()


def server_gc_pauses(base: str) -> dict[int, tuple[float, float]]:
    """The server's garbage collections so far: generation -> (count, seconds)."""
    return gc_pauses(requests.get(base + "/metrics", timeout=30).text)


class Handheld:
    def __init__(self, sio: socketio.AsyncClient, task: dict[str, Any]) -> None:
        self.sio = sio
        self.task = task
        self.location_done = task["location_confirmed"]

    def next_code(self) -> str:
        if not self.location_done:
            self.location_done = True
            return str(self.task["location"])
        return str(self.task["barcode"])


Call = tuple[str, str, dict[str, Any]]


async def open_loop(clients: list[Any], rate: float, seconds: float, make: Any) -> dict[str, Any]:
    """Every client sends `make(client, n)` (event, namespace, payload) on its own Poisson
    schedule; latency is timed from the scheduled send."""
    latencies: list[float] = []
    lost = 0
    rejected = 0
    sent = 0
    start = time.perf_counter() + 1.0

    async def run(c: Any, rng: random.Random) -> None:
        nonlocal lost, rejected, sent
        due = start + rng.uniform(0, 1 / rate)
        while due < start + seconds:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            event, namespace, payload = make(c, sent, rng)
            sent += 1
            try:
                ack = await c.sio.call(event, payload, namespace=namespace, timeout=10)
                latencies.append((time.perf_counter() - due) * 1000)
                if not ack.get("ok"):
                    rejected += 1
            except Exception:
                lost += 1
            due += rng.expovariate(rate)

    await asyncio.gather(*(run(c, random.Random(i)) for i, c in enumerate(clients)))
    lat = sorted(latencies)
    return {
        "scans": sent,
        "p50_ms": round(statistics.median(lat), 1) if lat else None,
        "p99_ms": round(lat[max(0, int(len(lat) * 0.99) - 1)], 1) if lat else None,
        "lost_acks": lost,
        "rejected": rejected,
    }


def pick_scan(h: Handheld, n: int, rng: random.Random) -> Call:
    return (
        "scan",
        "/pick",
        {
            "task_id": h.task["task_id"],
            "code": h.next_code(),
            "client_scan_id": f"{h.task['task_id']}-{n}-{rng.random()}",
        },
    )


def bare_insert(c: Any, n: int, rng: random.Random) -> Call:
    return ("bare", "/bench", {"code": f"o{n}-{rng.random():.6f}"})


async def saturate(
    clients: list[Any], seconds: float, make: Any, server_pid: int
) -> tuple[float, float]:
    """Accepted answers a second, every client sending as soon as its last was answered,
    and the server's CPU milliseconds per accepted answer meanwhile (steadier than the
    rate on a machine whose speed drifts: it does not count the time the server waited
    for the cores it shares with these clients)."""
    done = refused = 0
    cpu0 = tree_cpu_s(server_pid)
    stop = time.perf_counter() + seconds

    async def run(i: int, c: Any) -> None:
        nonlocal done, refused
        n = 0
        while time.perf_counter() < stop:
            event, namespace, payload = make(i, n, c)
            ack = await c.sio.call(event, payload, namespace=namespace, timeout=30)
            if ack.get("ok"):
                done += 1
            else:
                refused += 1
            n += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(run(i, c) for i, c in enumerate(clients)))
    elapsed = time.perf_counter() - t0
    cpu_ms = (tree_cpu_s(server_pid) - cpu0) * 1000 / max(1, done)
    if refused:
        print(f"saturation: {refused} refused answers (not counted)", flush=True)
    return done / elapsed, cpu_ms


class Bare:
    def __init__(self, sio: socketio.AsyncClient) -> None:
        self.sio = sio


@contextlib.contextmanager
def database(workers: int) -> Iterator[tuple[str, dict[str, str]]]:
    """The embedded default (SQLite, one process), or with several workers the scale-out:
    a fresh PostgreSQL database and the Redis message queue of this machine."""
    if workers == 1:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'load.db'}", {}
        return
    from tests.support.warehouse import REDIS_URL, fresh_postgres_db

    with fresh_postgres_db() as url:
        yield url, {"DOCKHAND_MESSAGE_QUEUE": REDIS_URL}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with database(args.workers) as (url, env):
        deep_stock_warehouse(url)
        add_pickers(url, args.handhelds)
        server = LiveServer(url, SECRET, {"DOCKHAND_BENCH_ENDPOINTS": "1", **env}, args.workers)
        try:
            # Enough units on every task for the open loop and for saturation (a scan past a
            # task's quantity is refused, and saturation counts only accepted scans).
            units = int(args.rate * args.seconds * 3) + 50 + int(250 * args.saturation_seconds)
            prepare(server, args.handhelds, units=units)
            await release_everything(server.base)
            handhelds: list[Handheld] = []
            for badge in pickers(args.handhelds):
                sio = await connect(server.base, "/pick", badge)
                task = (await sio.call("next_task", {}, namespace="/pick", timeout=60))["task"]
                assert task, "no task for a handheld"
                handhelds.append(Handheld(sio, task))
            print(f"{len(handhelds)} handhelds signed in with a task each", flush=True)
            # Supervisors on the dashboard: it is computed and pushed only while somebody
            # watches (app/adapters/audience.py), and a snapshot holds the event loop.
            pushes = 0

            def pushed(_data: Any) -> None:
                nonlocal pushes
                pushes += 1

            watchers = []
            for _ in range(args.watchers):
                sup = await connect(server.base, "/supervisor", "U0001")
                sup.on("dashboard", pushed, namespace="/supervisor")
                watchers.append(sup)
            # These 200 simulated handhelds share one process: its own full collections
            # (100-170 ms with all their sockets) would be timed as the server's latency.
            tune_garbage_collector()  # as the server does: frozen, rare full collections
            cpu = (tree_cpu_s(server.proc.pid), time.process_time())
            gcs = server_gc_pauses(server.base)
            load = await open_loop(handhelds, args.rate, args.seconds, pick_scan)
            # CPU per scan of the server and of these simulated handhelds (same two cores).
            load["server_cpu_ms"] = round(
                (tree_cpu_s(server.proc.pid) - cpu[0]) * 1000 / load["scans"], 2
            )
            load["client_cpu_ms"] = round((time.process_time() - cpu[1]) * 1000 / load["scans"], 2)
            # The server's collections meanwhile (of one worker, with --workers).
            after = server_gc_pauses(server.base)  # (none from a server older than the metric)
            if 2 in after:
                load["server_full_gcs"] = int(after[2][0] - gcs[2][0])
                load["server_gc_ms"] = round(sum(after[g][1] - gcs[g][1] for g in after) * 1000, 1)
            print(f"open loop: {load}", flush=True)
            bare_clients = [
                Bare(await connect(server.base, "/bench", None)) for _ in range(args.handhelds)
            ]
            # The same open loop on the bare handler: what this machine allows at this load
            # whatever the scan handler does (the client shares its cores).
            cpu_before = tree_cpu_s(server.proc.pid)
            bare_load = await open_loop(bare_clients, args.rate, args.seconds, bare_insert)
            bare_load["server_cpu_ms"] = round(
                (tree_cpu_s(server.proc.pid) - cpu_before) * 1000 / bare_load["scans"], 2
            )
            print(f"open loop, bare handler: {bare_load}", flush=True)
            # Saturation in alternating rounds, full then bare: this machine's speed drifts
            # by half within minutes, and one long run of each compared two different
            # machines. Each round's ratio compares neighbours in time; the median is quoted.
            rounds: list[tuple[float, float]] = []
            cpu_rounds: list[tuple[float, float]] = []
            pid = server.proc.pid
            per_round = args.saturation_seconds / args.saturation_rounds
            for r in range(args.saturation_rounds):
                full_r, full_cpu = await saturate(
                    handhelds[: args.saturation_clients],
                    per_round,
                    lambda i, n, h, r=r: (
                        "scan",
                        "/pick",
                        {
                            "task_id": h.task["task_id"],
                            "code": h.task["barcode"],
                            "client_scan_id": f"s{r}-{i}-{n}",
                        },
                    ),
                    pid,
                )
                bare_r, bare_cpu = await saturate(
                    bare_clients[: args.saturation_clients],
                    per_round,
                    lambda i, n, c, r=r: ("bare", "/bench", {"code": f"b{r}-{i}-{n}"}),
                    pid,
                )
                rounds.append((full_r, bare_r))
                cpu_rounds.append((full_cpu, bare_cpu))
                print(
                    f"saturation round {r + 1}: full {full_r:.0f}/s ({full_cpu:.3f} ms CPU),"
                    f" bare {bare_r:.0f}/s ({bare_cpu:.3f} ms CPU)"
                )
            full = statistics.median(f for f, _b in rounds)
            bare = statistics.median(b for _f, b in rounds)
            ratios = sorted(f / b for f, b in rounds if b)
            print(f"saturation: full {full:.0f} scans/s, bare {bare:.0f} inserts/s", flush=True)
            for sio in watchers:
                await sio.disconnect()
            for h in handhelds:
                await h.sio.disconnect()
            for c in bare_clients:
                await c.sio.disconnect()
        finally:
            server.stop()
    return {
        "handhelds": args.handhelds,
        "workers": args.workers,
        "rate_per_handheld": args.rate,
        "watchers": args.watchers,
        "dashboard_pushes": pushes,
        **load,
        "bare_p50_ms": bare_load["p50_ms"],
        "bare_p99_ms": bare_load["p99_ms"],
        "bare_server_cpu_ms": bare_load["server_cpu_ms"],
        "full_scans_per_s": round(full, 1),
        "bare_inserts_per_s": round(bare, 1),
        "full_vs_bare": round(statistics.median(ratios), 2) if ratios else None,
        "full_vs_bare_rounds": [round(x, 2) for x in ratios],
        # The server's CPU per accepted answer at saturation, and bare over full: what the
        # ratio would be if the server's cores were its own.
        "sat_full_cpu_ms": round(statistics.median(f for f, _b in cpu_rounds), 3),
        "sat_bare_cpu_ms": round(statistics.median(b for _f, b in cpu_rounds), 3),
        "cpu_bare_over_full": round(statistics.median(b / f for f, b in cpu_rounds if f), 2),
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--handhelds", type=int, default=200)
    p.add_argument("--rate", type=float, default=2.0, help="scans per second per handheld")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="1: SQLite, one process; more: PostgreSQL and Redis, `dockhand serve --workers N`",
    )
    p.add_argument("--saturation-clients", type=int, default=32)
    p.add_argument(
        "--saturation-seconds", type=float, default=12.0, help="per handler, over all rounds"
    )
    p.add_argument("--saturation-rounds", type=int, default=4)
    p.add_argument(
        "--watchers",
        type=int,
        default=0,
        help="supervisors on the live dashboard meanwhile (its pushes cost the server)",
    )
    args = p.parse_args()
    print(json.dumps(asyncio.run(main_async(args)) | {"at": datetime.now(UTC).isoformat()}))


if __name__ == "__main__":
    main()
