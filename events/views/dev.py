"""Dev-only pages (never mounted when STEADY_ENV=prod): the mailbox of mail not sent over SMTP."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from events.tables import DevMail
from events.templating import render


async def dev_mail(request: Request) -> Response:
    mails = await DevMail.select().order_by(DevMail.id, ascending=False).limit(50)
    return render(request, "dev_mail.html", {"mails": mails}, headers={"Cache-Control": "no-store"})


routes = [Route("/dev/mail", dev_mail, name="dev_mail")]
