"""The organizer's event form: parse and validate the posted fields → (values, errors).

Times arrive as HTML datetime-local values in the club's time zone. A wall-clock time that the
zone skips (spring forward) or repeats (fall back) is refused with a message that says which,
rather than guessing an hour the organizer didn't mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from events import forms_attributes
from events.parsing import parse_date, parse_int
from events.services import series
from events.tables import Repeat
from events.timefmt import to_local, utcnow

TITLE_MAX = 120
DESCRIPTION_MAX = 10_000
LOCATION_MAX = 200
HINT_MAX = 120
ATTESTATION_MAX = 120
ACTIVITY_MAX = 40
URL_MAX = 500
CAPACITY_MAX = 10_000
GUESTS_MAX = 5
SCOPES = ("one", "following")

FIELDS = (
    "title",
    "activity",
    "starts_at",
    "ends_at",
    "location",
    "online_url",
    "capacity",
    "description",
    "repeat",
    "repeat_until",
    "rsvp_deadline",
    "guests_allowed",
    "details_for_attendees_only",
    "location_hint",
    "attestation",
    "scope",
)


@dataclass
class EventValues:
    """A valid form. Local times are naive wall-clock times in the club's zone."""

    title: str
    activity: str
    local_start: datetime
    local_end: datetime
    location: str
    online_url: str
    capacity: int | None
    description: str
    repeat: Repeat
    repeat_until: date | None
    # How long before the start RSVPs close; None = until the start.
    deadline_before: timedelta | None
    guests_allowed: int
    details_for_attendees_only: bool
    location_hint: str
    attestation: str
    scope: str = "one"
    local_starts: list[datetime] = field(default_factory=list)
    # Space-separated codes (events/attributes.py) and attendance mode; None = the club's.
    attributes: str | None = None
    attendance: str | None = None
    link_for_in_person: bool | None = None

    @property
    def duration(self) -> timedelta:
        return self.local_end - self.local_start


def _text(data: Mapping[str, str], name: str) -> str:
    return " ".join(str(data.get(name, "")).split())


def _local(text: str) -> datetime | None:
    """An HTML datetime-local value ('2026-12-05T09:30', seconds optional); None if unreadable."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    # Years near datetime's limits overflow in time zone arithmetic (a 500, found by fuzzing).
    if value.tzinfo is not None or not 1970 <= value.year <= 2200:
        return None
    return value.replace(second=0, microsecond=0)


def dst_message(local: datetime, tz: str) -> str | None:
    problem = series.dst_problem(local, tz)
    when = f"{local.strftime('%-I:%M %p').lower()} on {local.strftime('%a %-d %b %Y')}"
    if problem == "gap":
        return (
            f"{when} doesn't exist in {tz}: the clocks jump forward an hour that night. "
            "Please pick a time outside the skipped hour."
        )
    if problem == "ambiguous":
        return (
            f"{when} is ambiguous in {tz}: it happens twice because the clocks go back an "
            "hour that night. Please pick a time outside the repeated hour."
        )
    return None


def blank_form() -> dict[str, str]:
    form = dict.fromkeys(FIELDS, "")
    form.update(repeat=Repeat.none.value, guests_allowed="0", scope="one")
    return form


def form_from_event(event: Mapping[str, object], tz: str) -> dict[str, str]:
    """The edit form's starting values from a stored event."""
    from events.timefmt import iso_local

    starts_at = event["starts_at"]
    ends_at = event["ends_at"]
    deadline = event.get("rsvp_deadline")
    assert isinstance(starts_at, datetime) and isinstance(ends_at, datetime)
    capacity = event.get("capacity")
    return {
        **blank_form(),
        "title": str(event["title"]),
        "activity": str(event.get("activity") or ""),
        "starts_at": iso_local(starts_at, tz),
        "ends_at": iso_local(ends_at, tz),
        "location": str(event.get("location") or ""),
        "online_url": str(event.get("online_url") or ""),
        "capacity": "" if capacity is None else str(capacity),
        "description": str(event.get("description") or ""),
        "rsvp_deadline": iso_local(deadline, tz) if isinstance(deadline, datetime) else "",
        "guests_allowed": str(event.get("guests_allowed") or 0),
        "details_for_attendees_only": "on" if event.get("details_for_attendees_only") else "",
        "location_hint": str(event.get("location_hint") or ""),
        "attestation": str(event.get("attestation") or ""),
        **forms_attributes.initial(event),
    }


def parse_event_form(
    data: Mapping[str, str],
    tz: str,
    *,
    new: bool,
    original_start: datetime | None = None,
    now: datetime | None = None,
) -> tuple[EventValues | None, dict[str, str], dict[str, str]]:
    """→ (values or None, errors by field, the raw form to show again).

    `new` events may not start in the past; an edit may keep its start (even a past one) but
    not move it into the past. `original_start` is the stored UTC start of the edited event."""
    now = now or utcnow()
    form = {name: str(data.get(name, "")) for name in FIELDS}
    attrs, errors = forms_attributes.parse(data)  # attributes and attendance (#15)
    form.update(attrs.form)

    title = _text(data, "title")
    if not title:
        errors["title"] = "Please give the event a title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title to {TITLE_MAX} characters (it has {len(title)})."

    activity = _text(data, "activity").lower()
    if len(activity) > ACTIVITY_MAX:
        errors["activity"] = f"Keep the activity to {ACTIVITY_MAX} characters."

    local_start = _local(form["starts_at"])
    local_end = _local(form["ends_at"])
    if local_start is None:
        errors["starts_at"] = "Please give a start date and time."
    elif message := dst_message(local_start, tz):
        errors["starts_at"] = message
    if local_end is None:
        errors["ends_at"] = "Please give an end date and time."
    elif message := dst_message(local_end, tz):
        errors["ends_at"] = message
    if local_start and local_end and "starts_at" not in errors and "ends_at" not in errors:
        start_utc = series.to_utc(local_start, tz)
        end_utc = series.to_utc(local_end, tz)
        if end_utc <= start_utc:
            errors["ends_at"] = "The end must be after the start."
        elif end_utc - start_utc > timedelta(days=7):
            errors["ends_at"] = "An event can last at most a week."
        moved = original_start is None or start_utc != original_start
        if moved and start_utc < now:
            errors["starts_at"] = (
                "That start time has already passed." if new else "You can't move it into the past."
            )

    location = _text(data, "location")
    if len(location) > LOCATION_MAX:
        errors["location"] = f"Keep the place to {LOCATION_MAX} characters."
    location_hint = _text(data, "location_hint")
    if len(location_hint) > HINT_MAX:
        errors["location_hint"] = f"Keep the public hint to {HINT_MAX} characters."

    online_url = form["online_url"].strip()
    if online_url:
        parts = urlsplit(online_url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            errors["online_url"] = "The online link must start with https:// (or http://)."
        elif len(online_url) > URL_MAX or any(c.isspace() for c in online_url):
            errors["online_url"] = "That link doesn't look right; please paste it again."

    capacity: int | None = None
    capacity_text = form["capacity"].strip()
    if capacity_text:
        number = parse_int(capacity_text, 1, 2**63)
        if number is None:
            errors["capacity"] = (
                "Places must be a whole number of at least 1, or empty for no limit."
            )
        elif number > CAPACITY_MAX:
            errors["capacity"] = f"Places can be at most {CAPACITY_MAX:,}."
        else:
            capacity = number

    description = form["description"].replace("\r\n", "\n").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = (
            f"Keep the description to {DESCRIPTION_MAX:,} characters (it has {len(description):,})."
        )

    guests_text = form["guests_allowed"].strip() or "0"
    guests_allowed = parse_int(guests_text, 0, GUESTS_MAX)
    if guests_allowed is None:
        guests_allowed = 0
        errors["guests_allowed"] = f"Guests per RSVP must be a whole number from 0 to {GUESTS_MAX}."

    deadline_before: timedelta | None = None
    if form["rsvp_deadline"].strip():
        deadline = _local(form["rsvp_deadline"])
        if deadline is None:
            errors["rsvp_deadline"] = "The RSVP deadline should be a date and time."
        elif message := dst_message(deadline, tz):
            errors["rsvp_deadline"] = message
        elif local_start is not None and "starts_at" not in errors:
            before = series.to_utc(local_start, tz) - series.to_utc(deadline, tz)
            if before < timedelta(0):
                errors["rsvp_deadline"] = "RSVPs must close before the event starts."
            else:
                deadline_before = before

    attestation = _text(data, "attestation")
    if len(attestation) > ATTESTATION_MAX:
        errors["attestation"] = f"Keep the attestation to {ATTESTATION_MAX} characters."

    scope = form["scope"] if form["scope"] in SCOPES else "one"

    repeat = Repeat.none
    repeat_until: date | None = None
    starts: list[datetime] = [local_start] if local_start else []
    if new:
        try:
            repeat = Repeat(form["repeat"] or Repeat.none.value)
        except ValueError:
            errors["repeat"] = "Choose how often it repeats."
        if repeat != Repeat.none:
            try:
                repeat_until = parse_date(form["repeat_until"])
            except ValueError:
                repeat_until = None
            if repeat_until is None:
                errors["repeat_until"] = "Give the last date of the series."
            if repeat_until and local_start and "starts_at" not in errors:
                span = (repeat_until - local_start.date()).days
                if span < 0:
                    errors["repeat_until"] = "The series must end on or after the first date."
                elif span > series.MAX_SERIES_DAYS:
                    errors["repeat_until"] = (
                        "A series can run for at most a year; you can start a new one when it ends."
                    )
                else:
                    starts = series.local_starts(local_start, repeat, repeat_until)
                    if "ends_at" not in errors and (
                        message := occurrence_problem(starts, local_end, local_start, tz)
                    ):
                        errors["starts_at"] = message

    if errors or local_start is None or local_end is None:
        return None, errors, form
    values = EventValues(
        title=title,
        activity=activity,
        local_start=local_start,
        local_end=local_end,
        location=location,
        online_url=online_url,
        capacity=capacity,
        description=description,
        repeat=repeat,
        repeat_until=repeat_until,
        deadline_before=deadline_before,
        guests_allowed=guests_allowed,
        details_for_attendees_only=bool(form["details_for_attendees_only"]),
        location_hint=location_hint,
        attestation=attestation,
        scope=scope,
        local_starts=starts,
        attributes=attrs.attributes,
        attendance=attrs.attendance,
        link_for_in_person=attrs.link_for_in_person if attrs.attendance else None,
    )
    return values, errors, form


def occurrence_problem(
    starts: list[datetime], local_end: datetime | None, local_start: datetime, tz: str
) -> str | None:
    """A message for the first occurrence of a series whose start or end falls in a DST gap
    or overlap (the first one itself is checked field by field)."""
    duration = (local_end - local_start) if local_end else timedelta(0)
    for start in starts[1:]:
        for moment in (start, start + duration):
            if message := dst_message(moment, tz):
                return f"One of the repeats has a problem: {message}"
    return None


def local_of(moment: datetime, tz: str) -> datetime:
    """A stored UTC time as a naive wall-clock time in the club's zone."""
    return to_local(moment, tz).replace(tzinfo=None)
