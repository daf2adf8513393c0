"""Thin jobs: load by id, skip if already done, call a service, mark done.

Jobs carry only the outbox id (arq pickles arguments into Redis: no personal data there).
`ctx` may hold `now`, a callable returning the current UTC time (tests inject a clock), and
`mailer`, the transport (events/mail_transport.py, set up in workers.settings.startup).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from arq import Retry

from events import mail_transport
from events.queue import SEND_JOB, job_id
from events.services import delivery
from events.services.mailerrors import RedactAddresses, redact
from events.settings import Settings, get_settings
from events.timefmt import utcnow
from workers import mail_builder

log = logging.getLogger(__name__)
log.addFilter(RedactAddresses())


def _now(ctx: dict[str, Any]) -> datetime:
    clock: Callable[[], datetime] = ctx.get("now") or utcnow
    return clock()


def _settings(ctx: dict[str, Any]) -> Settings:
    """The worker's settings, put in its context at start-up (tests may pass their own)."""
    if "settings" not in ctx:
        ctx["settings"] = get_settings()
    settings: Settings = ctx["settings"]
    return settings


def _transport(ctx: dict[str, Any]) -> mail_transport.Transport:
    if "mailer" not in ctx:
        ctx["mailer"] = mail_transport.transport_for(_settings(ctx))
    return ctx["mailer"]


async def send_outbox(ctx: dict[str, Any], outbox_id: int) -> str:
    """Send one outbox row at most once; the state it ends in."""
    now = _now(ctx)
    claim = await delivery.claim(outbox_id, now)
    if isinstance(claim, delivery.Done):
        return claim.state
    if isinstance(claim, delivery.Busy):
        # Another worker holds it (or its next try is not due): look again when that ends.
        raise Retry(defer=claim.wait)
    row = claim.row
    try:
        loaded = await delivery.load(row, now)
        if isinstance(loaded, delivery.Skip):
            await delivery.mark_skipped(outbox_id, loaded.reason)
            return "skipped"
        try:
            message = mail_builder.build_message(loaded, _settings(ctx), now)
        except Exception as exc:  # a bug or bad data: retrying will not help
            log.exception("outbox %s: could not compose the mail", outbox_id)
            await delivery.mark_failed(outbox_id, f"could not compose the mail: {exc}")
            return "failed"
        await _transport(ctx).send(message, outbox_id=outbox_id)
    except mail_transport.PermanentFailure as exc:
        await delivery.mark_failed(outbox_id, str(exc))
        log.warning("outbox %s failed for good: %s", outbox_id, redact(str(exc)))
        return "failed"
    except mail_transport.TemporaryFailure as exc:
        delay = await delivery.mark_retry(outbox_id, row.attempts, str(exc), now)
        if delay is None:
            log.warning(
                "outbox %s failed after %s tries: %s", outbox_id, row.attempts, redact(str(exc))
            )
            return "failed"
        log.info(
            "outbox %s: temporary failure (%s), next try in %s", outbox_id, redact(str(exc)), delay
        )
        raise Retry(defer=delay) from exc
    except asyncio.CancelledError:
        # Shutting down mid-send: give the row back so the rerun does not wait out the lease.
        await asyncio.shield(delivery.release(outbox_id))
        raise
    # The server has it (250): record that before anything else can go wrong.
    await asyncio.shield(_record_sent(ctx, outbox_id))
    return "sent"


async def _record_sent(ctx: dict[str, Any], outbox_id: int) -> None:
    """Mark sent, riding out a brief database hiccup: a row left `sending` would be sent
    again once its lease ends."""
    for attempt in range(3):
        try:
            await delivery.mark_sent(outbox_id, _now(ctx))
            return
        except Exception:
            if attempt == 2:
                raise
            log.warning("outbox %s sent but not yet marked; trying again", outbox_id)
            await asyncio.sleep(0.5 * (attempt + 1))


async def enqueue_ids(ctx: dict[str, Any], ids: list[int]) -> int:
    """Enqueue send jobs under the row's job id: arq refuses an id whose job is still queued
    or running, so a row never has two jobs at once. The number of jobs added."""
    added = 0
    for outbox_id in ids:
        job = await ctx["redis"].enqueue_job(SEND_JOB, outbox_id, _job_id=job_id(outbox_id))
        added += job is not None
    return added


async def requeue_outbox(ctx: dict[str, Any]) -> int:
    """Cron: rows still pending past the grace period (Redis was down at request time, or the
    job was lost) and claims whose worker died get a job again."""
    ids = await delivery.due_for_requeue(_now(ctx))
    added = await enqueue_ids(ctx, ids)
    if added:
        log.info("re-enqueued %s outbox rows", added)
    return added


async def schedule_reminders(ctx: dict[str, Any]) -> int:
    """Cron: write the reminder rows due now and enqueue them."""
    ids = await delivery.schedule_reminders(_now(ctx), _settings(ctx).reminder_leads)
    if ids:
        await enqueue_ids(ctx, ids)
    return len(ids)


async def forget_attendance(ctx: dict[str, Any]) -> int:
    """Cron: replace who came to events past their club's retention period with counts."""
    from events.services import retention

    forgotten = await retention.forget_due(_now(ctx))
    if forgotten:
        log.info("forgot the attendance of %s events", forgotten)
    return forgotten


async def write_digests(ctx: dict[str, Any]) -> int:
    """Cron: weekly digests and organizers' daily summaries whose local hour has come, and
    organizers' instant RSVP notices; each row once (outbox keys), then enqueued."""
    from events.services import digests

    settings, now = _settings(ctx), _now(ctx)
    ids = await digests.write_digests(
        now, settings.digest_day, settings.digest_hour, settings.default_timezone
    )
    ids += await digests.write_summaries(now, settings.digest_hour, settings.default_timezone)
    ids += await digests.write_notices(now)
    if ids:
        await enqueue_ids(ctx, ids)
    return len(ids)
