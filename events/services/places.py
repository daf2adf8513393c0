"""Places: the `place=` filter of `/`, `/clubs` and `/calendar.ics`, by the city a club gives
(Club.city, Club.region, Club.country), or "online" for events with an online link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

from events.tables import Club, ClubKind

ONLINE = "online"
PLACE_MAX = 60


@dataclass(frozen=True)
class Place:
    """A choice in the place menu: `value` goes in the query string."""

    value: str
    label: str


def parse_place(value: Any) -> str:
    """'online', a city name (spaces tidied), or '' for none."""
    text = " ".join(str(value or "").split())[:PLACE_MAX]
    return ONLINE if text.lower() == ONLINE else text


def _same_text(column: Any, text: str) -> Any:
    """Equal, ignoring case (LIKE without wildcards: SQLite's ignores ASCII case)."""
    escaped = text.replace("\\", "").replace("%", "").replace("_", "")
    if isinstance(engine_finder(), SQLiteEngine):
        return column.like(escaped)
    return column.ilike(escaped)


def narrow(query: Any, filters: Any, event: Any) -> Any:
    """`query` over `event` (the Event table or a join to it) kept to `filters.place`."""
    if not filters.place:
        return query
    if filters.place == ONLINE:
        return query.where((event.online_url != "") | event.attendance.is_in(["online", "hybrid"]))
    return query.where(_same_text(event.club.city, filters.place))


def narrow_clubs(query: Any, place: str) -> Any:
    """A Club query kept to `place`: online meetings for "online", else the city."""
    if not place:
        return query
    if place == ONLINE:
        return query.where(Club.kind == ClubKind.online.value)
    return query.where(_same_text(Club.city, place))


def label(city: str, region: str = "", country: str = "") -> str:
    """'Denver, CO' / 'London, GB': the city with its region, else its country."""
    if not city:
        return ""
    return f"{city}, {region or country}" if (region or country) else city


def from_rows(rows: list[dict[str, Any]]) -> tuple[Place, ...]:
    """The cities in rows of clubs (city, region, country), in name order, then Online."""
    seen: dict[str, Place] = {}
    for r in sorted((r for r in rows if r["city"]), key=lambda r: r["city"].lower()):
        if r["city"].lower() not in seen:
            seen[r["city"].lower()] = Place(r["city"], label(r["city"], r["region"], r["country"]))
    return (*seen.values(), Place(ONLINE, "Online"))


def place_label(value: str, places: tuple[Place, ...]) -> str:
    if value == ONLINE:
        return "online"
    for p in places:
        if p.value.lower() == value.lower():
            return "in " + p.value
    return "in " + value if value else ""
