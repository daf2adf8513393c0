"""Fixed-window rate limits kept in Redis, so every web process shares the same counts."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


async def allow(redis: Redis | None, key: str, limit: int, window_seconds: int) -> bool:
    """Count one hit on `key`; False once it has had `limit` hits in the current window.

    With Redis unreachable the request is allowed (and logged): a mail outage or a Redis
    restart must not lock every member out."""
    if redis is None:
        return True
    bucket = _bucket(key, window_seconds)
    try:
        async with redis.pipeline(transaction=True) as pipe:
            pipe.incr(bucket)
            pipe.expire(bucket, window_seconds + 1)
            count, _ = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit skipped, Redis unavailable: %s", exc)
        return True
    return int(count) <= limit


def _bucket(key: str, window_seconds: int) -> str:
    # Keys often hold an email address: Redis only ever sees a digest of it.
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"rl:{digest}:{int(time.time()) // window_seconds}"


@dataclass(frozen=True)
class Hit:
    bucket: str
    window: int
    count: int  # hits in this window so far, this one included


async def hit(redis: Redis | None, keys: list[tuple[str, int]]) -> list[Hit] | None:
    """Count one hit on each (key, window): the count so far in each window, or None with
    Redis unreachable. `forget` takes the hits back, e.g. once an attempt turned out fine."""
    if redis is None:
        return None
    buckets = [(_bucket(key, window), window) for key, window in keys]
    try:
        async with redis.pipeline(transaction=True) as pipe:
            for bucket, window in buckets:
                pipe.incr(bucket)
                pipe.expire(bucket, window + 1)
            results = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit skipped, Redis unavailable: %s", exc)
        return None
    counts = results[::2]
    return [Hit(b, w, int(c)) for (b, w), c in zip(buckets, counts, strict=True)]


async def forget(redis: Redis | None, hits: list[Hit]) -> None:
    """Take back hits that `hit` counted."""
    if redis is None or not hits:
        return
    try:
        async with redis.pipeline(transaction=True) as pipe:
            for one in hits:
                pipe.decr(one.bucket)
                pipe.expire(one.bucket, one.window + 1)  # the window may have ended meanwhile
            await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("rate limit not updated, Redis unavailable: %s", exc)
