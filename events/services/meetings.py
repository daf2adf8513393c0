"""The Meeting Guide feed's read model: one entry per weekly series of a listed support group.

The spec (code4recovery/spec) describes weekly meetings only, so monthly, biweekly and one-off
events stay out (the site and the iCalendar feeds carry them). A series is represented by its
next occurrence that hasn't ended; its day(s) are the weekdays it meets on in the week from
there. A series whose occurrences in the coming weeks are all cancelled, but that goes on
after that, is paused: `attendance_option` "inactive" (plus "TC" when it has a place). A series
with nothing scheduled ahead is over and left out.

Privacy: only what the event page shows everyone. No attendee data, no member names; the
exact place and online link of "details for attendees only" events never appear.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import nh3
from piccolo.query.functions.aggregate import Count

from events import attributes
from events.attributes import Attendance
from events.markdown import render_markdown
from events.services.event_columns import EVENT_LISTED
from events.settings import Settings
from events.tables import Club, Event, EventStatus, Repeat
from events.timefmt import to_local

# How far ahead a series is looked at: its days, and whether it is paused.
WINDOW = timedelta(days=28)
RSVP_FOR_LINK = "RSVP on Steady for the link"
SLUG_MAX = 64
SUPPORT_KINDS = sorted(k.value for k in attributes.SUPPORT_KINDS)

# Where a directory sends people: the street address and the map point.
_PLACE = (Event.address, Event.postal_code, Event.latitude, Event.longitude)
# The club as the spec's region fields and the feed's Last-Modified need it.
_CLUB = (
    Event.club.id.as_alias("club_id"),
    Event.club.city.as_alias("club_city"),
    Event.club.region.as_alias("club_region"),
    Event.club.country.as_alias("club_country"),
    Event.club.updated_at.as_alias("club_updated_at"),
)
_FIELDS = (
    *EVENT_LISTED,
    *_PLACE,
    *_CLUB,
    Event.description,
    Event.updated_at,
    Event.series.source_slug.as_alias("source_slug"),
)


@dataclass
class Meeting:
    """A weekly series as a directory sees it: its next occurrence and what the window says."""

    row: dict[str, Any]
    days: list[int]
    paused: bool

    @property
    def series_id(self) -> int:
        return int(self.row["series"])


async def listed_support_club(slug: str) -> dict[str, Any] | None:
    """The club of a club feed: None when unknown, unlisted or suspended (a 404)."""
    return (
        await Club.select(Club.id, Club.slug, Club.kind)
        .where((Club.slug == slug) & Club.listed.eq(True) & Club.suspended_at.is_null())
        .first()
    )


async def weekly_meetings(now: datetime, club_id: int | None = None) -> list[Meeting]:
    """Every listed support group's weekly series (or one club's), in club then time order.

    One query for the window; a second one only when some series has nothing but
    cancellations in it (is it paused, or over?)."""
    where = (
        (Event.series.repeat == Repeat.weekly.value)
        & Event.club.listed.eq(True)  # type: ignore[union-attr]
        & Event.club.suspended_at.is_null()  # suspended by a steward (#16)
        & Event.club.kind.is_in(SUPPORT_KINDS)
        & (Event.ends_at >= now)
        & (Event.starts_at < now + WINDOW)
    )
    if club_id is not None:
        where &= Event.club.id == club_id
    rows = await Event.select(*_FIELDS).where(where).order_by(Event.starts_at)
    by_series: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_series.setdefault(int(row["series"]), []).append(row)
    idle = [sid for sid, occ in by_series.items() if not any(_scheduled(r) for r in occ)]
    going_on = await _scheduled_later(idle, now) if idle else set()
    meetings: list[Meeting] = []
    for sid, occurrences in by_series.items():
        scheduled = [r for r in occurrences if _scheduled(r)]
        if not scheduled and sid not in going_on:
            continue  # over: everything left is cancelled
        first = scheduled[0] if scheduled else occurrences[0]
        paused = not scheduled or first["attendance"] == Attendance.inactive.value
        meetings.append(Meeting(first, _days(first, scheduled or occurrences), paused))
    meetings.sort(key=lambda m: (m.row["club_name"], m.days, _clock(m.row), m.series_id))
    return meetings


def _scheduled(row: dict[str, Any]) -> bool:
    return row["status"] == EventStatus.scheduled.value


async def _scheduled_later(series_ids: list[int], now: datetime) -> set[int]:
    rows = (
        await Event.select(Event.series, Count(Event.id).as_alias("n"))
        .where(
            Event.series.is_in(series_ids)
            & (Event.starts_at >= now + WINDOW)
            & (Event.status == EventStatus.scheduled.value)
        )
        .group_by(Event.series)
    )
    return {int(r["series"]) for r in rows}


def spec_day(moment: datetime, tz: str) -> int:
    """0 = Sunday … 6 = Saturday, on the club's wall clock (Python counts from Monday)."""
    return (to_local(moment, tz).weekday() + 1) % 7


def _days(first: dict[str, Any], occurrences: list[dict[str, Any]]) -> list[int]:
    tz = first["club_timezone"]
    week_end = first["starts_at"] + timedelta(days=7)
    return sorted({spec_day(r["starts_at"], tz) for r in occurrences if r["starts_at"] < week_end})


def _clock(row: dict[str, Any]) -> str:
    return to_local(row["starts_at"], row["club_timezone"]).strftime("%H:%M")


# --- JSON -----------------------------------------------------------------------------------

_BLOCK_END = re.compile(r"</(p|li|h3|h4|blockquote|pre)>|<br\s*/?>|<hr\s*/?>")


def plain_text(markdown: str) -> str:
    """Notes for directories: the Markdown description as plain text (HTML is stripped there)."""
    if not markdown.strip():
        return ""
    marked = _BLOCK_END.sub("\n", render_markdown(markdown))
    text = html.unescape(nh3.clean(marked, tags=set()))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def series_slug(meeting: Meeting) -> str:
    """Stable across renames: the imported slug, else the club's slug and the series id."""
    if meeting.row["source_slug"]:
        return str(meeting.row["source_slug"])
    suffix = f"-{meeting.series_id}"
    return meeting.row["club_slug"][: SLUG_MAX - len(suffix)] + suffix


def _utc_stamp(*moments: datetime | None) -> str:
    latest = max(m for m in moments if m is not None)
    return latest.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def meeting_json(meeting: Meeting, settings: Settings, slug: str | None = None) -> dict[str, Any]:
    row = meeting.row
    tz = row["club_timezone"]
    public = not row["details_for_attendees_only"]
    attendance = Attendance.inactive.value if meeting.paused else row["attendance"]
    has_place = bool(row["location"] or row["address"])
    types = attributes.feed_types(row["attributes"], Attendance.in_person.value)
    if meeting.paused and has_place:
        types.append(attributes.TEMPORARILY_CLOSED)
    entry: dict[str, Any] = {
        "name": row["title"],
        "slug": slug or series_slug(meeting),
        "day": meeting.days[0] if len(meeting.days) == 1 else meeting.days,
        "time": _clock(row),
        "end_time": to_local(row["ends_at"], tz).strftime("%H:%M"),
        "timezone": tz,
        "types": types,
        "notes": plain_text(row["description"]),
        "location": row["location"] if public else row["location_hint"],
        "address": row["address"] if public else "",
        "city": row["club_city"],
        "state": row["club_region"],
        "postal_code": row["postal_code"] if public else "",
        "country": row["club_country"],
        "attendance_option": attendance,
        "url": f"{settings.base_url}/series/{meeting.series_id}",
        "group": row["club_name"],
        "updated": _utc_stamp(row["updated_at"], row["club_updated_at"]),
    }
    if public and row["latitude"] is not None and row["longitude"] is not None:
        entry["latitude"] = round(float(row["latitude"]), 5)
        entry["longitude"] = round(float(row["longitude"]), 5)
    if entry["address"] or row["club_city"]:
        entry["approximate"] = "no" if entry["address"] else "yes"
    if row["online_url"]:
        if public:
            entry["conference_url"] = row["online_url"]
        else:
            entry["conference_url_notes"] = RSVP_FOR_LINK
    entity = {
        "entity": settings.meetings_entity,
        "entity_email": settings.meetings_entity_email,
        "entity_website_url": settings.meetings_entity_url,
    }
    # The spec: `entity` is required when any other entity field is present.
    if settings.meetings_entity:
        entry.update(entity)
    # Optional fields that don't apply are left out, as the spec asks.
    return {k: v for k, v in entry.items() if v not in ("", [], None)}


def feed(meetings: list[Meeting], settings: Settings) -> list[dict[str, Any]]:
    """The JSON array. Slugs are unique per club; two clubs importing the same slug get the
    later one suffixed with its series id in the site-wide feed."""
    seen: set[str] = set()
    out = []
    for meeting in meetings:
        slug = series_slug(meeting)
        if slug in seen:
            suffix = f"-{meeting.series_id}"
            slug = slug[: SLUG_MAX - len(suffix)] + suffix
        seen.add(slug)
        out.append(meeting_json(meeting, settings, slug))
    return out


async def series_event(series_id: int, now: datetime) -> int | None:
    """The id of the series' next occurrence that hasn't ended, else of its last one."""
    row = (
        await Event.select(Event.id)
        .where(
            (Event.series == series_id)
            & (Event.ends_at >= now)
            & (Event.status == EventStatus.scheduled.value)
        )
        .order_by(Event.starts_at)
        .first()
    ) or (
        await Event.select(Event.id)
        .where(Event.series == series_id)
        .order_by(Event.starts_at, ascending=False)
        .first()
    )
    return None if row is None else int(row["id"])
