"""The home page's read model: one page of upcoming events, the filter choices, and where
"More events" continues. Three statements whatever the number of events or clubs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.querystring import QueryString

from events import parsing, timefmt
from events.services import listings, places, search
from events.services.places import Place
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
    club_city: str = ""

    @property
    def local_day(self) -> date:
        return timefmt.to_local(self.starts_at, self.club_timezone).date()


@dataclass(frozen=True)
class ClubOption:
    slug: str
    name: str


@dataclass(frozen=True)
class Chip:
    """A quick choice above the list: a link that turns one filter on or off."""

    label: str
    query: Mapping[str, str]
    active: bool
    icon: str = ""
    keys: tuple[str, ...] = ()  # the filters it sets


@dataclass(frozen=True)
class Nearest:
    """When nothing matches: what was looked for, and the next event that would have."""

    looked_for: str
    event: HomeEvent | None


@dataclass(frozen=True)
class HomePage:
    filters: listings.EventFilters
    days: tuple[tuple[str, tuple[HomeEvent, ...]], ...]
    # The query string of the "More events" link, None at the end of the list.
    more: Mapping[str, str] | None
    activities: tuple[str, ...]
    # Listed clubs for the club menu; empty when there are too many for a menu.
    clubs: tuple[ClubOption, ...]
    places: tuple[Place, ...] = ()
    chips: tuple[Chip, ...] = ()
    nearest: Nearest | None = None
    # Whether "More filters" starts open: a filter is set that no quick choice shows.
    more_open: bool = False


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
    columns: list[Any] = [*listings.EVENT_COLUMNS, Event.club.city.as_alias("club_city")]
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


# The clubs for the club menu and the cities for the place menu, in one statement.
MENUS_SQL = (
    "SELECT * FROM (SELECT 'club' AS kind, slug, name, city, region, country FROM club "
    "WHERE listed = {} AND suspended_at IS NULL ORDER BY name, id LIMIT {}) AS clubs UNION ALL "
    "SELECT * FROM (SELECT DISTINCT 'place' AS kind, '' AS slug, '' AS name, city, region, "
    "country FROM club WHERE listed = {} AND suspended_at IS NULL AND city != '' "
    "ORDER BY city LIMIT {}) AS places"
)
PLACES_MAX = 100
QUICK_ACTIVITIES = (("hiking", "Hiking"), ("meeting", "Meetings"), ("fitness", "Fitness"))
QUICK_PLACES = 8  # the row scrolls sideways on a phone


def weekend(now: datetime) -> tuple[date, date]:
    """The coming Saturday and Sunday (today's, on a weekend), on the date of the last zone to
    reach it (UTC-12), so "this weekend" lasts until it is over everywhere."""
    today = (now - timedelta(hours=12)).date()
    if today.weekday() == 6:
        return today - timedelta(days=1), today
    saturday = today + timedelta(days=(5 - today.weekday()) % 7)
    return saturday, saturday + timedelta(days=1)


def _toggled(filters: listings.EventFilters, **changes: str) -> dict[str, str]:
    query = filters.as_query()
    for key, value in changes.items():
        if query.get(key) == value:
            query.pop(key)
        elif value:
            query[key] = value
        else:
            query.pop(key, None)
    return query


def chips(
    filters: listings.EventFilters, options: tuple[Place, ...], now: datetime
) -> tuple[Chip, ...]:
    saturday, sunday = weekend(now)
    on_weekend = filters.start == saturday and filters.end == sunday
    found = [
        Chip(
            "This weekend",
            _toggled(filters, **{"from": saturday.isoformat(), "to": sunday.isoformat()})
            if not on_weekend
            else _toggled(filters, **{"from": "", "to": ""}),
            on_weekend,
            "calendar",
            ("from", "to"),
        ),
        Chip(
            "Online",
            _toggled(filters, place=places.ONLINE),
            filters.place == places.ONLINE,
            "online",
            ("place",),
        ),
    ]
    for value, label in QUICK_ACTIVITIES:
        active = filters.activity == value
        found.append(Chip(label, _toggled(filters, activity=value), active, value, ("activity",)))
    cities = [p for p in options if p.value != places.ONLINE][:QUICK_PLACES]
    if filters.place and filters.place != places.ONLINE:
        chosen = [p for p in options if p.value.lower() == filters.place.lower()]
        cities = chosen + [p for p in cities if p not in chosen][: QUICK_PLACES - 1]
    for p in cities:
        active = filters.place.lower() == p.value.lower()
        found.append(Chip(p.value, _toggled(filters, place=p.value), active, "pin", ("place",)))
    return tuple(found)


def looked_for(
    filters: listings.EventFilters, options: tuple[Place, ...], now: datetime, known: list[str]
) -> str:
    """'hikes this weekend in Denver': what the filters asked for, in words."""
    what = search.noun(filters.activity) if filters.activity else ""
    if filters.q:
        what = what or search.search_noun(filters.q, known) or f"events matching “{filters.q}”"
    parts = [what or "events"]
    if filters.place:
        parts.append(places.place_label(filters.place, options))
    saturday, sunday = weekend(now)
    start, end = filters.start, filters.end
    if start == saturday and end == sunday:
        parts.append("this weekend")
    elif start and end and start == end:
        parts.append("on " + start.strftime("%a %-d %b"))
    elif start and end:
        parts.append(f"from {start.strftime('%a %-d %b')} to {end.strftime('%a %-d %b')}")
    elif start:
        parts.append("from " + start.strftime("%a %-d %b"))
    elif end:
        parts.append("until " + end.strftime("%a %-d %b"))
    return " ".join(parts)


async def nearest(
    filters: listings.EventFilters, viewer: int | None, now: datetime
) -> HomeEvent | None:
    """The next event that matches everything but the dates (None when the dates were not
    what kept it out, or nothing matches at all)."""
    if not (filters.start or filters.end):
        return None
    undated = replace(filters, start=None, end=None, messages=[])
    found = await _events(undated, None, viewer, now)
    return found[0] if found else None


async def _menus() -> tuple[tuple[ClubOption, ...], tuple[Place, ...]]:
    rows = await Club.raw(MENUS_SQL, True, CLUB_MENU_MAX + 1, True, PLACES_MAX)
    clubs = [ClubOption(slug=r["slug"], name=r["name"]) for r in rows if r["kind"] == "club"]
    menu = () if len(clubs) > CLUB_MENU_MAX else tuple(clubs)
    return menu, places.from_rows([r for r in rows if r["kind"] == "place"])


async def home_page(
    params: Mapping[str, Any], viewer: int | None, now: datetime | None = None
) -> HomePage:
    """`/` from its query string (filters `activity`, `club`, `place`, `q`, `from`, `to`, and
    `after`, the last event of the previous page) for `viewer` (a member id, or None). Three
    statements; a fourth finds the nearest match when the dates left nothing."""
    now = now or timefmt.utcnow()
    activities = await listings.activity_names()
    filters = listings.parse_filters(params, activities)
    after = _after(params, filters)
    shown, last = _page(await _events(filters, after, viewer, now))
    menu, options = await _menus()
    days: list[tuple[str, list[HomeEvent]]] = []
    for event in shown:
        label = timefmt.format_day(event.starts_at, event.club_timezone)
        if not days or days[-1][0] != label:
            days.append((label, []))
        days[-1][1].append(event)
    hint = None
    if not shown and after is None and (filters.start or filters.end):
        hint = Nearest(
            looked_for(filters, options, now, activities), await nearest(filters, viewer, now)
        )
    quick = chips(filters, options, now)
    hidden = filters.as_query().keys() - {"q"}
    for chip in quick:
        if chip.active:
            hidden -= set(chip.keys)
    return HomePage(
        more_open=bool(hidden),
        filters=filters,
        days=tuple((label, tuple(events)) for label, events in days),
        more={**filters.as_query(), "after": str(last.id)} if last else None,
        activities=tuple(activities),
        clubs=menu,
        places=options,
        chips=quick,
        nearest=hint,
    )
