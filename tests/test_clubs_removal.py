"""Removing and blocking someone from a club (issue 12, finding 5): their RSVPs to the club's
upcoming events are cancelled as their own cancel would be (places freed, the waitlist moved up
in line order, one cancellation mail each that does not mention the block); attendee-only
details, fellow attendees and volunteer roles are gone for them on every page, mail and feed;
a blocked person cannot RSVP again. It works for anyone who answered one of the club's events,
members or not."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bs4 import BeautifulSoup

from events.services import clubs, rsvps
from events.tables import Event, Membership, Outbox, RoleSignup, Rsvp, VolunteerRole
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import feed_token
from tests.workers_support import calendar_part, fixed_clock, smtp_server, text_of, transport
from workers.tasks import send_outbox

SECRET_PLACE = "12 Quiet Lane, back room"
SECRET_LINK = "https://meet.example/room-4821"


async def blocked_setup() -> dict[str, int]:
    """An attendee-only event with two places: Fay and Mo going, Wes then Wil waiting."""
    ids = {"organizer": await helpers.make_member("org@example.org", "Organizer")}
    ids["club"] = await helpers.make_club(organizer=ids["organizer"])
    ids["event"] = await helpers.make_event(
        ids["club"],
        title="Full moon hike",
        capacity=2,
        location=SECRET_PLACE,
        location_hint="Near the park",
        online_url=SECRET_LINK,
        details_for_attendees_only=True,
    )
    for key, email, name in (
        ("fay", "fay@example.org", "Fay Ortiz"),
        ("mo", "mo@example.org", "Mo Rivers"),
        ("wes", "wes@example.org", "Wes"),
        ("wil", "wil@example.org", "Wil"),
    ):
        ids[key] = await helpers.make_member(email, name, default_visibility="name")
        await rsvps.respond(ids["event"], ids[key], "yes")
    await Membership.insert(Membership(member=ids["mo"], club=ids["club"]))
    return ids


def unfolded(ics: str) -> str:
    return ics.replace("\r\n ", "")


def event_text(html: str) -> str:
    return BeautifulSoup(html, "html.parser").get_text(" ", strip=True)


async def test_a_blocked_member_loses_details_places_and_rsvps(client, other_client):
    ids = await blocked_setup()
    event_url = f"/events/{ids['event']}"
    await helpers.login(other_client, ids["mo"])
    before = await other_client.get(event_url)
    assert SECRET_PLACE in before.text and "Also going" in before.text
    assert "You're going" in event_text(before.text)

    await helpers.login(client, ids["organizer"])
    done = await helpers.post(client, f"/clubs/trail-club/team/{ids['mo']}/remove", {"block": "1"})
    assert done.status_code == 303

    after = await other_client.get(event_url)
    text = event_text(after.text)
    for leaked in (SECRET_PLACE, SECRET_LINK, "Also going", "Fay Ortiz", "You're going"):
        assert leaked not in after.text and leaked not in text
    assert "Near the park" in text

    # The place went to the first in line, as a normal cancel does; Wil still waits.
    statuses = {
        r["member"]: r["status"]
        for r in await Rsvp.select(Rsvp.member, Rsvp.status).where(Rsvp.event == ids["event"])
    }
    assert statuses == {
        ids["fay"]: "going",
        ids["mo"]: "not_going",
        ids["wes"]: "going",
        ids["wil"]: "waitlisted",
    }
    event = await Event.select(Event.taken).where(Event.id == ids["event"]).first()
    assert event["taken"] == 2

    # A new RSVP is refused with a neutral message, and nothing changes.
    again = await helpers.post(other_client, f"{event_url}/rsvp", {"response": "yes"})
    assert again.status_code == 422
    refusal = event_text(again.text).lower()
    assert "block" not in refusal and "remov" not in refusal
    assert (
        await Rsvp.select(Rsvp.status)
        .where((Rsvp.event == ids["event"]) & (Rsvp.member == ids["mo"]))
        .first()
    )["status"] == "not_going"


async def test_one_cancellation_mail_that_does_not_mention_the_block():
    ids = await blocked_setup()
    await Outbox.delete().where(Outbox.id > 0)
    await clubs.remove(ids["organizer"], ids["club"], ids["mo"], block=True)
    rows = await Outbox.select(Outbox.id, Outbox.kind, Outbox.recipient).order_by(Outbox.id)
    assert [(r["kind"], r["recipient"]) for r in rows] == [
        ("cancel", ids["mo"]),
        ("invite", ids["wes"]),
    ]
    with smtp_server() as (sink, url):
        mailer = transport(url)
        try:
            ctx = {"mailer": mailer, "now": fixed_clock(utcnow())}
            assert [await send_outbox(ctx, r["id"]) for r in rows] == ["sent", "sent"]
        finally:
            await mailer.close()
        (cancel,) = sink.to("mo@example.org")
    method, _ = calendar_part(cancel)
    assert method == "CANCEL"
    body = (text_of(cancel) + str(cancel["Subject"])).lower()
    assert "cancelled" in body
    for word in ("block", "remov", "organizer"):
        assert word not in body
    assert SECRET_PLACE.lower() not in body


async def test_someone_who_only_rsvped_can_be_removed_and_blocked(client, other_client):
    ids = await blocked_setup()
    await helpers.login(client, ids["organizer"])
    team = await client.get("/clubs/trail-club/team")
    assert "Wil" in team.text  # answered without joining: listed, with a remove form
    assert f"/clubs/trail-club/team/{ids['wil']}/remove" in team.text

    done = await helpers.post(client, f"/clubs/trail-club/team/{ids['fay']}/remove", {"block": "1"})
    assert done.status_code == 303
    fay = await Rsvp.select(Rsvp.status).where(Rsvp.member == ids["fay"]).first()
    assert fay["status"] == "not_going"
    await helpers.login(other_client, ids["fay"])
    refused = await helpers.post(other_client, f"/events/{ids['event']}/rsvp", {"response": "yes"})
    assert refused.status_code == 422
    assert (await helpers.post(other_client, "/clubs/trail-club/join")).status_code == 403

    # Someone who never answered the club's events is not the club's to remove.
    stranger = await helpers.make_member("stranger@example.org", "Stranger")
    missing = await helpers.post(client, f"/clubs/trail-club/team/{stranger}/remove")
    assert missing.status_code == 404
    assert not await Membership.exists().where(Membership.member == stranger)


async def test_removed_without_block_may_come_back(client, other_client):
    ids = await blocked_setup()
    await helpers.login(client, ids["organizer"])
    done = await helpers.post(client, f"/clubs/trail-club/team/{ids['wil']}/remove")
    assert done.status_code == 303
    assert not await Membership.exists().where(Membership.member == ids["wil"])
    wil = await Rsvp.select(Rsvp.status).where(Rsvp.member == ids["wil"]).first()
    assert wil["status"] == "not_going"
    outcome = await rsvps.respond(ids["event"], ids["wil"], "yes")
    assert outcome.status == "waitlisted"


async def test_blocked_person_sees_no_details_of_an_event_under_way(client, other_client):
    """An RSVP to an event that has started is not cancelled; what it showed is gone anyway:
    event page, private calendar feed, volunteer roles."""
    ids = await blocked_setup()
    start = utcnow() - timedelta(minutes=30)
    now_on = await helpers.make_event(
        ids["club"],
        title="Morning stretch",
        starts_at=start,
        location=SECRET_PLACE,
        online_url=SECRET_LINK,
        details_for_attendees_only=True,
    )
    await Rsvp.insert(Rsvp(event=now_on, member=ids["mo"], status="going", queued_at=start))
    role = await VolunteerRole.insert(VolunteerRole(event=now_on, name="Greeter", spots=2))
    await RoleSignup.insert(RoleSignup(role=role[0]["id"], member=ids["mo"]))
    feed_url = f"/me/calendar/{feed_token(ids['mo'], 1)}.ics"
    assert SECRET_LINK in unfolded((await other_client.get(feed_url)).text)

    await helpers.login(other_client, ids["mo"])
    assert SECRET_PLACE in (await other_client.get(f"/events/{now_on}")).text
    await helpers.login(client, ids["organizer"])
    await helpers.post(client, f"/clubs/trail-club/team/{ids['mo']}/remove", {"block": "1"})

    page = await other_client.get(f"/events/{now_on}")
    text = event_text(page.text)
    for leaked in (SECRET_PLACE, SECRET_LINK, "You're going", "New faces to welcome"):
        assert leaked not in page.text and leaked not in text
    other_client.cookies.clear()
    feed = await other_client.get(feed_url)
    assert feed.status_code == 200
    assert SECRET_LINK not in unfolded(feed.text) and "Quiet Lane" not in unfolded(feed.text)
    assert "Morning stretch" in feed.text


async def test_a_block_racing_with_rsvps_leaves_no_place_taken():
    """RSVPs sent while the block is written either come first (and are cancelled) or see
    the block (and are refused): never a place kept, never a count out of step."""
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    events = [await helpers.make_event(club, title=f"Hike {n}", capacity=5) for n in range(4)]
    member = await helpers.make_member("mo@example.org", "Mo")
    await Membership.insert(Membership(member=member, club=club))

    results = await asyncio.gather(
        *(rsvps.respond(event, member, "yes") for event in events[:2]),
        clubs.remove(organizer, club, member, block=True),
        *(rsvps.respond(event, member, "yes") for event in events[2:]),
        return_exceptions=True,
    )
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, rsvps.RsvpRefused)
    ]
    assert unexpected == []
    kept = await Rsvp.count().where(
        (Rsvp.member == member) & Rsvp.status.is_in(["going", "waitlisted"])
    )
    assert kept == 0
    for row in await Event.select(Event.taken):
        assert row["taken"] == 0
    cancels = await Outbox.count().where((Outbox.kind == "cancel") & (Outbox.recipient == member))
    answered = await Rsvp.count().where(Rsvp.member == member)
    assert cancels == answered
