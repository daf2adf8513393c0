"""RSVP endpoints: the one-tap answer (panel fragment for htmx, 303 otherwise) and the
organizers' CSV export."""

from __future__ import annotations

import csv
import io
import logging
import sqlite3
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import flash
from events.access import require_member
from events.auth import current_member
from events.db import is_unique_violation
from events.forms import rsvp as rsvp_form
from events.parsing import path_id
from events.services import rsvps
from events.templating import render, wants_fragment
from events.timefmt import as_utc
from events.web import csv_cell, event_context, form_data

log = logging.getLogger(__name__)


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc).lower()


async def render_panel(
    request: Request,
    event_id: int,
    *,
    message: str = "",
    error: str = "",
    status_code: int = 200,
) -> Response:
    """The event page, or only its RSVP panel for htmx, freshly read after the change."""
    context: dict[str, Any] = await event_context(request, event_id)
    context["rsvp_message"] = message
    context["rsvp_error"] = error
    headers = {"Cache-Control": "no-store"}
    if status_code == 503:
        headers["Retry-After"] = "2"
    return render(
        request,
        "event.html",
        context,
        block="rsvp_panel",
        status_code=status_code,
        headers=headers,
    )


WAITING_OR_GOING = (rsvps.GOING, rsvps.WAITLISTED)


async def rsvp(request: Request) -> Response:
    event_id = path_id(request)
    event_url = f"/events/{event_id}"
    if current_member(request) is None and wants_fragment(request):
        # htmx follows a 303 inside the XHR; a full-page redirect needs its header.
        return Response(status_code=204, headers={"HX-Redirect": f"/login?next={event_url}"})
    member = require_member(request, event_url)

    answer, errors = rsvp_form.parse(await form_data(request))
    if errors:
        return await render_panel(request, event_id, error=errors["guests"], status_code=422)
    outcome: rsvps.Outcome | None = None
    try:
        outcome = await rsvps.respond(
            event_id,
            member.id,
            answer.response,
            answer.guests,
            attested=answer.attested,
            visibility=answer.visibility,
            attendance=answer.attendance,
        )
        message = outcome.message
    except rsvps.RsvpRefused as exc:
        return await render_panel(request, event_id, error=exc.message, status_code=422)
    except LookupError:
        raise HTTPException(404, "We couldn't find that event.") from None
    except Exception as exc:
        if is_unique_violation(exc):
            # A racing duplicate of this same answer got there first: it is done.
            message = "Got it."
        elif _is_busy(exc):
            log.warning("RSVP to event %s waited too long for the database", event_id)
            return await render_panel(
                request,
                event_id,
                error="Lots of people are answering right now. Please try again in a moment.",
                status_code=503,
            )
        else:
            raise
    if not wants_fragment(request):
        if outcome is not None and outcome.status in WAITING_OR_GOING and outcome.changed:
            # The success (or waiting) card on the event page says it: no flash repeating it.
            return RedirectResponse(event_url, status_code=303)
        return flash.redirect(request, event_url, message)
    if outcome is not None and outcome.panel is not None:
        # The panel as the service read it inside the change's transaction: no more queries.
        context = {"event": outcome.event, "rsvp": outcome.panel, "rsvp_message": message}
        return render(
            request,
            "event.html",
            context,
            block="rsvp_panel",
            headers={"Cache-Control": "no-store"},
        )
    return await render_panel(request, event_id, message=message)


async def attendees_csv(request: Request) -> Response:
    event_id = path_id(request)
    member = require_member(request)
    try:
        rows = await rsvps.attendee_export(event_id, member.id)
    except PermissionError:
        raise HTTPException(
            403, "Only the club's organizers can download the attendee list."
        ) from None
    if rows is None:
        raise HTTPException(404, "We couldn't find that event.")
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    # The contract's columns first; `attendance` (in_person or online) appended (#15).
    writer.writerow(["name", "status", "guests", "rsvp_at", "attendance"])
    for row in rows:
        rsvp_at = as_utc(row["rsvp_at"])
        stamp = rsvp_at.isoformat(timespec="seconds") if rsvp_at else ""
        writer.writerow(
            [csv_cell(row["name"]), row["status"], row["guests"], stamp, row["attendance"]]
        )
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="event-{event_id}-attendees.csv"',
            "Cache-Control": "no-store",
        },
    )


routes = [
    Route("/events/{id:int}/rsvp", rsvp, methods=["POST"], name="event_rsvp"),
    Route("/events/{id:int}/attendees.csv", attendees_csv, name="event_attendees_csv"),
]
