"""iCalendar output: VTIMEZONEs, VEVENTs, subscription feeds and iMIP (invite/cancel) objects.

Everything here is a pure function of its inputs (no "now", no random UIDs in feeds), so an
unchanged feed renders to the same bytes and its ETag stays put.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

# Imported up front: `ical` builds its models on import (seconds), better at start-up than
# during the first feed request.
from ical.calendar import Calendar as IcalCalendar
from ical.calendar_stream import IcsCalendarStream
from ical.timezone import Timezone as IcalTimezone

from events.timefmt import as_utc

PRODID = "-//Steady//Steady events 1.0//EN"
# Suggested poll interval for subscribers (RFC 7986 REFRESH-INTERVAL and Outlook's TTL).
REFRESH = timedelta(hours=3)
DESCRIPTION_LIMIT = 1500
CANCELLED_PREFIX = "Cancelled: "
# First line of the DESCRIPTION of an event brought back after a cancellation (#16).
BACK_ON = "Back on: this event was cancelled, and now it's happening after all."
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


# --- time zones -------------------------------------------------------------------------


def zone_name(name: str | None) -> str:
    """The IANA name to use for a club's zone; anything unknown falls back to UTC."""
    if not name:
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


@lru_cache(maxsize=128)
def _vtimezone_ics(name: str) -> bytes:
    """One STANDARD (+ one DAYLIGHT) observance with yearly RRULEs, as Outlook and ical.js
    want them. Built by the `ical` package from the zone's TZif rules (its POSIX footer)."""
    try:
        tz = IcalTimezone.from_tzif(name)
    except Exception:  # noqa: BLE001 - unusual footer: describe the zone by its transitions
        return _transition_vtimezone(name)
    # `timezones` is the field's name; pydantic also takes it (its alias is `vtimezone`).
    text = IcsCalendarStream.calendar_to_ics(IcalCalendar(timezones=[tz]))  # type: ignore[call-arg]
    parsed = icalendar.Calendar.from_ical(text)
    return parsed.walk("VTIMEZONE")[0].to_ical()


def _transition_vtimezone(name: str) -> bytes:
    """Fallback: one observance per offset change over the feed window (no multi-value RDATE,
    which Mozilla's parser misreads)."""
    tz = ZoneInfo(name)
    start = datetime.now(UTC).replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    start -= timedelta(days=366)
    vtz = icalendar.Timezone()
    vtz.add("TZID", name)
    previous = start.astimezone(tz)
    observances = []
    moment = start
    for _ in range(3 * 366 * 96):
        moment += timedelta(minutes=15)
        local = moment.astimezone(tz)
        if local.utcoffset() != previous.utcoffset():
            observances.append((local, previous.utcoffset(), local.utcoffset(), local.dst()))
        previous = local
    if not observances:
        observances.append((start.astimezone(tz), previous.utcoffset(), previous.utcoffset(), None))
    for local, before, after, dst in observances:
        sub = icalendar.TimezoneDaylight() if dst else icalendar.TimezoneStandard()
        # DTSTART is the onset in the local time that was in force before it.
        sub.add("DTSTART", (local.astimezone(UTC) + before).replace(tzinfo=None))  # type: ignore[operator]
        sub.add("TZOFFSETFROM", before)
        sub.add("TZOFFSETTO", after)
        sub.add("TZNAME", local.tzname() or name)
        vtz.add_component(sub)
    return vtz.to_ical()


def vtimezone(name: str) -> icalendar.Timezone:
    """A fresh VTIMEZONE component for `name` (cached text, parsed per call)."""
    return cast(icalendar.Timezone, icalendar.Timezone.from_ical(_vtimezone_ics(zone_name(name))))


# --- events -----------------------------------------------------------------------------


def event_uid(event: Mapping[str, Any], hostname: str) -> str:
    """Stable per occurrence: every occurrence of a series is its own Event row."""
    return f"event-{event['id']}@{hostname}"


def event_url(event: Mapping[str, Any], base_url: str) -> str:
    return f"{base_url.rstrip('/')}/events/{event['id']}"


def _local(moment: datetime, tz: str) -> datetime:
    return as_utc(moment).astimezone(ZoneInfo(zone_name(tz)))


def is_cancelled(event: Mapping[str, Any]) -> bool:
    return event.get("status") == "cancelled"


def _club_value(event: Mapping[str, Any], club: dict[str, Any] | None, key: str) -> Any:
    if club and key in club:
        return club[key]
    return event.get(f"club_{key}")


def discreet_title(event: Mapping[str, Any], tz: str) -> str:
    """A title that says nothing about the kind of group: 'Steady: Tuesday meetup'."""
    return f"Steady: {WEEKDAYS[_local(event['starts_at'], tz).weekday()]} meetup"


# RFC 5545 TEXT may not hold control characters other than HTAB (a line break is escaped).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def ical_text(value: object) -> icalendar.vText:
    """A TEXT value, escaped by the library whatever the property: icalendar types NAME and
    X-WR-* as unknown and writes them raw, so a CR or LF in a name would start a new line
    of the feed. Control characters (NUL, ESC, DEL...) are dropped."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return icalendar.vText(_CONTROL.sub("", text))


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > DESCRIPTION_LIMIT:
        text = text[: DESCRIPTION_LIMIT - 1].rstrip() + "…"
    return text


@dataclass(frozen=True)
class Audience:
    """Who the VEVENT is for: what it may reveal and how it is titled."""

    private_details: bool = False  # exact place and online link of attendee-only events
    discreet: bool = False  # neutral title, no club name/kind, no description


def _location(event: Mapping[str, Any], show: bool) -> str:
    if show:
        return event.get("location") or ("Online" if event.get("online_url") else "")
    return event.get("location_hint") or ""


def _description(event: Mapping[str, Any], club_name: str, url: str, audience: Audience) -> str:
    show = audience.private_details or not event.get("details_for_attendees_only")
    parts: list[str] = []
    if is_cancelled(event):
        reason = "" if audience.discreet else _clean(event.get("cancel_reason") or "")
        parts.append("This event is cancelled." + (f" {reason}" if reason else ""))
    elif event.get("restored_at"):
        parts.append(BACK_ON)
    if not audience.discreet:
        if club_name:
            parts.append(f"Hosted by {club_name}.")
        if event.get("description"):
            parts.append(_clean(event["description"]))
    if show and event.get("online_url"):
        parts.append(f"Join online: {event['online_url']}")
    if not show:
        parts.append("The exact place is shared with the people going.")
    parts.append(f"Details and RSVP: {url}")
    return "\n\n".join(parts)


def build_vevent(
    event: Mapping[str, Any],
    club: dict[str, Any] | None,
    *,
    base_url: str,
    hostname: str,
    audience: Audience = Audience(),
    status: str | None = None,
    stamp: datetime | None = None,
) -> icalendar.Event:
    """One VEVENT. DTSTAMP defaults to the event's last change (what feeds want); iMIP passes
    the message time. `status` overrides CONFIRMED (e.g. TENTATIVE for a waitlisted member)."""
    tz = zone_name(_club_value(event, club, "timezone"))
    club_name = "" if audience.discreet else str(_club_value(event, club, "name") or "")
    url = event_url(event, base_url)
    title = discreet_title(event, tz) if audience.discreet else event["title"]
    cancelled = is_cancelled(event)
    if cancelled:
        title = CANCELLED_PREFIX + title
    updated = as_utc(event.get("updated_at") or event.get("created_at") or event["starts_at"])
    show = audience.private_details or not event.get("details_for_attendees_only")

    vevent = icalendar.Event()
    vevent.add("UID", event_uid(event, hostname))
    vevent.add("DTSTAMP", as_utc(stamp) if stamp else updated)
    vevent.add("LAST-MODIFIED", updated)
    if event.get("created_at"):
        vevent.add("CREATED", as_utc(event["created_at"]))
    vevent.add("SEQUENCE", int(event.get("sequence") or 0))
    vevent.add("DTSTART", _local(event["starts_at"], tz))
    end = event.get("ends_at") or event["starts_at"]
    vevent.add("DTEND", _local(max(end, event["starts_at"]), tz))
    vevent.add("SUMMARY", ical_text(title))
    vevent.add("DESCRIPTION", ical_text(_description(event, club_name, url, audience)))
    location = _location(event, show)
    if location:
        vevent.add("LOCATION", ical_text(location))
    vevent.add("URL", url)
    vevent.add("STATUS", "CANCELLED" if cancelled else (status or "CONFIRMED"))
    vevent.add("TRANSP", "TRANSPARENT" if cancelled else "OPAQUE")
    return vevent


# --- calendars --------------------------------------------------------------------------


def _duration(delta: timedelta) -> str:
    return icalendar.vDuration(delta).to_ical().decode()


def new_feed(name: str, uid: str, *, url: str = "", description: str = "") -> icalendar.Calendar:
    """A subscription calendar: no METHOD (a snapshot, not an iTIP message)."""
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("UID", uid)
    cal.add("NAME", ical_text(name))
    cal.add("X-WR-CALNAME", ical_text(name))
    if description:
        cal.add("DESCRIPTION", ical_text(description))
        cal.add("X-WR-CALDESC", ical_text(description))
    if url:
        cal.add("URL", url)
    cal.add("REFRESH-INTERVAL", icalendar.vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", _duration(REFRESH))
    return cal


def _add_timezones(cal: icalendar.Calendar, zones: Iterable[str]) -> None:
    for name in sorted({zone_name(z) for z in zones}):
        cal.add_component(vtimezone(name))


def assemble(
    cal: icalendar.Calendar,
    vevents: Sequence[tuple[str, bytes | icalendar.Event]],
    *,
    fallback_zone: str = "UTC",
    last_modified: datetime | None = None,
) -> bytes:
    """The calendar's properties, the VTIMEZONEs the events use (zone name given with each
    VEVENT), then the events in the given order. VEVENTs may come already serialised (see
    `vevent_ics`). An empty calendar still gets one VTIMEZONE: RFC 5545 needs a component."""
    zones = {z for z, _ in vevents if zone_name(z) != "UTC"} or {fallback_zone}
    _add_timezones(cal, zones)
    if last_modified is None and vevents:
        stamps = [ev.decoded("LAST-MODIFIED") for _, ev in vevents if not isinstance(ev, bytes)]
        last_modified = max(stamps) if stamps else None
    if last_modified is not None:
        cal.add("LAST-MODIFIED", as_utc(last_modified))
    head = cal.to_ical()
    end = b"END:VCALENDAR\r\n"
    assert head.endswith(end)
    parts = [head[: -len(end)]]
    parts += [ev if isinstance(ev, bytes) else ev.to_ical() for _, ev in vevents]
    parts.append(end)
    return b"".join(parts)


# The event's own columns a VEVENT shows.
VEVENT_FIELDS = (
    "id",
    "title",
    "starts_at",
    "ends_at",
    "location",
    "location_hint",
    "online_url",
    "details_for_attendees_only",
    "description",
    "status",
    "cancel_reason",
    "sequence",
    "created_at",
    "updated_at",
    "restored_at",
)
# Fields that decide a VEVENT's bytes: the cache key, so a stale entry cannot be served.
_VEVENT_KEYS = (*VEVENT_FIELDS, "club_timezone", "club_name")


def vevent_ics(
    event: Mapping[str, Any],
    *,
    base_url: str,
    hostname: str,
    audience: Audience = Audience(),
    status: str | None = None,
) -> bytes:
    """A feed VEVENT as bytes, memoised on everything it is made from: rendering dominates a
    feed's cost, and between two renders of a feed almost every event is unchanged."""
    values = tuple(event.get(k) for k in _VEVENT_KEYS)
    return _vevent_cached(values, base_url, hostname, audience, status)


@lru_cache(maxsize=20_000)
def _vevent_cached(
    values: tuple[Any, ...], base_url: str, hostname: str, audience: Audience, status: str | None
) -> bytes:
    event = dict(zip(_VEVENT_KEYS, values, strict=True))
    vevent = build_vevent(
        event, None, base_url=base_url, hostname=hostname, audience=audience, status=status
    )
    return vevent.to_ical()


def event_download(
    event: Mapping[str, Any],
    club: dict[str, Any] | None,
    *,
    base_url: str,
    hostname: str,
) -> bytes:
    """`/events/{id}.ics`: one public VEVENT. No calendar name: Outlook would turn the import
    into a separate calendar folder named after it."""
    tz = zone_name(_club_value(event, club, "timezone"))
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("REFRESH-INTERVAL", icalendar.vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    cal.add("X-PUBLISHED-TTL", _duration(REFRESH))
    vevent = build_vevent(event, club, base_url=base_url, hostname=hostname)
    return assemble(cal, [(tz, vevent)], fallback_zone=tz)


def imip_calendar(
    event: Mapping[str, Any],
    club: dict[str, Any],
    *,
    method: str,
    attendee_email: str,
    attendee_name: str,
    partstat: str,
    organizer_email: str,
    organizer_name: str,
    base_url: str,
    discreet: bool = False,
    now: datetime | None = None,
    sequence: int | None = None,
) -> bytes:
    """An iTIP object for one recipient (RFC 5546): METHOD REQUEST (invite/update) or CANCEL.

    Same UID as the feeds; SEQUENCE from the event unless `sequence` is given; DTSTAMP is
    the message time. With `discreet` the title is neutral and the organizer's name is
    "Steady" (no club name or kind). Attendee-only details are included for going members
    (PARTSTAT ACCEPTED), not for waitlisted ones.
    """
    from urllib.parse import urlsplit

    method = method.upper()
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    hostname = urlsplit(base_url).hostname or "localhost"
    tz = zone_name(club.get("timezone") or event.get("club_timezone"))
    stamp = as_utc(now) if now else datetime.now(UTC).replace(microsecond=0)
    audience = Audience(private_details=partstat.upper() == "ACCEPTED", discreet=discreet)
    vevent = build_vevent(
        event, club, base_url=base_url, hostname=hostname, audience=audience, stamp=stamp
    )
    if sequence is not None:
        vevent["SEQUENCE"] = icalendar.vInt(sequence)
    if method == "CANCEL":
        vevent["STATUS"] = icalendar.vText("CANCELLED")
    elif is_cancelled(event):
        # REQUEST may only say TENTATIVE/CONFIRMED; a cancelled event goes out as CANCEL.
        vevent["STATUS"] = icalendar.vText("CONFIRMED")
    vevent.add(
        "ORGANIZER",
        icalendar.vCalAddress.new(
            organizer_email, cn=_cn("Steady" if discreet else organizer_name)
        ),
    )
    vevent.add(
        "ATTENDEE",
        icalendar.vCalAddress.new(
            attendee_email,
            cn=_cn(attendee_name),
            partstat=partstat.upper(),
            rsvp=False,
            role="REQ-PARTICIPANT",
        ),
    )
    cal = icalendar.Calendar()
    cal.add("PRODID", PRODID)
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", method)
    _add_timezones(cal, [tz])
    cal.add_component(vevent)
    return cal.to_ical()


def _cn(name: str) -> str:
    """Display names go in a quoted parameter: a literal double quote would break ical.js."""
    return " ".join(_CONTROL.sub("", name).replace('"', "'").split()) or "Steady"
