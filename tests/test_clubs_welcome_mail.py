"""Joining through the web page mails the club's welcome message once: the real request
middleware enqueues, a real arq worker sends over a real SMTP server."""

from __future__ import annotations

from tests import helpers
from tests.workers_support import drain, smtp_server, text_of, transport

WELCOME = "Welcome to Trailheads! Bring water and your own pace."


async def test_joining_mails_the_welcome_message_once(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    await helpers.make_club(organizer=organizer, welcome_message=WELCOME)
    member = await helpers.make_member("riley@example.org", "Riley")
    await helpers.login(client, member)

    with smtp_server() as (sink, url):
        smtp = transport(url)
        try:
            await helpers.post(client, "/clubs/trail-club/join")
            await helpers.post(client, "/clubs/trail-club/join", htmx=True)
            await drain({"mailer": smtp})
            await drain({"mailer": smtp})
        finally:
            await smtp.close()

    mails = sink.to("riley@example.org")
    assert len(mails) == 1
    assert "Welcome" in mails[0]["Subject"] and "Trail Club" in mails[0]["Subject"]
    assert WELCOME in text_of(mails[0])
