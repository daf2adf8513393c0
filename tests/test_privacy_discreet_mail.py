"""Discreet mode in every mail (issue 12, finding 9): an organizer's message mail says only
that a message is waiting, with a link; the words are read on the event page by the people
they were sent to. No discreet mail (invite, waitlist, promotion, update, reminder, own and
club cancellations, event cancellation, message, welcome) names the group or its kind."""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

from bs4 import BeautifulSoup

from events.forms.club import ClubForm
from events.services import clubs, delivery, events_admin, listings, outbox, rsvps
from events.tables import Event, Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import fixed_clock, transport
from workers.tasks import send_outbox

CLUB_NAME = "Tuesday Night Serenity Group (AA)"
TITLE = "Serenity 12-step AA meeting"
SUBJECT = f"{CLUB_NAME} update"
BODY = "Our 12-step AA meeting moves to room 6 at the Alano club."
GIVEAWAYS = (
    "serenity",
    "12-step",
    "twelve",
    "alcoholics",
    "anonymous",
    "alano",
    "room 6",
    "samhsa",
    "substance",
    "sober",
    "recovery",
)
DISCREET = "quinn@example.org"
PLAIN = "pat@example.org"


def all_text(message: EmailMessage) -> str:
    parts = [str(message["Subject"]), str(message["From"])]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(str(part.get_content()))
    return "\n".join(parts)


def giveaways(text: str) -> list[str]:
    # Links carry tokens (random letters): only the words around them count.
    words = re.sub(r"https?://\S+", " ", text).lower()
    found = [w for w in GIVEAWAYS if w in words]
    found += ["AA"] if re.search(r"\baa\b", words) else []
    return found


async def send_all(url: str) -> None:
    mailer = transport(url)
    try:
        ctx = {"mailer": mailer, "now": fixed_clock(utcnow())}
        for row in await Outbox.select(Outbox.id).order_by(Outbox.id):
            await send_outbox(ctx, row["id"])
    finally:
        await mailer.close()


async def setup() -> dict[str, int]:
    ids = {"organizer": await helpers.make_member("org@example.org", "Olive")}
    ids["club"] = await helpers.make_club(
        slug="serenity", name=CLUB_NAME, organizer=ids["organizer"], kind="twelve_step"
    )
    await clubs.update_club(
        ids["club"],
        ClubForm(
            name=CLUB_NAME,
            kind="twelve_step",
            timezone="America/Denver",
            welcome_message=f"Welcome to {CLUB_NAME}!",
        ),
    )
    ids["event"] = await helpers.make_event(
        ids["club"], title=TITLE, capacity=2, location="St. Mark's hall"
    )
    ids["quinn"] = await helpers.make_member(DISCREET, "Quinn", discreet=True)
    ids["pat"] = await helpers.make_member(PLAIN, "Pat")
    return ids


async def test_discreet_message_mail_only_links_to_the_words_on_the_site(
    smtp, client, other_client
):
    sink, url = smtp
    ids = await setup()
    for member in (ids["quinn"], ids["pat"]):
        await rsvps.respond(ids["event"], member, "yes")
    await helpers.login(client, ids["organizer"])
    sent = await helpers.post(
        client, f"/events/{ids['event']}/message", {"subject": SUBJECT, "body": BODY}
    )
    assert sent.status_code == 303
    await Outbox.update({Outbox.state: "sent"}).where(Outbox.kind == "invite")
    await send_all(url)

    (discreet,) = sink.to(DISCREET)
    text = all_text(discreet)
    assert giveaways(text) == [], text
    assert SUBJECT not in text and "room 6" not in text
    assert "An organizer sent you a message" in text
    assert f"/events/{ids['event']}#messages" in text
    (plain,) = sink.to(PLAIN)
    assert BODY in all_text(plain)

    # The words are on the event page, for the people they were sent to only.
    await helpers.login(other_client, ids["quinn"])
    page = await other_client.get(f"/events/{ids['event']}")
    section = BeautifulSoup(page.text, "html.parser").find(id="messages")
    assert section is not None
    assert SUBJECT in section.get_text() and BODY in section.get_text()

    latecomer = await helpers.make_member("lee@example.org", "Lee")
    await rsvps.respond(ids["event"], latecomer, "yes")  # waitlisted, after the message
    await helpers.login(other_client, latecomer)
    assert BODY not in (await other_client.get(f"/events/{ids['event']}")).text
    other_client.cookies.clear()
    assert BODY not in (await other_client.get(f"/events/{ids['event']}")).text


async def test_no_discreet_mail_names_the_group_or_its_kind(smtp):
    sink, url = smtp
    ids = await setup()
    await clubs.join(ids["quinn"], ids["club"])  # welcome
    await rsvps.respond(ids["event"], ids["pat"], "yes")
    filler = await helpers.make_member("fill@example.org", "Fill")
    await rsvps.respond(ids["event"], filler, "yes")
    await rsvps.respond(ids["event"], ids["quinn"], "yes")  # waitlisted
    await rsvps.respond(ids["event"], filler, "no")  # promoted
    await rsvps.respond(ids["event"], ids["quinn"], "no")  # own cancel
    await rsvps.respond(ids["event"], ids["quinn"], "yes")  # going again

    # A reminder, an update and an organizer's message while going.
    starts = (await Event.select(Event.starts_at).where(Event.id == ids["event"]).first())[
        "starts_at"
    ]
    await delivery.schedule_reminders(starts - timedelta(hours=1), (timedelta(hours=2),))
    event = await listings.get_event(ids["event"])
    await events_admin.send_message(event, ids["organizer"], SUBJECT, BODY, False)
    await Event.update(
        {Event.location: "St. Mark's hall, upstairs", Event.sequence: Event.sequence + 1}
    ).where(Event.id == ids["event"])
    await outbox.add(
        "update", "update:probe", recipient=ids["quinn"], event=ids["event"], club=ids["club"]
    )
    await send_all(url)

    # Removed by the organizers (a club cancellation), then the event is cancelled with a
    # reason that names the group.
    other = await helpers.make_event(ids["club"], title=TITLE, location="St. Mark's hall")
    await rsvps.respond(other, ids["quinn"], "yes")
    await clubs.remove(ids["organizer"], ids["club"], ids["quinn"])
    third = await helpers.make_event(ids["club"], title=TITLE)
    await rsvps.respond(third, ids["quinn"], "yes")
    await Event.update(
        {Event.status: "cancelled", Event.cancel_reason: f"{CLUB_NAME} is on a retreat"}
    ).where(Event.id == third)
    await outbox.add(
        "cancel", "cancel:event", recipient=ids["quinn"], event=third, club=ids["club"]
    )
    await send_all(url)

    mails = sink.to(DISCREET)
    subjects = [str(m["Subject"]) for m in mails]
    for needed in ("Welcome", "Reminder:", "Updated:", "RSVP cancelled", "Cancelled:"):
        assert any(s.startswith(needed) for s in subjects), (needed, subjects)
    assert sum(s.startswith("Your plans for") for s in subjects) >= 3  # invites, promotion
    assert any("message" in s.lower() for s in subjects), subjects
    for message in mails:
        assert giveaways(all_text(message)) == [], (message["Subject"], all_text(message))
