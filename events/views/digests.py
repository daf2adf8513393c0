"""One-tap RSVP links from the weekly digest: GET shows what the link is for and a confirm
button (mail scanners and link previews follow links, so GET never changes anything); the
POST from that page, checked like every form (events/csrf.py), says yes. The signed token is
the member's proof, so no session is needed; it is spent once the RSVP changes."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.services import calendar, digests, rsvps
from events.templating import render
from events.timefmt import format_when
from events.tokens import tokens_of

# The token is in the path: keep it out of caches, indexes and other sites' logs.
PRIVATE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}


def _page(request: Request, token: str, status_code: int = 200, **values: Any) -> Response:
    context = {"token": token, "valid": True, "done": False, "error": "", **values}
    return render(request, "digest_rsvp.html", context, status_code=status_code, headers=PRIVATE)


async def rsvp_link(request: Request) -> Response:
    token = str(request.path_params["token"])
    link = await digests.read_rsvp_link(tokens_of(request), token)
    event = await digests.link_event(link) if link is not None else None
    if link is None or event is None:
        return _page(request, token, 410, valid=False)
    tz = calendar.zone_name(event["club_timezone"])
    shown = {
        "title": event["title"],
        "when": format_when(event["starts_at"], event["ends_at"] or event["starts_at"], tz),
        "url": calendar.event_url(event, ""),
        "attestation": event["attestation"],
    }
    if request.method == "GET":
        return _page(request, token, event=shown)
    form = await request.form()
    try:
        outcome = await rsvps.respond(
            link.event_id, link.member_id, "yes", attested=form.get("attested") == "on"
        )
    except rsvps.RsvpRefused as exc:
        cancelled = digests.is_cancelled(event)
        return _page(request, token, 422, event=shown, error=exc.message, closed=cancelled)
    return _page(request, token, event=shown, done=True, message=outcome.message)


routes = [
    Route("/digest/rsvp/{token}", rsvp_link, methods=["GET", "POST"], name="digest_rsvp"),
]
