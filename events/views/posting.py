"""Restore a cancelled event (#16 item 2). "Post again" and the one-time form key live with
the event form in events/views/organizer.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import flash
from events.services import restore
from events.templating import render
from events.web import event_context, form_data, organizer_event


async def restore_event(request: Request) -> Response:
    _, event = await organizer_event(request)
    if not restore.can_restore(event):
        context = await event_context(request, event["id"])
        context["restore_error"] = (
            "This event has already started, so it can't be brought back."
            if event["status"] == restore.CANCELLED
            else "This event isn't cancelled."
        )
        return render(request, "event.html", context, status_code=409)
    scope = "following" if (await form_data(request)).get("scope") == "following" else "one"
    count = len(await restore.restore_events(event, scope))
    text = "The event is back on." if count == 1 else f"{count} dates are back on."
    return flash.redirect(
        request, f"/events/{event['id']}", f"{text} Everyone going or waitlisted gets an update."
    )


routes = [
    Route("/events/{id:int}/restore", restore_event, methods=["POST"], name="event_restore"),
]
