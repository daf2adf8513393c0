"""Mail pages: one-click unsubscribe (RFC 8058), the failed-mail list, the dev mailbox."""

from __future__ import annotations

import httpx

from events.mail_transport import DevMailbox
from events.redis_conn import redis_client
from events.services import rsvps
from events.settings import get_settings
from events.tables import Member, Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import fixed_clock
from workers.mail_builder import unsubscribe_url
from workers.tasks import send_outbox


async def failed_invite() -> tuple[int, int, int]:
    """(outbox id, organizer, member) with the member's invite marked failed."""
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Sunrise hike")
    member = await helpers.make_member("riley@example.org", "Riley")
    await rsvps.respond(event, member, "yes")
    row = await Outbox.select(Outbox.id).where(Outbox.kind == "invite").first()
    await Outbox.update(
        {Outbox.state: "failed", Outbox.last_error: "550 5.1.1 No such mailbox", Outbox.attempts: 1}
    ).where(Outbox.id == row["id"])
    return int(row["id"]), organizer, member


def path_of(url: str) -> str:
    return url.removeprefix(get_settings().base_url)


async def test_unsubscribe_page_asks_first_then_turns_reminders_off(client):
    member = await helpers.make_member()
    path = path_of(unsubscribe_url(get_settings(), member))

    page = await client.get(path)
    assert page.status_code == 200
    assert "Stop reminder emails" in page.text
    assert (await Member.select(Member.reminders).first())["reminders"] is True

    done = await helpers.post(client, path)
    assert done.status_code == 200
    assert "won't get reminder emails" in done.text
    assert (await Member.select(Member.reminders).first())["reminders"] is False


async def test_one_click_unsubscribe_works_without_cookies(app):
    member = await helpers.make_member()
    path = path_of(unsubscribe_url(get_settings(), member))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.9", 50100))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as mail_client:
        response = await mail_client.post(path, content=b"List-Unsubscribe=One-Click")
    assert response.status_code == 200
    assert (await Member.select(Member.reminders).first())["reminders"] is False


async def test_a_forged_unsubscribe_link_changes_nothing(client):
    member = await helpers.make_member()
    forged = f"/unsubscribe/{member}.{int(utcnow().timestamp())}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    assert (await client.get(forged)).status_code == 410
    assert (await client.post(forged)).status_code == 410
    assert (await Member.select(Member.reminders).first())["reminders"] is True


async def test_failed_page_is_for_the_clubs_organizers_only(client):
    outbox_id, organizer, member = await failed_invite()
    anonymous = await client.get("/outbox/failed")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

    await helpers.login(client, member)
    assert (await client.get("/outbox/failed")).status_code == 403

    other = await helpers.make_member("other-org@example.org", "Other organizer")
    await helpers.make_club(slug="run-club", name="Run Club", organizer=other)
    await helpers.login(client, other)
    page = await client.get("/outbox/failed")
    assert page.status_code == 200 and "Sunrise hike" not in page.text
    assert (await helpers.post(client, f"/outbox/{outbox_id}/retry")).status_code == 404

    await helpers.login(client, organizer)
    page = await client.get("/outbox/failed")
    assert "Sunrise hike" in page.text and "550 5.1.1" in page.text


async def test_try_again_puts_a_failed_mail_back_in_the_queue(client):
    outbox_id, organizer, _ = await failed_invite()
    await helpers.login(client, organizer)
    response = await helpers.post(client, f"/outbox/{outbox_id}/retry")
    assert response.status_code == 303
    row = await Outbox.select().where(Outbox.id == outbox_id).first()
    assert row["state"] == "pending" and row["attempts"] == 0
    page = await client.get(response.headers["location"])
    assert "Queued to try again" in page.text and "No failed mail" in page.text
    redis = redis_client(get_settings().redis_url or "")
    try:
        assert await redis.exists(f"arq:job:outbox:{outbox_id}") == 1
    finally:
        await redis.aclose()


async def test_dev_mailbox_shows_what_would_have_been_sent(client):
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Sunrise hike")
    member = await helpers.make_member("riley@example.org", "Riley")
    await rsvps.respond(event, member, "yes")
    row = await Outbox.select(Outbox.id).first()
    ctx = {"mailer": DevMailbox(), "now": fixed_clock(utcnow())}
    assert await send_outbox(ctx, row["id"]) == "sent"

    page = await client.get("/dev/mail")
    assert page.status_code == 200
    assert (
        "You&#39;re going: Sunrise hike" in page.text or "You're going: Sunrise hike" in page.text
    )
    assert "calendar REQUEST" in page.text
    assert "riley@example.org" in page.text
