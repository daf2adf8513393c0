"""Club directory and club pages."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.markdown import render_markdown
from events.services import listings
from events.tables import Club
from events.templating import render


async def directory(request: Request) -> Response:
    clubs = await Club.select().where(Club.listed.eq(True)).order_by(Club.name)
    return render(request, "clubs.html", {"clubs": clubs}, block="club_list")


async def club_page(request: Request) -> Response:
    club = await listings.club_by_slug(request.path_params["slug"])
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    club["description_html"] = render_markdown(club["description"]) if club["description"] else ""
    events = await listings.upcoming_events(listings.EventFilters(club=club["slug"]))
    return render(request, "club.html", {"club": club, "events": events})


routes = [
    Route("/clubs", directory, name="clubs"),
    Route("/clubs/{slug:str}", club_page, name="club"),
]
