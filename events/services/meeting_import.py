"""Import a Meeting Guide JSON file (what a TSML site or an intergroup exports) into a club.

Each weekly meeting becomes a weekly series of that club, with occurrences from today up to
HORIZON ahead, keyed by the meeting's `slug` (Series.source_slug): importing the same file
again changes the series it made instead of adding new ones. `plan` says what would happen
(create, change, unchanged, skip with a reason) without writing; `apply` does it in one
transaction. A file that isn't a Meeting Guide feed raises `MalformedFile` before anything
is read into the database.

Rescheduling an existing series (other days, time or zone) cancels its upcoming occurrences
that people answered (they get the usual cancellation mail), deletes the unanswered ones and
makes the new ones: attendees are never left holding an RSVP for a time that moved silently.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from events import attributes
from events.attributes import Attendance
from events.db import write_transaction
from events.recurrence import local_starts
from events.services import events_admin
from events.tables import Club, Event, EventStatus, MailKind, Repeat, Rsvp, Series
from events.timefmt import is_zone, to_local, to_utc, utcnow

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_MEETINGS = 2_000
# How far ahead an imported series gets occurrences (importing again extends it).
HORIZON = timedelta(weeks=26)
SLUG_MAX = 64
_SLUG_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]*$")
_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
MOVED_REASON = "This meeting moved to a new day or time."


class MalformedFile(ValueError):
    """The upload is not a Meeting Guide feed; the message says why, for the organizer."""


@dataclass
class Meeting:
    """One entry of the file, read into what a Steady series holds."""

    slug: str
    name: str
    days: list[int]  # 0 = Sunday (spec)
    start: time
    end: time
    timezone: str
    attributes: str
    attendance: str
    description: str
    location: str
    address: str
    postal_code: str
    latitude: float | None
    longitude: float | None
    online_url: str
    city: str = ""
    region: str = ""
    country: str = ""
    ignored_types: list[str] = field(default_factory=list)


@dataclass
class Item:
    slug: str
    name: str
    action: str  # create | change | unchanged | skip
    reason: str = ""
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meeting: Meeting | None = None
    series_id: int | None = None


@dataclass
class Plan:
    items: list[Item]

    def count(self, action: str) -> int:
        return sum(1 for i in self.items if i.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {a: self.count(a) for a in ("create", "change", "unchanged", "skip")}


# --- reading the file -----------------------------------------------------------------------


def parse_file(data: bytes | str) -> list[dict[str, Any]]:
    """The file's meetings as dicts, or MalformedFile (nothing else is looked at then)."""
    if len(data) > MAX_FILE_BYTES:
        raise MalformedFile(f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        body = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedFile(f"This isn't a JSON file ({_short(exc)}).") from None
    if not isinstance(body, list):
        raise MalformedFile("A Meeting Guide file is a JSON array of meetings ([ … ]).")
    if len(body) > MAX_MEETINGS:
        raise MalformedFile(f"The file has more than {MAX_MEETINGS} meetings.")
    for n, entry in enumerate(body, start=1):
        if not isinstance(entry, dict):
            raise MalformedFile(f"Meeting {n} is not an object ({{ … }}).")
    return body


def _short(exc: Exception) -> str:
    return str(exc).split("\n")[0][:120]


def _text(entry: dict[str, Any], key: str, limit: int) -> str:
    value = entry.get(key)
    if value is None or isinstance(value, (dict, list, bool)):
        return ""
    return str(value).replace("\x00", "").strip()[:limit]


def _clock(value: Any) -> time | None:
    if not isinstance(value, str):
        return None
    match = _HHMM.match(value.strip())
    return time(int(match[1]), int(match[2])) if match else None


def _days(value: Any) -> list[int] | None:
    raw = value if isinstance(value, list) else [value]
    if not raw or any(isinstance(d, bool) for d in raw):
        return None
    try:
        days = sorted({int(d) for d in raw})
    except (TypeError, ValueError):
        return None
    return days if all(0 <= d <= 6 for d in days) else None


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if -180 <= number <= 180 else None


def read_meeting(entry: dict[str, Any], club_timezone: str) -> Meeting | str:
    """The entry as a Meeting, or the reason it is skipped."""
    raw_slug = entry.get("slug")
    slug = str(raw_slug).strip() if isinstance(raw_slug, (str, int)) else ""
    if not slug:
        return "no slug"
    if len(slug) > SLUG_MAX or not _SLUG_OK.match(slug):
        return "the slug is not URL-safe or longer than 64 characters"
    name = _text(entry, "name", 120)
    if not name:
        return "no name"
    if "day" not in entry or entry["day"] in (None, ""):
        return "not weekly (no day: by appointment)"
    days = _days(entry["day"])
    if days is None:
        return "the day must be 0 (Sunday) to 6 (Saturday)"
    start = _clock(entry.get("time"))
    if start is None:
        return "missing time" if not entry.get("time") else "the time is not HH:MM"
    end = _clock(entry.get("end_time")) if entry.get("end_time") else None
    if entry.get("end_time") and end is None:
        return "the end time is not HH:MM"
    if end is None:
        end = (datetime.combine(date(2000, 1, 1), start) + timedelta(hours=1)).time()
    zone = _text(entry, "timezone", 64) or club_timezone
    if not is_zone(zone):
        return f"unknown time zone {zone!r}"
    types = [str(t) for t in entry.get("types") or [] if isinstance(t, (str, int))]
    codes, _ = attributes.parse_codes([t for t in types if t != attributes.TEMPORARILY_CLOSED])
    ignored = [t for t in types if t not in attributes.BY_CODE and t != "TC"]
    online_url = _text(entry, "conference_url", 500)
    if online_url and not online_url.startswith(("https://", "http://")):
        return "the conference_url is not an http(s) link"
    address = _text(entry, "address", 200) or _text(entry, "formatted_address", 200)
    attendance = _attendance(entry, types, online_url, address or _text(entry, "location", 200))
    return Meeting(
        slug=slug,
        name=name,
        days=days,
        start=start,
        end=end,
        timezone=zone,
        attributes=" ".join(codes),
        attendance=attendance,
        description=_text(entry, "notes", 10_000),
        location=_text(entry, "location", 200),
        address=address,
        postal_code=_text(entry, "postal_code", 20),
        latitude=_number(entry.get("latitude")),
        longitude=_number(entry.get("longitude")),
        online_url=online_url,
        city=_text(entry, "city", 80),
        region=_text(entry, "state", 80),
        country=_text(entry, "country", 2).upper() if len(_text(entry, "country", 3)) == 2 else "",
        ignored_types=ignored,
    )


def _attendance(entry: dict[str, Any], types: list[str], online: str, place: str) -> str:
    given = attributes.parse_attendance(_text(entry, "attendance_option", 10))
    if given is not None:
        return given.value
    if attributes.TEMPORARILY_CLOSED in types:
        return Attendance.online.value if online else Attendance.inactive.value
    if online and place:
        return Attendance.hybrid.value
    return Attendance.online.value if online else Attendance.in_person.value


# --- planning -------------------------------------------------------------------------------

_COMPARED = {
    "title": "name",
    "attributes": "types",
    "attendance": "attendance",
    "description": "notes",
    "location": "location",
    "address": "address",
    "postal_code": "postal code",
    "latitude": "latitude",
    "longitude": "longitude",
    "online_url": "online link",
}


def _event_fields(m: Meeting) -> dict[str, Any]:
    return {
        "title": m.name,
        "attributes": m.attributes,
        "attendance": m.attendance,
        "description": m.description,
        "location": m.location,
        "address": m.address,
        "postal_code": m.postal_code,
        "latitude": m.latitude,
        "longitude": m.longitude,
        "online_url": m.online_url,
    }


def _schedule_of(row: dict[str, Any], days: list[int], tz: str) -> tuple[Any, ...]:
    start = to_local(row["starts_at"], tz)
    end = to_local(row["ends_at"], tz)
    return (tuple(days), start.time(), end.time())


async def _existing(club_id: int, slugs: list[str], now: datetime) -> dict[str, dict[str, Any]]:
    """Per source slug: the series and its upcoming occurrences (the first one describes it)."""
    if not slugs:
        return {}
    series = await Series.select(Series.id, Series.source_slug).where(
        (Series.club == club_id) & Series.source_slug.is_in(slugs)
    )
    found: dict[str, dict[str, Any]] = {
        r["source_slug"]: {"id": r["id"], "events": []} for r in series
    }
    if not found:
        return found
    by_id = {v["id"]: v for v in found.values()}
    rows = (
        await Event.select()
        .where(Event.series.is_in(list(by_id)) & (Event.ends_at >= now))
        .order_by(Event.starts_at)
    )
    for row in rows:
        by_id[row["series"]]["events"].append(row)
    return found


def _spec_day(moment: datetime, tz: str) -> int:
    return (to_local(moment, tz).weekday() + 1) % 7


async def plan(club: dict[str, Any], entries: list[dict[str, Any]]) -> Plan:
    """What importing `entries` into `club` would do. Writes nothing."""
    now = utcnow()
    items: list[Item] = []
    read: list[Item] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        result = read_meeting(entry, club["timezone"])
        name = _text(entry, "name", 120) or f"Meeting {n}"
        if isinstance(result, str):
            items.append(
                Item(
                    slug=str(entry.get("slug") or "")[:64], name=name, action="skip", reason=result
                )
            )
            continue
        if result.slug in seen:
            items.append(Item(result.slug, name, "skip", "the slug appears twice in the file"))
            continue
        seen.add(result.slug)
        item = Item(result.slug, result.name, "create", meeting=result)
        if result.ignored_types:
            item.notes.append(
                "Types Steady doesn't know, left out: " + ", ".join(result.ignored_types)
            )
        items.append(item)
        read.append(item)
    existing = await _existing(club["id"], [i.slug for i in read], now)
    for item in read:
        found = existing.get(item.slug)
        if found is None:
            continue
        item.series_id = int(found["id"])
        m = item.meeting
        assert m is not None
        upcoming = [e for e in found["events"] if e["status"] == EventStatus.scheduled.value]
        if not upcoming:
            item.action, item.changes = "change", ["gets upcoming occurrences again"]
            continue
        first = upcoming[0]
        week = [e for e in upcoming if e["starts_at"] < first["starts_at"] + timedelta(days=7)]
        days = sorted({_spec_day(e["starts_at"], m.timezone) for e in week})
        changes = [
            label
            for key, label in _COMPARED.items()
            if _same(first[key]) != _same(_event_fields(m)[key])
        ]
        if _schedule_of(first, days, m.timezone) != (tuple(m.days), m.start, m.end):
            changes.insert(0, "day or time")
        item.action = "change" if changes else "unchanged"
        item.changes = changes
    return Plan(items)


def _same(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 5)
    return value if value is not None else None


# --- applying -------------------------------------------------------------------------------


def _occurrences(m: Meeting, now: datetime) -> list[tuple[datetime, datetime]]:
    """UTC (start, end) of every occurrence from now up to HORIZON, on the meeting's clock."""
    today = to_local(now, m.timezone).date()
    until = today + HORIZON
    out: list[tuple[datetime, datetime]] = []
    length = datetime.combine(today, m.end) - datetime.combine(today, m.start)
    if length <= timedelta(0):
        length += timedelta(days=1)  # ends after midnight
    for day in m.days:
        python_day = (day - 1) % 7
        first = today + timedelta(days=(python_day - today.weekday()) % 7)
        for local in local_starts(datetime.combine(first, m.start), Repeat.weekly, until):
            start = to_utc(local, m.timezone)
            if start > now:
                out.append((start, to_utc(local + length, m.timezone)))
    return sorted(out)


async def _make_occurrences(
    club: dict[str, Any],
    series_id: int,
    m: Meeting,
    created_by: int | None,
    now: datetime,
    skip_starts: set[datetime] = frozenset(),  # type: ignore[assignment]
) -> int:
    made = 0
    for start, end in _occurrences(m, now):
        if start in skip_starts:
            continue
        await Event.insert(
            Event(
                club=club["id"],
                series=series_id,
                activity=(club.get("activities") or "").split(",")[0],
                starts_at=start,
                ends_at=end,
                created_by=created_by,
                **_event_fields(m),
            )
        )
        made += 1
    return made


async def _lock_club(club_id: int) -> None:
    """Imports into one club run one at a time: the second sees what the first made."""
    query = Club.select(Club.id).where(Club.id == club_id)
    if isinstance(engine_finder(), PostgresEngine):
        query = query.lock_rows()  # SQLite's BEGIN IMMEDIATE already serializes writers
    await query


async def apply(
    club: dict[str, Any], entries: list[dict[str, Any]], created_by: int | None
) -> Plan:
    """Import `entries` in one transaction, planned again inside it (what was previewed may
    have changed since). Returns the plan as carried out."""
    now = utcnow()
    cancelled: list[dict[str, Any]] = []
    async with write_transaction():
        await _lock_club(club["id"])
        planned = await plan(club, entries)
        for item in planned.items:
            m = item.meeting
            if m is None or item.action not in ("create", "change"):
                continue
            if item.series_id is None:
                rows = await Series.insert(
                    Series(
                        club=club["id"],
                        repeat=Repeat.weekly.value,
                        repeat_until=(to_local(now, m.timezone) + HORIZON).date(),
                        source_slug=m.slug,
                    )
                ).returning(Series.id)
                item.series_id = int(rows[0]["id"])
                await _make_occurrences(club, item.series_id, m, created_by, now)
                continue
            cancelled += await _update_series(club, item.series_id, m, item, created_by, now)
        await _fill_club_place(club, planned)
    for event in cancelled:
        # Outside the import's transaction: the admin service opens its own, with the mails.
        await events_admin.cancel_events(event, MOVED_REASON, "one")
    return planned


async def _update_series(
    club: dict[str, Any],
    series_id: int,
    m: Meeting,
    item: Item,
    created_by: int | None,
    now: datetime,
) -> list[dict[str, Any]]:
    upcoming = (
        await Event.select()
        .where((Event.series == series_id) & (Event.starts_at > now))
        .order_by(Event.starts_at)
    )
    await Series.update({Series.repeat_until: (to_local(now, m.timezone) + HORIZON).date()}).where(
        Series.id == series_id
    )
    wanted = {start for start, _ in _occurrences(m, now)}
    answered = {
        int(r["event"])
        for r in await Rsvp.select(Rsvp.event).where(
            Rsvp.event.is_in([e["id"] for e in upcoming] or [0])
        )
    }
    to_cancel: list[dict[str, Any]] = []
    kept: set[datetime] = set()
    fields = _event_fields(m)
    for event in upcoming:
        if event["starts_at"] in wanted and event["status"] == EventStatus.scheduled.value:
            kept.add(event["starts_at"])
            visible = any(event[k] != fields[k] for k in ("title", "location", "online_url"))
            changes = {getattr(Event, k): v for k, v in fields.items()}
            changes[Event.updated_at] = now
            if visible:
                changes[Event.sequence] = event["sequence"] + 1
            await Event.update(changes).where(Event.id == event["id"])
            if visible and event["id"] in answered:
                await events_admin._notify(
                    MailKind.update, event["id"], club["id"], event["sequence"] + 1
                )
        elif event["starts_at"] in wanted:
            kept.add(event["starts_at"])  # cancelled by the organizer: leave it so
        elif event["id"] in answered and event["status"] == EventStatus.scheduled.value:
            to_cancel.append(event)
        elif event["id"] not in answered:
            await Event.delete().where(Event.id == event["id"])
    await _make_occurrences(club, series_id, m, created_by, now, kept)
    return to_cancel


async def _fill_club_place(club: dict[str, Any], planned: Plan) -> None:
    """A club with no city/region/country yet takes the first the file names."""
    if club.get("city") or club.get("region") or club.get("country"):
        return
    for item in planned.items:
        m = item.meeting
        if m is not None and item.action != "skip" and (m.city or m.region or m.country):
            await Club.update(
                {
                    Club.city: m.city,
                    Club.region: m.region,
                    Club.country: m.country,
                    Club.updated_at: utcnow(),
                }
            ).where(Club.id == club["id"])
            return
