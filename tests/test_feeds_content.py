"""What the public feeds say: times across DST in two zones, UIDs, cancellations, privacy,
filters. Every feed is checked by three parsers and an evaluator of its own VTIMEZONE."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta

import icalendar
import time_machine

from events.db import write_transaction
from events.tables import Event, Rsvp
from tests import helpers
from tests.feeds_support import all_parsers_agree, with_icalendar

NOW = datetime(2026, 2, 20, 12, 0, tzinfo=UTC)
UID = "event-{}@127.0.0.1"

# Local wall-clock times on both sides of each DST change of 2026 (UTC instants computed
# by hand, not by zoneinfo, so the test does not share the code's zone data).
DENVER = [  # DST 8 Mar 02:00 MST → MDT, back 1 Nov 02:00 MDT → MST
    ("Hike before spring", datetime(2026, 3, 7, 14, 0, tzinfo=UTC)),  # 07:00 MST
    ("Hike after spring", datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),  # 07:00 MDT
    ("July hike", datetime(2026, 7, 11, 13, 0, tzinfo=UTC)),  # 07:00 MDT
    ("Hike before fall", datetime(2026, 10, 31, 13, 0, tzinfo=UTC)),  # 07:00 MDT
    ("Hike after fall", datetime(2026, 11, 2, 14, 0, tzinfo=UTC)),  # 07:00 MST
]
LONDON = [  # BST from 29 Mar 01:00 GMT, back 25 Oct 02:00 BST
    ("Run before spring", datetime(2026, 3, 28, 18, 30, tzinfo=UTC)),  # 18:30 GMT
    ("Run after spring", datetime(2026, 3, 30, 17, 30, tzinfo=UTC)),  # 18:30 BST
    ("Run before fall", datetime(2026, 10, 24, 17, 30, tzinfo=UTC)),  # 18:30 BST
    ("Run after fall", datetime(2026, 10, 26, 18, 30, tzinfo=UTC)),  # 18:30 GMT
]


async def _dst_clubs() -> dict[int, datetime]:
    denver = await helpers.make_club("peak", "Peak Hikers", "America/Denver")
    london = await helpers.make_club("thames", "Thames Runners", "Europe/London")
    starts = {}
    for club, cases in ((denver, DENVER), (london, LONDON)):
        for title, start in cases:
            starts[await helpers.make_event(club, title, start, hours=2.5)] = start
    return starts


async def test_times_across_dst_agree_with_database_in_every_parser(client) -> None:
    with time_machine.travel(NOW, tick=False):
        starts = await _dst_clubs()
        kolkata = await helpers.make_club("mumbai", "Mumbai Sober Walks", "Asia/Kolkata")
        utc_club = await helpers.make_club("online", "Online Meeting", "UTC")
        starts[
            await helpers.make_event(kolkata, "Walk", datetime(2026, 4, 1, 1, 30, tzinfo=UTC), 2.5)
        ] = datetime(2026, 4, 1, 1, 30, tzinfo=UTC)
        starts[
            await helpers.make_event(utc_club, "Call", datetime(2026, 4, 2, 9, 0, tzinfo=UTC), 2.5)
        ] = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
        bodies = [
            (await client.get(url)).content
            for url in (
                "/calendar.ics",
                "/clubs/peak/calendar.ics",
                "/clubs/thames/calendar.ics",
                "/clubs/mumbai/calendar.ics",
                "/clubs/online/calendar.ics",
            )
        ]
        bodies += [(await client.get(f"/events/{event_id}.ics")).content for event_id in starts]
    site = all_parsers_agree(bodies[0])
    assert set(site) == {UID.format(i) for i in starts}
    for event_id, start in starts.items():
        parsed = site[UID.format(event_id)]
        assert (parsed.start, parsed.end) == (start, start + timedelta(hours=2.5))
    for body in bodies[1:]:
        for uid, parsed in all_parsers_agree(body).items():
            assert parsed.start == starts[int(uid.split("-")[1].split("@")[0])]
    # Wall-clock times carry the club's zone; every zone used is declared once.
    site_cal = icalendar.Calendar.from_ical(bodies[0])
    assert sorted(str(tz["TZID"]) for tz in site_cal.walk("VTIMEZONE")) == [
        "America/Denver",
        "Asia/Kolkata",
        "Europe/London",
    ]
    assert b"DTSTART;TZID=America/Denver:20260307T070000" in bodies[0]
    assert b"DTSTART;TZID=America/Denver:20260309T070000" in bodies[0]
    assert b"DTSTART;TZID=Europe/London:20260330T183000" in bodies[0]
    assert b"RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3" in bodies[0]


async def test_feed_shape_and_deterministic_bytes(client) -> None:
    club = await helpers.make_club()
    ids = [
        await helpers.make_event(club, f"Hike {n}", description="Bring water, snacks; a hat")
        for n in range(3)
    ]
    first = await client.get("/clubs/trail-club/calendar.ics")
    second = await client.get("/clubs/trail-club/calendar.ics", headers={"Accept": "text/html"})
    third = await client.get(
        "/clubs/trail-club/calendar.ics", headers={"Accept": "application/json"}
    )
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.content == second.content == third.content
    assert first.headers["etag"] == second.headers["etag"]
    cal = icalendar.Calendar.from_ical(first.content)
    assert "METHOD" not in cal
    assert cal["NAME"] == cal["X-WR-CALNAME"] == "Trail Club (Steady)"
    assert str(cal["UID"]).startswith("steady-club-")
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT3H\r\n" in first.content
    assert b"X-PUBLISHED-TTL:PT3H\r\n" in first.content
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    assert set(events) == {UID.format(i) for i in ids}
    row = await Event.select().where(Event.id == ids[0]).first()
    event = events[UID.format(ids[0])]
    assert event.decoded("DTSTAMP") == row["updated_at"].astimezone(UTC).replace(microsecond=0)
    assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP")
    assert event["SEQUENCE"] == 0 and event["STATUS"] == "CONFIRMED"
    assert f"http://127.0.0.1:8000/events/{ids[0]}" in str(event["DESCRIPTION"])
    assert "Bring water, snacks; a hat" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://127.0.0.1:8000/events/{ids[0]}"
    all_parsers_agree(first.content)


async def test_no_gzip_even_when_asked_and_feed_is_large(client) -> None:
    club = await helpers.make_club()
    for n in range(20):
        await helpers.make_event(club, f"Hike {n}", description="x " * 200)
    response = await client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
    assert len(response.content) > 10_000
    assert "content-encoding" not in response.headers
    home = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert home.headers.get("content-encoding") == "gzip"  # the exclusion is specific
    assert gzip  # (httpx decodes transparently; the header is what matters)


async def test_empty_feeds_are_still_valid(client) -> None:
    await helpers.make_club("quiet", "Quiet Club", "Europe/London")
    for url in ("/calendar.ics", "/clubs/quiet/calendar.ics"):
        response = await client.get(url)
        assert response.status_code == 200
        assert all_parsers_agree(response.content) == {}
        cal = icalendar.Calendar.from_ical(response.content)
        assert len(cal.walk("VTIMEZONE")) == 1
    assert (await client.get("/clubs/nope/calendar.ics")).status_code == 404
    assert (await client.get("/events/999999.ics")).status_code == 404


async def test_cancelled_and_moved_events(client) -> None:
    with time_machine.travel(NOW, tick=False):
        club = await helpers.make_club()
        start = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
        moved = await helpers.make_event(club, "Moved hike", start)
        cancelled = await helpers.make_event(club, "Cancelled hike", start)
        before = await client.get("/clubs/trail-club/calendar.ics")
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        now = datetime.now(UTC)
        async with write_transaction():
            await Event.update(
                {
                    Event.starts_at: start + timedelta(days=1),
                    Event.ends_at: start + timedelta(days=1, hours=2),
                    Event.sequence: 1,
                    Event.updated_at: now,
                }
            ).where(Event.id == moved)
            await Event.update(
                {
                    Event.status: "cancelled",
                    Event.cancelled_at: now,
                    Event.cancel_reason: "Snow",
                    Event.sequence: 1,
                    Event.updated_at: now,
                }
            ).where(Event.id == cancelled)
        after = await client.get("/clubs/trail-club/calendar.ics")
        single = await client.get(f"/events/{cancelled}.ics")
    assert before.headers["etag"] != after.headers["etag"]
    old, new = with_icalendar(before.content), all_parsers_agree(after.content)
    assert new[UID.format(moved)].start == start + timedelta(days=1)
    assert new[UID.format(moved)].sequence > old[UID.format(moved)].sequence
    gone = new[UID.format(cancelled)]
    assert gone.status == "CANCELLED" and gone.summary == "Cancelled: Cancelled hike"
    assert gone.sequence == 1
    assert with_icalendar(single.content)[UID.format(cancelled)].status == "CANCELLED"
    # Kept for 30 days after the cancellation and the event's end, then dropped.
    with time_machine.travel(start + timedelta(days=29), tick=False):
        kept = with_icalendar((await client.get("/clubs/trail-club/calendar.ics")).content)
        assert UID.format(cancelled) in kept
    with time_machine.travel(start + timedelta(days=33), tick=False):
        later = with_icalendar((await client.get("/clubs/trail-club/calendar.ics")).content)
        assert UID.format(cancelled) not in later and UID.format(moved) not in later


async def test_window_is_30_days_back_to_a_year_ahead(client) -> None:
    with time_machine.travel(NOW, tick=False):
        club = await helpers.make_club()
        recent = await helpers.make_event(club, "Recent", NOW - timedelta(days=20))
        await helpers.make_event(club, "Long ago", NOW - timedelta(days=40))
        await helpers.make_event(club, "Too far", NOW + timedelta(days=400))
        soon = await helpers.make_event(club, "Next year", NOW + timedelta(days=360))
        found = with_icalendar((await client.get("/calendar.ics")).content)
    assert set(found) == {UID.format(recent), UID.format(soon)}


async def test_public_feeds_keep_attendee_only_details_and_people_out(client) -> None:
    club = await helpers.make_club()
    event_id = await helpers.make_event(
        club,
        "Meeting",
        location="12 Elm Street, back room",
        location_hint="Near Elm Park",
        online_url="https://meet.example/secret-room",
        details_for_attendees_only=True,
    )
    member = await helpers.make_member("casey@example.org", "Casey Quinn")
    await Rsvp.insert(Rsvp(event=event_id, member=member, status="going"))
    for url in ("/calendar.ics", "/clubs/trail-club/calendar.ics", f"/events/{event_id}.ics"):
        body = (await client.get(url)).content
        for secret in (b"Elm Street", b"secret-room", b"casey", b"Casey", b"ATTENDEE"):
            assert secret not in body, (url, secret)
        assert b"LOCATION:Near Elm Park" in body


async def test_site_feed_filters_like_the_home_page(client) -> None:
    trail = await helpers.make_club()
    gym = await helpers.make_club("gym", "Sober Gym", "Europe/London")
    base = (datetime.now(UTC) + timedelta(days=5)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    hike = await helpers.make_event(trail, "Ridge hike", base, activity="hiking")
    lift = await helpers.make_event(gym, "Lifting", base + timedelta(days=1), activity="fitness")
    later = await helpers.make_event(
        gym, "Spin class", base + timedelta(days=9), activity="fitness"
    )

    async def uids(query: str) -> set[str]:
        response = await client.get(f"/calendar.ics?{query}")
        assert response.status_code == 200
        return set(all_parsers_agree(response.content))

    assert await uids("activity=fitness") == {UID.format(lift), UID.format(later)}
    assert await uids("club=trail-club") == {UID.format(hike)}
    assert await uids("q=ridge") == {UID.format(hike)}
    day = (base + timedelta(days=1)).date().isoformat()
    assert await uids(f"from={day}&to={day}") == {UID.format(lift)}
    assert await uids("activity=no-such-thing&from=garbage") == {
        UID.format(i) for i in (hike, lift, later)
    }
    filtered = icalendar.Calendar.from_ical(
        (await client.get("/calendar.ics?activity=fitness")).content
    )
    plain = icalendar.Calendar.from_ical((await client.get("/calendar.ics")).content)
    assert filtered["UID"] != plain["UID"] and "fitness" in str(filtered["NAME"])


async def test_renders_are_byte_identical_without_any_cache(client) -> None:
    from events.services.calendar import _vevent_cached, _vtimezone_ics

    with time_machine.travel(NOW, tick=False):
        await _dst_clubs()
        bodies = []
        for _ in range(2):
            _vevent_cached.cache_clear()
            _vtimezone_ics.cache_clear()
            await helpers.flush_redis()  # the render cache
            response = await client.get("/calendar.ics")
            bodies.append((response.content, response.headers["etag"]))
    assert bodies[0] == bodies[1]
    all_parsers_agree(bodies[0][0])
