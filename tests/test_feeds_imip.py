"""iMIP calendar objects (invite / update / cancel) as the mail worker attaches them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import icalendar
from ical.calendar_stream import IcsCalendarStream

from events.services.calendar import event_uid, imip_calendar

CLUB = {
    "name": "Peak Sober Hikers",
    "slug": "peak",
    "timezone": "America/Denver",
    "kind": "activity",
}


def _event(**overrides: Any) -> dict[str, Any]:
    event = {
        "id": 7,
        "title": "Morning hike",
        "starts_at": datetime(2026, 7, 1, 13, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 7, 1, 16, 0, tzinfo=UTC),
        "location": "Trailhead, Lot 3",
        "location_hint": "Near Boulder",
        "online_url": "",
        "details_for_attendees_only": True,
        "description": "Bring water",
        "status": "scheduled",
        "cancel_reason": "",
        "sequence": 2,
        "created_at": datetime(2026, 6, 1, tzinfo=UTC),
        "updated_at": datetime(2026, 6, 2, tzinfo=UTC),
    }
    return {**event, **overrides}


def _invite(event: dict[str, Any], **kwargs: Any) -> bytes:
    args = {
        "method": "REQUEST",
        "attendee_email": "riley@example.org",
        "attendee_name": 'Riley "R"',
        "partstat": "ACCEPTED",
        "organizer_email": "no-reply@steady.example",
        "organizer_name": "Peak Sober Hikers",
        "base_url": "https://steady.example",
        "now": datetime(2026, 6, 3, 12, 0, tzinfo=UTC),
    }
    args.update(kwargs)
    return imip_calendar(event, CLUB, **args)


def test_request_has_itip_shape_and_right_times() -> None:
    body = _invite(_event())
    cal = icalendar.Calendar.from_ical(body)
    assert cal["METHOD"] == "REQUEST"
    assert "X-WR-CALNAME" not in cal and "NAME" not in cal
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["America/Denver"]
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["UID"]) == event_uid({"id": 7}, "steady.example") == "event-7@steady.example"
    assert vevent["SEQUENCE"] == 2
    assert vevent["STATUS"] == "CONFIRMED"
    assert str(vevent["ORGANIZER"]) == "mailto:no-reply@steady.example"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:riley@example.org"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"
    assert '"' not in attendee.params["CN"]
    assert vevent.decoded("DTSTAMP") == datetime(2026, 6, 3, 12, 0, tzinfo=UTC)
    # going attendees get the exact place
    assert str(vevent["LOCATION"]) == "Trailhead, Lot 3"
    # An independent parser that evaluates the embedded VTIMEZONE agrees on the instant.
    parsed = IcsCalendarStream.calendar_from_ics(body.decode())
    assert parsed.events[0].dtstart.astimezone(UTC) == datetime(2026, 7, 1, 13, 0, tzinfo=UTC)
    assert b"\r\n" in body and all(len(line) <= 75 for line in body.split(b"\r\n"))


def test_cancel_and_waitlist_and_discreet() -> None:
    cancel = icalendar.Calendar.from_ical(
        _invite(_event(status="cancelled", sequence=3), method="CANCEL")
    )
    assert cancel["METHOD"] == "CANCEL"
    (vevent,) = cancel.walk("VEVENT")
    assert vevent["STATUS"] == "CANCELLED" and vevent["SEQUENCE"] == 3
    assert not vevent.walk("VALARM")

    waitlisted = icalendar.Calendar.from_ical(_invite(_event(), partstat="TENTATIVE"))
    (vevent,) = waitlisted.walk("VEVENT")
    assert vevent["ATTENDEE"].params["PARTSTAT"] == "TENTATIVE"
    assert str(vevent["LOCATION"]) == "Near Boulder"

    discreet = _invite(_event(), discreet=True)
    assert b"Peak" not in discreet and b"hike" not in discreet.lower()
    (vevent,) = icalendar.Calendar.from_ical(discreet).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Steady: Wednesday meetup"
