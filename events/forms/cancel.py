"""Cancelling an event: an optional reason for the attendees, and which dates of a series."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, Text, one_line

REASON = Text("reason", "reason", 300)


@dataclass
class Cancel:
    reason: str
    # "one" date, or this and the "following" ones of its series (the field `scope`).
    dates: str


def parse(data: Mapping[str, str]) -> tuple[Cancel, Errors]:
    errors: Errors = {}
    reason = REASON.check(errors, one_line(data, "reason"))
    dates = "following" if data.get("scope") == "following" else "one"
    return Cancel(reason, dates), errors
