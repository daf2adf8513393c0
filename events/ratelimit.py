"""Fixed-window rate limits kept in Redis, so every web process shares the same counts."""

from __future__ import annotations

import hashlib
import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def allow(redis: Redis | None, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once it has had `limit` hits in the current window.

    With Redis unreachable the request is allowed (and logged): a mail outage or a Redis
    restart must not lock every member out."""
    if redis is None:
        return True
    # Keys often hold an email address: Redis only ever sees a digest of it.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    bucket = f"rl:{digest}:{int(time.time()) // window_seconds}"
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(bucket)
            pipe.expire(bucket, window_seconds + 1)
            count, _ = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit skipped, Redis unavailable: %s", exc)
        return True
    return int(count) <= limit
