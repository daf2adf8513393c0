"""Reporting an event or a member to a club's organizers, and the organizers' report list."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import ratelimit
from events.access import require_member
from events.forms import report
from events.parsing import parse_id, path_id
from events.services import reports as svc
from events.templating import render
from events.tokens import tokens_of
from events.web import form_data, load_club, organizer_club, post

REPORT_LIMIT = (10, 3600)  # reports per member per hour


def form_context(club: dict[str, Any], data: dict[str, str], **extra: Any) -> dict[str, Any]:
    kind = data.get("subject_kind", "")
    return {
        "club": club,
        "mode": "form",
        "form": {
            "subject_kind": kind if kind in report.KINDS else "",
            "subject_id": subject_text(kind, data.get("subject_id")),
            "reason": data.get("reason", "")[: report.REASON.limit * 2],
        },
        "error": "",
        "back": back_link(club, data),
        **extra,
    }


def subject_text(kind: str, text: str | None) -> str:
    """An event's id, or a member's opaque reference passed through as the page gave it."""
    if kind == "member":
        value = (text or "").strip()[:64]
        plain = value.replace("-", "").replace("_", "")
        return value if plain.isascii() and plain.isalnum() else ""
    return str(parse_id(text) or "")


def back_link(club: dict[str, Any], data: dict[str, str]) -> str:
    subject_id = parse_id(data.get("subject_id"))
    if data.get("subject_kind") == "event" and subject_id:
        return f"/events/{subject_id}"
    return f"/clubs/{club['slug']}"


async def report_form(request: Request) -> Response:
    club = await load_club(request)
    require_member(request)
    data = {k: str(v) for k, v in request.query_params.items()}
    return render(request, "reports.html", form_context(club, data))


async def file_report(request: Request) -> Response:
    club = await load_club(request)
    member = require_member(request, f"/clubs/{club['slug']}")
    data = await form_data(request)
    context = form_context(club, data)
    if not await ratelimit.allow(request.app.state.redis, f"report:{member.id}", *REPORT_LIMIT):
        context["error"] = "You've sent a lot of reports this hour. Please try again later."
        return render(request, "reports.html", context, status_code=429)
    filed, errors = report.parse(data)
    if errors:
        context["error"] = next(iter(errors.values()))
        return render(request, "reports.html", context, status_code=422)
    try:
        await svc.file_report(tokens_of(request), member.id, club["id"], filed)
    except svc.ReportError as exc:
        context["error"] = exc.message
        return render(request, "reports.html", context, status_code=exc.status)
    context["mode"] = "thanks"
    return render(request, "reports.html", context)


async def report_list(request: Request) -> Response:
    _, club = await organizer_club(request)
    context = {
        "club": club,
        "mode": "list",
        "reports": await svc.open_reports(club["id"]),
        "resolved": request.query_params.get("resolved") == "1",
    }
    return render(request, "reports.html", context)


async def resolve(request: Request) -> Response:
    _, club = await organizer_club(request, f"/clubs/{request.path_params['slug']}/reports")
    if not await svc.resolve(club["id"], path_id(request)):
        raise HTTPException(404, "That report isn't one of this club's.")
    return RedirectResponse(f"/clubs/{club['slug']}/reports?resolved=1", status_code=303)


routes = [
    Route("/clubs/{slug:str}/report", report_form, methods=["GET"], name="club_report_form"),
    post("/clubs/{slug:str}/report", file_report, "club_report"),
    Route("/clubs/{slug:str}/reports", report_list, methods=["GET"], name="club_reports"),
    post("/clubs/{slug:str}/reports/{id:int}/resolve", resolve, "club_report_resolve"),
]
