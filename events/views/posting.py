"""Organizer posting helpers (#16 items 2-4): restore a cancelled event, and the new-event
form's starting values ("Post again" copies, the one-time form key). The event form itself
stays in events/views/organizer.py, which calls `new_form` and `create_once` from here."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import expect_fields, flash, forms_attributes
from events.forms import blank_form
from events.parsing import ID_MAX, parse_int
from events.services import copies, form_keys, listings, restore
from events.templating import render
from events.views.organizer import form_data, organizer_event
from events.views.pages import event_context


async def new_form(request: Request, club: dict[str, Any]) -> dict[str, str]:
    """A blank form, or with ?copy=ID the form of that event of this club, moved on."""
    copy_id = parse_int(request.query_params.get("copy", ""), 1, ID_MAX)
    if copy_id is None:
        form = {**blank_form(), **expect_fields.form_of({})}
        form["activity"] = club["activities"].split(",")[0] if club["activities"] else ""
        form.update(forms_attributes.initial(club))  # the club's default attributes (#15)
    else:
        event = await listings.get_event(copy_id)
        if event is None or event["club"] != club["id"]:
            raise HTTPException(404, "We couldn't find that event in this club.")
        form = {**copies.copy_form(event, club["timezone"]), **expect_fields.form_of(event)}
        form["copied_from"] = event["title"]
        form["copied_weekday"] = copies.weekday_of(form)
    form[form_keys.FIELD] = form_keys.new_key()
    return form


async def restore_event(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
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
