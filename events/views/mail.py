"""Mail pages: one-click unsubscribe from reminder and message mail (RFC 8058), and the
failed-mail list organizers use to see what did not reach their members."""

from __future__ import annotations

from piccolo.columns.combination import Or
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from events import tokens
from events.access import require_member
from events.parsing import parse_id, path_id
from events.services import delivery, mailerrors
from events.services.permissions import organized_clubs
from events.tables import Member, Outbox, OutboxState
from events.templating import render
from events.timefmt import utcnow

UNSUBSCRIBE_PURPOSE = "unsubscribe"
UNSUBSCRIBE_MAX_AGE = 365 * 86400  # links in old mails keep working for a year


def _unsubscribe_member(token: str) -> int | None:
    subject = tokens.read_link_token(UNSUBSCRIBE_PURPOSE, token[:200], max_age=UNSUBSCRIBE_MAX_AGE)
    return parse_id(subject)


async def unsubscribe(request: Request) -> Response:
    """GET shows a confirm button (mail scanners follow links); POST turns the mail off. A mail
    client's one-click POST (body `List-Unsubscribe=One-Click`) lands here too."""
    token = request.path_params["token"]
    member_id = _unsubscribe_member(token)
    if member_id is None:
        return render(request, "unsubscribe.html", {"valid": False}, status_code=410)
    done = False
    if request.method == "POST":
        await Member.update({Member.reminders: False}).where(Member.id == member_id)
        done = True
    return render(
        request,
        "unsubscribe.html",
        {"valid": True, "done": done, "token": token},
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )


def _in_clubs(club_ids: list[int]) -> Or:
    return Outbox.club.is_in(club_ids) | Outbox.event.club.is_in(club_ids)


async def failed_mail(request: Request) -> Response:
    member = require_member(request)
    clubs = await organized_clubs(member.id)
    if not clubs:
        raise HTTPException(403, "Only organizers see failed mail, for the clubs they organize.")
    rows = (
        await Outbox.select(
            Outbox.id,
            Outbox.kind,
            Outbox.attempts,
            Outbox.last_error,
            Outbox.created_at,
            Outbox.recipient.display_name.as_alias("recipient_name"),
            Outbox.event.id.as_alias("event_id"),
            Outbox.event.title.as_alias("event_title"),
        )
        .where((Outbox.state == OutboxState.failed.value) & _in_clubs(clubs))
        .order_by(Outbox.id, ascending=False)
        .limit(200)
    )
    for row in rows:
        # Servers' own words name the address (and more): a generic reason and the code only.
        error = str(row.pop("last_error") or "")
        row["reason"] = mailerrors.reason(error, int(row["attempts"]))
        row["code"] = mailerrors.reply_code(error)
    return render(
        request,
        "outbox_failed.html",
        {"rows": rows, "retried": request.query_params.get("retried") == "1"},
        headers={"Cache-Control": "no-store"},
    )


async def retry_mail(request: Request) -> Response:
    member = require_member(request, "/outbox/failed")
    outbox_id = path_id(request, "outbox_id")
    clubs = await organized_clubs(member.id)
    allowed = clubs and await Outbox.exists().where((Outbox.id == outbox_id) & _in_clubs(clubs))
    if not allowed:
        raise HTTPException(404)
    await delivery.retry_failed(outbox_id, utcnow())
    return RedirectResponse("/outbox/failed?retried=1", status_code=303)


routes = [
    Route("/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"], name="unsubscribe"),
    Route("/outbox/failed", failed_mail, name="outbox_failed"),
    Route("/outbox/{outbox_id:int}/retry", retry_mail, methods=["POST"], name="outbox_retry"),
]
