"""Changes made on any worker, gathered for the one worker that pushes the dashboard.

With several workers each one's handlers mark their own process's changes; before this,
every worker with changes computed a snapshot of its own each second and pushed it to every
supervisor through the message queue (N workers: N snapshots' worth of reads and N pushes a
second, each from a slightly different moment). Now a worker tells Redis that the floor
changed, and only the dashboard's leader (app/adapters/db/leader.py) takes that word and
pushes. If Redis cannot be told, the worker pushes its own change, as before.
"""

from __future__ import annotations

import logging

import redis

from app.adapters.queue_redis import client_for

log = logging.getLogger(__name__)


class ChangeRelay:
    def __init__(self, client: redis.Redis, channel: str) -> None:
        self._redis = client
        self._key = f"{channel}:dashboard:changed"

    @classmethod
    def for_queue(cls, message_queue: str, channel: str) -> ChangeRelay | None:
        """A relay on the Redis message queue; None without one (one process, or a queue
        this cannot read: every worker then pushes its own changes)."""
        client = client_for(message_queue)
        return None if client is None else cls(client, channel)

    def tell(self) -> bool:
        """Say that the floor changed here. False if Redis could not be told."""
        try:
            self._redis.set(self._key, "1")
            return True
        except redis.RedisError as exc:
            log.warning("cannot tell Redis of a dashboard change: %s", exc)
            return False

    def take(self) -> bool:
        """Whether any worker said so since the last take (and forget it). True if Redis
        does not answer: a push too many beats a change nobody sees."""
        try:
            return bool(self._redis.delete(self._key))
        except redis.RedisError as exc:
            log.warning("cannot ask Redis for dashboard changes: %s", exc)
            return True
