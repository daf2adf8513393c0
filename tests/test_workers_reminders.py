"""Reminders: written by a cron job at each lead time (clock injected), re-timed when the event
moves, none after a cancel or for a lead already past at RSVP time, each sent once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from events.mail_transport import SmtpTransport
from events.redis_conn import arq_pool
from events.services import delivery, rsvps
from events.settings import get_settings
from events.tables import Event, EventStatus, Member, Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import SmtpSink, drain, fixed_clock, smtp_server, text_of, transport
from workers.tasks import schedule_reminders, send_outbox

LEADS = (timedelta(hours=24), timedelta(hours=2))
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def mail() -> AsyncIterator[tuple[SmtpSink, SmtpTransport]]:
    with smtp_server() as (sink, url):
        smtp = transport(url)
        yield sink, smtp
        await smtp.close()


async def going_member(
    rsvp_at: datetime | None = None, **event_fields
) -> tuple[int, int, datetime]:
    """(event, member, start): a member going to an event three days out."""
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Sunrise hike", starts_at=start, **event_fields)
    member = await helpers.make_member("riley@example.org", "Riley")
    await rsvps.respond(event, member, "yes", now=rsvp_at or start - timedelta(days=3))
    return event, member, start


async def reminder_rows() -> list[dict]:
    return await Outbox.select().where(Outbox.kind == "reminder").order_by(Outbox.id)


async def test_reminders_are_written_at_each_lead_minute_once():
    _, _, start = await going_member()
    schedule = [
        (start - timedelta(hours=24) - MINUTE, 0),
        (start - timedelta(hours=24), 1),
        (start - timedelta(hours=24) + MINUTE, 0),
        (start - timedelta(hours=2) - MINUTE, 0),
        (start - timedelta(hours=2), 1),
        (start - timedelta(hours=2) + MINUTE, 0),
        (start - MINUTE, 0),
        (start, 0),
    ]
    for moment, expected in schedule:
        written = await delivery.schedule_reminders(moment, LEADS)
        assert len(written) == expected, moment
    rows = await reminder_rows()
    iso = delivery.iso_minute(start)
    assert [r["dedupe_key"].split(":", 2)[2] for r in rows] == [f"1440:{iso}", f"120:{iso}"]


async def test_reminders_go_out_by_mail_with_the_essentials(mail):
    sink, smtp = mail
    event, _, start = await going_member(location="Trailhead lot")
    pool = await arq_pool(get_settings().redis_url or "")
    try:
        for moment in (start - timedelta(hours=24), start - timedelta(hours=2)):
            ctx = {"redis": pool, "now": fixed_clock(moment), "mailer": smtp}
            assert await schedule_reminders(ctx) == 1
            await drain(ctx)
            assert await schedule_reminders(ctx) == 0
            await drain(ctx)
    finally:
        await pool.aclose()

    assert len(sink.received) == 2
    day_before, two_hours = sink.received
    assert day_before["Subject"].startswith("Reminder: Sunrise hike tomorrow")
    assert two_hours["Subject"].startswith("Reminder: Sunrise hike in 2 hours")
    body = text_of(two_hours)
    assert "Trailhead lot" in body
    assert f"{get_settings().base_url}/events/{event}" in body
    assert "Can't go" in body
    assert get_settings().crisis_line in body
    assert two_hours["List-Unsubscribe"].startswith(f"<{get_settings().base_url}/unsubscribe/")
    assert two_hours["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert two_hours.get_content_type() == "multipart/alternative"
    assert "text/calendar" not in [p.get_content_type() for p in two_hours.iter_parts()]


async def test_no_reminder_for_a_lead_already_past_when_the_member_said_yes():
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    _, _, start = await going_member(rsvp_at=start - timedelta(hours=5))
    for minutes in range(0, 24 * 60, 30):
        await delivery.schedule_reminders(
            start - timedelta(hours=24) + timedelta(minutes=minutes), LEADS
        )
    keys = [r["dedupe_key"] for r in await reminder_rows()]
    assert len(keys) == 1 and keys[0].split(":")[2] == "120"


async def test_a_worker_down_at_both_leads_sends_only_the_nearest():
    _, _, start = await going_member()
    await delivery.schedule_reminders(start - timedelta(hours=1), LEADS)
    await delivery.schedule_reminders(start - timedelta(minutes=50), LEADS)
    keys = [r["dedupe_key"] for r in await reminder_rows()]
    assert len(keys) == 1 and keys[0].split(":")[2] == "120"


async def test_moving_the_event_re_times_its_reminders(mail):
    sink, smtp = mail
    event, _, start = await going_member()
    assert len(await delivery.schedule_reminders(start - timedelta(hours=24), LEADS)) == 1
    new_start = start + timedelta(days=1)
    await Event.update(
        {Event.starts_at: new_start, Event.ends_at: new_start + timedelta(hours=2)}
    ).where(Event.id == event)

    (old,) = await reminder_rows()
    ctx = {"mailer": smtp, "now": fixed_clock(start - timedelta(hours=24) + MINUTE)}
    assert await send_outbox(ctx, old["id"]) == "skipped"
    assert await delivery.schedule_reminders(start - timedelta(hours=2), LEADS) == []
    written = await delivery.schedule_reminders(new_start - timedelta(hours=24), LEADS)
    assert len(written) == 1
    ctx = {"mailer": smtp, "now": fixed_clock(new_start - timedelta(hours=24))}
    assert await send_outbox(ctx, written[0]) == "sent"
    (message,) = sink.received
    assert message["Subject"].startswith("Reminder: Sunrise hike tomorrow")
    rows = await reminder_rows()
    assert rows[0]["dedupe_key"] != rows[1]["dedupe_key"]
    assert delivery.iso_minute(new_start) in rows[1]["dedupe_key"]


async def test_no_reminders_after_a_cancel_or_with_reminders_off(mail):
    sink, smtp = mail
    event, member, start = await going_member()
    # A reminder written, then the member cancels before it goes out: it is not sent.
    (pending,) = await delivery.schedule_reminders(start - timedelta(hours=24), LEADS)
    await rsvps.respond(event, member, "no", now=start - timedelta(hours=23))
    ctx = {"mailer": smtp, "now": fixed_clock(start - timedelta(hours=23))}
    assert await send_outbox(ctx, pending) == "skipped"
    assert await delivery.schedule_reminders(start - timedelta(hours=2), LEADS) == []

    # Going again, but the event is cancelled: nothing.
    await rsvps.respond(event, member, "yes", now=start - timedelta(hours=22))
    await Event.update({Event.status: EventStatus.cancelled.value}).where(Event.id == event)
    assert await delivery.schedule_reminders(start - timedelta(hours=2), LEADS) == []

    # Scheduled again, but the member turned reminders off: nothing.
    await Event.update({Event.status: EventStatus.scheduled.value}).where(Event.id == event)
    await Member.update({Member.reminders: False}).where(Member.id == member)
    assert await delivery.schedule_reminders(start - timedelta(hours=2), LEADS) == []
    assert sink.received == []
