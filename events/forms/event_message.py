"""An organizer's message to an event's attendees: subject, body, and whether the waitlist
gets it too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, length, multiline, one_line

SUBJECT_MAX = 150
BODY_MAX = 5_000


@dataclass
class EventMessage:
    subject: str
    body: str
    include_waitlist: bool

    def as_form(self) -> dict[str, str]:
        """The fields to show the form again."""
        return {
            "subject": self.subject,
            "body": self.body,
            "include_waitlist": "on" if self.include_waitlist else "",
        }


def parse(data: Mapping[str, str]) -> tuple[EventMessage, Errors]:
    errors: Errors = {}
    values = EventMessage(
        subject=length(
            errors,
            "subject",
            one_line(data, "subject"),
            label="subject",
            limit=SUBJECT_MAX,
            required="Please write a subject.",
        ),
        body=length(
            errors,
            "body",
            multiline(data, "body"),
            label="message",
            limit=BODY_MAX,
            required="Please write a message.",
        ),
        include_waitlist=bool(data.get("include_waitlist")),
    )
    return values, errors
