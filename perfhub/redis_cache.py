"""The connection to the cache's Redis: after it fails, Redis is left alone for a moment.

With django-redis ignoring cache errors (settings.redis_cache), a Redis that is down costs
each cache call a refused connection, which is quick; one that is unreachable or hung costs
each call its timeout, and a page makes a dozen calls. So once connecting fails, the next
attempts in this process fail at once for PAUSE_SECONDS (a miss, and the page is computed);
then the next call tries Redis again."""

from __future__ import annotations

import time

import redis

PAUSE_SECONDS = 5.0
# (host, port) -> when connecting last failed (time.monotonic); shared by the threads.
_failed_at: dict[tuple[str, int], float] = {}


class PausingConnection(redis.Connection):
    def connect(self):
        where = (self.host, self.port)
        failed = _failed_at.get(where)
        if failed is not None and time.monotonic() - failed < PAUSE_SECONDS:
            raise redis.ConnectionError(f"Redis at {self.host}:{self.port} failed just now")
        try:
            super().connect()
        except (redis.ConnectionError, redis.TimeoutError):
            _failed_at[where] = time.monotonic()
            raise
        _failed_at.pop(where, None)
