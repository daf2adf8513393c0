"""Who is listed as a newcomer to greet, who may see that list, and what a volunteer role
shows only while its holder is going.

Newcomer lists are a greeting tool, not a directory: a newcomer is listed only if they chose
to be (per membership; the default is on only for activity clubs), only to members who have
been in the club a while or hold an organizer or greeter role, and never with a join date
finer than "this week" or "this month". Forms refer to a listed person by an opaque
reference bound to the viewer and the club (events.tokens.member_ref), never by member id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from piccolo.columns.combination import Or, Where

from events import timefmt
from events.tables import (
    ClubKind,
    Event,
    EventStatus,
    Membership,
    Role,
    RoleSignup,
    VolunteerRole,
)
from events.tokens import Tokens

SETTLED_DAYS = 14
NOTE_REF = "newcomer-note"
REPORT_REF = "member-report"


def greetable_by_default(kind: str) -> bool:
    """Support groups (12-step, alternative, therapy, coaching, online meetings) default off."""
    return kind == ClubKind.activity.value


def opted_in() -> Where | Or:
    """A Membership condition: the newcomer chose to be listed, or kept an 'on' default."""
    return Membership.greetable.eq(True) | (
        Membership.greetable.is_null() & (Membership.club.kind == ClubKind.activity.value)
    )


def choice_of(membership: dict[str, Any] | None, kind: str) -> bool:
    """The member's effective choice for one club."""
    if membership is None or membership.get("greetable") is None:
        return greetable_by_default(kind)
    return bool(membership["greetable"])


def parse_choice(value: str | None) -> bool | None:
    """A form's `greet` field: yes/no, or None when absent (the club kind's default)."""
    text = (value or "").strip().lower()
    if text in ("yes", "on", "1", "true"):
        return True
    if text in ("no", "off", "0", "false"):
        return False
    return None


def joined_label(joined_at: datetime, now: datetime | None = None) -> str:
    """Never finer than this: an exact day would point at one person's first meeting."""
    return (
        "this week"
        if joined_at >= (now or timefmt.utcnow()) - timedelta(days=7)
        else ("this month")
    )


async def holds_greeter_role(club_id: int, member_id: int, now: datetime | None = None) -> bool:
    """A greeter-type volunteer role on one of the club's events that hasn't ended."""
    from events.services.events_admin import is_greeter_role

    rows = await RoleSignup.select(RoleSignup.role.name.as_alias("name")).where(
        (RoleSignup.member == member_id)
        & (RoleSignup.role.event.club == club_id)  # type: ignore[union-attr]
        & (RoleSignup.role.event.status == EventStatus.scheduled.value)  # type: ignore[union-attr]
        & (RoleSignup.role.event.ends_at >= (now or timefmt.utcnow()))  # type: ignore[union-attr]
    )
    return any(is_greeter_role(r["name"]) for r in rows)


async def may_greet(
    membership: dict[str, Any] | None, club_id: int, now: datetime | None = None
) -> bool:
    """Organizers, greeters and members of SETTLED_DAYS standing see the club's newcomers."""
    if membership is None or membership["blocked"]:
        return False
    if membership["role"] == Role.organizer.value:
        return True
    current = now or timefmt.utcnow()
    if membership["joined_at"] <= current - timedelta(days=SETTLED_DAYS):
        return True
    return await holds_greeter_role(club_id, int(membership["member"]), current)


def refs(tokens: Tokens, club_id: int, viewer_id: int, member_id: int) -> dict[str, str]:
    return {
        "ref": tokens.member_ref(NOTE_REF, club_id, viewer_id, member_id),
        "report_ref": tokens.member_ref(REPORT_REF, club_id, viewer_id, member_id),
    }


async def release_event_roles(member_id: int, event_ids: list[int]) -> None:
    """Give up every volunteer role the member holds on these events."""
    if not event_ids:
        return
    role_ids = [
        int(r["id"])
        for r in await VolunteerRole.select(VolunteerRole.id).where(
            VolunteerRole.event.is_in(event_ids)
        )
    ]
    if role_ids:
        await RoleSignup.delete().where(
            (RoleSignup.member == member_id) & RoleSignup.role.is_in(role_ids)
        )


async def release_club_roles(member_id: int, club_id: int) -> None:
    """Leaving a club gives up the volunteer roles on all of its events."""
    events = await Event.select(Event.id).where(Event.club == club_id)
    await release_event_roles(member_id, [int(e["id"]) for e in events])
