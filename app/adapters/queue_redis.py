"""The Redis behind the Socket.IO message queue, for the workers' own coordination (who
watches the dashboard, which changes it has not pushed yet)."""

from __future__ import annotations

import redis

SCHEMES = ("redis://", "rediss://", "unix://")


def client_for(message_queue: str) -> redis.Redis | None:
    """A client of the queue's Redis, quick to give up (1 s); None if the queue is not Redis."""
    if not message_queue.startswith(SCHEMES):
        return None
    return redis.Redis.from_url(message_queue, socket_timeout=1, socket_connect_timeout=1)
