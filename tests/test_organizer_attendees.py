"""The attendee page: lists, first-timers, phone check-in (htmx and plain), messages."""

from __future__ import annotations

import json
from datetime import timedelta

from bs4 import BeautifulSoup

from events.tables import EventMessage, Outbox, Rsvp, RsvpStatus
from events.timefmt import utcnow
from tests import helpers


async def setup_event(client) -> tuple[int, int, dict[str, int]]:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, capacity=3)
    await helpers.login(client, organizer)
    now = utcnow()
    people: dict[str, int] = {}
    for i, (name, status, guests, first) in enumerate(
        [
            ("Zoe", "going", 1, True),
            ("Alex", "going", 0, False),
            ("Wren", "waitlisted", 0, False),
            ("Blair", "waitlisted", 0, True),
            ("Nico", "not_going", 0, False),
        ]
    ):
        member = await helpers.make_member(f"{name.lower()}@example.org", name)
        rows = await Rsvp.insert(
            Rsvp(
                event=event,
                member=member,
                status=status,
                guests=guests,
                first_time=first,
                queued_at=now + timedelta(minutes=i),
            )
        ).returning(Rsvp.id)
        people[name] = int(rows[0]["id"])
    return organizer, event, people


async def test_attendee_page_lists_going_waitlist_and_not_going(client) -> None:
    _, event, _ = await setup_event(client)
    response = await client.get(f"/events/{event}/attendees")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    soup = BeautifulSoup(response.text, "html.parser")
    going = [li.select_one(".who").text for li in soup.select("ul.attendees li.attendee")]
    assert going == ["Alex", "Zoe"]
    zoe = soup.select("ul.attendees li.attendee")[1]
    assert "+1 guest" in zoe.text and "first time" in zoe.text
    assert "first time" not in soup.select("ul.attendees li.attendee")[0].text
    waitlist = [li.text.split("first time")[0].strip() for li in soup.select("ol.plain li")]
    assert waitlist == ["Wren", "Blair"]  # in queue order
    assert "Nico" in soup.select_one("[aria-labelledby=notgoing-heading]").text
    assert "Going · 3 people incl. guests" in soup.text
    assert soup.select_one("#came-count").text.strip() == "0 checked in of 2 going"
    assert soup.select_one(f'a[href="/events/{event}/attendees.csv"]') is not None


async def test_check_in_with_htmx_swaps_the_row(client) -> None:
    _, event, people = await setup_event(client)
    zoe = people["Zoe"]
    response = await helpers.post(client, f"/events/{event}/attendees/{zoe}/checkin", {}, htmx=True)
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    row = soup.select_one(f"li#rsvp-{zoe}")
    assert "came" in row["class"]
    assert row.select_one("button")["aria-pressed"] == "true"
    assert row.select_one("form")["hx-post"].endswith(f"/attendees/{zoe}/uncheckin")
    count = soup.select_one("#came-count")
    assert count["hx-swap-oob"] == "true" and count.text.strip() == "1 checked in of 2 going"
    assert "<html" not in response.text
    stamp = (await Rsvp.select(Rsvp.checked_in_at).where(Rsvp.id == zoe).first())["checked_in_at"]
    assert stamp is not None
    # A second tap does not move the first check-in time.
    await helpers.post(client, f"/events/{event}/attendees/{zoe}/checkin", {}, htmx=True)
    again = await Rsvp.select(Rsvp.checked_in_at).where(Rsvp.id == zoe).first()
    assert again["checked_in_at"] == stamp
    undo = await helpers.post(client, f"/events/{event}/attendees/{zoe}/uncheckin", {}, htmx=True)
    assert "came" not in BeautifulSoup(undo.text, "html.parser").select_one("li")["class"]
    row = await Rsvp.select(Rsvp.checked_in_at).where(Rsvp.id == zoe).first()
    assert row["checked_in_at"] is None


async def test_check_in_without_javascript_redirects_back(client) -> None:
    _, event, people = await setup_event(client)
    response = await helpers.post(client, f"/events/{event}/attendees/{people['Alex']}/checkin")
    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{event}/attendees#rsvp-{people['Alex']}"
    page = await client.get(f"/events/{event}/attendees")
    soup = BeautifulSoup(page.text, "html.parser")
    assert soup.select_one("#came-count").text.strip() == "1 checked in of 2 going"


async def test_check_in_refuses_an_rsvp_of_another_event(client, other_client) -> None:
    _, event, _ = await setup_event(client)
    # Another club's organizer with their own event and RSVP.
    rival = await helpers.make_member("rival@example.org", "Rival")
    other_club = await helpers.make_club(slug="other", name="Other", organizer=rival)
    other_event = await helpers.make_event(other_club)
    rows = await Rsvp.insert(Rsvp(event=other_event, member=rival)).returning(Rsvp.id)
    foreign_rsvp = rows[0]["id"]
    # My event, their RSVP id: not found.
    response = await helpers.post(client, f"/events/{event}/attendees/{foreign_rsvp}/checkin")
    assert response.status_code == 404
    # Their login, my event: forbidden.
    await helpers.login(other_client, rival)
    mine = (await Rsvp.select(Rsvp.id).where(Rsvp.event == event).first())["id"]
    response = await helpers.post(other_client, f"/events/{event}/attendees/{mine}/checkin")
    assert response.status_code == 403
    assert await Rsvp.count().where(Rsvp.checked_in_at.is_not_null()) == 0


async def message_rows() -> list[dict]:
    rows = await Outbox.select().where(Outbox.kind == "message").order_by(Outbox.id)
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = json.loads(row["payload"])
    return rows


async def test_message_reaches_every_going_member_once(client) -> None:
    _, event, _ = await setup_event(client)
    data = {"subject": "Bring water", "body": "It will be hot.\nSee you at 9."}
    response = await helpers.post(client, f"/events/{event}/message", data)
    assert response.status_code == 303
    rows = await message_rows()
    going = await Rsvp.select(Rsvp.member).where(
        (Rsvp.event == event) & (Rsvp.status == RsvpStatus.going.value)
    )
    assert sorted(r["recipient"] for r in rows) == sorted(g["member"] for g in going)
    message = await EventMessage.select().first()
    assert all(r["payload"] == {"message_id": message["id"]} for r in rows)
    assert all(r["event"] == event for r in rows)
    # A double submit (same text moments later) sends nothing more.
    again = await helpers.post(client, f"/events/{event}/message", data)
    assert again.headers["location"] == f"/events/{event}/attendees#messages"
    assert len(await message_rows()) == 2
    assert await EventMessage.count() == 1
    page = await client.get(f"/events/{event}/attendees")
    sent = BeautifulSoup(page.text, "html.parser").select_one(".sent-messages")
    assert "Bring water" in sent.text and "to 2" in sent.text


async def test_message_can_include_the_waitlist(client) -> None:
    _, event, _ = await setup_event(client)
    await helpers.post(
        client,
        f"/events/{event}/message",
        {"subject": "Places opened", "body": "Come along", "include_waitlist": "on"},
    )
    assert len(await message_rows()) == 4  # 2 going + 2 waitlisted, never the not-going one


async def test_message_validation_is_422(client) -> None:
    _, event, _ = await setup_event(client)
    response = await helpers.post(
        client, f"/events/{event}/message", {"subject": "x" * 151, "body": " "}
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert "150 characters" in soup.select_one("#subject-error").text
    assert soup.select_one("#body-error").text == "Please write a message."
    too_long = await helpers.post(
        client, f"/events/{event}/message", {"subject": "Hi", "body": "y" * 5001}
    )
    assert too_long.status_code == 422
    assert await EventMessage.count() == 0


async def test_messages_are_rate_limited_per_event(client) -> None:
    _, event, _ = await setup_event(client)
    for i in range(5):
        response = await helpers.post(
            client, f"/events/{event}/message", {"subject": f"Note {i}", "body": "Hello"}
        )
        assert response.status_code == 303
    response = await helpers.post(
        client, f"/events/{event}/message", {"subject": "One more", "body": "Hello"}
    )
    assert response.status_code == 429
    assert "wait a while" in response.text
    assert await EventMessage.count() == 5


async def test_sent_message_confirmation_shows_once_in_the_message_section(client) -> None:
    # Issue #14: the address kept ?message=sent, so a reload said "sent" again.
    _, event, _ = await setup_event(client)
    data = {"subject": "Bring water", "body": "It will be hot."}
    response = await helpers.post(client, f"/events/{event}/message", data)
    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{event}/attendees#messages"
    page = await client.get(response.headers["location"])
    soup = BeautifulSoup(page.text, "html.parser")
    shown = soup.select(".flash[role=status]")
    assert [f.get_text() for f in shown] == ["✓Your message is on its way."]
    assert shown[0].find_parent(id="messages") is not None
    again = await client.get(f"/events/{event}/attendees")
    assert "on its way" not in again.text
    # The old address no longer says anything.
    old = await client.get(f"/events/{event}/attendees?message=sent")
    assert "on its way" not in old.text


async def test_attendees_with_a_shown_name_get_an_initials_avatar(client) -> None:
    # Issue #14: avatars beside people who chose to show their name, as on the event page.
    _, event, _ = await setup_event(client)
    await Rsvp.update({Rsvp.visibility: "name"}).where(Rsvp.event == event)
    hidden = await helpers.make_member("hid@example.org", "Hana Hidden")
    await Rsvp.insert(
        Rsvp(event=event, member=hidden, status="going", visibility="hidden", queued_at=utcnow())
    )
    page = await client.get(f"/events/{event}/attendees")
    soup = BeautifulSoup(page.text, "html.parser")
    rows = {li.select_one(".who").get_text(): li for li in soup.select("li.attendee")}
    assert rows["Alex"].select_one(".avatar[aria-hidden=true]").get_text() == "A"
    assert rows["Zoe"].select_one(".avatar").get_text() == "Z"
    assert rows["Hana Hidden"].select_one(".avatar") is None
    waitlist = soup.find(id="waitlist-heading").find_parent("section")
    assert [a.get_text() for a in waitlist.select(".avatar")] == ["W", "B"]
