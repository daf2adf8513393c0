"""The home page: upcoming events, filtered, a bounded page at a time; and "New here?"."""

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
        "places": page.places,
        "chips": page.chips,
        "nearest": page.nearest,
        "more_open": page.more_open,
    }
    # A quick choice re-renders the filter form with the list (its menus must agree); typing
    # in the search box swaps only the list, so the box keeps its focus and its text.
    block = "listing" if request.headers.get("hx-target") == "listing" else "event_list"
    return render(request, "home.html", context, block=block)


async def new_here(request: Request) -> Response:
    return render(request, "new_here.html")


routes = [
    Route("/", home, name="home"),
    Route("/new-here", new_here, name="new_here"),
]
