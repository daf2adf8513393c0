"""Public pages: one event, help. (The home page is events/views/home.py.)"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.parsing import path_id
from events.settings import settings_of
from events.templating import render
from events.web import event_context


async def event_page(request: Request) -> Response:
    return render(request, "event.html", await event_context(request, path_id(request)))


async def help_page(request: Request) -> Response:
    return render(request, "help.html", {"crisis_line": settings_of(request).crisis_line})


routes = [
    Route("/events/{id:int}", event_page, name="event"),
    Route("/help", help_page, name="help"),
]
