"""What the public pages list: upcoming events with filters, and one event with its club."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

from events import parsing, timefmt
from events.services import attribute_filters, places, search
from events.services.clubs import SLUG_RE
from events.tables import Event, EventStatus, Rsvp, RsvpStatus

# Activities people can filter by even before any event uses them.
KNOWN_ACTIVITIES = (
    "hiking",
    "running",
    "fitness",
    "yoga",
    "climbing",
    "cycling",
    "softball",
    "baseball",
    "meeting",
    "coaching",
    "social",
    "volunteering",
)
LIST_LIMIT = 500
PAGE_SIZE = 30
# Cancelled events stay listed (marked) for a while so people who planned to go see it.
EVENT_COLUMNS = (
    Event.id,
    Event.title,
    Event.activity,
    Event.starts_at,
    Event.ends_at,
    Event.location,
    Event.location_hint,
    Event.online_url,
    Event.details_for_attendees_only,
    Event.capacity,
    Event.taken,
    Event.status,
    Event.series,
    Event.club.slug.as_alias("club_slug"),
    Event.club.name.as_alias("club_name"),
    Event.club.timezone.as_alias("club_timezone"),
    Event.club.kind.as_alias("club_kind"),
    Event.attributes,
    Event.attendance,
)


def contains(column: Any, pattern: str) -> Any:
    """Case-insensitive LIKE: SQLite's LIKE already ignores case (and warns on ILIKE)."""
    if isinstance(engine_finder(), SQLiteEngine):
        return column.like(pattern)
    return column.ilike(pattern)


def filtered(query: Any, filters: EventFilters, event: Any = Event) -> Any:
    """`query` narrowed by the filters of `/` (activity, club, words, end date) over `event`:
    the Event table, or a join to it such as `Rsvp.event`. The start date is widened by the
    caller, which knows its own lower bound; both dates are in each club's own zone, so the
    UTC window is a day wider and rows are cut exactly afterwards."""
    query = query.where(event.club.suspended_at.is_null())  # suspended by a steward (#16)
    if filters.end:
        query = query.where(
            event.starts_at < datetime.combine(filters.end, time.max, UTC) + timedelta(days=1)
        )
    if filters.activity:
        query = query.where(event.activity == filters.activity)
    if filters.club:
        query = query.where(event.club.slug == filters.club)
    if filters.q and (found := search.clause(event, filters.q, KNOWN_ACTIVITIES, contains)):
        query = query.where(found)
    query = places.narrow(query, filters, event)
    query = attribute_filters.narrowed(query, filters.attributes, event)
    return query


@dataclass
class EventFilters:
    activity: str = ""
    club: str = ""
    q: str = ""
    start: date | None = None
    end: date | None = None
    messages: list[str] = field(default_factory=list)
    # A city (as clubs name it) or "online": events/services/places.py.
    place: str = ""
    attributes: attribute_filters.AttributeFilter = field(
        default_factory=attribute_filters.AttributeFilter
    )

    def as_query(self) -> dict[str, str]:
        values = {
            "activity": self.activity,
            "club": self.club,
            "place": self.place,
            "q": self.q,
            "from": self.start.isoformat() if self.start else "",
            "to": self.end.isoformat() if self.end else "",
            **self.attributes.as_query(),
        }
        return {k: v for k, v in values.items() if v}


def parse_filters(params: Any, activities: list[str]) -> EventFilters:
    """Read `/`'s query string. Anything unreadable is dropped with a gentle message."""
    filters = EventFilters(q=" ".join(str(params.get("q", "")).split())[:100])
    filters.place = places.parse_place(params.get("place"))
    filters.attributes = attribute_filters.read(params)
    filters.messages += filters.attributes.messages
    activity = str(params.get("activity", "")).strip().lower()
    if activity and activity not in activities:
        filters.messages.append(f"No events for the activity “{activity[:40]}”; showing all.")
    else:
        filters.activity = activity
    club = str(params.get("club", "")).strip().lower()
    if club and not SLUG_RE.match(club):
        # Never echoed: it may end up in a calendar feed's name.
        filters.messages.append("That club isn't one we know; showing all clubs.")
    else:
        filters.club = club
    for key, attr, label in (("from", "start", "From"), ("to", "end", "To")):
        try:
            setattr(filters, attr, parsing.parse_date(params.get(key)))
        except parsing.DateOutOfRange:
            filters.messages.append(
                f"“{label}” should be a date between {parsing.YEAR_MIN} and "
                f"{parsing.YEAR_MAX}; it was ignored."
            )
        except ValueError:
            filters.messages.append(f"“{label}” should be a date like 2026-12-05; it was ignored.")
    if filters.start and filters.end and filters.end < filters.start:
        filters.messages.append("“To” was before “From”; the dates were swapped.")
        filters.start, filters.end = filters.end, filters.start
    return filters


async def activity_names() -> list[str]:
    rows = await Event.select(Event.activity).where(Event.ends_at >= timefmt.utcnow()).distinct()
    found = {r["activity"] for r in rows if r["activity"]}
    return sorted(found | set(KNOWN_ACTIVITIES))


def _local_date(row: dict[str, Any]) -> date:
    return timefmt.to_local(row["starts_at"], row["club_timezone"]).date()


async def upcoming_events(
    filters: EventFilters, now: datetime | None = None, limit: int = LIST_LIMIT
) -> list[dict[str, Any]]:
    now = now or timefmt.utcnow()
    # Date filters are in each club's own zone: widen the UTC window by a day, then filter.
    lower = now
    if filters.start:
        lower = max(now, datetime.combine(filters.start, time.min, UTC) - timedelta(days=1))
    query = filtered(Event.select(*EVENT_COLUMNS).where(Event.ends_at >= lower), filters)
    rows = await query.order_by(Event.starts_at).order_by(Event.id).limit(limit)
    if filters.start or filters.end:
        rows = [
            r
            for r in rows
            if (not filters.start or _local_date(r) >= filters.start)
            and (not filters.end or _local_date(r) <= filters.end)
        ]
    return rows


async def get_event(event_id: int) -> dict[str, Any] | None:
    return (
        await Event.select(
            *Event.all_columns(),
            Event.club.slug.as_alias("club_slug"),
            Event.club.name.as_alias("club_name"),
            Event.club.timezone.as_alias("club_timezone"),
            Event.club.kind.as_alias("club_kind"),
            Event.club.suspended_at.as_alias("club_suspended_at"),
        )
        .where(Event.id == event_id)
        .first()
    )


async def rsvp_counts(event_id: int) -> dict[str, int]:
    rows = await Rsvp.select(Rsvp.status, Rsvp.guests).where(
        (Rsvp.event == event_id) & (Rsvp.status != RsvpStatus.not_going.value)
    )
    going = sum(1 + r["guests"] for r in rows if r["status"] == RsvpStatus.going.value)
    waitlisted = sum(1 for r in rows if r["status"] == RsvpStatus.waitlisted.value)
    return {"going": going, "waitlisted": waitlisted}


def is_cancelled(event: dict[str, Any]) -> bool:
    return event["status"] == EventStatus.cancelled.value
