"""Hybrid RSVPs (#15 item 2): in person (capacity, waitlist) or online (no cap), switching,
the split counts, the attendee page and CSV, the online link and the mails that say which."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import pytest
from bs4 import BeautifulSoup

from events.db import write_transaction
from events.mail_transport import SmtpTransport
from events.services import rsvps
from events.tables import Event, Outbox, Rsvp
from tests import helpers
from tests.test_workers_invites import send_all
from tests.workers_support import SmtpSink, smtp_server, text_of, transport, vevent

LINK = "https://meet.example.org/hybrid-room"


async def hybrid_event(capacity: int | None = 2, **fields) -> tuple[int, int]:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    fields.setdefault("online_url", LINK)
    fields.setdefault("details_for_attendees_only", True)
    event = await helpers.make_event(
        club, title="Hybrid meeting", capacity=capacity, attendance="hybrid", **fields
    )
    return organizer, event


async def members(count: int) -> list[int]:
    return [await helpers.make_member(f"m{i}@example.org", f"Member {i}") for i in range(count)]


async def counters(event: int) -> tuple[int, int, int]:
    row = await Event.select(Event.taken, Event.waitlisted, Event.online_taken).where(
        Event.id == event
    )
    return row[0]["taken"], row[0]["waitlisted"], row[0]["online_taken"]


async def standing(event: int, member: int) -> tuple[str, str]:
    row = await Rsvp.select(Rsvp.status, Rsvp.attendance).where(
        (Rsvp.event == event) & (Rsvp.member == member)
    )
    return row[0]["status"], row[0]["attendance"]


async def test_in_person_places_are_capped_and_online_is_not():
    _, event = await hybrid_event(capacity=2)
    people = await members(6)
    for m in people[:3]:
        await rsvps.respond(event, m, "yes", attendance="in_person")
    for m in people[3:]:
        await rsvps.respond(event, m, "yes", attendance="online")
    assert [await standing(event, m) for m in people] == [
        ("going", "in_person"),
        ("going", "in_person"),
        ("waitlisted", "in_person"),
        ("going", "online"),
        ("going", "online"),
        ("going", "online"),
    ]
    assert await counters(event) == (2, 1, 3)
    # Going online needs no place, so the same member may bring guests without a cap check.
    outcome = await rsvps.respond(event, people[5], "no")
    assert outcome.status == "not_going"
    assert await counters(event) == (2, 1, 2)


async def test_a_yes_to_a_hybrid_event_must_say_how(client):
    _, event = await hybrid_event()
    (member,) = await members(1)
    with pytest.raises(rsvps.RsvpRefused):
        await rsvps.respond(event, member, "yes")
    await helpers.login(client, member)
    response = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"}, htmx=True)
    assert response.status_code == 422
    assert "in person or online" in response.text
    assert await Rsvp.count() == 0


async def test_switching_to_online_frees_the_place_and_promotes_once():
    _, event = await hybrid_event(capacity=1)
    first, waiting, later = await members(3)
    await rsvps.respond(event, first, "yes", attendance="in_person")
    await rsvps.respond(event, waiting, "yes", attendance="in_person")
    await rsvps.respond(event, later, "yes", attendance="in_person")
    assert await counters(event) == (1, 2, 0)

    outcome = await rsvps.respond(event, first, "yes", attendance="online")
    assert outcome.status == "going" and outcome.promoted == [waiting]
    assert await standing(event, first) == ("going", "online")
    assert await standing(event, waiting) == ("going", "in_person")
    assert await standing(event, later) == ("waitlisted", "in_person")
    assert await counters(event) == (1, 1, 1)
    # The same answer again changes nothing and promotes no one else.
    again = await rsvps.respond(event, first, "yes", attendance="online")
    assert again.promoted == [] and await counters(event) == (1, 1, 1)
    invites = await Outbox.select(Outbox.recipient).where(Outbox.kind == "invite")
    assert [r["recipient"] for r in invites].count(waiting) == 2  # tentative, then accepted

    # Back to in person while it is full: the back of the line, not going online any more.
    back = await rsvps.respond(event, first, "yes", attendance="in_person")
    assert back.status == "waitlisted"
    assert await standing(event, first) == ("waitlisted", "in_person")
    assert await counters(event) == (1, 2, 0)
    assert await rsvps.waitlist_position(event, first) == 2


async def test_a_waitlisted_member_can_go_online_instead():
    _, event = await hybrid_event(capacity=1)
    first, second = await members(2)
    await rsvps.respond(event, first, "yes", attendance="in_person")
    await rsvps.respond(event, second, "yes", attendance="in_person")
    outcome = await rsvps.respond(event, second, "yes", attendance="online")
    assert outcome.status == "going" and outcome.attendance == "online"
    assert await counters(event) == (1, 0, 1)


async def test_panel_shows_split_counts_and_asks_how(client):
    _, event = await hybrid_event(capacity=1)
    first, second, viewer = await members(3)
    await rsvps.respond(event, first, "yes", attendance="in_person")
    await rsvps.respond(event, second, "yes", attendance="online")
    await helpers.login(client, viewer)
    page = BeautifulSoup((await client.get(f"/events/{event}")).text, "html.parser")
    panel = page.select_one("#rsvp-panel")
    assert panel is not None
    assert "1 in person · 1 online · no places left" in panel.select_one(".counts").text
    fieldset = panel.select_one("fieldset")
    assert fieldset.legend.text.strip() == "In person or online?"
    radios = {r["value"]: r.has_attr("checked") for r in fieldset.select("input[type=radio]")}
    # Full in person: online is offered first.
    assert radios == {"in_person": False, "online": True}

    response = await helpers.post(
        client, f"/events/{event}/rsvp", {"response": "yes", "attendance": "online"}, htmx=True
    )
    assert response.status_code == 200
    assert "You're going online" in response.text
    assert "1 in person · 2 online" in response.text


async def test_online_link_goes_to_online_attendees_unless_organizer_allows(client):
    _, event = await hybrid_event(capacity=5)
    in_person, online = await members(2)
    await rsvps.respond(event, in_person, "yes", attendance="in_person")
    await rsvps.respond(event, online, "yes", attendance="online")

    await helpers.login(client, online)
    assert LINK in (await client.get(f"/events/{event}")).text
    client.cookies.clear()
    await helpers.login(client, in_person)
    assert LINK not in (await client.get(f"/events/{event}")).text

    async with write_transaction():
        await Event.update({Event.link_for_in_person: True}).where(Event.id == event)
    assert LINK in (await client.get(f"/events/{event}")).text


async def test_attendee_page_and_csv_say_which(client):
    organizer, event = await hybrid_event(capacity=5)
    here, there = await members(2)
    await rsvps.respond(event, here, "yes", attendance="in_person")
    await rsvps.respond(event, there, "yes", guests=0, attendance="online")
    await helpers.login(client, organizer)
    page = BeautifulSoup((await client.get(f"/events/{event}/attendees")).text, "html.parser")
    assert "1 in person · 1 online" in page.text
    rows = {
        li.select_one(".who").text: [t.text for t in li.select(".tag")]
        for li in page.select("li.attendee")
    }
    assert rows == {"Member 0": ["first time", "in person"], "Member 1": ["first time", "online"]}

    response = await client.get(f"/events/{event}/attendees.csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["name", "status", "guests", "rsvp_at", "attendance"]
    assert sorted((r[0], r[4]) for r in table[1:]) == [
        ("Member 0", "in_person"),
        ("Member 1", "online"),
    ]


async def test_changing_the_mode_recounts_places():
    _, event = await hybrid_event(capacity=3)
    a, b = await members(2)
    await rsvps.respond(event, a, "yes", attendance="in_person")
    await rsvps.respond(event, b, "yes", attendance="online")
    assert await counters(event) == (1, 0, 1)
    from events.db import write_transaction

    await Event.update({Event.attendance: "in_person"}).where(Event.id == event)
    async with write_transaction():
        await rsvps.recount(event)
    assert await counters(event) == (2, 0, 0)


@pytest.fixture
async def mail() -> AsyncIterator[tuple[SmtpSink, SmtpTransport]]:
    with smtp_server() as (sink, url):
        smtp = transport(url)
        yield sink, smtp
        await smtp.close()


async def test_invites_say_how_and_carry_the_link_only_online(mail):
    sink, smtp = mail
    _, event = await hybrid_event(capacity=5)
    here, there = await members(2)
    await rsvps.respond(event, here, "yes", attendance="in_person")
    await rsvps.respond(event, there, "yes", attendance="online")
    await send_all(smtp)
    by_to = {m["To"]: m for m in sink.received}
    assert len(by_to) == 2
    in_person, online = by_to["m0@example.org"], by_to["m1@example.org"]
    assert "How:   In person" in text_of(in_person)
    assert LINK not in in_person.as_string()
    assert LINK not in str(vevent(in_person).get("DESCRIPTION", ""))
    assert "How:   Online" in text_of(online)
    assert LINK in text_of(online)
    assert LINK in str(vevent(online)["DESCRIPTION"])


async def test_private_feed_gives_the_link_to_online_attendees_only(client):
    from tests.helpers import feed_token

    _, event = await hybrid_event(capacity=5)
    here, there = await members(2)
    await rsvps.respond(event, here, "yes", attendance="in_person")
    await rsvps.respond(event, there, "yes", attendance="online")
    in_person = await client.get(f"/me/calendar/{feed_token(here, 1)}.ics")
    online = await client.get(f"/me/calendar/{feed_token(there, 1)}.ics")
    assert in_person.status_code == online.status_code == 200
    assert "meet.example.org" not in in_person.text
    assert "meet.example.org" in online.text
    # Switching online changes the member's feed (a new ETag, then the link).
    await rsvps.respond(event, here, "yes", attendance="online")
    again = await client.get(
        f"/me/calendar/{feed_token(here, 1)}.ics",
        headers={"If-None-Match": in_person.headers["etag"]},
    )
    assert again.status_code == 200 and "meet.example.org" in again.text
