"""Mail from the flows of #14, through the outbox, a real arq worker and a real SMTP server:
a place opening up on the waitlist, and members' welcome notes to a newcomer (plain and
discreet, and not at all with welcome notes turned off)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from events.services.greetings import NOTE_REF
from events.tables import Member, Membership, Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import drain, smtp_server, text_of, transport


def payload_of(row: dict[str, Any]) -> dict[str, Any]:
    value = row["payload"]
    return value if isinstance(value, dict) else json.loads(value)


async def send_all() -> list:
    with smtp_server() as (sink, url):
        smtp = transport(url)
        try:
            await drain({"mailer": smtp})
        finally:
            await smtp.close()
    return sink.received


async def test_promotion_mail_says_a_place_opened_up(client, other_client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, "Full moon hike", capacity=1)
    first = await helpers.make_member("ash@example.org", "Ash")
    second = await helpers.make_member("bo@example.org", "Bo")
    await helpers.login(client, first)
    await helpers.login(other_client, second)
    await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    await helpers.post(other_client, f"/events/{event}/rsvp", {"response": "yes"})
    await send_all()  # the first invites: going, and waitlisted

    await helpers.post(client, f"/events/{event}/rsvp", {"response": "no"})
    mails = [m for m in await send_all() if m["To"] == "bo@example.org"]
    assert len(mails) == 1
    assert mails[0]["Subject"].startswith("A place opened up: you're going: Full moon hike")
    assert "A place opened up: you're going." in text_of(mails[0])

    # Ash's own first "yes" was a plain invite, never "a place opened up".
    rows = await Outbox.select(Outbox.payload, Outbox.recipient).where(Outbox.kind == "invite")
    promoted = [r["recipient"] for r in rows if payload_of(r).get("promoted")]
    assert promoted == [second]


async def newcomer_club(**newcomer: object) -> dict[str, int]:
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    newbie = await helpers.make_member("nia@example.org", "Nia", **newcomer)
    await Membership.insert(
        Membership(member=newbie, club=club, joined_at=utcnow() - timedelta(days=1))
    )
    return {"organizer": organizer, "club": club, "newbie": newbie}


async def send_note(client, ids: dict[str, int], text: str) -> None:
    await helpers.login(client, ids["organizer"])
    ref = helpers.TOKENS.member_ref(NOTE_REF, ids["club"], ids["organizer"], ids["newbie"])
    response = await helpers.post(
        client, "/clubs/trail-club/welcome", {"newcomer": ref, "message": text}
    )
    assert response.status_code == 303


async def test_welcome_note_is_mailed_to_the_newcomer_once(client):
    ids = await newcomer_club()
    await send_note(client, ids, "So glad you found us. See you Saturday!")
    page = await client.get("/clubs/trail-club")
    assert "Your welcome note is on its way" in page.text
    mails = await send_all()
    assert [m["To"] for m in mails] == ["nia@example.org"]
    assert mails[0]["Subject"] == "A welcome note from Olu in Trail Club"
    body = text_of(mails[0])
    assert "So glad you found us. See you Saturday!" in body
    assert await send_all() == []  # sent exactly once


async def test_discreet_newcomer_gets_a_note_mail_that_names_nothing(client):
    ids = await newcomer_club(discreet=True)
    await send_note(client, ids, "Welcome to Trail Club, the sober hikers!")
    mails = await send_all()
    assert len(mails) == 1
    assert mails[0]["Subject"] == "A welcome note for you on Steady"
    body = text_of(mails[0])
    html = mails[0].get_body(preferencelist=("html",)).get_content()
    for text in (body, html):
        assert "Trail Club" not in text and "sober" not in text and "Olu" not in text
    assert "/account#notes" in body


async def test_no_note_mail_once_welcome_notes_are_turned_off(client):
    ids = await newcomer_club()
    await send_note(client, ids, "Hello and welcome!")
    await Member.update({Member.allow_greetings: False}).where(Member.id == ids["newbie"])
    assert await send_all() == []
    row = await Outbox.select(Outbox.state).where(Outbox.kind == "welcome_note").first()
    assert row["state"] == "skipped"
