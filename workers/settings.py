"""arq WorkerSettings: pure wiring of functions, cron jobs, start-up and shut-down."""

from __future__ import annotations

from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from events.redis_conn import arq_settings
from events.settings import get_settings
from workers.tasks import send_outbox


async def startup(ctx: dict[str, Any]) -> None:
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=5)


async def shutdown(ctx: dict[str, Any]) -> None:
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


class WorkerSettings:
    functions = [send_outbox]
    cron_jobs: list[Any] = []
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = arq_settings(get_settings().redis_url or "redis://127.0.0.1:6379")
    max_tries = 5
    keep_result = 0
