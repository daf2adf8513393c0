"""One-click unsubscribe from reminder and message mail (RFC 8058)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.parsing import parse_id
from events.services import privacy
from events.templating import render
from events.tokens import Tokens, tokens_of

UNSUBSCRIBE_PURPOSE = "unsubscribe"
UNSUBSCRIBE_MAX_AGE = 365 * 86400  # links in old mails keep working for a year


def _unsubscribe_member(tokens: Tokens, token: str) -> int | None:
    subject = tokens.read_link_token(UNSUBSCRIBE_PURPOSE, token[:200], max_age=UNSUBSCRIBE_MAX_AGE)
    return parse_id(subject)


async def unsubscribe(request: Request) -> Response:
    """GET shows a confirm button (mail scanners follow links); POST turns the mail off. A mail
    client's one-click POST (body `List-Unsubscribe=One-Click`) lands here too."""
    token = request.path_params["token"]
    member_id = _unsubscribe_member(tokens_of(request), token)
    if member_id is None:
        return render(request, "unsubscribe.html", {"valid": False}, status_code=410)
    done = False
    if request.method == "POST":
        await privacy.stop_reminders(member_id)
        done = True
    return render(
        request,
        "unsubscribe.html",
        {"valid": True, "done": done, "token": token},
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )


routes = [
    Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"], name="unsubscribe"),
]
