"""The Meeting Guide feed (#15 item 3): what directories read from /meetings.json and
/clubs/{slug}/meetings.json, checked against the spec's JSON Schema (tests/meeting_guide)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

import time_machine
from bs4 import BeautifulSoup

from events.db import write_transaction
from events.services import meetings
from events.settings import get_settings, load_settings
from events.tables import Event, EventStatus, Repeat
from events.timefmt import utcnow
from tests import helpers
from tests.meetings_support import make_group, make_weekly, next_weekday, validate_feed
from tests.sql_count import describe, request_statements

SECRET_LINK = "https://zoom.example/j/attendees-only-77"


async def test_a_weekly_meeting_as_the_spec_describes_it(client) -> None:
    club = await make_group()
    series_id, _ = await make_weekly(
        club,
        "Tuesday Step Study",
        location="Grace Church",
        address="123 Main St",
        postal_code="11201",
        latitude=40.6942123,
        longitude=-73.9902456,
        attributes="C ST EN X newcomer-friendly",
        description="Ring the **side** bell.\n\nCoffee & cookies after.",
        online_url="https://zoom.example/j/public-1",
        attendance="hybrid",
    )
    response = await client.get("/meetings.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["access-control-allow-origin"] == "*"
    [entry] = response.json()
    validate_feed([entry])
    assert entry["name"] == "Tuesday Step Study"
    assert entry["slug"] == f"serenity-{series_id}"
    assert entry["day"] == 2  # Tuesday, Sunday = 0
    assert (entry["time"], entry["end_time"]) == ("19:00", "20:00")
    assert entry["timezone"] == "America/New_York"
    # Spec codes only: Steady's own "newcomer-friendly" stays home.
    assert entry["types"] == ["C", "ST", "EN", "X"]
    assert entry["notes"] == "Ring the side bell.\n\nCoffee & cookies after."
    assert (entry["location"], entry["address"], entry["city"]) == (
        "Grace Church",
        "123 Main St",
        "Brooklyn",
    )
    assert (entry["state"], entry["postal_code"], entry["country"]) == ("NY", "11201", "US")
    assert (entry["latitude"], entry["longitude"]) == (40.69421, -73.99025)
    assert entry["attendance_option"] == "hybrid"
    assert entry["conference_url"] == "https://zoom.example/j/public-1"
    assert entry["group"] == "Serenity Group"
    assert entry["url"] == f"{get_settings().base_url}/series/{series_id}"
    datetime.strptime(entry["updated"], "%Y-%m-%d %H:%M:%S")
    assert "entity" not in entry  # no entity configured
    club_feed = await client.get("/clubs/serenity/meetings.json")
    assert club_feed.json() == [entry]
    # The url leads to the next occurrence's page.
    page = await client.get(f"/series/{series_id}")
    assert page.status_code == 302 and page.headers["location"].startswith("/events/")


async def test_only_weekly_series_of_listed_support_groups(client) -> None:
    group = await make_group()
    await make_weekly(group, "Weekly")
    await make_weekly(group, "Monthly business meeting", repeat=Repeat.monthly, weeks=3)
    await make_weekly(group, "Every other week", repeat=Repeat.biweekly, weeks=3)
    await helpers.make_event(group, "One-off picnic")
    hikers = await helpers.make_club(slug="hikers", kind="activity")
    await make_weekly(hikers, "Weekly hike")
    hidden = await make_group(slug="hidden", name="Hidden Group", listed=False)
    await make_weekly(hidden, "Unlisted meeting")
    suspended = await make_group(slug="gone", name="Suspended Group", suspended_at=utcnow())
    await make_weekly(suspended, "Suspended meeting")
    names = [e["name"] for e in (await client.get("/meetings.json")).json()]
    assert names == ["Weekly"]
    assert (await client.get("/clubs/hikers/meetings.json")).json() == []
    assert (await client.get("/clubs/hidden/meetings.json")).status_code == 404
    assert (await client.get("/clubs/gone/meetings.json")).status_code == 404
    assert (await client.get("/clubs/nobody/meetings.json")).status_code == 404


async def test_a_series_on_several_days_is_one_meeting_with_an_array_of_days(client) -> None:
    club = await make_group()
    # Monday, then Wednesday and Friday of the same weeks.
    await make_weekly(
        club,
        "Lunch bunch",
        first=next_weekday(0, "America/New_York"),
        at=time(12, 15),
        extra_days=(2, 4),
    )
    [entry] = (await client.get("/meetings.json")).json()
    assert entry["day"] == [1, 3, 5]
    assert entry["time"] == "12:15"


async def test_a_seven_pm_meeting_stays_at_19_00_across_the_dst_change(client) -> None:
    club = await make_group()
    # US clocks spring forward on Sunday 14 March 2027.
    await make_weekly(club, "Tuesday night", first=datetime(2027, 3, 2).date(), weeks=4)
    seen = []
    for now in (datetime(2027, 3, 1, 12, tzinfo=UTC), datetime(2027, 3, 10, 12, tzinfo=UTC)):
        with time_machine.travel(now, tick=False):
            [entry] = (await client.get("/meetings.json")).json()
        seen.append((entry["day"], entry["time"], entry["end_time"]))
    assert seen == [(2, "19:00", "20:00"), (2, "19:00", "20:00")]
    offsets = {
        r["starts_at"].hour for r in await Event.select(Event.starts_at).order_by(Event.starts_at)
    }
    assert offsets == {0, 23}  # the UTC times did move: 00:00Z before, 23:00Z after


async def test_attendee_only_links_and_places_never_reach_any_feed(client) -> None:
    club = await make_group()
    await make_weekly(
        club,
        "Closed online meeting",
        location="Mrs. Lee's living room",
        location_hint="Near Prospect Park",
        address="9 Secret Ln",
        postal_code="11215",
        latitude=40.1,
        longitude=-73.1,
        online_url=SECRET_LINK,
        details_for_attendees_only=True,
        attendance="online",
    )
    [entry] = (await client.get("/meetings.json")).json()
    validate_feed([entry])
    assert entry["conference_url_notes"] == "RSVP on Steady for the link"
    assert entry["location"] == "Near Prospect Park" and entry["approximate"] == "yes"
    for key in ("conference_url", "address", "postal_code", "latitude", "longitude"):
        assert key not in entry
    for url in (
        "/meetings.json",
        "/clubs/serenity/meetings.json",
        "/calendar.ics",
        "/clubs/serenity/calendar.ics",
    ):
        body = (await client.get(url)).text
        assert SECRET_LINK not in body and "Secret Ln" not in body and "Lee" not in body, url


async def test_a_paused_series_is_inactive_and_a_finished_one_is_gone(client) -> None:
    club = await make_group()
    _, paused = await make_weekly(club, "Paused for the summer", location="Hall", weeks=8)
    _, ended = await make_weekly(club, "Wound down", location="Hall", weeks=3)
    # Paused: the next four weeks cancelled, later ones still on.
    async with write_transaction():
        await Event.update({Event.status: EventStatus.cancelled.value}).where(
            Event.id.is_in(paused[:4] + ended)
        )
    entries = (await client.get("/meetings.json")).json()
    validate_feed(entries)
    assert [e["name"] for e in entries] == ["Paused for the summer"]
    assert entries[0]["attendance_option"] == "inactive"
    assert entries[0]["types"] == ["TC"]
    # An organizer can also mark the series inactive outright.
    async with write_transaction():
        await Event.update(
            {Event.status: EventStatus.scheduled.value, Event.attendance: "inactive"}, force=True
        )
    entries = (await client.get("/meetings.json")).json()
    assert [e["attendance_option"] for e in entries] == ["inactive", "inactive"]


async def test_304_for_an_unchanged_feed_and_200_after_a_change(client) -> None:
    club = await make_group()
    _, ids = await make_weekly(club, "Step study")
    first = await client.get("/meetings.json")
    etag = first.headers["etag"]
    again = await client.get("/meetings.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["access-control-allow-origin"] == "*"
    by_date = await client.get(
        "/meetings.json", headers={"If-Modified-Since": first.headers["last-modified"]}
    )
    assert by_date.status_code == 304
    await Event.update(
        {Event.title: "Big Book study", Event.updated_at: utcnow() + timedelta(seconds=5)}
    ).where(Event.id == ids[0])
    changed = await client.get("/meetings.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json()[0]["name"] == "Big Book study"


async def test_entity_fields_come_from_the_settings() -> None:
    env = {
        "SECRET_KEY": "x" * 40,
        "MEETINGS_ENTITY": "Steady Intergroup",
        "MEETINGS_ENTITY_EMAIL": "hello@steady.example",
        "MEETINGS_ENTITY_URL": "https://steady.example",
    }
    settings = load_settings(env)
    club = await make_group()
    await make_weekly(club, "Step study")
    entries = meetings.feed(await meetings.weekly_meetings(utcnow()), settings)
    validate_feed(entries)
    assert entries[0]["entity"] == "Steady Intergroup"
    assert entries[0]["entity_email"] == "hello@steady.example"
    assert entries[0]["entity_website_url"] == "https://steady.example"
    # Without an entity name, no entity field at all (the spec requires it with the others).
    bare = dataclasses.replace(settings, meetings_entity="")
    assert "entity_email" not in meetings.feed(await meetings.weekly_meetings(utcnow()), bare)[0]


async def test_every_page_links_the_feed(client) -> None:
    await make_group()
    for url in ("/", "/clubs", "/clubs/serenity"):
        soup = BeautifulSoup((await client.get(url)).text, "html.parser")
        link = soup.find("link", rel="alternate", type="application/json")
        assert link is not None and link["title"] == "Meetings Feed", url
        assert link["href"] == f"{get_settings().base_url}/meetings.json"


async def test_the_feed_costs_the_same_few_statements_however_many_meetings(client) -> None:
    club = await make_group()
    other = await make_group(slug="other", name="Other Group")
    for n in range(6):
        await make_weekly(club if n % 2 else other, f"Meeting {n}", weeks=6)
    _, site = await request_statements(client, "GET", "/meetings.json")
    _, one_club = await request_statements(client, "GET", "/clubs/serenity/meetings.json")
    assert len(site) == 1, describe(site)
    assert len(one_club) == 2, describe(one_club)


async def test_the_demo_feed_validates_and_shows_types_hybrid_and_access(client) -> None:
    from events.services import seed

    await seed.seed_demo()
    entries = (await client.get("/meetings.json")).json()
    validate_feed(entries)
    groups = {e["group"] for e in entries}
    assert groups == {
        "Tuesday Night Serenity Group",
        "Self-Empowerment Recovery Circle",
        "Morning Check-in (Online)",
    }
    assert all(e["types"] for e in entries)
    hybrid = [e for e in entries if e["attendance_option"] == "hybrid"]
    assert [e["name"] for e in hybrid] == ["Saturday Big Book study"]
    assert hybrid[0]["conference_url"].startswith("https://")
    online = next(e for e in entries if e["attendance_option"] == "online")
    assert "conference_url" not in online and online["conference_url_notes"]
    # An activity tagged for access, which the meeting feed rightly leaves out.
    walk = await Event.select(Event.attributes).where(Event.title == "Wednesday evening walk")
    assert "X" in walk[0]["attributes"].split()
    assert "Wednesday evening walk" not in {e["name"] for e in entries}
