"""The Meeting Guide feeds (/meetings.json, /clubs/{slug}/meetings.json) and /series/{id},
the stable page address a directory links to.

Directories and TSML UI fetch the feed from other origins: CORS is open (it is public data).
Conditional GETs work as for the calendar feeds (same ETag/If-None-Match rules).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import timefmt
from events.parsing import path_id
from events.services import meetings
from events.settings import get_settings
from events.tables import Event, EventStatus

# The calendar feeds' conditional-GET helpers: one set of rules for every feed.
from events.views.feeds import EPOCH, Validators
from events.views.feeds import _headers as feed_headers
from events.views.feeds import _not_modified as not_modified

FORMAT = "meeting-guide-1"


def _respond(
    request: Request, entries: list[dict[str, object]], stamps: list[datetime]
) -> Response:
    body = json.dumps(entries, ensure_ascii=False, separators=(",", ":")).encode()
    etag = hashlib.sha256(FORMAT.encode() + body).hexdigest()[:32]
    v = Validators(etag=f'"{etag}"', last_modified=max([EPOCH, *stamps]).replace(microsecond=0))
    headers = feed_headers(v, private=False)
    headers["Access-Control-Allow-Origin"] = "*"
    if not_modified(request, v):
        if "if-none-match" in request.headers:
            del headers["Last-Modified"]
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


def _stamps(found: list[meetings.Meeting]) -> list[datetime]:
    return [max(m.row["updated_at"], m.row["club_updated_at"]).astimezone(UTC) for m in found]


async def site_meetings(request: Request) -> Response:
    found = await meetings.weekly_meetings(timefmt.utcnow())
    return _respond(request, meetings.feed(found, get_settings()), _stamps(found))


async def club_meetings(request: Request) -> Response:
    club = await meetings.listed_support_club(str(request.path_params["slug"]).lower())
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    found = await meetings.weekly_meetings(timefmt.utcnow(), club_id=club["id"])
    return _respond(request, meetings.feed(found, get_settings()), _stamps(found))


async def series_page(request: Request) -> Response:
    """The series' next occurrence that hasn't ended (else its last one)."""
    series_id = path_id(request)
    now = timefmt.utcnow()
    row = (
        await Event.select(Event.id)
        .where(
            (Event.series == series_id)
            & (Event.ends_at >= now)
            & (Event.status == EventStatus.scheduled.value)
        )
        .order_by(Event.starts_at)
        .first()
    ) or (
        await Event.select(Event.id)
        .where(Event.series == series_id)
        .order_by(Event.starts_at, ascending=False)
        .first()
    )
    if row is None:
        raise HTTPException(404, "We couldn't find that meeting.")
    return RedirectResponse(f"/events/{row['id']}", status_code=302)


routes = [
    Route("/meetings.json", site_meetings, methods=["GET"], name="meetings_feed"),
    Route("/clubs/{slug:str}/meetings.json", club_meetings, methods=["GET"], name="club_meetings"),
    Route("/series/{id:int}", series_page, methods=["GET"], name="series"),
]
