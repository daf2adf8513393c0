"""A club's members-only board (#19). Only the club's members (not blocked) see it; everyone
else gets the same 404 as for a club that has no board, so nothing reveals it exists."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events import crisis
from events.access import require_member
from events.auth import CurrentMember
from events.forms import board_post
from events.markdown import render_markdown
from events.parsing import parse_id
from events.services import board as svc
from events.services.permissions import role_in
from events.settings import settings_of
from events.templating import render
from events.web import form_data, load_club, post, see_other

NOT_FOUND = "We couldn't find that page."
# Members' words: no shared cache, no search engine.
PRIVATE = {"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"}


async def gate(
    request: Request, *, organizer: bool = False
) -> tuple[CurrentMember, dict[str, Any], str]:
    """(the member, the club, their role) for a member of a club whose board is on; login
    first, then the one 404 for every other case. Organizers pass while the board is off."""
    member = require_member(request)
    club = await load_club(request)
    role = await role_in(member.id, club["id"])
    if role is None or (not club["board"] and role != "organizer"):
        raise HTTPException(404, NOT_FOUND)
    if organizer and role != "organizer":
        raise HTTPException(404, NOT_FOUND)
    return member, club, role


async def open_thread(request: Request, club: dict[str, Any]) -> dict[str, Any]:
    if not club["board"]:
        raise HTTPException(404, NOT_FOUND)
    found = await svc.thread(club["id"], int(request.path_params["thread_id"]))
    if found is None:
        raise HTTPException(404, NOT_FOUND)
    return found


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, name, context, block="board", status_code=status, headers=PRIVATE)


async def board_page(request: Request) -> Response:
    _, club, role = await gate(request)
    number = parse_id(request.query_params.get("page")) or 1
    threads, more = await svc.threads(club["id"], number) if club["board"] else ([], False)
    context = {
        "club": club,
        "is_organizer": role == "organizer",
        "threads": threads,
        "page": number,
        "more": more,
    }
    return page(request, "board.html", context)


async def switch(request: Request) -> Response:
    _, club, _ = await gate(request, organizer=True)
    data = await form_data(request)
    await svc.set_enabled(club["id"], data.get("board") == "on")
    return see_other(f"/clubs/{club['slug']}/board")


def form_context(
    club: dict[str, Any], data: dict[str, str], errors: dict[str, str]
) -> dict[str, Any]:
    return {
        "club": club,
        "form": {key: data.get(key, "")[:20_000] for key in ("title", "body", "show_as")},
        "errors": errors,
    }


async def new_thread_form(request: Request) -> Response:
    _, club, _ = await gate(request)
    if not club["board"]:
        raise HTTPException(404, NOT_FOUND)
    return page(request, "board_new.html", form_context(club, {"show_as": "name"}, {}))


async def create_thread(request: Request) -> Response:
    member, club, _ = await gate(request)
    if not club["board"]:
        raise HTTPException(404, NOT_FOUND)
    data = await form_data(request)
    values, errors = board_post.parse(data, with_title=True)
    if errors:
        return page(request, "board_new.html", form_context(club, data, errors), 422)
    thread_id = await svc.start_thread(
        club["id"], member.id, values.title, values.body, values.show_as
    )
    return see_other(f"/clubs/{club['slug']}/board/{thread_id}?posted=1")


async def thread_context(
    request: Request, member: CurrentMember, club: dict[str, Any], role: str, found: dict[str, Any]
) -> dict[str, Any]:
    posts = await svc.posts(found["id"])
    for item in posts:
        item["html"] = render_markdown(item["body"]) if not item["hidden"] else ""
        item["mine"] = item["author"] == member.id
    choice = await svc.last_choice(found["id"], member.id)
    return {
        "club": club,
        "thread": found,
        "posts": posts,
        "is_organizer": role == "organizer",
        "form": {"body": "", "show_as": choice},
        "errors": {},
        "crisis_lines": (),
    }


def crisis_lines(request: Request, club: dict[str, Any]) -> tuple[crisis.CrisisLine, ...]:
    settings = settings_of(request)
    _, lines = crisis.lines_for(
        settings.crisis_lines, club.get("country", ""), settings.crisis_country
    )
    return lines


async def thread_page(request: Request) -> Response:
    member, club, role = await gate(request)
    found = await open_thread(request, club)
    context = await thread_context(request, member, club, role, found)
    # Right after posting, the author's own words may call for the crisis box.
    if request.query_params.get("posted") == "1":
        mine = [item for item in context["posts"] if item["mine"]]
        if mine and board_post.mentions_crisis(
            found["title"] if len(mine) == 1 else "", mine[-1]["body"]
        ):
            context["crisis_lines"] = crisis_lines(request, club)
    return page(request, "board_thread.html", context)


async def reply(request: Request) -> Response:
    member, club, role = await gate(request)
    found = await open_thread(request, club)
    data = await form_data(request)
    values, errors = board_post.parse(data, with_title=False)
    context = await thread_context(request, member, club, role, found)
    context["form"] = {
        "body": data.get("body", "")[:20_000],
        "show_as": data.get("show_as", "name"),
    }
    if errors:
        context["errors"] = errors
        return page(request, "board_thread.html", context, 422)
    try:
        await svc.reply(found["id"], member.id, values.body, values.show_as)
    except svc.BoardError as exc:
        context["errors"] = {"body": exc.message}
        context["thread"] = {**found, "locked": True}
        return page(request, "board_thread.html", context, exc.status)
    return see_other(f"/clubs/{club['slug']}/board/{found['id']}?posted=1#reply")


async def lock(request: Request) -> Response:
    _, club, _ = await gate(request, organizer=True)
    found = await open_thread(request, club)
    data = await form_data(request)
    await svc.set_locked(found["id"], data.get("locked") == "on")
    return see_other(f"/clubs/{club['slug']}/board/{found['id']}")


async def hide(request: Request) -> Response:
    member, club, role = await gate(request, organizer=True)
    found = await open_thread(request, club)
    data = await form_data(request)
    reason, errors = board_post.parse_reason(data)
    post_id = int(request.path_params["post_id"])
    if errors:
        context = await thread_context(request, member, club, role, found)
        context["hide_errors"] = {post_id: next(iter(errors.values()))}
        return page(request, "board_thread.html", context, 422)
    if not await svc.hide(found["id"], post_id, reason):
        raise HTTPException(404, NOT_FOUND)
    return see_other(f"/clubs/{club['slug']}/board/{found['id']}#post-{post_id}")


BASE = "/clubs/{slug:str}/board"
THREAD = BASE + "/{thread_id:int}"
routes = [
    Route(BASE, board_page, methods=["GET"], name="board"),
    post(BASE + "/switch", switch, "board_switch"),
    Route(BASE + "/new", new_thread_form, methods=["GET"], name="board_new_form"),
    post(BASE + "/new", create_thread, "board_new"),
    Route(THREAD, thread_page, methods=["GET"], name="board_thread"),
    post(THREAD + "/reply", reply, "board_reply"),
    post(THREAD + "/lock", lock, "board_lock"),
    post(THREAD + "/posts/{post_id:int}/hide", hide, "board_hide"),
]
