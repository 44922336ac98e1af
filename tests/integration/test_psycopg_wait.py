"""Under gevent the server has psycopg wait for PostgreSQL on gevent's hub
(app/adapters/db/psycopg_gevent.py): one io watcher per wait instead of gevent's poll()
emulation, which cost a sixth of a worker's CPU on the scale-out. What a worker needs from
it: other greenlets run while a query waits, a dropped connection is an error rather than
a hang, and an operator's own PSYCOPG_WAIT_FUNC still wins."""

from __future__ import annotations

import pytest

from tests.support.probes import run_python
from tests.support.warehouse import POSTGRES_URL, require_postgres

PROBE = """
import os, sys, time
from gevent import monkey
monkey.patch_all()
import gevent
import psycopg
import psycopg.waiting as waiting
from app.adapters.db.psycopg_gevent import use_hub_wait
print(use_hub_wait(), waiting.wait.__name__)
url = os.environ["PG_URL"]
if sys.argv[1] == "concurrent":
    def query(i):
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT pg_sleep(0.3), %s::int", (i,)).fetchone()[1]
    t0 = time.perf_counter()
    jobs = [gevent.spawn(query, i) for i in range(10)]
    gevent.joinall(jobs, raise_error=True)
    print(sorted(j.value for j in jobs), round(time.perf_counter() - t0, 2))
elif sys.argv[1] == "terminated":
    victim = psycopg.connect(url)
    pid = victim.info.backend_pid
    def kill():
        gevent.sleep(0.3)
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("SELECT pg_terminate_backend(%s)", (pid,))
    gevent.spawn(kill)
    t0 = time.perf_counter()
    try:
        victim.execute("SELECT pg_sleep(10)")
        print("no error")
    except psycopg.OperationalError as exc:
        print("OperationalError", round(time.perf_counter() - t0, 2))
"""


def _probe(mode: str) -> list[str]:
    env = {"PG_URL": POSTGRES_URL, "PSYCOPG_WAIT_FUNC": None}  # the default wait, not an operator's
    return run_python(PROBE, mode, env=env).splitlines()


@pytest.mark.postgres
def test_queries_waiting_on_the_hub_let_other_greenlets_run() -> None:
    require_postgres()
    chosen, result = _probe("concurrent")
    assert chosen == "True wait_on_hub"
    values, seconds = result.rsplit(" ", 1)
    assert values == str(list(range(10)))
    assert float(seconds) < 1.5  # ten 0.3 s queries side by side, not one after another


@pytest.mark.postgres
def test_a_dropped_connection_is_an_error_not_a_hang() -> None:
    require_postgres()
    chosen, result = _probe("terminated")
    assert chosen == "True wait_on_hub"
    kind, seconds = result.split()
    assert kind == "OperationalError"
    assert float(seconds) < 5


def test_an_operators_own_choice_wins() -> None:
    out = run_python(
        "from gevent import monkey; monkey.patch_all();"
        "import psycopg.waiting as w;"
        "from app.adapters.db.psycopg_gevent import use_hub_wait;"
        "print(use_hub_wait(), w.wait.__name__)",
        env={"PSYCOPG_WAIT_FUNC": "wait_select"},
    )
    assert out.strip() == "False wait_select"
