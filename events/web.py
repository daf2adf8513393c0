"""Request and response pieces every page family uses: the posted form, the 303 after a
POST, and loading the club or event a URL names (a 404 when there is none)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import forms_attributes
from events.access import require_member, require_organizer
from events.auth import CurrentMember, current_member
from events.parsing import path_id
from events.services import clubs, listings, pages, suspension
from events.services.restore import can_restore

Endpoint = Callable[[Request], Awaitable[Response]]
# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
EVENT_GONE = "We couldn't find that event. It may have been removed."


async def form_data(request: Request) -> dict[str, str]:
    """The posted text fields; the ticked `attributes` boxes joined by spaces
    (`forms_attributes.flatten`), any other repeated name's last value."""
    return forms_attributes.flatten(await request.form())


def post(path: str, endpoint: Endpoint, name: str | None = None) -> Route:
    """A route that takes form POSTs only."""
    return Route(path, endpoint, methods=["POST"], name=name)


def see_other(url: str) -> RedirectResponse:
    """Where a successful plain POST goes next."""
    return RedirectResponse(url, status_code=303)


async def load_club(request: Request) -> dict[str, Any]:
    """The club the path's `slug` names, or a 404."""
    club = await clubs.get_club(request.path_params["slug"])
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    member = current_member(request)
    await suspension.check_club(club["suspended_at"], member.id if member else None)
    return club


async def load_event(request: Request) -> dict[str, Any]:
    """The event the path's `id` names (with its club's slug, name, zone and kind), or a 404."""
    event = await listings.get_event(path_id(request))
    if event is None:
        raise HTTPException(404, EVENT_GONE)
    member = current_member(request)
    await suspension.check_event(event["club_suspended_at"], member.id if member else None)
    return event


async def event_context(request: Request, event_id: int) -> dict[str, Any]:
    """What the event page and its RSVP panel need, as the signed-in member may see it."""
    member = current_member(request)
    page = await pages.event_page(event_id, member.id if member else None)
    if page is None:
        raise HTTPException(404, EVENT_GONE)
    await suspension.check_event(page.event["club_suspended_at"], member.id if member else None)
    return {**page.context(), "can_restore": page.can_organize and can_restore(page.event)}


async def organizer_club(
    request: Request, next_path: str | None = None
) -> tuple[CurrentMember, dict[str, Any]]:
    """The club in the path (else 404) and its organizer asking (else login, then 403)."""
    club = await load_club(request)
    return await require_organizer(request, club["id"], next_path), club


async def organizer_event(request: Request) -> tuple[CurrentMember, dict[str, Any]]:
    """The event in the path and its club's organizer asking: login first (to come back to the
    event's page), then 404, then 403."""
    require_member(request, f"/events/{path_id(request)}")
    event = await load_event(request)
    return await require_organizer(request, event["club"]), event


def csv_cell(value: Any) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text
