"""The event form's validation rules, including wall-clock times around DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from events.forms.event import parse
from events.recurrence import nth_weekday
from events.tables import Repeat

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
YEAR = 2026
# US: second Sunday of March (spring forward), first Sunday of November (fall back), at 2 am.
DENVER_SPRING = nth_weekday(YEAR, 3, 6, 2)
DENVER_FALL = nth_weekday(YEAR, 11, 6, 1)
# EU: last Sunday of March (1 am → 2 am) and of October (2 am → 1 am), London local.
LONDON_SPRING = nth_weekday(YEAR, 3, 6, 5)
LONDON_FALL = nth_weekday(YEAR, 10, 6, 5)


def form(**fields: str) -> dict[str, str]:
    base = {
        "title": "Saturday hike",
        "activity": "hiking",
        "starts_at": "2026-02-07T09:00",
        "ends_at": "2026-02-07T12:00",
        "location": "Chautauqua trailhead",
        "capacity": "",
        "repeat": "none",
    }
    base.update(fields)
    return base


def errors_for(tz: str = "America/Denver", new: bool = True, **fields: str) -> dict[str, str]:
    _, errors = parse(form(**fields), tz, new=new, now=NOW)
    return errors


def at(day: date | None, clock: str) -> str:
    assert day is not None
    return f"{day.isoformat()}T{clock}"


def test_valid_form_gives_values() -> None:
    values, errors = parse(
        form(capacity="12", online_url="https://meet.example.org/x"),
        "America/Denver",
        new=True,
        now=NOW,
    )
    assert errors == {}
    assert values is not None
    assert values.capacity == 12
    assert values.local_start == datetime(2026, 2, 7, 9, 0)
    assert values.duration == timedelta(hours=3)


def test_end_before_start() -> None:
    errors = errors_for(ends_at="2026-02-07T08:00")
    assert errors["ends_at"] == "The end must be after the start."


def test_start_in_the_past_for_new_event_only() -> None:
    past = {"starts_at": "2026-01-03T09:00", "ends_at": "2026-01-03T10:00"}
    assert "already passed" in errors_for(**past)["starts_at"]
    original = datetime(2026, 1, 3, 16, 0, tzinfo=UTC)  # 9:00 MST, unchanged by the edit
    _, errors = parse(form(**past), "America/Denver", new=False, original_start=original, now=NOW)
    assert errors == {}


@pytest.mark.parametrize("capacity", ["0", "-3", "2.5", "ten", "1e3"])
def test_capacity_must_be_whole_number_at_least_one(capacity: str) -> None:
    assert "whole number" in errors_for(capacity=capacity)["capacity"]


def test_capacity_empty_means_unlimited() -> None:
    values, errors = parse(form(capacity=""), "UTC", new=True, now=NOW)
    assert errors == {} and values is not None and values.capacity is None


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "ftp://example.org/x", "meet.example.org", "https://"]
)
def test_online_link_must_be_http(url: str) -> None:
    assert "https://" in errors_for(online_url=url)["online_url"]


def test_length_limits() -> None:
    errors = errors_for(title="x" * 121, description="y" * 10_001)
    assert "120 characters" in errors["title"]
    assert "10,000 characters" in errors["description"]
    assert errors_for(title="x" * 120, description="y" * 10_000) == {}


def test_series_longer_than_a_year() -> None:
    errors = errors_for(repeat="weekly", repeat_until="2027-03-01")
    assert "at most a year" in errors["repeat_until"]
    assert errors_for(repeat="weekly", repeat_until="2027-02-06") == {}


def test_series_needs_an_end_date_after_the_start() -> None:
    assert "last date" in errors_for(repeat="monthly", repeat_until="")["repeat_until"]
    assert "on or after" in errors_for(repeat="monthly", repeat_until="2026-02-01")["repeat_until"]


def test_unknown_repeat_is_refused() -> None:
    assert "repeat" in errors_for(repeat="daily")


@pytest.mark.parametrize(
    ("tz", "day", "clock", "word"),
    [
        ("America/Denver", DENVER_SPRING, "02:30", "doesn't exist"),
        ("America/Denver", DENVER_FALL, "01:30", "ambiguous"),
        ("Europe/London", LONDON_SPRING, "01:30", "doesn't exist"),
        ("Europe/London", LONDON_FALL, "01:30", "ambiguous"),
    ],
)
def test_dst_gap_and_overlap_are_named(tz: str, day: date, clock: str, word: str) -> None:
    errors = errors_for(tz, starts_at=at(day, clock), ends_at=at(day, "05:00"))
    assert word in errors["starts_at"]
    assert tz in errors["starts_at"]


@pytest.mark.parametrize(
    ("tz", "day", "clock"),
    [
        # Just either side of each change: valid.
        ("America/Denver", DENVER_SPRING, "01:59"),
        ("America/Denver", DENVER_SPRING, "03:00"),
        ("America/Denver", DENVER_FALL, "00:59"),
        ("America/Denver", DENVER_FALL, "02:00"),
        ("Europe/London", LONDON_SPRING, "00:59"),
        ("Europe/London", LONDON_SPRING, "02:00"),
        ("Europe/London", LONDON_FALL, "00:59"),
        ("Europe/London", LONDON_FALL, "02:00"),
    ],
)
def test_times_beside_a_dst_change_are_fine(tz: str, day: date, clock: str) -> None:
    assert errors_for(tz, starts_at=at(day, clock), ends_at=at(day, "06:00")) == {}


def test_end_in_a_dst_gap_is_refused() -> None:
    errors = errors_for(
        "America/Denver", starts_at=at(DENVER_SPRING, "01:00"), ends_at=at(DENVER_SPRING, "02:15")
    )
    assert "doesn't exist" in errors["ends_at"]


def test_series_occurrence_in_a_dst_gap_is_refused() -> None:
    # Weekly at 02:30 on Sundays: one of them is the spring-forward night.
    first = DENVER_SPRING - timedelta(days=14)
    errors = errors_for(
        "America/Denver",
        starts_at=at(first, "02:30"),
        ends_at=at(first, "04:00"),
        repeat="weekly",
        repeat_until=(first + timedelta(days=60)).isoformat(),
    )
    assert "One of the repeats" in errors["starts_at"]
    assert "doesn't exist" in errors["starts_at"]


def test_rsvp_deadline_must_be_before_start() -> None:
    errors = errors_for(rsvp_deadline="2026-02-07T10:00")
    assert "before the event starts" in errors["rsvp_deadline"]
    values, errors = parse(
        form(rsvp_deadline="2026-02-06T18:00"), "America/Denver", new=True, now=NOW
    )
    assert errors == {} and values is not None
    assert values.deadline_before == timedelta(hours=15)


def test_guests_allowed_range() -> None:
    assert "0 to 5" in errors_for(guests_allowed="6")["guests_allowed"]
    assert errors_for(guests_allowed="5") == {}


def test_series_values() -> None:
    values, errors = parse(
        form(repeat="biweekly", repeat_until="2026-03-31"), "America/Denver", new=True, now=NOW
    )
    assert errors == {} and values is not None
    assert values.repeat == Repeat.biweekly
    assert [s.day for s in values.local_starts] == [7, 21, 7, 21]
