"""The failed-mail list organizers use to see what did not reach their members, and its retry
button."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events.access import require_member
from events.parsing import path_id
from events.services import failed_mail
from events.services.permissions import organized_clubs
from events.templating import render


async def failed_list(request: Request) -> Response:
    member = require_member(request)
    clubs = await organized_clubs(member.id)
    if not clubs:
        raise HTTPException(403, "Only organizers see failed mail, for the clubs they organize.")
    return render(
        request,
        "outbox_failed.html",
        {
            "rows": await failed_mail.failed_rows(clubs),
            "retried": request.query_params.get("retried") == "1",
        },
        headers={"Cache-Control": "no-store"},
    )


async def retry(request: Request) -> Response:
    member = require_member(request, "/outbox/failed")
    outbox_id = path_id(request, "outbox_id")
    if not await failed_mail.retry(outbox_id, await organized_clubs(member.id)):
        raise HTTPException(404)
    return RedirectResponse("/outbox/failed?retried=1", status_code=303)


routes = [
    Route("/outbox/failed", failed_list, name="outbox_failed"),
    Route("/outbox/{outbox_id:int}/retry", retry, methods=["POST"], name="outbox_retry"),
]
