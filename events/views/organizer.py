"""Organizer tools: the event form (new, edit), cancel, the attendee page with check-in,
messages to attendees, and volunteer roles (which going members take themselves)."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import expect_fields, flash, forms_attributes, ratelimit
from events.auth import CurrentMember, current_member, login_redirect
from events.forms import form_from_event, parse_event_form
from events.services import events_admin as admin
from events.services import form_keys, listings, suspension
from events.services.permissions import is_organizer
from events.tables import EventStatus, Repeat
from events.templating import render, wants_fragment
from events.views.pages import event_context, load_event, path_id

MESSAGE_LIMIT = (5, 3600)  # messages per event per hour
ACTIVITY_CHOICES = listings.KNOWN_ACTIVITIES
NO_STORE = {"Cache-Control": "no-store"}


async def form_data(request: Request) -> dict[str, str]:
    return forms_attributes.flatten(await request.form())


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def organizer_of(request: Request, club_id: int) -> CurrentMember:
    """The signed-in organizer of this club; 403 for anyone else (incl. other clubs' organizers)."""
    member = current_member(request)
    if member is None or not await is_organizer(member.id, club_id):
        raise HTTPException(403, "Only this club's organizers can do that.")
    return member


async def organizer_event(request: Request) -> tuple[dict[str, Any], CurrentMember] | Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request, f"/events/{path_id(request)}")
    event = await load_event(request)
    return event, await organizer_of(request, event["club"])


# --- event form -----------------------------------------------------------------------------


def form_page(
    request: Request,
    *,
    club: dict[str, Any],
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    event: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "event_form.html",
        {
            "club": club,
            "form": form,
            "errors": errors or {},
            "event": event,
            "repeats": [r.value for r in Repeat],
            "activities": sorted(
                set(ACTIVITY_CHOICES) | {a for a in club["activities"].split(",") if a}
            ),
        },
        status_code=status_code,
        headers=NO_STORE,
    )


async def new_event(request: Request) -> Response:
    club = await listings.club_by_slug(request.path_params["slug"])
    if club is None:
        raise HTTPException(404, "We couldn't find that club.")
    member = current_member(request)
    if member is None:
        return login_redirect(request)
    await suspension.check_club(club["suspended_at"], member.id)
    await organizer_of(request, club["id"])
    if request.method == "GET":
        from events.views import posting  # it builds on this module's helpers

        return form_page(request, club=club, form=await posting.new_form(request, club))
    data = await form_data(request)
    values, errors, form = parse_event_form(data, club["timezone"], new=True)
    expect, expect_errors = expect_fields.parse(data)  # "What to expect" (#14)
    errors.update(expect_errors)
    form.update(expect_fields.form_of(data))
    form[form_keys.FIELD] = form_keys.key_of(data) or form_keys.new_key()  # (#16)
    if values is None or errors:
        return form_page(request, club=club, form=form, errors=errors, status_code=422)
    key = form_keys.key_of(data)
    ids, created = await form_keys.create_once(club, values, member.id, key, expect)
    if not created:  # a double tap or a retry: the event the first one made (#16)
        return see_other(f"/events/{ids[0]}")
    text = "Your event is posted." if len(ids) == 1 else f"Your event is posted: {len(ids)} dates."
    return flash.redirect(request, f"/events/{ids[0]}", text)


async def club_of(event: dict[str, Any]) -> dict[str, Any]:
    club = await listings.club_by_slug(event["club_slug"])
    assert club is not None
    return club


async def edit_event(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    club = await club_of(event)
    tz = club["timezone"]
    if request.method == "GET":
        form = {**form_from_event(event, tz), **expect_fields.form_of(event)}
        return form_page(request, club=club, form=form, event=event)
    if event["status"] == EventStatus.cancelled.value:
        return form_page(
            request,
            club=club,
            form=form_from_event(event, tz),
            event=event,
            errors={"form": "This event is cancelled; it can't be changed any more."},
            status_code=409,
        )
    data = await form_data(request)
    values, errors, form = parse_event_form(data, tz, new=False, original_start=event["starts_at"])
    expect, expect_errors = expect_fields.parse(data)  # "What to expect" (#14)
    errors.update(expect_errors)
    form.update(expect_fields.form_of(data))
    if values is not None:
        targets = await admin.following(event) if values.scope == "following" else [event]
        plan = admin.plan_edit(event, targets, values, tz)
        if problem := admin.plan_problems(plan[1:], values, tz):
            errors["starts_at"] = problem
    if values is None or errors:
        return form_page(request, club=club, form=form, errors=errors, event=event, status_code=422)
    told = await admin.update_events(event, values, plan, tz, expect)
    text = "Your changes are saved."
    if told:
        text += " Everyone going gets an updated calendar invite."
    return flash.redirect(request, f"/events/{event['id']}", text)


def cancel_page(
    request: Request,
    event: dict[str, Any],
    reason: str,
    scope: str,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    """ "Cancel this event?": what cancelling does, and the one button that does it."""
    return render(
        request,
        "event_cancel.html",
        {"event": event, "reason": reason, "scope": scope, "errors": errors or {}},
        status_code=status_code,
        headers=NO_STORE,
    )


def cancel_fields(data: Any) -> tuple[str, str]:
    reason = " ".join(str(data.get("reason", "")).split())
    return reason, "following" if data.get("scope") == "following" else "one"


async def confirm_cancel(request: Request) -> Response:
    """GET: the confirmation page (the edit page's cancel form and the event page lead here)."""
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    if event["status"] == EventStatus.cancelled.value:
        return see_other(f"/events/{event['id']}")
    reason, scope = cancel_fields(request.query_params)
    return cancel_page(request, event, reason[:300], scope)


async def cancel_event(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    reason, scope = cancel_fields(await form_data(request))
    if len(reason) > 300:
        errors = {"reason": "Keep the reason to 300 characters."}
        return cancel_page(request, event, reason, scope, errors, status_code=422)
    cancelled = await admin.cancel_events(event, reason, scope)
    if not cancelled:
        return see_other(f"/events/{event['id']}")
    count = len(cancelled)
    text = "The event is cancelled." if count == 1 else f"{count} dates cancelled."
    return flash.redirect(
        request, f"/events/{event['id']}", f"{text} Everyone going or waitlisted has been told."
    )


# --- attendees, check-in, messages ----------------------------------------------------------


async def attendee_context(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "event": event,
        "lists": await admin.attendee_lists(event["id"]),
        "messages": await admin.sent_messages(event["id"]),
        "roles": await admin.roles_for(event["id"], None, organizer=True),
        "message_form": {"subject": "", "body": "", "include_waitlist": ""},
        "errors": {},
        "notice": "",
    }


async def attendees(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    context = await attendee_context(event)
    context["notice"] = {
        "sent": "Your message is on its way.",
        "repeat": "That message was already sent a moment ago; it wasn't sent twice.",
    }.get(request.query_params.get("message", ""), "")
    return render(request, "attendees.html", context, headers=NO_STORE)


async def check_in(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    rsvp_id = path_id(request, "rsvp_id")
    checked = request.url.path.endswith("/checkin")
    row = await admin.set_checked_in(event["id"], rsvp_id, checked)
    if row is None:
        raise HTTPException(404, "That RSVP isn't on this event.")
    if not wants_fragment(request):
        return see_other(f"/events/{event['id']}/attendees#rsvp-{rsvp_id}")
    context = {
        "event": event,
        "r": row,
        "oob": True,
        "came": await admin.came_count(event["id"]),
        "going_count": await admin.going_count(event["id"]),
    }
    return render(request, "attendees.html", context, block="attendee_row", headers=NO_STORE)


async def message(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, member = found
    data = await form_data(request)
    subject = " ".join(data.get("subject", "").split())
    body = data.get("body", "").replace("\r\n", "\n").strip()
    include_waitlist = bool(data.get("include_waitlist"))
    errors = admin.check_message(subject, body)
    status_code = 422
    if not errors and not await ratelimit.allow(
        request.app.state.redis, f"event-message:{event['id']}", *MESSAGE_LIMIT
    ):
        errors["form"] = (
            "You've sent several messages for this event in the last hour. "
            "Please wait a while before sending another."
        )
        status_code = 429
    if errors:
        context = await attendee_context(event)
        context["errors"] = errors
        context["message_form"] = {
            "subject": subject,
            "body": body,
            "include_waitlist": "on" if include_waitlist else "",
        }
        headers = dict(NO_STORE)
        if status_code == 429:
            headers["Retry-After"] = "3600"
        return render(request, "attendees.html", context, status_code=status_code, headers=headers)
    result = await admin.send_message(event, member.id, subject, body, include_waitlist)
    flag = "repeat" if result.repeated else "sent"
    return see_other(f"/events/{event['id']}/attendees?message={flag}#messages")


# --- volunteer roles ------------------------------------------------------------------------


async def event_page_with(
    request: Request, event: dict[str, Any], message: str, status_code: int
) -> Response:
    context = await event_context(request, event["id"])
    context["role_message"] = message
    return render(request, "event.html", context, status_code=status_code)


async def add_role(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    data = await form_data(request)
    name = " ".join(data.get("name", "").split())
    spots, errors = admin.check_role(name, data.get("spots", ""))
    if errors:
        return await event_page_with(request, event, " ".join(errors.values()), 422)
    await admin.add_role(event["id"], name, spots)
    return see_other(f"/events/{event['id']}#roles")


async def remove_role(request: Request) -> Response:
    found = await organizer_event(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    if not await admin.remove_role(event["id"], path_id(request, "role_id")):
        raise HTTPException(404, "That role isn't on this event.")
    return see_other(f"/events/{event['id']}#roles")


TAKE_MESSAGES = {
    admin.TakeResult.full: (409, "Sorry, that role is full now. Another one may still be free."),
    admin.TakeResult.not_going: (403, "RSVP “going” first, then you can take a role."),
}


async def take_role(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request, f"/events/{path_id(request)}")
    event = await load_event(request)
    role_id = path_id(request, "role_id")
    if event["status"] == EventStatus.cancelled.value:
        return await event_page_with(request, event, "This event was cancelled.", 409)
    result = await admin.take_role(event["id"], role_id, member.id)
    if result == admin.TakeResult.missing:
        raise HTTPException(404, "That role isn't on this event.")
    if result in TAKE_MESSAGES:
        status_code, text = TAKE_MESSAGES[result]
        return await event_page_with(request, event, text, status_code)
    return see_other(f"/events/{event['id']}#roles")


async def leave_role(request: Request) -> Response:
    member = current_member(request)
    if member is None:
        return login_redirect(request, f"/events/{path_id(request)}")
    event = await load_event(request)
    if not await admin.leave_role(event["id"], path_id(request, "role_id"), member.id):
        raise HTTPException(404, "That role isn't on this event.")
    return see_other(f"/events/{event['id']}#roles")


routes = [
    Route("/clubs/{slug:str}/events/new", new_event, methods=["GET", "POST"], name="event_new"),
    Route("/events/{id:int}/edit", edit_event, methods=["GET", "POST"], name="event_edit"),
    Route("/events/{id:int}/cancel", cancel_event, methods=["POST"], name="event_cancel"),
    Route("/events/{id:int}/cancel", confirm_cancel, methods=["GET"], name="event_cancel_confirm"),
    Route("/events/{id:int}/attendees", attendees, name="event_attendees"),
    Route(
        "/events/{id:int}/attendees/{rsvp_id:int}/checkin",
        check_in,
        methods=["POST"],
        name="rsvp_checkin",
    ),
    Route(
        "/events/{id:int}/attendees/{rsvp_id:int}/uncheckin",
        check_in,
        methods=["POST"],
        name="rsvp_uncheckin",
    ),
    Route("/events/{id:int}/message", message, methods=["POST"], name="event_message"),
    Route("/events/{id:int}/roles", add_role, methods=["POST"], name="role_add"),
    Route(
        "/events/{id:int}/roles/{role_id:int}/remove",
        remove_role,
        methods=["POST"],
        name="role_remove",
    ),
    Route(
        "/events/{id:int}/roles/{role_id:int}/take", take_role, methods=["POST"], name="role_take"
    ),
    Route(
        "/events/{id:int}/roles/{role_id:int}/leave",
        leave_role,
        methods=["POST"],
        name="role_leave",
    ),
]
