"""Digests (#16 item 5): the weekly "This week at your clubs" mail at each member's local
morning hour, once; its one-tap RSVP links (confirm page, POST only, single use, expiring);
opting out; discreet mode; organizers' instant and daily RSVP mail. Real app, real worker,
real SMTP server; the clock moved with time-machine and handed to the worker."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from arq.connections import ArqRedis

from events.mail_transport import SmtpTransport
from events.redis_conn import arq_pool
from events.services import clubs, rsvps
from events.settings import get_settings
from events.tables import Member, Membership, Outbox, Rsvp
from tests import helpers
from tests.test_privacy_discreet_mail import all_text, giveaways
from tests.workers_support import SmtpSink, drain, fixed_clock, text_of
from workers.tasks import write_digests

ZONE = "America/New_York"  # DST began on Sunday 14 March 2027
MONDAY = datetime(2027, 3, 8, 13, 0, tzinfo=UTC)  # 08:00 EST
DST_MONDAY = datetime(2027, 3, 15, 12, 0, tzinfo=UTC)  # 08:00 EDT
LINK = re.compile(r"https?://\S+/digest/rsvp/(\S+)")
MINUTE = timedelta(minutes=1)


@pytest.fixture
async def pool() -> AsyncIterator[ArqRedis]:
    redis = await arq_pool(get_settings().redis_url or "")
    yield redis
    await redis.aclose()


async def run_cron(
    time_machine: Any, pool: ArqRedis, mailer: SmtpTransport, moment: datetime
) -> int:
    """The cron job at `moment`, then the worker until the queue is empty: rows written."""
    time_machine.move_to(moment, tick=False)
    ctx = {"redis": pool, "now": fixed_clock(moment), "mailer": mailer}
    written = await write_digests(ctx)
    await drain(ctx)
    return written


async def club_with_week(name: str = "Riverside Hikers", kind: str = "activity") -> dict[str, int]:
    ids = {"organizer": await helpers.make_member("olive@example.org", "Olive")}
    ids["club"] = await helpers.make_club(
        slug="riverside", name=name, timezone=ZONE, organizer=ids["organizer"], kind=kind
    )
    for n, day in enumerate((9, 11, 17, 19)):  # two each week, at 18:00 local
        ids[f"event{n}"] = await helpers.make_event(
            ids["club"],
            title=f"Evening walk {n}",
            starts_at=datetime(2027, 3, day, 22, 0, tzinfo=UTC),
            capacity=3,
        )
    return ids


async def subscriber(club: int, email: str = "riley@example.org", **fields: Any) -> int:
    member = await helpers.make_member(email, "Riley", digest=True, **fields)
    await clubs.join(member, club, now=MONDAY - timedelta(days=30))
    return member


def links(sink: SmtpSink, address: str) -> list[str]:
    return LINK.findall(text_of(sink.to(address)[-1]))


async def test_digest_goes_out_at_the_local_morning_hour_once_also_in_the_dst_week(
    time_machine, pool, smtp, mailer
):
    sink, _ = smtp
    ids = await club_with_week()
    riley = await subscriber(ids["club"])  # no zone of her own: the club's
    berlin = await subscriber(ids["club"], "bo@example.org", timezone="Europe/Berlin")
    await helpers.make_member("nina@example.org", "Nina")  # never opted in
    await clubs.join(await helpers.make_member("sam@example.org", "Sam"), ids["club"])

    # Berlin's 08:00 (CET) comes first; New York's at 13:00 UTC; each once however often the
    # job runs (and a second worker run finds nothing more).
    assert await run_cron(time_machine, pool, mailer, MONDAY.replace(hour=6, minute=59)) == 0
    assert await run_cron(time_machine, pool, mailer, MONDAY.replace(hour=7)) == 1
    assert [m["To"] for m in sink.received] == ["bo@example.org"]
    assert await run_cron(time_machine, pool, mailer, MONDAY - MINUTE) == 0
    assert await run_cron(time_machine, pool, mailer, MONDAY) == 1
    assert await run_cron(time_machine, pool, mailer, MONDAY) == 0
    assert await run_cron(time_machine, pool, mailer, MONDAY + timedelta(minutes=30)) == 0
    assert [m["To"] for m in sink.received] == ["bo@example.org", "riley@example.org"]

    mail = sink.to("riley@example.org")[0]
    assert mail["Subject"] == "This week at your clubs"
    body = text_of(mail)
    assert "Evening walk 0" in body and "Evening walk 1" in body and "Riverside Hikers" in body
    assert "Evening walk 2" not in body  # next week's
    assert "Tue 9 Mar, 5\u202fpm" in body  # the club's local time (EST)
    assert len(links(sink, "riley@example.org")) == 2
    assert f"{get_settings().base_url}/account/settings" in body

    # DST week: 08:00 in New York is now 12:00 UTC (Berlin keeps 07:00 until 28 March).
    assert await run_cron(time_machine, pool, mailer, DST_MONDAY.replace(hour=7)) == 1
    assert await run_cron(time_machine, pool, mailer, DST_MONDAY - MINUTE) == 0
    assert await run_cron(time_machine, pool, mailer, DST_MONDAY) == 1
    assert await run_cron(time_machine, pool, mailer, DST_MONDAY + timedelta(hours=1)) == 0
    second = sink.to("riley@example.org")
    assert len(second) == 2 and "Evening walk 2" in text_of(second[1])
    assert "Evening walk 1" not in text_of(second[1])
    rows = await Outbox.select(Outbox.recipient).where(Outbox.kind == "digest")
    assert sorted(r["recipient"] for r in rows) == sorted([riley, riley, berlin, berlin])


async def test_digest_is_off_by_default_and_opting_out_stops_it(
    time_machine, pool, smtp, mailer, client
):
    sink, _ = smtp
    ids = await club_with_week()
    member = await helpers.make_member("riley@example.org", "Riley")
    await clubs.join(member, ids["club"])
    time_machine.move_to(MONDAY - timedelta(hours=1), tick=False)
    await helpers.login(client, member)  # sessions are a day long: signed in at the test's time
    page = await client.get("/account/settings")
    assert 'name="digest"' in page.text and 'name="digest" checked' not in page.text
    assert await run_cron(time_machine, pool, mailer, MONDAY) == 0

    bad = await helpers.post(
        client,
        "/account/settings",
        {"default_visibility": "initials", "digest": "on", "timezone": "Mars/Olympus"},
    )
    assert bad.status_code == 422 and "not a time zone" in bad.text
    assert 'value="Mars/Olympus"' in bad.text  # the form kept
    assert not (await Member.select(Member.digest).where(Member.id == member).first())["digest"]
    time_machine.move_to(DST_MONDAY - timedelta(hours=1), tick=False)
    await helpers.login(client, member)
    ok = await helpers.post(
        client,
        "/account/settings",
        {"default_visibility": "initials", "digest": "on", "timezone": "America/Chicago"},
    )
    assert ok.status_code == 303
    # Chicago's 08:00 is an hour after New York's.
    assert await run_cron(time_machine, pool, mailer, DST_MONDAY) == 0
    time_machine.move_to(DST_MONDAY + timedelta(hours=1), tick=False)
    ctx = {"redis": pool, "now": fixed_clock(DST_MONDAY + timedelta(hours=1)), "mailer": mailer}
    assert await write_digests(ctx) == 1
    # Opted out between the row being written and the worker sending it: nothing goes.
    off = await helpers.post(client, "/account/settings", {"default_visibility": "initials"})
    assert off.status_code == 303
    await drain(ctx)
    assert sink.received == []
    assert (await Outbox.select(Outbox.state).where(Outbox.kind == "digest").first())[
        "state"
    ] == "skipped"
    later = DST_MONDAY + timedelta(days=7, hours=1)
    assert await run_cron(time_machine, pool, mailer, later) == 0


async def test_rsvp_links_confirm_on_a_page_work_once_and_expire(
    time_machine, pool, smtp, mailer, client
):
    sink, _ = smtp
    ids = await club_with_week()
    riley = await subscriber(ids["club"])
    await run_cron(time_machine, pool, mailer, MONDAY)
    first, second = links(sink, "riley@example.org")

    # GET (as a mail scanner would) changes nothing.
    page = await client.get(f"/digest/rsvp/{first}")
    assert page.status_code == 200 and "Evening walk 0" in page.text
    assert "no-store" in page.headers["cache-control"]
    assert await Rsvp.count().where(Rsvp.member == riley) == 0
    # Another site's form cannot use it.
    forged = await client.post(f"/digest/rsvp/{first}", headers={"Sec-Fetch-Site": "cross-site"})
    assert forged.status_code == 403
    assert await Rsvp.count().where(Rsvp.member == riley) == 0
    # The confirm button: going, with the usual invite.
    done = await helpers.post(client, f"/digest/rsvp/{first}")
    assert done.status_code == 200 and "You're going" in html.unescape(done.text)
    row = await Rsvp.select(Rsvp.status).where(Rsvp.member == riley).first()
    assert row["status"] == "going"
    assert await Outbox.count().where((Outbox.kind == "invite") & (Outbox.recipient == riley)) == 1
    # Spent: a second tap, and a changed answer after it, do not bring it back.
    assert (await helpers.post(client, f"/digest/rsvp/{first}")).status_code == 410
    await rsvps.respond(ids["event0"], riley, "no")
    assert (await client.get(f"/digest/rsvp/{first}")).status_code == 410
    # Bound to its member and event: edited, or used as another kind of link, it is refused.
    member_part, rest = second.split("-", 1)
    assert (await client.get(f"/digest/rsvp/{int(member_part) + 1}-{rest}")).status_code == 410
    assert (await client.get(f"/unsubscribe/{second}")).status_code == 410
    # Expired after eight days, even unused.
    time_machine.move_to(MONDAY + timedelta(days=8, minutes=1), tick=False)
    assert (await client.get(f"/digest/rsvp/{second}")).status_code == 410
    assert (await helpers.post(client, f"/digest/rsvp/{second}")).status_code == 410
    assert await Rsvp.count().where((Rsvp.member == riley) & (Rsvp.event == ids["event1"])) == 0


async def test_discreet_digest_and_organizer_mail_name_no_group(time_machine, pool, smtp, mailer):
    sink, _ = smtp
    ids = await club_with_week("Serenity AA Recovery Group", kind="twelve_step")
    await subscriber(ids["club"], "quinn@example.org", discreet=True)
    await Member.update({Member.discreet: True}).where(Member.id == ids["organizer"])
    await Membership.update({Membership.organizer_mail: "daily"}).where(
        Membership.member == ids["organizer"]
    )
    assert await run_cron(time_machine, pool, mailer, MONDAY) == 1
    digest = sink.to("quinn@example.org")[0]
    assert digest["Subject"] == "Your week on Steady"
    assert giveaways(all_text(digest)) == [], all_text(digest)
    assert "Steady: Tuesday meetup" in text_of(digest)

    time_machine.move_to(MONDAY + timedelta(hours=2), tick=False)
    assert len(links(sink, "quinn@example.org")) == 2
    quinn = await Member.select(Member.id).where(Member.email == "quinn@example.org").first()
    await rsvps.respond(ids["event0"], quinn["id"], "yes")
    assert await run_cron(time_machine, pool, mailer, MONDAY + timedelta(days=1)) == 1
    (summary,) = sink.to("olive@example.org")
    assert giveaways(all_text(summary)) == [], all_text(summary)
    assert "Group 1: 1 new RSVP" in text_of(summary)


async def test_organizers_daily_summary_counts_and_instant_notices(
    time_machine, pool, smtp, mailer
):
    sink, _ = smtp
    ids = await club_with_week()
    instant = await helpers.make_member("ivan@example.org", "Ivan")
    quiet = await helpers.make_member("queenie@example.org", "Queenie")
    for member, choice in ((instant, "instant"), (quiet, "none")):
        await Membership.insert(
            Membership(member=member, club=ids["club"], role="organizer", organizer_mail=choice)
        )
    await Membership.update({Membership.organizer_mail: "daily"}).where(
        Membership.member == ids["organizer"]
    )
    people = [await helpers.make_member(f"p{n}@example.org", f"P{n}") for n in range(4)]
    # Tuesday 9 March, New York time: three going (capacity 3), one waitlisted, one of the
    # three cancels and the waitlisted one moves up.
    tuesday = datetime(2027, 3, 9, 15, 0, tzinfo=UTC)
    for n, member in enumerate(people):
        time_machine.move_to(tuesday + n * MINUTE, tick=False)
        await rsvps.respond(ids["event1"], member, "yes")
    time_machine.move_to(tuesday + timedelta(hours=1), tick=False)
    await rsvps.respond(ids["event1"], people[0], "no")

    # Instant: one mail per change, each once, none for the quiet organizer.
    after = tuesday + timedelta(hours=1, minutes=1)
    assert await run_cron(time_machine, pool, mailer, after) == 6
    assert await run_cron(time_machine, pool, mailer, after + MINUTE) == 0
    # (A long subject is folded on the wire; its words are what a reader sees.)
    notices = [" ".join(str(m["Subject"]).split()) for m in sink.to("ivan@example.org")]
    assert len(notices) == 6
    assert "P3 joined the waitlist: Evening walk 1 · Thu 11 Mar" in notices
    assert "P0 cancelled their RSVP: Evening walk 1 · Thu 11 Mar" in notices
    assert "P3 moved up from the waitlist and is going: Evening walk 1 · Thu 11 Mar" in notices
    assert sink.to("queenie@example.org") == []

    # After local midnight (05:00 UTC): Wednesday's, not Tuesday's.
    time_machine.move_to(datetime(2027, 3, 10, 5, 30, tzinfo=UTC), tick=False)
    await rsvps.respond(ids["event1"], people[0], "yes")
    late = datetime(2027, 3, 10, 5, 31, tzinfo=UTC)
    assert await run_cron(time_machine, pool, mailer, late) == 1  # Ivan hears of it at once

    # Daily: at 08:00 New York time on Wednesday, Tuesday's counts; once.
    wednesday = datetime(2027, 3, 10, 13, 0, tzinfo=UTC)
    assert await run_cron(time_machine, pool, mailer, wednesday - MINUTE) == 0
    assert sink.to("olive@example.org") == []
    assert await run_cron(time_machine, pool, mailer, wednesday) == 1
    assert await run_cron(time_machine, pool, mailer, wednesday + MINUTE) == 0
    (summary,) = sink.to("olive@example.org")
    assert summary["Subject"] == "RSVPs at your clubs · Tuesday 9 March"
    assert (
        "Riverside Hikers: 3 new RSVPs, 1 joined the waitlist, 1 moved up from the waitlist, "
        "1 cancellation" in text_of(summary)
    )
    # A quiet day sends nothing.
    assert await run_cron(time_machine, pool, mailer, wednesday + timedelta(days=2)) == 0


async def test_cron_runs_at_once_write_each_digest_once(time_machine, pool, smtp, mailer):
    sink, _ = smtp
    ids = await club_with_week()
    for n in range(5):
        await subscriber(ids["club"], f"m{n}@example.org")
    time_machine.move_to(MONDAY, tick=False)
    ctx = {"redis": pool, "now": fixed_clock(MONDAY), "mailer": mailer}
    # Two workers' cron jobs (and a restarted one) at the same minute.
    written = await asyncio.gather(*(write_digests(dict(ctx)) for _ in range(4)))
    assert sum(written) == 5
    await drain(ctx)
    assert sorted(m["To"] for m in sink.received) == [f"m{n}@example.org" for n in range(5)]
