"""Who may do what in a club. Every organizer action checks the club that owns the object."""

from __future__ import annotations

from events.tables import Membership, Role


async def role_in(member_id: int | None, club_id: int) -> str | None:
    """'organizer', 'member', or None (not a member, or blocked)."""
    if member_id is None:
        return None
    row = (
        await Membership.select(Membership.role, Membership.blocked)
        .where((Membership.member == member_id) & (Membership.club == club_id))
        .first()
    )
    if row is None or row["blocked"]:
        return None
    return str(row["role"])


async def is_organizer(member_id: int | None, club_id: int) -> bool:
    return await role_in(member_id, club_id) == Role.organizer.value


async def organized_clubs(member_id: int) -> list[int]:
    """The ids of the clubs this member organizes (and is not blocked from)."""
    rows = await Membership.select(Membership.club).where(
        (Membership.member == member_id)
        & (Membership.role == Role.organizer.value)
        & Membership.blocked.eq(False)
    )
    return [int(r["club"]) for r in rows]


async def is_member(member_id: int | None, club_id: int) -> bool:
    return await role_in(member_id, club_id) is not None


async def is_blocked(member_id: int | None, club_id: int) -> bool:
    """Removed and blocked by the club's organizers: no attendee-only details, no RSVPs,
    whatever RSVP rows remain (e.g. to an event already under way)."""
    if member_id is None:
        return False
    return await Membership.exists().where(
        (Membership.member == member_id)
        & (Membership.club == club_id)
        & Membership.blocked.eq(True)
    )
