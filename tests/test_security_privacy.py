"""Attacker-style privacy probes: erasure leaves nothing behind (database, Redis, mail queue),
discreet mode's mails and feed name no group, attendee-only details stay off public pages
and feeds, and pathological input cannot make a request expensive."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from email.message import EmailMessage

import pytest

from events import markdown
from events.mail_transport import SmtpTransport
from events.services import delivery, outbox
from events.settings import get_settings
from events.tables import (
    ALL_TABLES,
    Club,
    Event,
    EventMessage,
    Membership,
    Outbox,
    Report,
    RoleSignup,
    Rsvp,
    VolunteerRole,
    WelcomeNote,
)
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import PASSWORD, feed_token, post
from tests.workers_support import SmtpSink, smtp_server, transport
from workers import mail_builder
from workers.tasks import send_outbox

EMAIL = "zephyrine.q@example.org"
NAME = "Zephyrine Quist"


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[SmtpSink, SmtpTransport]]:
    with smtp_server() as (sink, url):
        sender = transport(url)
        yield sink, sender
        await sender.close()


async def send_pending(sender: SmtpTransport) -> None:
    for row in await Outbox.select(Outbox.id).where(Outbox.state == "pending"):
        await send_outbox({"mailer": sender}, row["id"])


async def dump_database() -> str:
    tables = [t._meta.tablename for t in ALL_TABLES] + ["sessions"]
    chunks = []
    for table in tables:
        rows = await Club.raw(f"SELECT * FROM {table}")
        chunks.append(json.dumps(rows, default=str))
    return "\n".join(chunks).lower()


async def dump_redis() -> str:
    from events.redis_conn import redis_client

    redis = redis_client(get_settings().redis_url or "")
    try:
        parts = []
        async for key in redis.scan_iter(count=1000):
            parts.append(repr(key))
            if await redis.type(key) == b"string":
                parts.append(repr(await redis.get(key)))
        return "\n".join(parts).lower()
    finally:
        await redis.aclose()


# ---------------------------------------------------------------- erasure


async def test_erasure_leaves_no_email_or_name_in_any_table_or_redis(client, other_client, smtp):
    sink, sender = smtp
    org = await helpers.make_member("org@example.org", "Olive")
    club = await helpers.make_club(organizer=org, welcome_message="Hi!")
    event = await helpers.make_event(club, capacity=5, taken=1)
    other = await helpers.make_member("n@example.org", "Newt")

    # The member signs up through the real form and confirms through the mailed link.
    signup = await post(
        client, "/signup", {"email": EMAIL, "display_name": NAME, "password": PASSWORD}
    )
    assert signup.status_code == 303
    token = (await Outbox.select(Outbox.payload).where(Outbox.kind == "signup_confirm").first())[
        "payload"
    ]
    token = (json.loads(token) if isinstance(token, str) else token)["token"]
    assert (await post(client, "/signup/confirm", {"token": token})).status_code == 303
    me = (await Outbox.select(Outbox.recipient).where(Outbox.kind == "signup_confirm").first())[
        "recipient"
    ]
    # A life on Steady: login attempts (rate-limit keys), a club, an RSVP, a role, notes
    # both ways, a report, mails queued and sent, a second session.
    await post(other_client, "/login", {"email": EMAIL, "password": "wrong password"})
    await post(other_client, "/password/forgot", {"email": EMAIL})
    assert (await post(client, "/clubs/trail-club/join")).status_code == 303
    assert (await post(client, f"/events/{event}/rsvp", {"response": "yes"})).status_code == 303
    role = (
        await VolunteerRole.insert(VolunteerRole(event=event, name="Greeter")).returning(
            VolunteerRole.id
        )
    )[0]["id"]
    await RoleSignup.insert(RoleSignup(role=role, member=me))
    await Membership.insert(Membership(member=other, club=club))
    await WelcomeNote.insert(
        WelcomeNote(club=club, author=org, newcomer=me, message=f"Welcome {NAME}!"),
        WelcomeNote(club=club, author=me, newcomer=other, message="Glad you came"),
    )
    await Report.insert(
        Report(club=club, reporter=me, subject_kind="event", subject_id=event, reason="x")
    )
    await send_pending(sender)
    await helpers.login(other_client, me)
    before = await dump_database()
    assert EMAIL in before and NAME.lower() in before

    done = await post(client, "/account/delete", {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 200
    await send_pending(sender)  # the goodbye mail goes out, then its address is dropped

    dump = await dump_database()
    for needle in (EMAIL, NAME.lower(), "zephyrine"):
        assert needle not in dump, f"{needle!r} survives erasure"
    redis_dump = await dump_redis()
    assert EMAIL not in redis_dump and "zephyrine" not in redis_dump
    # Counts stay right; sessions are gone on every device.
    assert await Rsvp.count().where((Rsvp.event == event) & (Rsvp.status == "going")) == 1
    assert (await other_client.get("/account")).status_code == 303
    goodbye = [m for m in sink.to(EMAIL) if "deleted" in str(m["Subject"])]
    assert len(goodbye) == 1, "the erasure is confirmed by a mail to the old address"


async def test_password_reset_mail_is_sent_with_a_working_link(client, smtp):
    sink, sender = smtp
    await helpers.make_member(EMAIL, NAME)
    assert (await post(client, "/password/forgot", {"email": EMAIL})).status_code == 200
    await send_pending(sender)
    [message] = sink.to(EMAIL)
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = next(w for w in body.split() if "/password/reset?token=" in w)
    path = link.removeprefix(get_settings().base_url)
    assert (await client.get(path)).status_code == 200


# ---------------------------------------------------------------- discreet mode

CLUB_NAME = "Mile High Narcotics Anonymous"
TITLE = "NA Step Study"
GIVEAWAYS = ("mile high", "narcotics", "anonymous", "12-step", "twelve", "step study", "na ")


def all_text(message: EmailMessage) -> str:
    parts = [str(message["Subject"]), str(message["From"])]
    for part in message.walk():
        if part.get_content_maintype() == "text" or part.get_content_type() == "text/calendar":
            parts.append(str(part.get_content()))
    return "\n".join(parts)


async def discreet_setup() -> tuple[int, int, int]:
    org = await helpers.make_member("org@example.org", "Olive")
    club = await helpers.make_club(
        slug="mile-high-na",
        name=CLUB_NAME,
        organizer=org,
        kind="twelve_step",
        welcome_message=f"Glad you're here at {CLUB_NAME}.",  # organizers do name the group
        description="Twelve step fellowship",
    )
    event = await helpers.make_event(
        club, title=TITLE, location="Community hall, room 5", description="Narcotics Anonymous"
    )
    me = await helpers.make_member(EMAIL, NAME, discreet=True)
    await Membership.insert(Membership(member=me, club=club))
    await Rsvp.insert(Rsvp(event=event, member=me, status="going"))
    return club, event, me


async def test_discreet_member_mails_name_no_group_kind_or_title(client):
    club, event, me = await discreet_setup()
    message = (
        await EventMessage.insert(
            EventMessage(event=event, subject="Room change", body="We moved to room 6.")
        ).returning(EventMessage.id)
    )[0]["id"]
    kinds = {
        "invite": {"partstat": "ACCEPTED"},
        "update": {"sequence": 1},
        "reminder": {"lead_minutes": 120},
        "message": {"message_id": message},
        "welcome": {},
    }
    for kind, payload in kinds.items():
        await outbox.add(
            kind,
            f"{kind}:probe",
            recipient=me,
            event=None if kind == "welcome" else event,
            club=club,
            payload=payload,
        )
    await Event.update({Event.status: "cancelled"}).where(Event.id == event)
    await outbox.add("cancel", "cancel:probe", recipient=me, event=event, club=club)
    await Event.update({Event.status: "scheduled"}).where(Event.id == event)

    now = utcnow()
    built = 0
    for row in await Outbox.select().order_by(Outbox.id):
        if row["kind"] == "cancel":
            await Event.update({Event.status: "cancelled"}).where(Event.id == event)
        loaded = await delivery.load(delivery.OutboxRow.of(row), now)
        assert isinstance(loaded, delivery.Mail), (row["kind"], loaded)
        text = all_text(mail_builder.build_message(loaded, get_settings(), now)).lower()
        for word in GIVEAWAYS:
            assert word not in text, f"{row['kind']} mail reveals {word!r}"
        if row["kind"] in ("invite", "update", "reminder", "cancel"):
            assert "steady: " in text and " meetup" in text, "the neutral title is used"
        built += 1
    assert built == 6


async def test_discreet_private_feed_uses_neutral_titles_only(client):
    *_, me = await discreet_setup()
    response = await client.get(f"/me/calendar/{feed_token(me, 1)}.ics")
    assert response.status_code == 200
    text = response.text.lower()
    for word in GIVEAWAYS:
        assert word not in text, f"the discreet feed reveals {word!r}"
    assert "summary:steady: " in text and "meetup" in text


# ---------------------------------------------------------------- attendee-only details

SECRET_PLACE = "12 Hidden Lane"
SECRET_LINK = "https://meet.example/j/98765?pwd=hush"


async def test_attendee_only_location_and_link_stay_off_public_pages_and_feeds(
    client, other_client
):
    org = await helpers.make_member("org@example.org", "Olive")
    club = await helpers.make_club(organizer=org)
    event = await helpers.make_event(
        club,
        location=SECRET_PLACE,
        online_url=SECRET_LINK,
        location_hint="Near Riverside Park",
        details_for_attendees_only=True,
    )
    goer = await helpers.make_member("go@example.org", "Goer")
    waiter = await helpers.make_member("wait@example.org", "Waiter")
    await Membership.insert(
        Membership(member=goer, club=club), Membership(member=waiter, club=club)
    )
    await Rsvp.insert(
        Rsvp(event=event, member=goer, status="going"),
        Rsvp(event=event, member=waiter, status="waitlisted"),
    )
    public = [
        "/",
        f"/events/{event}",
        "/clubs/trail-club",
        "/clubs",
        "/calendar.ics",
        "/clubs/trail-club/calendar.ics",
        f"/events/{event}.ics",
        "/?q=hidden",
    ]
    for url in public:
        text = (await other_client.get(url)).text
        for secret in (SECRET_PLACE, "meet.example", "hush"):
            assert secret not in text, f"{secret!r} on {url} for a visitor"
    page = (await other_client.get(f"/events/{event}")).text
    assert "Near Riverside Park" in page
    # A member on the waitlist is not going: public view, on the page and in their feed.
    await helpers.login(client, waiter)
    for url in (f"/events/{event}", f"/me/calendar/{feed_token(waiter, 1)}.ics"):
        text = (await client.get(url)).text
        assert SECRET_PLACE not in text and "meet.example" not in text, url
    # Searching for the secret place does not find the event either.
    assert f'/events/{event}"' not in (await other_client.get("/?q=Hidden+Lane")).text
    # Going: the details are one tap away.
    await helpers.login(client, goer)
    text = (await client.get(f"/events/{event}")).text
    assert SECRET_PLACE in text and SECRET_LINK.replace("&", "&amp;") in text
    feed = (await client.get(f"/me/calendar/{feed_token(goer, 1)}.ics")).text
    assert SECRET_PLACE in feed.replace("\r\n ", "")


# ---------------------------------------------------------------- bounded work


async def test_oversized_descriptions_are_refused_and_body_size_is_capped(client):
    org = await helpers.make_member("org@example.org", "Olive")
    await helpers.make_club(organizer=org)
    await helpers.login(client, org)
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    bomb = "[" * 40_000
    refused = await post(
        client,
        "/clubs/trail-club/events/new",
        {
            "title": "Hike",
            "starts_at": f"{day}T09:00",
            "ends_at": f"{day}T11:00",
            "description": bomb,
            "repeat": "none",
            "guests_allowed": "0",
        },
    )
    assert refused.status_code == 422 and await Event.count() == 0
    club_edit = await post(
        client,
        "/clubs/trail-club/edit",
        {"name": "Trail Club", "kind": "activity", "timezone": "UTC", "description": bomb},
    )
    assert club_edit.status_code == 422
    assert (await Club.select(Club.description).first())["description"] == ""
    huge = await post(client, "/clubs/trail-club/edit", {"description": "x" * 400_000})
    assert huge.status_code == 413


@pytest.mark.parametrize(
    "source",
    [
        "[" * 10_000,
        "*a" * 5_000,
        "[a](" * 2_500,
        "> " * 5_000,
        "- " * 5_000,
        "`" * 10_000,
        "<" * 10_000,
        "_a" * 5_000,
        "![" * 5_000,
        ("1. " * 50 + "\n") * 60,
    ],
    ids=[
        "brackets",
        "emphasis",
        "links",
        "quotes",
        "lists",
        "backticks",
        "angles",
        "under",
        "images",
        "nested-lists",
    ],
)
def test_pathological_markdown_renders_fast(source: str) -> None:
    # CPU time of this thread, not wall time: `make flakes` caught the wall-clock version
    # failing on a busy machine (0.56 s while other processes held both cores). A quadratic
    # parser would still spend seconds of CPU here.
    markdown.render_markdown.cache_clear()
    started = time.thread_time()
    markdown.render_markdown(source[: markdown.MAX_SOURCE])
    assert time.thread_time() - started < 0.5
