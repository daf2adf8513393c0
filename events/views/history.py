"""A member clears their own RSVP history (answers to events that have ended), after a
confirm step."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events.access import require_member
from events.services import retention
from events.templating import render
from events.web import form_data

PRIVATE = {"Cache-Control": "no-store"}


async def history_page(request: Request) -> Response:
    member = require_member(request)
    context = {
        "past": await retention.past_events(member.id),
        "cleared": request.query_params.get("cleared") == "1",
        "error": "",
    }
    return render(request, "account_history.html", context, headers=PRIVATE)


async def clear_history(request: Request) -> Response:
    member = require_member(request, "/account/history")
    data = await form_data(request)
    if data.get("confirm") != "yes":
        context = {
            "past": await retention.past_events(member.id),
            "cleared": False,
            "error": "Tick the box to confirm, then press the button again.",
        }
        return render(request, "account_history.html", context, status_code=422, headers=PRIVATE)
    await retention.clear_history(member.id)
    return RedirectResponse("/account/history?cleared=1", status_code=303)


routes = [
    Route("/account/history", history_page, methods=["GET"], name="account_history"),
    Route("/account/history", clear_history, methods=["POST"], name="account_history_clear"),
]
