"""What fellow attendees see of each other: each member's own choice per RSVP (display name,
initials, or nothing). Only people going to the event see this list at all."""

from __future__ import annotations

from dataclasses import dataclass, field

from events.tables import Rsvp, RsvpStatus, Visibility


def initials(display_name: str) -> str:
    letters = [word[0].upper() for word in display_name.split() if word[:1].isalpha()][:2]
    return ".".join(letters) + "." if letters else "?"


@dataclass
class Fellows:
    shown: list[str] = field(default_factory=list)
    unnamed: int = 0


def as_chosen(rows: list[dict[str, str]]) -> Fellows:
    """Rows with `name` and `visibility` → the names and initials people chose to show, and
    how many chose to be counted only."""
    fellows = Fellows()
    for row in rows:
        if row["visibility"] == Visibility.name.value:
            fellows.shown.append(row["name"])
        elif row["visibility"] == Visibility.initials.value:
            fellows.shown.append(initials(row["name"]))
        else:
            fellows.unnamed += 1
    return fellows


async def fellow_attendees(event_id: int, viewer_id: int) -> Fellows:
    """Going members other than the viewer, as each chose to be shown."""
    rows = (
        await Rsvp.select(Rsvp.visibility, Rsvp.member.display_name.as_alias("name"))
        .where(
            (Rsvp.event == event_id)
            & (Rsvp.status == RsvpStatus.going.value)
            & (Rsvp.member != viewer_id)
            & Rsvp.member.deleted_at.is_null()
        )
        .order_by(Rsvp.queued_at)
    )
    return as_chosen(rows)
