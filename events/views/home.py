"""The home page: upcoming events, filtered, a bounded page at a time."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.auth import current_member
from events.services.home import home_page
from events.templating import render


async def home(request: Request) -> Response:
    member = current_member(request)
    page = await home_page(request.query_params, member.id if member else None)
    context = {
        "filters": page.filters,
        "days": page.days,
        "more": page.more,
        "activities": page.activities,
        "clubs": page.clubs,
    }
    return render(request, "home.html", context, block="event_list")


routes = [Route("/", home, name="home")]
