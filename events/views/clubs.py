"""Club directory, club pages, membership, club settings, the organizers' team page, welcome
notes, and the newcomer's own controls over the notes they receive."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import changes, flash, ratelimit, timefmt
from events.access import require_member
from events.auth import CurrentMember, current_member
from events.forms import club as club_form
from events.forms import welcome_note
from events.parsing import parse_id, path_id
from events.services import clubs as svc
from events.services import greetings as greet
from events.services import pages, suspension
from events.settings import settings_of
from events.templating import render, wants_fragment
from events.tokens import Tokens, tokens_of
from events.web import form_data, load_club, organizer_club, post

NOTE_LIMIT = (10, 3600)  # welcome notes per author per hour


def swap_status(request: Request, status: int) -> int:
    # htmx only swaps 2xx, 422 and 429 (base.html): a refusal shown in place must use 422.
    return 422 if wants_fragment(request) and status == 409 else status


# ---------------------------------------------------------------- directory


async def directory(request: Request) -> Response:
    page = await svc.directory_page(request.query_params)
    context = {
        "clubs": page.cards,
        "filters": page.filters,
        "activities": page.activities,
        "directory": page,
    }
    return render(request, "clubs.html", context, block="club_list")


# ---------------------------------------------------------------- club page


async def club_context(request: Request, club: dict[str, Any], **extra: Any) -> dict[str, Any]:
    member = current_member(request)
    page = await pages.club_page(tokens_of(request), club["slug"], member.id if member else None)
    if page is None:
        raise HTTPException(404, "We couldn't find that club.")
    await suspension.check_club(page.club["suspended_at"], member.id if member else None)
    context: dict[str, Any] = {
        **page.context(),
        "note_errors": {},
        "note_drafts": {},
        "panel_message": "",
    }
    context.update(extra)
    return context


async def club_page(request: Request) -> Response:
    slug = request.path_params["slug"]
    member = current_member(request)
    page = await pages.club_page(tokens_of(request), slug, member.id if member else None)
    if page is None:
        raise HTTPException(404, "We couldn't find that club.")
    await suspension.check_club(page.club["suspended_at"], member.id if member else None)
    changes.depends_on(club_id=page.club["id"])  # kept pages drop when this club's data changes
    context = {**page.context(), "note_errors": {}, "note_drafts": {}, "panel_message": ""}
    return render(request, "club.html", context)


async def membership_response(
    request: Request, club: dict[str, Any], message: str = "", status: int = 200
) -> Response:
    if status == 200 and not wants_fragment(request):
        url = f"/clubs/{club['slug']}"
        return (
            flash.redirect(request, url, message)
            if message
            else RedirectResponse(url, status_code=303)
        )
    context = await club_context(request, club, panel_message=message)
    return render(
        request,
        "club.html",
        context,
        block="membership_panel",
        status_code=swap_status(request, status),
    )


async def join(request: Request) -> Response:
    club = await load_club(request)
    member = require_member(request, f"/clubs/{club['slug']}")
    data = await form_data(request)
    try:
        await svc.join(member.id, club["id"], greetable=greet.parse_choice(data.get("greet")))
    except svc.ClubError as exc:
        return await membership_response(request, club, exc.message, exc.status)
    welcome = "" if wants_fragment(request) else f"Welcome to {club['name']}!"
    return await membership_response(request, club, welcome)


async def leave(request: Request) -> Response:
    club = await load_club(request)
    member = require_member(request, f"/clubs/{club['slug']}")
    try:
        left = await svc.leave(member.id, club["id"])
    except svc.ClubError as exc:
        return await membership_response(request, club, exc.message, exc.status)
    return await membership_response(request, club, "You left the club." if left else "")


async def greeting_choice(request: Request) -> Response:
    """A member changes whether they are listed as a newcomer to greet in this club."""
    club = await load_club(request)
    member = require_member(request, f"/clubs/{club['slug']}")
    data = await form_data(request)
    choice = greet.parse_choice(data.get("greet"))
    from_account = data.get("back") == "account"
    if choice is not None and from_account:
        await svc.set_greetable(member.id, club["id"], choice)
        return RedirectResponse("/account#greetings", status_code=303)
    if choice is None:
        return await membership_response(request, club, "Choose yes or no.", 422)
    if not await svc.set_greetable(member.id, club["id"], choice):
        return await membership_response(request, club, "Join the club first.", 422)
    text = (
        "Members who've been here a while may now welcome you."
        if choice
        else "You won't be listed as a newcomer."
    )
    return await membership_response(request, club, text)


# ---------------------------------------------------------------- welcome notes


def read_ref(
    tokens: Tokens, purpose: str, text: str | None, club: dict[str, Any], member: CurrentMember
) -> int | None:
    return tokens.read_member_ref(purpose, (text or "").strip()[:64], club["id"], member.id)


async def welcome(request: Request) -> Response:
    club = await load_club(request)
    member = require_member(request, f"/clubs/{club['slug']}")
    data = await form_data(request)
    # An opaque reference the club page made for this viewer: an id alone is refused.
    newcomer_id = read_ref(tokens_of(request), greet.NOTE_REF, data.get("newcomer"), club, member)
    message = data.get("message", "")[:5000]
    text, errors = welcome_note.parse({"message": message})
    status, error = 200, ""
    if newcomer_id is None:
        status, error = 422, "Choose a newcomer to welcome."
    elif not await ratelimit.allow(
        request.app.state.redis, f"welcome-note:{member.id}", *NOTE_LIMIT
    ):
        status, error = 429, "You've sent a lot of notes this hour. Please try again later."
    elif errors:
        status, error = 422, errors["message"]
    else:
        try:
            await svc.send_note(member.id, club["id"], newcomer_id, text)
        except svc.ClubError as exc:
            status, error = exc.status, exc.message
    if status == 403 and not wants_fragment(request):
        raise HTTPException(403, error)
    if status == 200 and not wants_fragment(request):
        return flash.redirect(
            request,
            f"/clubs/{club['slug']}#newcomers",
            "Your welcome note is on its way. Thank you!",
        )
    return await note_response(request, club, member, newcomer_id, message, status, error)


async def note_response(
    request: Request,
    club: dict[str, Any],
    member: CurrentMember,
    newcomer_id: int | None,
    message: str,
    status: int,
    error: str,
) -> Response:
    status = swap_status(request, status)
    if wants_fragment(request):
        is_member = await svc.membership_of_active(member.id, club["id"])
        rows = await svc.newcomers(tokens_of(request), club["id"], member.id) if is_member else []
        row = next((r for r in rows if r["member_id"] == newcomer_id), None)
        if row is None:
            return render(request, "_club_note_status.html", {"message": error}, status_code=status)
        return render(
            request,
            "_club_newcomer.html",
            {"club": club, "n": row, "error": error, "draft": message if error else ""},
            status_code=status,
        )
    key = newcomer_id or 0
    context = await club_context(
        request, club, note_errors={key: error}, note_drafts={key: message}
    )
    if newcomer_id is None or not any(n["member_id"] == key for n in context["newcomers"]):
        context["panel_message"] = error
    return render(request, "club.html", context, status_code=status)


# ---------------------------------------------------------------- create and edit


def club_form_page(
    request: Request,
    form: club_form.ClubForm,
    errors: dict[str, str],
    *,
    club: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    return render(
        request,
        "club_form.html",
        {"form": form, "errors": errors, "club": club, "zone_groups": timefmt.zone_groups()},
        status_code=status,
    )


async def new_club_form(request: Request) -> Response:
    require_member(request)
    # The instance's default zone; the browser's own zone replaces it (static/timezone.js).
    form = club_form.ClubForm(timezone=settings_of(request).default_timezone)
    return club_form_page(request, form, {})


async def create_club(request: Request) -> Response:
    member = require_member(request, "/clubs/new")
    form, errors = club_form.parse(await form_data(request), new=True)
    if not errors:
        try:
            await svc.create_club(form, member.id)
        except svc.ClubError:
            suggestion = await svc.suggest_slug(form.slug)
            errors["slug"] = f"“{form.slug}” is taken. How about “{suggestion}”?"
            form.slug = suggestion
    if errors:
        return club_form_page(request, form, errors, status=422)
    return flash.redirect(
        request, f"/clubs/{form.slug}", "Your club is ready. Post its first event when you're set."
    )


async def edit_club_form(request: Request) -> Response:
    _, club = await organizer_club(request)
    return club_form_page(request, svc.form_from_club(club), {}, club=club)


async def edit_club(request: Request) -> Response:
    _, club = await organizer_club(request)
    form, errors = club_form.parse(await form_data(request), new=False)
    form.slug = club["slug"]
    if errors:
        return club_form_page(request, form, errors, club=club, status=422)
    await svc.update_club(club["id"], form)
    return flash.redirect(request, f"/clubs/{club['slug']}", "Club settings saved.")


# ---------------------------------------------------------------- team


async def team_page(request: Request, message: str = "", status: int = 200) -> Response:
    _, club = await organizer_club(request)
    context = {
        "club": club,
        "team": await svc.team(club["id"]),
        "answered": await svc.answered_not_joined(club["id"]),
        "message": message,
    }
    return render(request, "club_team.html", context, status_code=status)


async def team_action(request: Request) -> Response:
    member, club = await organizer_club(request, f"/clubs/{request.path_params['slug']}/team")
    target = path_id(request, "member_id")
    action = request.path_params["action"]
    data = await form_data(request)
    try:
        if action == "promote":
            await svc.promote(member.id, club["id"], target)
        elif action == "step-down":
            await svc.step_down(member.id, club["id"], target)
        elif action == "remove":
            await svc.remove(member.id, club["id"], target, block=data.get("block") == "1")
        else:
            raise HTTPException(404)
    except svc.ClubError as exc:
        if exc.status == 403:
            raise HTTPException(403, exc.message) from None
        return await team_page(request, exc.message, exc.status)
    if action == "step-down" and target == member.id:
        return RedirectResponse(f"/clubs/{club['slug']}", status_code=303)
    return RedirectResponse(f"/clubs/{club['slug']}/team", status_code=303)


# ---------------------------------------------------------------- the newcomer's notes


async def note_action(request: Request) -> Response:
    member = require_member(request, "/account")
    note_id = parse_id(request.path_params.get("id"))
    action = request.path_params["action"]
    if note_id is None or action not in ("hide", "report"):
        raise HTTPException(404)
    if action == "hide":
        done = await svc.hide_note(member.id, note_id)
        text = "Note hidden."
    else:
        data = await form_data(request)
        done = await svc.report_note(member.id, note_id, data.get("reason", ""))
        text = "Thanks. The club's organizers will look at this note; it's hidden for you."
    if not done:
        raise HTTPException(404, "We couldn't find that note.")
    if wants_fragment(request):
        return render(request, "_club_note_status.html", {"message": text})
    return RedirectResponse("/account#notes", status_code=303)


async def greetings(request: Request) -> Response:
    member = require_member(request, "/account")
    data = await form_data(request)
    choice = data.get("allow", "")
    allow = (
        choice == "yes" if choice in ("yes", "no") else not await svc.allows_greetings(member.id)
    )
    await svc.set_greetings(member.id, allow)
    return RedirectResponse("/account#greetings", status_code=303)


routes = [
    Route("/clubs", directory, name="clubs"),
    Route("/clubs/new", new_club_form, methods=["GET"], name="club_new"),
    post("/clubs/new", create_club),
    Route("/clubs/{slug:str}", club_page, name="club"),
    post("/clubs/{slug:str}/join", join, "club_join"),
    post("/clubs/{slug:str}/leave", leave, "club_leave"),
    post("/clubs/{slug:str}/welcome", welcome, "club_welcome"),
    post("/clubs/{slug:str}/greeting", greeting_choice, "club_greeting"),
    Route("/clubs/{slug:str}/edit", edit_club_form, methods=["GET"], name="club_edit"),
    post("/clubs/{slug:str}/edit", edit_club),
    Route("/clubs/{slug:str}/team", team_page, methods=["GET"], name="club_team"),
    post("/clubs/{slug:str}/team/{member_id:int}/{action:str}", team_action, "club_team_action"),
    post("/account/notes/{id:int}/{action:str}", note_action, "note_action"),
    post("/account/greetings", greetings, "greetings"),
]
