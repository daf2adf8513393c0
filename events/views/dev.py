"""Dev-only pages (never mounted when STEADY_ENV=prod): the mailbox of mail not sent over SMTP."""

from __future__ import annotations

from email import message_from_string, policy
from email.message import EmailMessage
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.mail_transport import DevMailbox
from events.templating import render


def readable(raw: str) -> dict[str, Any]:
    """The parts a developer wants to see: headers, the text body, the iMIP method."""
    parsed = message_from_string(raw, policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    text_part = parsed.get_body(preferencelist=("plain",))
    method = ""
    calendar = ""
    for part in parsed.walk():
        if part.get_content_type() == "text/calendar":
            method = str(part.get_param("method") or "")
            calendar = str(part.get_content())
    return {
        "headers": [
            (name, str(parsed[name]))
            for name in ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")
            if parsed[name]
        ],
        "text": text_part.get_content() if text_part is not None else raw,
        "method": method,
        "calendar": calendar,
    }


async def dev_mail(request: Request) -> Response:
    rows = await DevMailbox.latest()
    mails = [{**row, **readable(row["message"])} for row in rows]
    return render(request, "dev_mail.html", {"mails": mails}, headers={"Cache-Control": "no-store"})


routes = [Route("/dev/mail", dev_mail, name="dev_mail")]
