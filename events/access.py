"""Who may see a page: `require_member` and `require_organizer` return the signed-in member or
raise. The app's exception handlers answer: no one signed in → 303 to the login page (with
`next` to come back to), signed in without the right → 403."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from events.auth import CurrentMember, current_member, login_redirect
from events.services.permissions import is_organizer

ORGANIZERS_ONLY = "Only this club's organizers can do that."


class LoginRequired(Exception):
    """No one is signed in; `next_path` is where to come back to (default: this page)."""

    def __init__(self, next_path: str | None = None) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def require_member(request: Request, next_path: str | None = None) -> CurrentMember:
    member = current_member(request)
    if member is None:
        raise LoginRequired(next_path)
    return member


async def require_organizer(
    request: Request, club_id: int, next_path: str | None = None
) -> CurrentMember:
    """An organizer of THIS club (organizers of other clubs get the 403 too)."""
    member = require_member(request, next_path)
    if not await is_organizer(member.id, club_id):
        raise HTTPException(403, ORGANIZERS_ONLY)
    return member


async def login_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LoginRequired)
    return login_redirect(request, exc.next_path)
