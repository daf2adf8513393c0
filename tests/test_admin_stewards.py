"""Instance stewards (#16 item 8): granted on the command line; `/admin` (a 404 to everyone
else) lists clubs and the reports meant for stewards; suspending a club hides it and holds its
mail; suspending a member signs them out for good and frees their places. All logged."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from piccolo_api.session_auth.tables import SessionsBase

from events.mail_transport import SmtpTransport
from events.services import delivery, rsvps
from events.tables import Club, Member, Membership, Outbox, Report, Rsvp, StewardAction
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import post
from tests.workers_support import SmtpSink, drain, smtp_server, text_of, transport
from workers.tasks import enqueue_ids, schedule_reminders, send_outbox

LEADS = (timedelta(hours=24),)


@pytest.fixture
async def mail() -> AsyncIterator[tuple[SmtpSink, SmtpTransport]]:
    with smtp_server() as (sink, url):
        smtp = transport(url)
        yield sink, smtp
        await smtp.close()


def steady(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "events.cli", *args],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def a_steward(email: str = "steward@example.org", name: str = "Sage") -> int:
    return await helpers.make_member(email, name, steward=True)


async def test_grant_and_revoke_on_the_command_line_only(client):
    member = await helpers.make_member("pat@example.org", "Pat")
    await helpers.login(client, member)
    assert (await client.get("/admin")).status_code == 404
    granted = steady("admin", "grant", "Pat@Example.org")
    assert granted.returncode == 0, granted.stderr
    assert (await client.get("/admin")).status_code == 200
    revoked = steady("admin", "revoke", "pat@example.org")
    assert revoked.returncode == 0, revoked.stderr
    assert (await client.get("/admin")).status_code == 404
    unknown = steady("admin", "grant", "nobody@example.org")
    assert unknown.returncode != 0 and "no account" in unknown.stderr
    log = await StewardAction.select(StewardAction.action).order_by(StewardAction.id)
    assert [r["action"] for r in log] == ["grant", "revoke"]


async def test_admin_is_a_404_to_everyone_but_stewards(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club(organizer=organizer)
    for who in (None, organizer):
        if who:
            await helpers.login(client, who)
        plain = await client.get("/nothing-here")
        for method, path in (
            ("GET", "/admin"),
            ("POST", f"/admin/clubs/{club}/suspend"),
            ("POST", "/admin/members/suspend"),
        ):
            if method == "GET":
                response = await client.get(path)
            else:
                response = await post(client, path, {"reason": "x", "email": "org@example.org"})
            assert response.status_code == 404, (who, path)
            assert response.text == plain.text  # the same page as any unknown path
    assert await Club.count().where(Club.suspended_at.is_not_null()) == 0


async def test_clubs_newest_first_with_counts_and_no_attendee_names(client):
    steward = await a_steward()
    organizer = await helpers.make_member("org@example.org", "Org")
    long_ago = utcnow() - timedelta(days=10)
    older = await helpers.make_club("older", "Older Club", organizer=organizer, created_at=long_ago)
    await helpers.make_club("newer", "Newer Club", organizer=organizer)
    event = await helpers.make_event(older)
    attendee = await helpers.make_member("quinn@example.org", "Quinn Attendee")
    await Membership.insert(Membership(member=attendee, club=older))
    await rsvps.respond(event, attendee, "yes")
    await helpers.login(client, steward)
    page = await client.get("/admin")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    soup = BeautifulSoup(page.text, "html.parser")
    cards = [li.get_text(" ", strip=True) for li in soup.select("#clubs + ul > li")]
    assert cards[0].startswith("Newer Club") and "1 member · 0 events" in cards[0]
    assert cards[1].startswith("Older Club") and "2 members · 1 event" in cards[1]
    assert "Quinn" not in page.text


async def test_stewards_see_escalated_reports_and_reports_about_organizers(client, other_client):
    steward = await a_steward()
    organizer = await helpers.make_member("org@example.org", "Olive Organizer")
    club = await helpers.make_club(organizer=organizer)
    reporter = await helpers.make_member("rae@example.org", "Rae")
    someone = await helpers.make_member("sol@example.org", "Sol Member")

    async def report(subject: int, reason: str) -> int:
        rows = await Report.insert(
            Report(
                club=club,
                reporter=reporter,
                subject_kind="member",
                subject_id=subject,
                reason=reason,
            )
        ).returning(Report.id)
        return int(rows[0]["id"])

    await report(organizer, "The organizer shouted at me")
    await report(someone, "Took my seat")  # for the club's organizers only
    escalated = await report(someone, "Keeps messaging me after I said stop")
    await helpers.login(other_client, organizer)
    passed = await post(other_client, f"/clubs/trail-club/reports/{escalated}/escalate")
    assert passed.status_code == 303
    assert "Passed to this site" in (await other_client.get("/clubs/trail-club/reports")).text

    await helpers.login(client, steward)
    page = (await client.get("/admin")).text
    assert "The organizer shouted at me" in page and "Olive Organizer (organizer)" in page
    assert "Keeps messaging me" in page and "passed on by its organizers" in page
    assert "Took my seat" not in page
    assert "Rae" not in page  # the reporter stays private


async def test_suspending_a_club_hides_it_mails_its_organizers_and_is_logged(
    client, other_client, mail
):
    sink, smtp = mail
    steward = await a_steward()
    second = await a_steward("second@example.org", "Second Steward")
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club(organizer=organizer)
    await helpers.make_event(club, "Ridge walk")
    await helpers.login(client, steward)
    for path in ("/clubs", "/", "/calendar.ics", "/clubs/trail-club/calendar.ics"):
        assert "Ridge walk" in (await other_client.get(path)).text or path == "/clubs"

    refused = await post(client, f"/admin/clubs/{club}/suspend", {"reason": "  "})
    assert refused.status_code == 422 and "Say why" in refused.text
    done = await post(
        client, f"/admin/clubs/{club}/suspend", {"reason": "Selling supplements at meetings"}
    )
    assert done.status_code == 303
    for path in ("/clubs", "/", "/calendar.ics"):
        text = (await other_client.get(path)).text
        assert "Ridge walk" not in text and "Trail Club" not in text, path
    assert (await other_client.get("/clubs/trail-club/calendar.ics")).status_code == 404

    ids = [r["id"] for r in await Outbox.select(Outbox.id).where(Outbox.state == "pending")]
    await enqueue_ids({"redis": await _pool()}, ids)
    await drain({"mailer": smtp})
    [message] = sink.to("org@example.org")
    assert message["Subject"] == "Your group on Steady is suspended"
    assert "Selling supplements at meetings" in text_of(message)

    await helpers.login(other_client, second)
    log = BeautifulSoup((await other_client.get("/admin")).text, "html.parser").select_one(
        "#log + ul"
    )
    assert "Suspended a club: Trail Club" in log.get_text(" ")
    assert "Sage" in log.get_text(" ") and "Selling supplements" in log.get_text(" ")


async def _pool():
    from events.redis_conn import arq_pool
    from events.settings import get_settings

    return await arq_pool(get_settings().redis_url or "")


async def test_suspending_a_member_signs_them_out_and_frees_their_places(client, other_client):
    steward = await a_steward()
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, capacity=1)
    troll = await helpers.make_member("troll@example.org", "Tro")
    waiting = await helpers.make_member("wait@example.org", "Wai")
    await rsvps.respond(event, troll, "yes")
    await rsvps.respond(event, waiting, "yes")
    await helpers.login(other_client, troll)
    assert (await other_client.get("/account")).status_code == 200

    await helpers.login(client, steward)
    unknown = await post(
        client, "/admin/members/suspend", {"email": "x@example.org", "reason": "r"}
    )
    assert unknown.status_code == 422 and "No account has that email" in unknown.text
    done = await post(
        client, "/admin/members/suspend", {"email": "troll@example.org", "reason": "Harassment"}
    )
    assert done.status_code == 303

    assert (await other_client.get("/account")).status_code == 303  # signed out everywhere
    assert await SessionsBase.count().where(SessionsBase.user_id == troll) == 0
    login = await post(
        other_client, "/login", {"email": "troll@example.org", "password": helpers.PASSWORD}
    )
    assert login.status_code == 422
    statuses = {r["member"]: r["status"] for r in await Rsvp.select(Rsvp.member, Rsvp.status)}
    assert statuses == {troll: "not_going", waiting: "going"}
    assert (await Member.select(Member.suspended_at).where(Member.id == troll).first())[
        "suspended_at"
    ] is not None
    assert "Suspended a member: Tro" in (await client.get("/admin")).text


async def test_no_reminder_goes_out_after_the_suspension_commits(mail):
    """A worker has claimed one reminder when the suspension commits, another is still
    pending: neither is sent."""
    sink, smtp = mail
    steward = await a_steward()
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club(organizer=organizer)
    start = utcnow().replace(second=0, microsecond=0) + timedelta(hours=12)
    event = await helpers.make_event(club, "Evening meeting", start)
    people = [await helpers.make_member(f"p{i}@example.org", f"P{i}") for i in range(2)]
    for person in people:
        await rsvps.respond(event, person, "yes", now=start - timedelta(days=3))
    ids = await delivery.schedule_reminders(utcnow(), LEADS)
    assert len(ids) == 2
    claimed = await delivery.claim(ids[0], utcnow())  # a worker is on it...
    assert isinstance(claimed, delivery.Claimed)

    from events.services import stewards

    assert await stewards.suspend_club(steward, club, "Unsafe venue")  # ...when this commits
    await delivery.release(ids[0])  # the worker's send now loads the row
    states = [await send_outbox({"mailer": smtp}, i) for i in ids]
    assert states == ["skipped", "skipped"]
    assert [m for m in sink.received if m["Subject"].startswith("Reminder")] == []
    # And the cron writes no new ones for the suspended club.
    assert await schedule_reminders({"now": utcnow}) == 0
    # The organizers' mail is the only one left to send.
    kinds = {r["kind"] for r in await Outbox.select(Outbox.kind).where(Outbox.state == "pending")}
    assert kinds == {"club_suspended"}


async def test_suspending_a_member_while_others_rsvp_keeps_capacity_exact():
    """Twelve members tap "yes" on a 5-place event while a steward suspends one of the first
    five: never more going than places, the suspended member's place goes to someone else."""
    from events.services import stewards
    from events.tables import Event

    steward = await a_steward()
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, capacity=5)
    people = [await helpers.make_member(f"r{i}@example.org", f"R{i}") for i in range(12)]
    for person in people[:3]:
        await rsvps.respond(event, person, "yes")
    target = people[0]
    others = [rsvps.respond(event, person, "yes") for person in people[3:]]
    await asyncio.gather(stewards.suspend_member(steward, target, "Spam"), *others)

    rows = await Rsvp.select(Rsvp.member, Rsvp.status, Rsvp.guests).where(Rsvp.event == event)
    going = [r["member"] for r in rows if r["status"] == "going"]
    waiting = [r for r in rows if r["status"] == "waitlisted"]
    assert target not in going and len(going) == 5
    counters = await Event.select(Event.taken, Event.waitlisted).where(Event.id == event).first()
    assert counters == {"taken": 5, "waitlisted": len(waiting)}
    assert len(going) + len(waiting) == 11
