"""Public pages: one event, help. (The home page is events/views/home.py.)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import crisis
from events.parsing import path_id
from events.settings import Settings, settings_of
from events.templating import render
from events.web import event_context


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
