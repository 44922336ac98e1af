"""Engines: SQLite (WAL, synchronous=FULL, foreign keys, BEGIN IMMEDIATE) or PostgreSQL."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.adapters.fast_json import column_dumps
from app.adapters.offload import cooperative, run_blocking


def normalise_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here, the driver we install."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


READ_ONLY = "dockhand_read_only"  # execution option of SessionFactory.reader's connections
# How long a SQLite writer waits for another's lock (a command-line tool's, another process's).
BUSY_TIMEOUT_S = 30
SQLITE_BUSY = 5
# The native thread pool of the SQLite calls that wait (a COMMIT's fsync, a BEGIN's lock).
_WAITS = "sqlite-commit"


def busy_timeout_pragma() -> str:
    """BUSY_TIMEOUT_S as the pragma every SQLite connection of ours runs (writers, readers)."""
    return f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        db = parsed.database
        if db and db != ":memory:":
            Path(db).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            json_serializer=column_dumps,
            connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
            poolclass=NullPool if db in (None, "", ":memory:") else None,
            # The connection returned last goes out next: SQLite keeps a connection's page
            # cache only while no other connection writes, and the group-commit writer taking
            # the idle connections in turn read every page it touched again, batch after
            # batch (docs/scan-throughput.md, "Tenth session").
            pool_use_lifo=True,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        json_serializer=column_dumps,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        **kwargs,
    )


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and cannot take the write lock
    # up front; the SQLAlchemy-documented recipe hands BEGIN to us. IMMEDIATE avoids
    # the read-then-upgrade deadlock between two writers (the second waits instead).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(busy_timeout_pragma())
        cur.close()

    # With synchronous=FULL a COMMIT waits for the disk (an fsync: a millisecond here, tens
    # on a busy disk). Under gevent that wait would hold the one event loop every station
    # shares; on a native thread it does not (pysqlite releases the GIL, and the connection
    # is the committing greenlet's alone: nobody else touches it meanwhile). Its own lane,
    # so a commit never queues behind PIN checks or camera frames on the hub's pool.
    plain_commit = engine.dialect.do_commit

    def do_commit(dbapi_connection: Any) -> None:
        run_blocking(plain_commit, dbapi_connection, lane=_WAITS)

    engine.dialect.do_commit = do_commit  # type: ignore[method-assign]

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A reader (SessionFactory.reader): WAL gives it a snapshot without any lock, and
        # query_only makes a write in it an error instead of a wait for the writer. The
        # pragma is per connection: switched only when this pooled connection's role changes.
        reader = bool(conn.get_execution_options().get(READ_ONLY))
        info = conn.connection.info
        if info.get("query_only", False) != reader:
            conn.exec_driver_sql(f"PRAGMA query_only={'ON' if reader else 'OFF'}")
            info["query_only"] = reader

    def do_begin(dbapi_connection: Any) -> None:
        # The BEGIN itself, after the event above set the connection's role: straight on the
        # driver's connection (SQLAlchemy's statement execution around it was 20 µs of every
        # group commit's 60 µs begin), inside SQLAlchemy's begin, which wraps its errors as
        # it wraps any driver's (a busy timeout is an OperationalError as before).
        if dbapi_connection.info.get("query_only", False):
            dbapi_connection.execute("BEGIN")  # a WAL reader takes no lock and waits for none
        elif cooperative():
            _begin_writing_without_stopping_the_loop(dbapi_connection)
        else:
            dbapi_connection.execute("BEGIN IMMEDIATE")

    engine.dialect.do_begin = do_begin  # type: ignore[method-assign]


def _begin_writing_without_stopping_the_loop(dbapi_connection: Any) -> None:
    """BEGIN IMMEDIATE under gevent. It waits (up to the busy timeout) while another
    connection holds the write lock: a command-line tool's import, another process. SQLite
    waits inside the call, and on the event loop's thread that would stop every station the
    process serves for as long. So the lock is first asked for without waiting, which is
    all it takes when nobody else holds it (two more statements a group transaction, a few
    microseconds); when somebody does, the wait happens on the commits' own native thread
    while the loop goes on."""
    dbapi_connection.execute("PRAGMA busy_timeout=0")
    try:
        dbapi_connection.execute("BEGIN IMMEDIATE")
        return
    except sqlite3.OperationalError as exc:
        # The extended code's low byte is the primary one (SQLITE_BUSY_RECOVERY and the
        # like are busy too).
        if getattr(exc, "sqlite_errorcode", SQLITE_BUSY) & 0xFF != SQLITE_BUSY:
            raise
    finally:
        dbapi_connection.execute(busy_timeout_pragma())
    run_blocking(dbapi_connection.execute, "BEGIN IMMEDIATE", lane=_WAITS)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
