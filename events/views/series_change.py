"""Organizers: change a series from one occurrence on (GET form, POST preview, POST confirm).

Nothing is saved until the confirm POST; the preview's form carries the same fields."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import changes, flash
from events.services import series_change
from events.tables import EventStatus, Series
from events.templating import render
from events.views.organizer import NO_STORE
from events.web import form_data, organizer_event, see_other

REPEAT_LABELS = {
    "weekly": "Every week",
    "biweekly": "Every two weeks",
    "monthly": "Monthly (e.g. every 2nd Tuesday)",
}


async def _changeable(request: Request) -> tuple[dict[str, Any], dict[str, Any]] | Response:
    _, event = await organizer_event(request)
    if not event["series"] or event["status"] != EventStatus.scheduled.value:
        return see_other(f"/events/{event['id']}")
    row = await Series.select().where(Series.id == event["series"]).first()
    if row is None:
        return see_other(f"/events/{event['id']}")
    return event, row


def _page(
    request: Request,
    event: dict[str, Any],
    form: dict[str, str],
    *,
    errors: dict[str, str] | None = None,
    plan: series_change.Plan | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "series_change_preview.html" if plan is not None else "series_change.html",
        {
            "event": event,
            "form": form,
            "errors": errors or {},
            "plan": plan,
            "repeat_labels": REPEAT_LABELS,
        },
        status_code=status_code,
        headers=NO_STORE,
    )


def _fields(data: dict[str, str]) -> dict[str, str]:
    names = ("repeat", "first_day", "start_time", "repeat_until")
    return {name: str(data.get(name, ""))[:40] for name in names}


async def change_form(request: Request) -> Response:
    found = await _changeable(request)
    if isinstance(found, Response):
        return found
    event, row = found
    if "repeat" in request.query_params:  # "Change something" from the preview
        return _page(request, event, _fields(dict(request.query_params)))
    return _page(request, event, series_change.form_of(event, row, event["club_timezone"]))


async def preview(request: Request) -> Response:
    found = await _changeable(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    form = _fields(await form_data(request))
    change, errors = series_change.parse(form, event, event["club_timezone"])
    if change is None:
        return _page(request, event, form, errors=errors, status_code=422)
    plan = await series_change.preview(event, change, event["club_timezone"])
    return _page(request, event, form, plan=plan)


async def confirm(request: Request) -> Response:
    found = await _changeable(request)
    if isinstance(found, Response):
        return found
    event, _ = found
    form = _fields(await form_data(request))
    change, errors = series_change.parse(form, event, event["club_timezone"])
    if change is None:
        return _page(request, event, form, errors=errors, status_code=422)
    plan = await series_change.apply(event, change, event["club_timezone"])
    changes.changed(everything=True)  # the series' pages, lists and feeds
    if not plan.changes_anything:
        return flash.redirect(request, f"/events/{event['id']}", "Nothing to change.")
    parts = [
        f"{len(plan.added)} added" if plan.added else "",
        f"{len(plan.moved)} moved" if plan.moved else "",
        f"{len(plan.cancelled)} cancelled" if plan.cancelled else "",
    ]
    text = "The series is changed: " + ", ".join(p for p in parts if p) + "."
    if plan.moved or plan.cancelled:
        text += " Everyone going or waitlisted on those dates has been told."
    return flash.redirect(request, f"/events/{event['id']}", text)


routes = [
    Route("/events/{id:int}/series", change_form, methods=["GET"], name="series_change"),
    Route(
        "/events/{id:int}/series/preview",
        preview,
        methods=["POST"],
        name="series_change_preview",
    ),
    Route("/events/{id:int}/series", confirm, methods=["POST"], name="series_change_confirm"),
]
