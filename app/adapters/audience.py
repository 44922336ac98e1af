"""Whether anybody is in a Socket.IO room, counting every worker process: the dashboard's
push is computed only while somebody watches it.

A snapshot of a busy floor costs the event loop tens of milliseconds a second (it reads
every pick and scan since the last one), and every handheld's scan waits behind it: at 200
handhelds it doubled the 99th percentile of the scan acknowledgement (docs/scan-throughput.md).
With nobody on the supervisors' page that is work for nobody. A supervisor who signs in asks
for a snapshot of their own (static/js/supervisor.js), and pushes resume with the next change.

One process knows its own room (python-socketio's manager). With several workers on a Redis
message queue, a worker whose room has somebody in it says so under a Redis key that lives a
few seconds unless renewed; the worker that handled a scan pushes if its own room or that key
says somebody watches (a worker that crashed stops renewing it). A message queue other than
Redis, or a Redis that does not answer, counts as somebody watching: the push goes out, as it
always did.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import redis

from app.adapters.queue_redis import client_for

log = logging.getLogger(__name__)

WATCHED_TTL_S = 5


class RoomAudience:
    def __init__(
        self,
        server: Any,  # python-socketio's Server (Flask-SocketIO's socketio.server)
        namespace: str,
        room: str,
        message_queue: str = "",
        channel: str = "dockhand",
        ttl_s: int = WATCHED_TTL_S,
    ) -> None:
        self._server = server
        self.namespace = namespace
        self.room = room
        self._shared = bool(message_queue)  # other workers may have people in the room
        self._redis = client_for(message_queue)
        self._key = f"{channel}:watched:{namespace}:{room}"
        self._ttl_s = ttl_s
        self._said_at = -math.inf

    def here(self) -> int:
        """How many of this process's connections are in the room."""
        rooms = self._server.manager.rooms.get(self.namespace) or {}
        return len(rooms.get(self.room) or ())

    def keep_saying(self) -> None:
        """Renew this worker's word that somebody is in its room, if somebody is (call it
        more often than every third of its time to live, WATCHED_TTL_S)."""
        if self.here():
            self._say()

    def anyone(self) -> bool:
        """Whether somebody is in the room here or, as far as Redis says, in another worker."""
        if self.here():
            self._say()
            return True
        if not self._shared:
            return False
        if self._redis is None:
            return True
        try:
            return bool(self._redis.exists(self._key))
        except redis.RedisError as exc:
            log.warning("cannot ask Redis who watches %s: %s", self.room, exc)
            return True

    def _say(self) -> None:
        if self._redis is None:
            return
        now = time.monotonic()
        if now - self._said_at < self._ttl_s / 3:
            return
        try:
            self._redis.set(self._key, "1", ex=self._ttl_s)
            self._said_at = now
        except redis.RedisError as exc:
            log.warning("cannot tell Redis that %s is watched: %s", self.room, exc)
