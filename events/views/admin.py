"""`/admin` for instance stewards: clubs, escalated reports, suspensions and their log.

Anyone who is not a steward gets a plain 404 on every `/admin` URL, signed in or not, so the
page's existence is not revealed. Organizers pass a report on to the stewards from their
club's report list."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import changes
from events.auth import CurrentMember, current_member
from events.parsing import parse_id, path_id
from events.services import stewards as svc
from events.templating import render
from events.web import form_data, organizer_club

PRIVATE = {"Cache-Control": "no-store"}
ACTIONS = ("suspend", "restore")


async def steward(request: Request) -> CurrentMember:
    member = current_member(request)
    if member is None or not await svc.is_steward(member.id):
        raise HTTPException(404)
    return member


async def page(
    request: Request, *, error: str = "", status: int = 200, form: dict[str, str] | None = None
) -> Response:
    overview = await svc.overview()
    context: dict[str, Any] = {
        "overview": overview,
        "suspended_members": await svc.suspended_members(),
        "error": error,
        "form": form or {},
        "done": request.query_params.get("done", "")[:30],
    }
    return render(request, "admin.html", context, status_code=status, headers=PRIVATE)


async def admin_page(request: Request) -> Response:
    await steward(request)
    return await page(request)


def done(what: str) -> Response:
    return RedirectResponse(f"/admin?done={what}#log", status_code=303)


async def club_action(request: Request) -> Response:
    member = await steward(request)
    club_id = path_id(request)
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(404)
    data = await form_data(request)
    try:
        if action == "suspend":
            await svc.suspend_club(member.id, club_id, data.get("reason"))
        else:
            await svc.restore_club(member.id, club_id, data.get("reason"))
    except svc.StewardError as exc:
        form = {"club": str(club_id), "reason": data.get("reason", "")[: svc.REASON_MAX * 2]}
        return await page(request, error=exc.message, status=exc.status, form=form)
    changes.changed(everything=True)  # listings, feeds and the club's pages
    return done(f"club-{action}")


async def member_action(request: Request) -> Response:
    member = await steward(request)
    action = request.path_params["action"]
    if action not in ACTIONS:
        raise HTTPException(404)
    data = await form_data(request)
    form = {
        "email": data.get("email", "")[:254],
        "report": data.get("report", "")[:20],
        "member": data.get("member", "")[:20],
        "reason": data.get("reason", "")[: svc.REASON_MAX * 2],
    }
    try:
        if action == "suspend":
            target = await svc.member_for(form["email"], parse_id(form["report"]))
            await svc.suspend_member(member.id, target, form["reason"])
        else:
            restored = parse_id(form["member"])
            if restored is None:
                raise svc.StewardError("Choose whom to restore.")
            await svc.restore_member(member.id, restored, form["reason"])
    except svc.StewardError as exc:
        return await page(request, error=exc.message, status=exc.status, form=form)
    changes.changed(everything=True)  # their places were freed on events' pages
    return done(f"member-{action}")


async def escalate(request: Request) -> Response:
    _, club = await organizer_club(request, f"/clubs/{request.path_params['slug']}/reports")
    if not await svc.escalate(club["id"], path_id(request)):
        raise HTTPException(404, "That report isn't one of this club's.")
    return RedirectResponse(f"/clubs/{club['slug']}/reports", status_code=303)


routes = [
    Route("/admin", admin_page, methods=["GET"], name="admin"),
    Route(
        "/admin/clubs/{id:int}/{action:str}",
        club_action,
        methods=["POST"],
        name="admin_club_action",
    ),
    Route("/admin/members/{action:str}", member_action, methods=["POST"], name="admin_member"),
    Route(
        "/clubs/{slug:str}/reports/{id:int}/escalate",
        escalate,
        methods=["POST"],
        name="club_report_escalate",
    ),
]
