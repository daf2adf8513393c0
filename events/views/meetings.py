"""The Meeting Guide feeds (/meetings.json, /clubs/{slug}/meetings.json) and /series/{id},
the stable page address a directory links to.

Directories and TSML UI fetch the feed from other origins: CORS is open (it is public data).
Conditional GETs work as for the calendar feeds (same ETag/If-None-Match rules).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import changes, timefmt
from events.access import require_organizer
from events.parsing import path_id
from events.services import meeting_import, meetings
from events.services.clubs import get_club
from events.settings import settings_of
from events.tables import Event, EventStatus
from events.templating import render

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
    return _respond(request, meetings.feed(found, settings_of(request)), _stamps(found))


async def club_meetings(request: Request) -> Response:
    club = await meetings.listed_support_club(str(request.path_params["slug"]).lower())
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    found = await meetings.weekly_meetings(timefmt.utcnow(), club_id=club["id"])
    return _respond(request, meetings.feed(found, settings_of(request)), _stamps(found))


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


# --- import -------------------------------------------------------------------------------

IMPORT_TEMPLATE = "meetings_import.html"
# The app refuses bodies over events.app.MAX_BODY (256 KB); said on the form.
UPLOAD_LIMIT_KB = 256


async def _import_club(request: Request) -> tuple[dict[str, Any], Any] | Response:
    club = await get_club(str(request.path_params["slug"]).lower())
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    next_path = f"/clubs/{club['slug']}/meetings/import"
    return club, await require_organizer(request, club["id"], next_path)


async def import_meetings(request: Request) -> Response:
    """Upload → preview (nothing saved) → confirm (the same content, posted back) → saved."""
    found = await _import_club(request)
    if isinstance(found, Response):
        return found
    club, member = found
    context: dict[str, Any] = {"club": club, "max_kb": UPLOAD_LIMIT_KB}
    headers = {"Cache-Control": "no-store"}
    if request.method == "GET":
        return render(request, IMPORT_TEMPLATE, context, headers=headers)
    form = await request.form()
    upload = form.get("file")
    content: bytes | str = ""
    if upload is not None and not isinstance(upload, str):
        content = await upload.read()
    if not content:
        pasted = form.get("content")
        content = pasted if isinstance(pasted, str) else ""
    if not content or not content.strip():
        context["error"] = "Choose a Meeting Guide JSON file to import."
        return render(request, IMPORT_TEMPLATE, context, status_code=422, headers=headers)
    try:
        entries = meeting_import.parse_file(content)
    except meeting_import.MalformedFile as exc:
        context["error"] = f"That file can't be imported: {exc} Nothing was changed."
        return render(request, IMPORT_TEMPLATE, context, status_code=422, headers=headers)
    plan = await meeting_import.plan(club, entries)
    text = content.decode("utf-8-sig") if isinstance(content, bytes) else content
    context.update(plan=plan, content=text)
    if form.get("confirm") == "1":
        context["done"] = await meeting_import.apply(club, entries, member.id)
        changes.changed(club_id=club["id"])
        del context["content"]
    return render(request, IMPORT_TEMPLATE, context, headers=headers)


routes = [
    Route(
        "/clubs/{slug:str}/meetings/import",
        import_meetings,
        methods=["GET", "POST"],
        name="meetings_import",
    ),
    Route("/meetings.json", site_meetings, methods=["GET"], name="meetings_feed"),
    Route("/clubs/{slug:str}/meetings.json", club_meetings, methods=["GET"], name="club_meetings"),
    Route("/series/{id:int}", series_page, methods=["GET"], name="series"),
]
