""" "Post again" (#16 item 3): the new-event form prefilled from an earlier (or later) event
of the same club, moved to the next date on the same weekday after today (a week after it, for
an event still to come), at the same wall-clock time in the club's zone (so a copy across a
DST change keeps 18:30 at 18:30)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from events.forms.event import form_from_event
from events.timefmt import to_local, utcnow

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
# Moved with the start: the end (so a late-night event still ends the next morning) and the
# RSVP deadline.
SHIFTED_FIELDS = ("starts_at", "ends_at", "rsvp_deadline")


def next_same_weekday(original: date, today: date) -> date:
    """The first date on the original's weekday after today and after the original: a past
    event comes back next Tuesday, a future one the week after it."""
    if original >= today:
        return original + timedelta(weeks=1)
    ahead = (original.weekday() - today.weekday()) % 7 or 7
    return today + timedelta(days=ahead)


def copy_form(event: dict[str, Any], tz: str, now: datetime | None = None) -> dict[str, str]:
    form = form_from_event(event, tz)
    today = to_local(now or utcnow(), tz).date()
    original = datetime.strptime(form["starts_at"], LOCAL_FORMAT).date()
    shift = next_same_weekday(original, today) - original
    for name in SHIFTED_FIELDS:
        if form.get(name):
            moved = datetime.strptime(form[name], LOCAL_FORMAT) + shift
            form[name] = moved.strftime(LOCAL_FORMAT)
    return form


def weekday_of(form: dict[str, str]) -> str:
    return datetime.strptime(form["starts_at"], LOCAL_FORMAT).strftime("%A")
