"""Odd input gets a clear 4xx, never a 500, and never reaches a calendar feed raw (issue 12,
findings 11 and 12): ids and numbers from paths, queries and forms go through one parser
(events.parsing); date filters stay within 2000-2100; feed text is escaped by icalendar."""

from __future__ import annotations

import re

import icalendar
import pytest

from events import parsing
from events.tables import Club, Event, Outbox, Report, VolunteerRole
from tests import helpers
from tests.helpers import post

HUGE = "99999999999999999999999"
OUT_OF_INT32 = str(2**31)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7", 7),
        (" 7 ", 7),
        ("0", None),
        (OUT_OF_INT32, None),
        (str(2**31 - 1), 2**31 - 1),
        (HUGE, None),
        ("²", None),  # str.isdigit() says yes, int() says no
        ("٣", None),  # int() reads it as 3
        ("１２", None),  # full-width digits
        ("+5", None),
        ("-1", None),
        ("1_000", None),
        ("1e3", None),
        ("", None),
        (None, None),
        (12, 12),
        (True, None),
    ],
)
def test_ids_are_ascii_digits_within_a_database_integer(text, expected):
    assert parsing.parse_id(text) == expected


def test_dates_outside_the_window_are_refused_with_their_own_error():
    assert parsing.parse_date("2026-12-05").isoformat() == "2026-12-05"
    assert parsing.parse_date("  ") is None
    for text in ("0001-01-01", "9999-12-31", "1999-12-31", "2101-01-01"):
        with pytest.raises(parsing.DateOutOfRange):
            parsing.parse_date(text)
    for text in ("2026-02-30", "٢٠٢٦-١٢-٠٥", "tomorrow"):
        with pytest.raises(ValueError):
            parsing.parse_date(text)


# ---------------------------------------------------------------- finding 11: feed injection


def feed_lines(body: bytes) -> list[bytes]:
    """Content lines, unfolded: every raw CR or LF must be part of a CRLF line end."""
    assert body.count(b"\r") == body.count(b"\r\n") == body.count(b"\n"), body[:400]
    return body.replace(b"\r\n ", b"").split(b"\r\n")


async def test_a_club_filter_cannot_add_lines_to_the_site_feed(client):
    club = await helpers.make_club()
    await helpers.make_event(club)
    for club_filter in (
        "x\rx-wr-caldesc:call 555-0100",
        "x\nx-wr-caldesc:call 555-0100",
        "x\r\nx-wr-caldesc:call 555-0100",
        "trail-club\rX-WR-CALDESC:call 555-0100",
        "Trail-Club",  # readable, just not lower case: found
    ):
        response = await client.get("/calendar.ics", params={"club": club_filter})
        assert response.status_code in (200, 404), club_filter
        if response.status_code == 200:
            assert b"555-0100" not in response.content
            feed_lines(response.content)
    found = await client.get("/calendar.ics", params={"club": "trail-club"})
    assert found.status_code == 200 and b"Saturday hike" in found.content
    unknown = await client.get("/calendar.ics", params={"club": "no-such-club"})
    assert unknown.status_code == 404 and "no-such-club" not in unknown.text


async def test_the_home_page_does_not_echo_an_unreadable_club_filter(client):
    response = await client.get("/", params={"club": "x\rx-wr-caldesc:call 555-0100"})
    assert response.status_code == 200
    assert "555-0100" not in response.text
    assert "one we know; showing all clubs" in response.text


async def test_text_stored_by_organizers_cannot_break_feed_lines(client):
    nasty = "a\rX-INJECTED:1\nb\r\nc\x01\x1b[31m\x7fd\u0085e"
    club = await helpers.make_club(name=f"Club {nasty}")
    event = await helpers.make_event(
        club, title=f"Hike {nasty}", location=f"Gate {nasty}", description=f"Bring {nasty}"
    )
    await Event.update({Event.cancel_reason: nasty}).where(Event.id == event)
    for url in ("/calendar.ics", "/clubs/trail-club/calendar.ics", f"/events/{event}.ics"):
        response = await client.get(url)
        assert response.status_code == 200, url
        lines = feed_lines(response.content)
        assert not any(line.upper().startswith(b"X-INJECTED") for line in lines), url
        assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", response.content), url
        vevent = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
        assert str(vevent["SUMMARY"]).startswith("Hike a\nX-INJECTED:1\nb\nc[31md")
        assert "Gate a\nX-INJECTED:1" in str(vevent["LOCATION"])


async def test_site_feed_name_is_escaped_text(client):
    club = await helpers.make_club(slug="a-b", name="A, B; C")
    await helpers.make_event(club)
    response = await client.get("/calendar.ics", params={"q": "Saturday, hike;"})
    assert response.status_code == 200
    name = next(line for line in feed_lines(response.content) if line.startswith(b"NAME:"))
    assert name == b"NAME:Steady: Saturday\\, hike\\;"


# ---------------------------------------------------------------- finding 12: no 500s


@pytest.mark.parametrize("url", ["/", "/calendar.ics"])
async def test_dates_far_in_the_past_or_future_are_ignored_with_a_message(client, url):
    club = await helpers.make_club()
    await helpers.make_event(club)
    for params in ({"from": "0001-01-01"}, {"to": "9999-12-31"}, {"from": "1999-12-31"}):
        response = await client.get(url, params=params)
        assert response.status_code == 200, params
        assert "Saturday hike" in response.text
        if url == "/":
            assert "should be a date between 2000 and 2100" in response.text


@pytest.mark.parametrize("path", ["/password/reset", "/signup/confirm"])
async def test_link_tokens_with_huge_ids_are_just_invalid(client, path):
    await helpers.make_member()
    for token in (f"{HUGE}.1.x", f"{OUT_OF_INT32}.1.x", "².1.x", "-1.1.x"):
        page = await client.get(path, params={"token": token})
        assert page.status_code == 410, token
        posted = await post(client, path, {"token": token, "password": "long enough pass"})
        assert posted.status_code == 410, token


async def test_feed_tokens_with_huge_ids_are_not_found(client):
    response = await client.get(f"/me/calendar/{HUGE}-{HUGE}-x.ics")
    assert response.status_code == 404


async def organizer_world(client) -> dict[str, int]:
    org = await helpers.make_member("org@example.org", "Olive")
    club = await helpers.make_club(organizer=org)
    event = await helpers.make_event(club)
    await helpers.login(client, org)
    return {"org": org, "club": club, "event": event}


@pytest.mark.parametrize("field", ["capacity", "guests_allowed"])
@pytest.mark.parametrize("value", ["²", "٣", "１", HUGE, "+2", "1_0"])
async def test_event_form_numbers_must_be_ascii_digits(client, field, value):
    ids = await organizer_world(client)
    form = {
        "title": "Evening run",
        "activity": "running",
        "starts_at": "2030-06-01T18:00",
        "ends_at": "2030-06-01T19:00",
        field: value,
    }
    before = await Event.count()
    created = await post(client, "/clubs/trail-club/events/new", form)
    assert created.status_code == 422
    assert "whole number" in created.text or "at most" in created.text
    edited = await post(client, f"/events/{ids['event']}/edit", form)
    assert edited.status_code == 422
    assert await Event.count() == before


@pytest.mark.parametrize("value", ["²", "٣", HUGE])
async def test_role_spots_must_be_ascii_digits(client, value):
    ids = await organizer_world(client)
    response = await post(
        client, f"/events/{ids['event']}/roles", {"name": "Greeter", "spots": value}
    )
    assert response.status_code == 422
    assert "Spots must be a whole number from 1 to" in response.text
    assert await VolunteerRole.count() == 0


async def test_rsvp_guests_must_be_ascii_digits(client):
    ids = await organizer_world(client)
    for value in ("²", "٣", HUGE):
        response = await post(
            client, f"/events/{ids['event']}/rsvp", {"response": "yes", "guests": value}
        )
        assert response.status_code == 422, value


@pytest.mark.parametrize("huge", [HUGE, OUT_OF_INT32])
async def test_huge_ids_in_paths_are_not_found(client, huge):
    ids = await organizer_world(client)
    await Outbox.insert(
        Outbox(kind="message", dedupe_key="k", recipient=ids["org"], state="failed")
    )
    await Report.insert(Report(club=ids["club"], subject_kind="event", subject_id=ids["event"]))
    for url in (
        f"/outbox/{huge}/retry",
        f"/clubs/trail-club/reports/{huge}/resolve",
        f"/clubs/trail-club/team/{huge}/promote",
        f"/clubs/trail-club/team/{huge}/remove",
        f"/events/{huge}/rsvp",
        f"/events/{ids['event']}/attendees/{huge}/checkin",
        f"/events/{ids['event']}/roles/{huge}/take",
        f"/account/notes/{huge}/hide",
    ):
        response = await post(client, url, {})
        assert response.status_code == 404, url
    for url in (f"/events/{huge}", f"/events/{huge}.ics", f"/events/{huge}/attendees"):
        response = await client.get(url)
        assert response.status_code == 404, url
    assert await Club.count() == 1 and await Report.count() == 1
