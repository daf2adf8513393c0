"""Field readers every form shares. Each reads one posted value, checks it, and on a problem
writes the message the form shows beside that field into `errors`; the wording of a kind of
problem (too long, not a whole number, not one of the choices) lives here once."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from events import passwords
from events.parsing import parse_int
from events.timefmt import dst_problem

Errors = dict[str, str]
EMAIL_RE = re.compile(
    r"^[^@\s<>,;\"']{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})+$"
)
EMAIL_MAX = 254


def one_line(data: Mapping[str, str], name: str) -> str:
    """A single-line text field, runs of white space folded to one space."""
    return " ".join(str(data.get(name, "")).split())


def multiline(data: Mapping[str, str], name: str) -> str:
    """A textarea: line breaks kept (as \\n), the ends trimmed."""
    return str(data.get(name, "")).replace("\r\n", "\n").strip()


def normalize_email(text: str) -> str:
    return text.strip().lower()


def email_address(data: Mapping[str, str], name: str = "email") -> str:
    """An address as typed, normalized (lower case, trimmed) and cut to the longest allowed."""
    return normalize_email(str(data.get(name, "")))[:EMAIL_MAX]


def is_email(text: str) -> bool:
    return bool(EMAIL_RE.match(text)) and len(text) <= EMAIL_MAX


def new_password(errors: Errors, name: str, value: str) -> str:
    """The one password rule: MIN_LENGTH to MAX_LENGTH characters, anything else goes."""
    if len(value) < passwords.MIN_LENGTH:
        errors[name] = f"Use at least {passwords.MIN_LENGTH} characters for the password."
    elif len(value) > passwords.MAX_LENGTH:
        errors[name] = f"Use at most {passwords.MAX_LENGTH} characters for the password."
    return value


def too_long(label: str, limit: int, value: str) -> str:
    """The one wording for text over its limit; `label` "" speaks of "it"."""
    subject = f"the {label}" if label else "it"
    return f"Keep {subject} to {limit:,} characters (it has {len(value):,})."


@dataclass(frozen=True)
class Text:
    """A text field's rule: `name` keys its error, `label` names it in the message, `limit` is
    its longest length, and `required` the message when it is empty (None: may be empty)."""

    name: str
    label: str
    limit: int
    required: str | None = None

    def check(self, errors: Errors, value: str) -> str:
        """`value` back, with an error when it is missing or too long."""
        if not value and self.required:
            errors[self.name] = self.required
        elif len(value) > self.limit:
            errors[self.name] = too_long(self.label, self.limit, value)
        return value


def integer(
    errors: Errors, name: str, text: str, low: int, high: int, *, label: str, default: int = 0
) -> int:
    """A whole number in [low, high] (blank is `default`); `default` after an error."""
    number = parse_int(text.strip() or str(default), low, high)
    if number is None:
        errors[name] = f"{label} must be a whole number from {low:,} to {high:,}."
        return default
    return number


def choice(
    errors: Errors, name: str, value: str, choices: Collection[str], *, message: str
) -> str | None:
    """`value` when it is one of `choices`; else None and `message`."""
    if value in choices:
        return value
    errors[name] = message
    return None


def local_datetime(text: str) -> datetime | None:
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
    """Why a wall-clock time can't be used in `tz` (skipped or repeated by a DST change)."""
    problem = dst_problem(local, tz)
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


def date_in_zone(errors: Errors, name: str, text: str, tz: str, *, missing: str) -> datetime | None:
    """A datetime-local value as a naive wall-clock time in `tz`: `missing` when unreadable, a
    DST message when the zone skips or repeats that time."""
    local = local_datetime(text)
    if local is None:
        errors[name] = missing
    elif message := dst_message(local, tz):
        errors[name] = message
        return None
    return local
