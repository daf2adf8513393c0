"""The home page's read model: one page of upcoming events, the filter choices, and where
"More events" continues. Three statements whatever the number of events or clubs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from events import parsing, timefmt
from events.services import listings
from events.tables import Club, Event

PAGE_SIZE = listings.PAGE_SIZE
# With more listed clubs than this, the club menu would outweigh the events: search instead.
CLUB_MENU_MAX = 60


@dataclass(frozen=True)
class HomeEvent:
    """What an event card shows."""

    id: int
    title: str
    activity: str
    starts_at: datetime
    ends_at: datetime
    location: str
    location_hint: str
    online_url: str
    details_for_attendees_only: bool
    capacity: int | None
    taken: int
    status: str
    series: int | None
    club_slug: str
    club_name: str
    club_timezone: str
    club_kind: str
    attributes: str = ""  # space-separated codes (events/attributes.py)
    attendance: str = "in_person"
    my_rsvp: str | None = None  # the viewer's own answer, if they gave one

    @property
    def local_day(self) -> date:
        return timefmt.to_local(self.starts_at, self.club_timezone).date()


@dataclass(frozen=True)
class ClubOption:
    slug: str
    name: str


@dataclass(frozen=True)
class HomePage:
    filters: listings.EventFilters
    days: tuple[tuple[str, tuple[HomeEvent, ...]], ...]
    # The query string of the "More events" link, None at the end of the list.
    more: Mapping[str, str] | None
    activities: tuple[str, ...]
    # Listed clubs for the club menu; empty when there are too many for a menu.
    clubs: tuple[ClubOption, ...]


def _after(params: Mapping[str, Any], filters: listings.EventFilters) -> int | None:
    text = params.get("after")
    if text is None or not str(text).strip():
        return None
    after = parsing.parse_id(text)
    if after is None:
        filters.messages.append("That link to more events wasn't readable; showing the first.")
    return after


async def _events(
    filters: listings.EventFilters, after: int | None, viewer: int | None, now: datetime
) -> list[HomeEvent]:
    lower = now
    if filters.start:
        lower = max(now, datetime.combine(filters.start, time.min, UTC) - timedelta(days=1))
    columns: list[Any] = list(listings.EVENT_COLUMNS)
    if viewer is not None:
        columns.append(
            QueryString(
                "(SELECT r.status FROM rsvp AS r WHERE r.event = event.id AND r.member = {})"
                " AS my_rsvp",
                viewer,
            )
        )
    query = listings.filtered(Event.select(*columns).where(Event.ends_at >= lower), filters)
    if after is not None:
        # Continue after that event in (start, id) order.
        query = query.where(
            WhereRaw(
                "(event.starts_at > (SELECT c.starts_at FROM event AS c WHERE c.id = {}) OR "
                "(event.starts_at = (SELECT c.starts_at FROM event AS c WHERE c.id = {}) "
                "AND event.id > {}))",
                after,
                after,
                after,
            )
        )
    rows = await query.order_by(Event.starts_at, Event.id).limit(PAGE_SIZE + 1)
    events = [HomeEvent(**row) for row in rows]
    return [
        e
        for e in events
        if (not filters.start or e.local_day >= filters.start)
        and (not filters.end or e.local_day <= filters.end)
    ]


def _page(events: list[HomeEvent]) -> tuple[list[HomeEvent], HomeEvent | None]:
    """The events to show, ending at a day's end when the page holds more than one day, and
    the last one shown when more follow."""
    if len(events) <= PAGE_SIZE:
        return events, None
    next_day = events[PAGE_SIZE].local_day
    shown = [e for e in events[:PAGE_SIZE] if e.local_day < next_day] or events[:PAGE_SIZE]
    return shown, shown[-1]


async def home_page(
    params: Mapping[str, Any], viewer: int | None, now: datetime | None = None
) -> HomePage:
    """`/` from its query string (filters `activity`, `club`, `q`, `from`, `to`, and `after`,
    the last event of the previous page) for `viewer` (a member id, or None)."""
    now = now or timefmt.utcnow()
    activities = await listings.activity_names()
    filters = listings.parse_filters(params, activities)
    after = _after(params, filters)
    shown, last = _page(await _events(filters, after, viewer, now))
    clubs = (
        await Club.select(Club.slug, Club.name)
        .where(Club.listed.eq(True) & Club.suspended_at.is_null())
        .order_by(Club.name)
        .limit(CLUB_MENU_MAX + 1)
    )
    menu = () if len(clubs) > CLUB_MENU_MAX else tuple(ClubOption(**c) for c in clubs)
    days: list[tuple[str, list[HomeEvent]]] = []
    for event in shown:
        label = timefmt.format_day(event.starts_at, event.club_timezone)
        if not days or days[-1][0] != label:
            days.append((label, []))
        days[-1][1].append(event)
    return HomePage(
        filters=filters,
        days=tuple((label, tuple(events)) for label, events in days),
        more={**filters.as_query(), "after": str(last.id)} if last else None,
        activities=tuple(activities),
        clubs=menu,
    )
