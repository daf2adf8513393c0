"""arq WorkerSettings: pure wiring of functions, cron jobs, start-up and shut-down."""

from __future__ import annotations

import logging
from typing import Any

from arq import cron
from arq.connections import RedisSettings
from arq.worker import func
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from events.mail_transport import transport_for
from events.redis_conn import arq_settings
from events.services.delivery import MAX_ATTEMPTS
from events.settings import get_settings
from workers.tasks import (
    forget_attendance,
    requeue_outbox,
    schedule_reminders,
    send_outbox,
    write_digests,
)

SEND_TIMEOUT = 60  # seconds; below delivery.LEASE so a live worker never loses its claim
# arq hides a killed worker's job for the longest timeout + 10 s; keep that near the lease.
CRON_TIMEOUT = 110


def worker_redis_settings(url: str) -> RedisSettings:
    """Unlike the web app (which fails fast and lets the cron catch up), the worker rides out
    a Redis restart: it keeps retrying with backoff for about a minute before giving up."""
    settings = arq_settings(url)
    settings.conn_retries = 30
    settings.conn_retry_delay = 1
    settings.retry_on_error = [RedisConnectionError, RedisTimeoutError, OSError]
    settings.retry = Retry(ExponentialBackoff(cap=5, base=0.2), retries=20)
    return settings


async def startup(ctx: dict[str, Any]) -> None:
    if not logging.getLogger().handlers:  # `steady worker`: job and shutdown lines on stderr
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=5)
    ctx["settings"] = get_settings()
    ctx["mailer"] = transport_for(ctx["settings"])


async def shutdown(ctx: dict[str, Any]) -> None:
    transport = ctx.pop("mailer", None)
    if transport is not None:
        await transport.close()
    engine = engine_finder()
    if isinstance(engine, PostgresEngine):
        await engine.close_connection_pool()


class WorkerSettings:
    # The row's own attempt count (delivery.MAX_ATTEMPTS) decides when to give up; arq's
    # count also includes re-runs while another claim holds the row, so it gets headroom.
    functions = [func(send_outbox, timeout=SEND_TIMEOUT, max_tries=MAX_ATTEMPTS * 4)]
    cron_jobs = [
        cron(requeue_outbox, second={15}, run_at_startup=True, timeout=CRON_TIMEOUT),
        cron(schedule_reminders, second={0}, run_at_startup=True, timeout=CRON_TIMEOUT),
        # Hourly: retention is counted in days, and a missed hour only delays forgetting.
        cron(forget_attendance, minute={40}, second={30}, timeout=CRON_TIMEOUT),
        # Every minute: instant RSVP notices; digests and summaries at each member's local hour
        # (zones off the hour by 30 or 45 minutes included), once thanks to their outbox keys.
        cron(write_digests, second={45}, timeout=CRON_TIMEOUT),
    ]
    on_startup = startup
    on_shutdown = shutdown
    redis_settings = worker_redis_settings(get_settings().redis_url or "redis://127.0.0.1:6379")
    max_tries = 5
    keep_result = 0
    job_timeout = CRON_TIMEOUT
    # How often an idle worker looks for new jobs: bounds the wait before an invite goes out.
    poll_delay = 0.1
    # On SIGINT/SIGTERM: stop taking jobs and let a send in flight finish before exiting.
    job_completion_wait = 20
