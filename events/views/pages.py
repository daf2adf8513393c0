"""Public pages: upcoming events, one event, help."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.auth import current_member
from events.markdown import render_markdown
from events.parsing import path_id
from events.services import attendees, events_admin, listings, rsvps
from events.services.permissions import is_blocked
from events.tables import Club, Rsvp, RsvpStatus
from events.templating import render


async def home(request: Request) -> Response:
    activities = await listings.activity_names()
    filters = listings.parse_filters(request.query_params, activities)
    rows, next_day = await listings.upcoming_page(filters)
    later = None
    if next_day:
        later = {**filters.as_query(), "from": next_day.isoformat()}
    clubs = await Club.select(Club.slug, Club.name).where(Club.listed.eq(True)).order_by(Club.name)
    context = {
        "filters": filters,
        "days": listings.group_by_day(rows),
        "later": later,
        "activities": activities,
        "clubs": clubs,
    }
    return render(request, "home.html", context, block="event_list")


async def load_event(request: Request) -> dict:
    event = await listings.get_event(path_id(request))
    if event is None:
        raise HTTPException(404, "We couldn't find that event. It may have been removed.")
    return event


async def event_context(request: Request, event: dict) -> dict:
    """What the event page and its RSVP panel need."""
    member = current_member(request)
    my_rsvp = None
    if member:
        my_rsvp = (
            await Rsvp.select()
            .where((Rsvp.event == event["id"]) & (Rsvp.member == member.id))
            .first()
        )
    # Someone the organizers removed and blocked is no attendee, whatever RSVP row is left.
    blocked = await is_blocked(member.id if member else None, event["club"])
    going = my_rsvp is not None and my_rsvp["status"] == RsvpStatus.going.value and not blocked
    event["description_html"] = (
        render_markdown(event["description"]) if event["description"] else ""
    )
    return {
        "event": event,
        "cancelled": listings.is_cancelled(event),
        "counts": await listings.rsvp_counts(event["id"]),
        "my_rsvp": my_rsvp,
        "show_details": not event["details_for_attendees_only"] or going,
        # Organizer links and volunteer roles (events.services.events_admin).
        **await events_admin.event_page_extras(event, member.id if member else None),
        "rsvp": await rsvps.panel_state(event, member.id if member and not blocked else None),
        # Organizers' messages addressed to this member (discreet mails only link here).
        "my_messages": await events_admin.messages_for(event["id"], member.id)
        if member and not blocked
        else [],
        # Fellow attendees, as each chose to be shown: for people going only.
        "fellows": await attendees.fellow_attendees(event["id"], member.id)
        if member and going
        else None,
    }


async def event_page(request: Request) -> Response:
    event = await load_event(request)
    return render(request, "event.html", await event_context(request, event))


async def help_page(request: Request) -> Response:
    return render(request, "help.html")


routes = [
    Route("/", home, name="home"),
    Route("/events/{id:int}", event_page, name="event"),
    Route("/help", help_page, name="help"),
]
