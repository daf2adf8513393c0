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

from events import forms_attributes, recurrence
from events.forms.fields import (
    Errors,
    Text,
    date_in_zone,
    dst_message,
    integer,
    multiline,
    one_line,
)
from events.parsing import parse_date, parse_int
from events.tables import Repeat
from events.timefmt import iso_local, to_utc, utcnow

TITLE = Text("title", "title", 120, "Please give the event a title.")
ACTIVITY = Text("activity", "activity", 40)
LOCATION = Text("location", "place", 200)
HINT = Text("location_hint", "public hint", 120)
DESCRIPTION = Text("description", "description", 10_000)
ATTESTATION = Text("attestation", "attestation", 120)
URL_MAX = 500
CAPACITY_MAX = 10_000
GUESTS_MAX = 5
# Which dates an edit or a cancel applies to (the form field `scope`).
DATE_CHOICES = ("one", "following")
REPEATS = [r.value for r in Repeat]

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
    # "one" date, or this and the "following" ones of its series.
    dates: str = "one"
    local_starts: list[datetime] = field(default_factory=list)
    # Space-separated codes (events/attributes.py) and attendance mode; None = the club's.
    attributes: str | None = None
    attendance: str | None = None
    link_for_in_person: bool | None = None

    @property
    def duration(self) -> timedelta:
        return self.local_end - self.local_start


def blank_form() -> dict[str, str]:
    form = dict.fromkeys(FIELDS, "")
    form.update(repeat=Repeat.none.value, guests_allowed="0", scope="one")
    return form


def form_from_event(event: Mapping[str, object], tz: str) -> dict[str, str]:
    """The edit form's starting values from a stored event."""
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


def raw_form(data: Mapping[str, str]) -> dict[str, str]:
    """The fields as posted, to show the form again."""
    form = {name: str(data.get(name, "")) for name in FIELDS}
    form.update(forms_attributes.parse(data)[0].form)
    return form


def parse(
    data: Mapping[str, str],
    tz: str,
    *,
    new: bool,
    original_start: datetime | None = None,
    now: datetime | None = None,
) -> tuple[EventValues | None, Errors]:
    """→ (values or None, errors by field).

    `new` events may not start in the past; an edit may keep its start (even a past one) but
    not move it into the past. `original_start` is the stored UTC start of the edited event."""
    now = now or utcnow()
    form = raw_form(data)
    attrs, errors = forms_attributes.parse(data)  # attributes and attendance (#15)

    title = TITLE.check(errors, one_line(data, "title"))
    activity = ACTIVITY.check(errors, one_line(data, "activity").lower())

    local_start = date_in_zone(
        errors, "starts_at", form["starts_at"], tz, missing="Please give a start date and time."
    )
    local_end = date_in_zone(
        errors, "ends_at", form["ends_at"], tz, missing="Please give an end date and time."
    )
    if local_start and local_end:
        start_utc, end_utc = to_utc(local_start, tz), to_utc(local_end, tz)
        if end_utc <= start_utc:
            errors["ends_at"] = "The end must be after the start."
        elif end_utc - start_utc > timedelta(days=7):
            errors["ends_at"] = "An event can last at most a week."
        moved = original_start is None or start_utc != original_start
        if moved and start_utc < now:
            errors["starts_at"] = (
                "That start time has already passed." if new else "You can't move it into the past."
            )

    location = LOCATION.check(errors, one_line(data, "location"))
    location_hint = HINT.check(errors, one_line(data, "location_hint"))
    online_url = _online_url(errors, form["online_url"])
    capacity = _capacity(errors, form["capacity"])
    description = DESCRIPTION.check(errors, multiline(data, "description"))
    guests_allowed = integer(
        errors, "guests_allowed", form["guests_allowed"], 0, GUESTS_MAX, label="Guests per RSVP"
    )
    # A start already refused (in the past) gives the deadline nothing to be measured from.
    start_for_deadline = None if "starts_at" in errors else local_start
    deadline_before = _deadline_before(errors, form["rsvp_deadline"], start_for_deadline, tz)
    attestation = ATTESTATION.check(errors, one_line(data, "attestation"))
    dates = form["scope"] if form["scope"] in DATE_CHOICES else "one"

    repeat = Repeat.none
    repeat_until: date | None = None
    starts: list[datetime] = [local_start] if local_start else []
    if new:
        repeat, repeat_until, starts = _series(errors, form, local_start, local_end, tz)

    if errors or local_start is None or local_end is None:
        return None, errors
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
        dates=dates,
        local_starts=starts,
        attributes=attrs.attributes,
        attendance=attrs.attendance,
        link_for_in_person=attrs.link_for_in_person if attrs.attendance else None,
    )
    return values, errors


def _online_url(errors: Errors, text: str) -> str:
    online_url = text.strip()
    if online_url:
        parts = urlsplit(online_url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            errors["online_url"] = "The online link must start with https:// (or http://)."
        elif len(online_url) > URL_MAX or any(c.isspace() for c in online_url):
            errors["online_url"] = "That link doesn't look right; please paste it again."
    return online_url


def _capacity(errors: Errors, text: str) -> int | None:
    """Places: empty for no limit."""
    if not text.strip():
        return None
    number = parse_int(text, 1, 2**63)
    if number is None:
        errors["capacity"] = "Places must be a whole number of at least 1, or empty for no limit."
    elif number > CAPACITY_MAX:
        errors["capacity"] = f"Places can be at most {CAPACITY_MAX:,}."
    else:
        return number
    return None


def _deadline_before(
    errors: Errors, text: str, local_start: datetime | None, tz: str
) -> timedelta | None:
    """How long before the start RSVPs close; None = until the start."""
    if not text.strip():
        return None
    deadline = date_in_zone(
        errors, "rsvp_deadline", text, tz, missing="The RSVP deadline should be a date and time."
    )
    if deadline is None or local_start is None:
        return None
    before = to_utc(local_start, tz) - to_utc(deadline, tz)
    if before < timedelta(0):
        errors["rsvp_deadline"] = "RSVPs must close before the event starts."
        return None
    return before


def _series(
    errors: Errors,
    form: Mapping[str, str],
    local_start: datetime | None,
    local_end: datetime | None,
    tz: str,
) -> tuple[Repeat, date | None, list[datetime]]:
    """A new event's repeat rule: (repeat, last date, every occurrence's local start)."""
    starts: list[datetime] = [local_start] if local_start else []
    try:
        repeat = Repeat(form["repeat"] or Repeat.none.value)
    except ValueError:
        errors["repeat"] = "Choose how often it repeats."
        return Repeat.none, None, starts
    if repeat == Repeat.none:
        return repeat, None, starts
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
        elif span > recurrence.MAX_SERIES_DAYS:
            errors["repeat_until"] = (
                "A series can run for at most a year; you can start a new one when it ends."
            )
        else:
            starts = recurrence.local_starts(local_start, repeat, repeat_until)
            if local_end and "ends_at" not in errors:
                duration = local_end - local_start
                if message := occurrence_problem(starts[1:], duration, tz, "repeats"):
                    errors["starts_at"] = message
    return repeat, repeat_until, starts


def occurrence_problem(
    starts: list[datetime], duration: timedelta, tz: str, which: str
) -> str | None:
    """A message for the first of these occurrences whose start or end falls in a DST gap or
    overlap (`which` names them: "repeats", "following dates")."""
    for start in starts:
        for moment in (start, start + duration):
            if message := dst_message(moment, tz):
                return f"One of the {which} has a problem: {message}"
    return None
