"""Times for people: UTC in the database, the club's IANA zone on the page."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    return tuple(sorted(n for n in available_timezones() if "/" in n and not n.startswith("Etc/")))


# Offered first in the club form's zone list: where most clubs meet (the browser's own zone is
# picked for new clubs anyway, by static/timezone.js).
COMMON_ZONES = (
    ("America/New_York", "US Eastern (New York)"),
    ("America/Chicago", "US Central (Chicago)"),
    ("America/Denver", "US Mountain (Denver)"),
    ("America/Phoenix", "US Arizona (Phoenix)"),
    ("America/Los_Angeles", "US Pacific (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("America/Toronto", "Canada Eastern (Toronto)"),
    ("America/Vancouver", "Canada Pacific (Vancouver)"),
    ("Europe/London", "UK and Ireland (London)"),
    ("Europe/Paris", "Central Europe (Paris, Berlin)"),
    ("Australia/Sydney", "Australia Eastern (Sydney)"),
    ("Pacific/Auckland", "New Zealand (Auckland)"),
    ("UTC", "UTC"),
)


@lru_cache(maxsize=1)
def zone_groups() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """(group label, ((zone, label), ...)) for a grouped select: common zones first, then
    every zone by region ("America", "Europe", ...)."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in zone_names():
        region, place = name.split("/", 1)
        regions.setdefault(region, []).append((name, place.replace("_", " ")))
    return (("Common", COMMON_ZONES), *((r, tuple(z)) for r, z in sorted(regions.items())))


def is_zone(name: str) -> bool:
    return name == "UTC" or name in zone_names()


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time; a naive one is UTC already (SQLite returns those)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_local(moment: datetime, tz: str) -> datetime:
    return as_utc(moment).astimezone(zone(tz))


def _clock(moment: datetime) -> str:
    return moment.strftime("%-I:%M %p").replace(":00 ", " ").lower().replace(" ", "\u202f")


def format_day(moment: datetime, tz: str) -> str:
    local = to_local(moment, tz)
    return local.strftime("%a %-d %b")


def format_when(start: datetime, end: datetime, tz: str) -> str:
    """'Sat 5 Dec, 9 am – 12 pm MST' (the end's day too when it differs)."""
    local_start, local_end = to_local(start, tz), to_local(end, tz)
    text = f"{local_start.strftime('%a %-d %b')}, {_clock(local_start)} – "
    if local_end.date() != local_start.date():
        text += f"{local_end.strftime('%a %-d %b')}, "
    return text + f"{_clock(local_end)} {local_end.strftime('%Z')}"


def format_time(moment: datetime, tz: str) -> str:
    local = to_local(moment, tz)
    return f"{_clock(local)} {local.strftime('%Z')}"


def to_utc(local: datetime, tz: str) -> datetime:
    """A naive wall-clock time in `tz` as an aware UTC time."""
    return local.replace(tzinfo=zone(tz)).astimezone(UTC)


def wall_clock(moment: datetime, tz: str) -> datetime:
    """A stored UTC time as a naive wall-clock time in `tz`."""
    return to_local(moment, tz).replace(tzinfo=None)


def dst_problem(local: datetime, tz: str) -> str | None:
    """'gap' when the wall-clock time does not exist in `tz` (clocks spring forward past it),
    'ambiguous' when it happens twice (clocks fall back), else None."""
    tzinfo = zone(tz)
    early = local.replace(tzinfo=tzinfo, fold=0)
    if early.astimezone(UTC).astimezone(tzinfo).replace(tzinfo=None) != local:
        return "gap"
    if early.utcoffset() != local.replace(tzinfo=tzinfo, fold=1).utcoffset():
        return "ambiguous"
    return None


def iso_local(moment: datetime | None, tz: str) -> str:
    """Value for an <input type=datetime-local>."""
    if moment is None:
        return ""
    return to_local(moment, tz).strftime("%Y-%m-%dT%H:%M")


ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}


def rhythm(repeat: str, moment: datetime, tz: str) -> str:
    """How often a series meets, from one occurrence: 'Every Wednesday, 5:30 pm MST',
    'Every other Saturday, 9 am EST', '2nd Friday of the month, 12 pm CST'."""
    local = to_local(moment, tz)
    day, clock = local.strftime("%A"), format_time(moment, tz)
    if repeat == "weekly":
        return f"Every {day}, {clock}"
    if repeat == "biweekly":
        return f"Every other {day}, {clock}"
    if repeat == "monthly":
        nth = (local.day - 1) // 7 + 1
        return f"{ORDINALS.get(nth, 'Last')} {day} of the month, {clock}"
    return format_day(moment, tz) + ", " + clock
