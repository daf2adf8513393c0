"""Builders and the schema check shared by the Meeting Guide feed and import tests."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
from referencing import Registry, Resource

from events.db import write_transaction
from events.tables import Event, Repeat, Series
from events.timefmt import to_local, to_utc, utcnow
from tests import helpers

SCHEMA_DIR = Path(__file__).parent / "meeting_guide"
# The schema's address patterns only fit US addresses (tests/meeting_guide/README.md).
US_ONLY = ("formatted_address", "address", "city", "postal_code")


def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMA_DIR / name).read_text())


MEETING_SCHEMA = _schema("meeting.schema.json")
TYPE_SCHEMA = _schema("meeting-type.schema.json")
_REGISTRY = Registry().with_resource(
    "meeting-type.schema.json", Resource.from_contents(TYPE_SCHEMA)
)


def validate_feed(entries: list[dict[str, Any]]) -> None:
    """Every entry against the spec's meeting schema; address patterns for US entries only."""
    assert isinstance(entries, list)
    for entry in entries:
        schema = MEETING_SCHEMA
        if entry.get("country") != "US":
            props = {k: v for k, v in schema["properties"].items() if k not in US_ONLY}
            schema = {**schema, "properties": props}
        validator = jsonschema.Draft7Validator(
            schema, registry=_REGISTRY, format_checker=jsonschema.FormatChecker()
        )
        errors = [
            f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(entry)
        ]
        # jsonschema checks "uri" only with an extra package: check those fields here.
        for name, prop in MEETING_SCHEMA["properties"].items():
            if prop.get("format") == "uri" and name in entry:
                parts = urlsplit(entry[name])
                if parts.scheme not in ("http", "https") or not parts.netloc:
                    errors.append(f"{name}: not an absolute URL: {entry[name]!r}")
        assert not errors, (entry.get("slug"), errors)


def next_weekday(weekday: int, tz: str, after: datetime | None = None) -> date:
    """The next local date (after today) that falls on `weekday` (Monday = 0)."""
    today = to_local(after or utcnow(), tz).date()
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


async def make_weekly(
    club: int,
    title: str = "Tuesday step study",
    *,
    tz: str = "America/New_York",
    first: date | None = None,
    at: time = time(19, 0),
    weeks: int = 8,
    hours: float = 1,
    repeat: Repeat = Repeat.weekly,
    extra_days: tuple[int, ...] = (),
    **fields: Any,
) -> tuple[int, list[int]]:
    """A series with one Event row per occurrence, like the organizer form makes."""
    start_day = first or next_weekday(1, tz)
    step = timedelta(days={Repeat.weekly: 7, Repeat.biweekly: 14, Repeat.monthly: 28}[repeat])
    days = [start_day + i * step for i in range(weeks)]
    days += [d + timedelta(days=offset) for d in days for offset in extra_days]
    async with write_transaction():  # its commit tells the page cache
        rows = await Series.insert(
            Series(club=club, repeat=repeat.value, repeat_until=max(days))
        ).returning(Series.id)
        series_id = int(rows[0]["id"])
        fields.setdefault("activity", "meeting")
        ids = []
        for day in sorted(days):
            local = datetime.combine(day, at)
            start = to_utc(local, tz)
            inserted = await Event.insert(
                Event(
                    club=club,
                    series=series_id,
                    title=title,
                    starts_at=start,
                    ends_at=to_utc(local + timedelta(hours=hours), tz),
                    **fields,
                )
            ).returning(Event.id)
            ids.append(int(inserted[0]["id"]))
    return series_id, ids


async def make_group(slug: str = "serenity", **fields: Any) -> int:
    """A listed 12-step group in New York with a US address."""
    values = {
        "name": "Serenity Group",
        "timezone": "America/New_York",
        "kind": "twelve_step",
        "city": "Brooklyn",
        "region": "NY",
        "country": "US",
        **fields,
    }
    return await helpers.make_club(slug=slug, **values)
