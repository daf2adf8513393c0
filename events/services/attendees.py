"""What fellow attendees see of each other: each member's own choice per RSVP (display name,
initials, or nothing). Only people going to the event see this list at all."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.tables import Visibility


def initials(display_name: str) -> str:
    letters = [word[0].upper() for word in display_name.split() if word[:1].isalpha()][:2]
    return ".".join(letters) + "." if letters else "?"


@dataclass
class Fellows:
    shown: list[str] = field(default_factory=list)
    unnamed: int = 0
    # Those in `shown` by the name they chose to show (an avatar goes beside them).
    named: list[str] = field(default_factory=list)


def as_chosen(rows: list[dict[str, str]]) -> Fellows:
    """Rows with `name` and `visibility` → the names and initials people chose to show, and
    how many chose to be counted only."""
    fellows = Fellows()
    for row in rows:
        if row["visibility"] == Visibility.name.value:
            fellows.shown.append(row["name"])
            fellows.named.append(row["name"])
        elif row["visibility"] == Visibility.initials.value:
            fellows.shown.append(initials(row["name"]))
        else:
            fellows.unnamed += 1
    return fellows
