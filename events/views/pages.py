"""Public pages: one event, help. (The home page is events/views/home.py.)"""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import crisis
from events.auth import current_member
from events.parsing import path_id
from events.services import listings, pages, suspension
from events.services.restore import can_restore
from events.settings import Settings, settings_of
from events.templating import render


async def load_event(request: Request) -> dict[str, Any]:
    event = await listings.get_event(path_id(request))
    if event is None:
        raise HTTPException(404, "We couldn't find that event. It may have been removed.")
    member = current_member(request)
    await suspension.check_event(event["club_suspended_at"], member.id if member else None)
    return event


async def event_context(request: Request, event_id: int) -> dict[str, Any]:
    """What the event page and its RSVP panel need, as the signed-in member may see it."""
    member = current_member(request)
    page = await pages.event_page(event_id, member.id if member else None)
    if page is None:
        raise HTTPException(404, "We couldn't find that event. It may have been removed.")
    await suspension.check_event(page.event["club_suspended_at"], member.id if member else None)
    return {**page.context(), "can_restore": page.can_organize and can_restore(page.event)}


async def event_page(request: Request) -> Response:
    return render(request, "event.html", await event_context(request, path_id(request)))


async def help_page(request: Request) -> Response:
    """Crisis lines for `country` (the club's, when linked from a club or event page), else
    the instance's own country; links to the other countries' lists."""
    settings = settings_of(request)
    table = settings.crisis_lines
    country, lines = crisis.lines_for(
        table, str(request.query_params.get("country", "")), settings.crisis_country
    )
    others = [(code, crisis.country_name(code)) for code in sorted(table) if code != country]
    context = {
        "country": country,
        "country_name": crisis.country_name(country),
        "lines": lines,
        "other_countries": others,
        "help_country": country,
        # STEADY_CRISIS_LINE, when the instance set its own: shown first.
        "crisis_note": settings.crisis_line if settings.crisis_line != Settings.crisis_line else "",
    }
    return render(request, "help.html", context)


routes = [
    Route("/events/{id:int}", event_page, name="event"),
    Route("/help", help_page, name="help"),
]
