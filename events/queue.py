"""Enqueue outbox rows to arq after the request that wrote them. Redis being away is not an
error here: the row is in the database and the worker's cron job sends it later."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from arq.connections import ArqRedis
from starlette.types import ASGIApp, Receive, Scope, Send

from events.services.outbox import written_ids

log = logging.getLogger(__name__)

SEND_JOB = "send_outbox"


def job_id(outbox_id: int) -> str:
    return f"outbox:{outbox_id}"


async def enqueue(pool: ArqRedis | None, outbox_ids: Iterable[int]) -> None:
    if pool is None:
        return
    for outbox_id in outbox_ids:
        try:
            await pool.enqueue_job(SEND_JOB, outbox_id, _job_id=job_id(outbox_id))
        except Exception as exc:  # noqa: BLE001 - any Redis failure: the cron job catches up
            log.warning("outbox %s not enqueued (%s); the cron job will send it", outbox_id, exc)
            return


class OutboxEnqueueMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        ids: list[int] = []
        token = written_ids.set(ids)
        try:
            await self.app(scope, receive, send)
        finally:
            written_ids.reset(token)
        if ids:
            await enqueue(getattr(scope["app"].state, "arq", None), ids)
