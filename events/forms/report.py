"""A report to a club's organizers: what it is about (an event or a member) and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events.forms.fields import Errors, Text, choice, multiline

REASON = Text("reason", "reason", 1_000)
KINDS = ("event", "member")


@dataclass
class ReportForm:
    subject_kind: str
    # An event's id, or the opaque reference to a member the club page gave the reporter.
    subject_text: str | None
    reason: str


def parse(data: Mapping[str, str]) -> tuple[ReportForm, Errors]:
    """The first error is the one to show: the page has one message line."""
    errors: Errors = {}
    kind = choice(
        errors,
        "subject_kind",
        str(data.get("subject_kind", "")),
        KINDS,
        message="Choose whether you are reporting an event or a member.",
    )
    reason = REASON.check(errors, multiline(data, "reason"))
    return ReportForm(kind or "", data.get("subject_id"), reason), errors
