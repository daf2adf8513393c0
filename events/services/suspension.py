"""What a steward's suspension of a club hides (#16 item 8): the club's own pages and its
event pages answer 404 to everyone but stewards, and its events take no RSVPs (the refusal
is in events.services.rsvps, read under the event's lock)."""

from __future__ import annotations

from datetime import datetime

from starlette.exceptions import HTTPException

from events.services.stewards import is_steward
from events.tables import Club

CLUB_MISSING = "We couldn't find that club."
EVENT_MISSING = "We couldn't find that event. It may have been removed."


async def hidden(suspended_at: datetime | None, viewer: int | None) -> bool:
    """True when the club is suspended and the viewer is no steward (the steward check only
    runs for a suspended club, so ordinary pages pay nothing)."""
    return suspended_at is not None and not await is_steward(viewer)


async def club_suspended_at(club_id: int) -> datetime | None:
    row = await Club.select(Club.suspended_at).where(Club.id == club_id).first()
    return row["suspended_at"] if row else None


async def check_club(suspended_at: datetime | None, viewer: int | None) -> None:
    if await hidden(suspended_at, viewer):
        raise HTTPException(404, CLUB_MISSING)


async def check_event(suspended_at: datetime | None, viewer: int | None) -> None:
    if await hidden(suspended_at, viewer):
        raise HTTPException(404, EVENT_MISSING)
