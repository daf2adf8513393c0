"""Organizer tools: the event form (new, edit), cancel, the attendee page with check-in,
messages to attendees, and volunteer roles (which going members take themselves)."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import expect_fields, flash, forms_attributes, ratelimit
from events.access import require_member, require_organizer
from events.forms import cancel as cancel_form
from events.forms import event as event_form
from events.forms import event_message, role
from events.forms.event import blank_form, form_from_event
from events.parsing import ID_MAX, parse_int, path_id
from events.services import clubs, copies, form_keys, listings
from events.services import events_admin as admin
from events.templating import render, wants_fragment
from events.web import (
    NO_STORE,
    event_context,
    form_data,
    load_club,
    load_event,
    organizer_event,
    post,
    see_other,
)

MESSAGE_LIMIT = (5, 3600)  # messages per event per hour
ACTIVITY_CHOICES = listings.KNOWN_ACTIVITIES


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
            "repeats": event_form.REPEATS,
            "activities": sorted(
                set(ACTIVITY_CHOICES) | {a for a in club["activities"].split(",") if a}
            ),
        },
        status_code=status_code,
        headers=NO_STORE,
    )


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


async def new_event(request: Request) -> Response:
    club = await load_club(request)
    member = await require_organizer(request, club["id"])
    if request.method == "GET":
        return form_page(request, club=club, form=await new_form(request, club))
    data = await form_data(request)
    values, errors = event_form.parse(data, club["timezone"], new=True)
    form = event_form.raw_form(data)
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
    club = await clubs.get_club(event["club_slug"])
    assert club is not None
    return club


async def edit_event(request: Request) -> Response:
    _, event = await organizer_event(request)
    club = await club_of(event)
    tz = club["timezone"]
    if request.method == "GET":
        form = {**form_from_event(event, tz), **expect_fields.form_of(event)}
        return form_page(request, club=club, form=form, event=event)
    if listings.is_cancelled(event):
        return form_page(
            request,
            club=club,
            form=form_from_event(event, tz),
            event=event,
            errors={"form": "This event is cancelled; it can't be changed any more."},
            status_code=409,
        )
    data = await form_data(request)
    values, errors = event_form.parse(data, tz, new=False, original_start=event["starts_at"])
    form = event_form.raw_form(data)
    expect, expect_errors = expect_fields.parse(data)  # "What to expect" (#14)
    errors.update(expect_errors)
    form.update(expect_fields.form_of(data))
    if values is not None:
        targets = await admin.following(event) if values.dates == "following" else [event]
        plan = admin.plan_edit(event, targets, values, tz)
        later = [start for _, start in plan[1:]]
        if problem := event_form.occurrence_problem(later, values.duration, tz, "following dates"):
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


async def confirm_cancel(request: Request) -> Response:
    """GET: the confirmation page (the edit page's cancel form and the event page lead here)."""
    _, event = await organizer_event(request)
    if listings.is_cancelled(event):
        return see_other(f"/events/{event['id']}")
    cancel, _ = cancel_form.parse({k: str(v) for k, v in request.query_params.items()})
    return cancel_page(request, event, cancel.reason[: cancel_form.REASON.limit], cancel.dates)


async def cancel_event(request: Request) -> Response:
    _, event = await organizer_event(request)
    cancel, errors = cancel_form.parse(await form_data(request))
    if errors:
        return cancel_page(request, event, cancel.reason, cancel.dates, errors, status_code=422)
    cancelled = await admin.cancel_events(event, cancel.reason, cancel.dates)
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
    _, event = await organizer_event(request)
    context = await attendee_context(event)
    # A flash (after sending a message) shows in the message section, not at the top.
    context["notice"] = flash.peek(request) if flash.carried(request) else ""
    context["flash"] = ""
    return render(request, "attendees.html", context, headers=NO_STORE)


async def check_in(request: Request) -> Response:
    _, event = await organizer_event(request)
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
    member, event = await organizer_event(request)
    sent, errors = event_message.parse(await form_data(request))
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
        context["message_form"] = sent.as_form()
        headers = dict(NO_STORE)
        if status_code == 429:
            headers["Retry-After"] = "3600"
        return render(request, "attendees.html", context, status_code=status_code, headers=headers)
    result = await admin.send_message(
        event, member.id, sent.subject, sent.body, sent.include_waitlist
    )
    text = (
        "That message was already sent a moment ago; it wasn't sent twice."
        if result.repeated
        else "Your message is on its way."
    )
    return flash.redirect(request, f"/events/{event['id']}/attendees#messages", text)


# --- volunteer roles ------------------------------------------------------------------------


async def event_page_with(
    request: Request, event: dict[str, Any], message: str, status_code: int
) -> Response:
    context = await event_context(request, event["id"])
    context["role_message"] = message
    return render(request, "event.html", context, status_code=status_code)


async def add_role(request: Request) -> Response:
    _, event = await organizer_event(request)
    new_role, errors = role.parse(await form_data(request))
    if errors:
        return await event_page_with(request, event, " ".join(errors.values()), 422)
    await admin.add_role(event["id"], new_role.name, new_role.spots)
    return see_other(f"/events/{event['id']}#roles")


async def remove_role(request: Request) -> Response:
    _, event = await organizer_event(request)
    if not await admin.remove_role(event["id"], path_id(request, "role_id")):
        raise HTTPException(404, "That role isn't on this event.")
    return see_other(f"/events/{event['id']}#roles")


TAKE_MESSAGES = {
    admin.TakeResult.full: (409, "Sorry, that role is full now. Another one may still be free."),
    admin.TakeResult.not_going: (403, "RSVP “going” first, then you can take a role."),
}


async def take_role(request: Request) -> Response:
    member = require_member(request, f"/events/{path_id(request)}")
    event = await load_event(request)
    role_id = path_id(request, "role_id")
    if listings.is_cancelled(event):
        return await event_page_with(request, event, "This event was cancelled.", 409)
    result = await admin.take_role(event["id"], role_id, member.id)
    if result == admin.TakeResult.missing:
        raise HTTPException(404, "That role isn't on this event.")
    if result in TAKE_MESSAGES:
        status_code, text = TAKE_MESSAGES[result]
        return await event_page_with(request, event, text, status_code)
    return see_other(f"/events/{event['id']}#roles")


async def leave_role(request: Request) -> Response:
    member = require_member(request, f"/events/{path_id(request)}")
    event = await load_event(request)
    if not await admin.leave_role(event["id"], path_id(request, "role_id"), member.id):
        raise HTTPException(404, "That role isn't on this event.")
    return see_other(f"/events/{event['id']}#roles")


routes = [
    Route("/clubs/{slug:str}/events/new", new_event, methods=["GET", "POST"], name="event_new"),
    Route("/events/{id:int}/edit", edit_event, methods=["GET", "POST"], name="event_edit"),
    post("/events/{id:int}/cancel", cancel_event, "event_cancel"),
    Route("/events/{id:int}/cancel", confirm_cancel, methods=["GET"], name="event_cancel_confirm"),
    Route("/events/{id:int}/attendees", attendees, name="event_attendees"),
    post("/events/{id:int}/attendees/{rsvp_id:int}/checkin", check_in, "rsvp_checkin"),
    post("/events/{id:int}/attendees/{rsvp_id:int}/uncheckin", check_in, "rsvp_uncheckin"),
    post("/events/{id:int}/message", message, "event_message"),
    post("/events/{id:int}/roles", add_role, "role_add"),
    post("/events/{id:int}/roles/{role_id:int}/remove", remove_role, "role_remove"),
    post("/events/{id:int}/roles/{role_id:int}/take", take_role, "role_take"),
    post("/events/{id:int}/roles/{role_id:int}/leave", leave_role, "role_leave"),
]
