"""One leader among several worker processes for jobs that must not run twice at once
(the outbox sender, the pull poller). PostgreSQL: a session advisory lock held on a
dedicated connection. SQLite: an exclusive file lock beside the database file."""

from __future__ import annotations

import fcntl
import hashlib
import os
from typing import IO, Any

from sqlalchemy import Engine, text


class Leadership:
    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._conn: Any = None
        self._file: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            key = int.from_bytes(
                hashlib.sha256(self.name.encode()).digest()[:8], "big", signed=True
            )
            conn = self.engine.connect()
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()  # the lock is session-level: it outlives this transaction
            if got:
                self._conn = conn
            else:
                conn.close()
            return got
        path = f"{self.engine.url.database or 'dockhand'}.{self.name}.lock"
        fh = open(path, "ab")  # noqa: SIM115 - held open for as long as we lead
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._file = fh
        return True

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # closing the session releases the advisory lock
            self._conn = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def describe(lead: Leadership) -> str:
    return f"{lead.name} leader pid {os.getpid()}" if lead.held else f"{lead.name} follower"
