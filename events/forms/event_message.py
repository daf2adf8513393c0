"""An organizer's message to an event's attendees: subject, body, and whether the waitlist
gets it too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, Text, multiline, one_line

SUBJECT = Text("subject", "subject", 150, "Please write a subject.")
BODY = Text("body", "message", 5_000, "Please write a message.")


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
        subject=SUBJECT.check(errors, one_line(data, "subject")),
        body=BODY.check(errors, multiline(data, "body")),
        include_waitlist=bool(data.get("include_waitlist")),
    )
    return values, errors
