"""iMIP invites, updates and cancellations through the outbox, a real arq worker on the test
Redis and a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from events.mail_transport import SmtpTransport
from events.services import calendar, outbox, rsvps
from events.settings import get_settings
from events.tables import Event, EventStatus, Member, Outbox
from events.timefmt import utcnow
from tests import helpers
from tests.workers_support import SmtpSink, calendar_part, drain, smtp_server, transport, vevent


@pytest.fixture
async def mail() -> AsyncIterator[tuple[SmtpSink, SmtpTransport]]:
    with smtp_server() as (sink, url):
        smtp = transport(url)
        yield sink, smtp
        await smtp.close()


async def setup_event(**fields):
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer, welcome_message="Glad you came.")
    event = await helpers.make_event(club, title="Saturday hike", **fields)
    member = await helpers.make_member("riley@example.org", "Riley")
    return club, event, member


def uid(event_id: int) -> str:
    return calendar.event_uid({"id": event_id}, get_settings().hostname)


async def move(event_id: int, club: int, members: list[int], hours: int = 24) -> None:
    """What the organizer's edit does: new time, SEQUENCE + 1, one update row per attendee."""
    row = await Event.select().where(Event.id == event_id).first()
    sequence = row["sequence"] + 1
    await Event.update(
        {
            Event.starts_at: row["starts_at"] + timedelta(hours=hours),
            Event.ends_at: row["ends_at"] + timedelta(hours=hours),
            Event.sequence: sequence,
        }
    ).where(Event.id == event_id)
    for member in members:
        await outbox.add(
            "update",
            f"update:event:{event_id}:{member}:{sequence}",
            recipient=member,
            event=event_id,
            club=club,
            payload={"sequence": sequence},
        )


async def cancel_event(event_id: int, club: int, members: list[int]) -> None:
    row = await Event.select().where(Event.id == event_id).first()
    sequence = row["sequence"] + 1
    await Event.update({Event.status: EventStatus.cancelled.value, Event.sequence: sequence}).where(
        Event.id == event_id
    )
    for member in members:
        await outbox.add(
            "cancel",
            f"cancel:event:{event_id}:{member}:{sequence}",
            recipient=member,
            event=event_id,
            club=club,
            payload={"sequence": sequence, "event_cancelled": True},
        )


async def send_all(smtp: SmtpTransport) -> None:
    """Enqueue every pending row the way the request middleware does, then run the worker."""
    from events.queue import enqueue
    from events.redis_conn import arq_pool

    pool = await arq_pool(get_settings().redis_url or "")
    try:
        ids = [r["id"] for r in await Outbox.select(Outbox.id).where(Outbox.state == "pending")]
        await enqueue(pool, ids)
    finally:
        await pool.aclose()
    await drain({"mailer": smtp})


async def test_rsvp_sends_one_request_with_the_event_uid(client, mail):
    sink, smtp = mail
    _, event, member = await setup_event()
    await helpers.login(client, member)
    response = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    assert response.status_code == 303  # a plain form POST: back to the event page

    await drain({"mailer": smtp})  # the request's middleware enqueued the job
    await drain({"mailer": smtp})  # a second run finds nothing to send

    assert len(sink.received) == 1
    message = sink.received[0]
    assert message["To"] == "riley@example.org"
    assert message["Subject"].startswith("You're going: Saturday hike")
    row = await Outbox.select().where(Outbox.kind == "invite").first()
    assert row["state"] == "sent" and row["attempts"] == 1
    assert message["Message-ID"] == f"<outbox-{row['id']}@{get_settings().hostname}>"
    assert message.get_content_type() == "multipart/alternative"
    types = [p.get_content_type() for p in message.iter_parts()]
    assert types == ["text/plain", "text/html", "text/calendar"]
    method, cal = calendar_part(message)
    assert method == "REQUEST" and cal["METHOD"] == "REQUEST"
    ev = vevent(message)
    assert str(ev["UID"]) == uid(event)
    assert int(ev["SEQUENCE"]) == 0
    assert str(ev["ORGANIZER"]) == "mailto:no-reply@localhost"
    attendee = ev["ATTENDEE"]
    assert str(attendee) == "mailto:riley@example.org"
    assert attendee.params["PARTSTAT"] == "ACCEPTED"
    assert attendee.params["RSVP"] == "FALSE"
    assert sink.envelopes == [("no-reply@localhost", ["riley@example.org"])]


async def test_move_sends_a_request_with_a_higher_sequence(mail):
    sink, smtp = mail
    club, event, member = await setup_event()
    await rsvps.respond(event, member, "yes")
    await send_all(smtp)
    await move(event, club, [member])
    await send_all(smtp)

    first, second = sink.received
    assert second["Subject"].startswith("Updated: Saturday hike")
    old, new = vevent(first), vevent(second)
    assert calendar_part(second)[0] == "REQUEST"
    assert str(new["UID"]) == str(old["UID"]) == uid(event)
    assert int(new["SEQUENCE"]) > int(old["SEQUENCE"])
    assert new.decoded("DTSTART") - old.decoded("DTSTART") == timedelta(hours=24)


async def test_member_cancel_sends_cancel_and_a_new_yes_a_newer_request(mail):
    sink, smtp = mail
    _, event, member = await setup_event()
    await rsvps.respond(event, member, "yes")
    await send_all(smtp)
    await rsvps.respond(event, member, "no")
    await send_all(smtp)
    await rsvps.respond(event, member, "yes")
    await send_all(smtp)

    invite, cancel, again = sink.received
    method, cal = calendar_part(cancel)
    assert method == "CANCEL" and cal["METHOD"] == "CANCEL"
    assert str(vevent(cancel)["STATUS"]) == "CANCELLED"
    assert cancel["Subject"].startswith("RSVP cancelled: Saturday hike")
    sequences = [int(vevent(m)["SEQUENCE"]) for m in (invite, cancel, again)]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    assert calendar_part(again)[0] == "REQUEST"
    assert {str(vevent(m)["UID"]) for m in sink.received} == {uid(event)}


async def test_event_cancelled_sends_cancel_to_everyone_going(mail):
    sink, smtp = mail
    club, event, member = await setup_event()
    other = await helpers.make_member("sam@example.org", "Sam")
    await rsvps.respond(event, member, "yes")
    await rsvps.respond(event, other, "yes")
    await send_all(smtp)
    await cancel_event(event, club, [member, other])
    await send_all(smtp)

    cancels = [m for m in sink.received if calendar_part(m)[0] == "CANCEL"]
    assert sorted(m["To"] for m in cancels) == ["riley@example.org", "sam@example.org"]
    for message in cancels:
        ev = vevent(message)
        assert str(ev["STATUS"]) == "CANCELLED"
        assert int(ev["SEQUENCE"]) >= 1
        assert message["Subject"].startswith("Cancelled: Saturday hike")
        assert not isinstance(ev.get("ATTENDEE"), list)  # only the recipient


async def test_waitlist_promotion_sends_a_fresh_request(mail):
    sink, smtp = mail
    _, event, first = await setup_event(capacity=1)
    second = await helpers.make_member("sam@example.org", "Sam")
    await rsvps.respond(event, first, "yes")
    await rsvps.respond(event, second, "yes")
    await send_all(smtp)
    await rsvps.respond(event, first, "no")
    await send_all(smtp)

    to_second = sink.to("sam@example.org")
    assert [vevent(m)["ATTENDEE"].params["PARTSTAT"] for m in to_second] == [
        "TENTATIVE",
        "ACCEPTED",
    ]
    assert all(calendar_part(m)[0] == "REQUEST" for m in to_second)
    assert to_second[0]["Subject"].startswith("You're on the waitlist")
    assert [calendar_part(m)[0] for m in sink.to("riley@example.org")] == ["REQUEST", "CANCEL"]


async def test_invite_for_an_rsvp_cancelled_before_sending_is_skipped(mail):
    sink, smtp = mail
    _, event, member = await setup_event()
    await rsvps.respond(event, member, "yes")
    await rsvps.respond(event, member, "no")
    await send_all(smtp)

    assert [calendar_part(m)[0] for m in sink.received] == ["CANCEL"]
    invite = await Outbox.select().where(Outbox.kind == "invite").first()
    assert invite["state"] == "skipped"
    assert "cancelled" in invite["last_error"]


async def test_discreet_member_gets_neutral_subjects_and_no_club_name(mail):
    sink, smtp = mail
    _, event, member = await setup_event()
    await Member.update({Member.discreet: True}).where(Member.id == member)
    await rsvps.respond(event, member, "yes")
    await send_all(smtp)

    (message,) = sink.received
    raw = message.as_string()
    assert "Trail Club" not in raw and "Saturday hike" not in raw
    assert "hike" not in message["Subject"].lower()
    assert message["Subject"].startswith("Your plans for")
    assert "Trail Club" not in str(vevent(message).get("SUMMARY"))


async def test_header_injection_from_titles_and_names_goes_nowhere(mail):
    sink, smtp = mail
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Hike\r\nBcc: everyone@evil.example\r\nX-Evil: 1")
    member = await helpers.make_member("riley@example.org", "Riley\r\nCc: spy@evil.example")
    await rsvps.respond(event, member, "yes")
    await send_all(smtp)

    (message,) = sink.received
    assert message["Bcc"] is None and message["Cc"] is None and message["X-Evil"] is None
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert sink.envelopes == [("no-reply@localhost", ["riley@example.org"])]
    attendees = vevent(message).get("ATTENDEE")
    assert not isinstance(attendees, list)
    assert "evil" not in str(attendees)


async def test_organizer_message_and_welcome_mail(mail):
    from events.tables import EventMessage, Membership

    sink, smtp = mail
    club, event, member = await setup_event()
    await Membership.insert(Membership(member=member, club=club))
    await outbox.add("welcome", f"welcome:{club}:{member}:1", recipient=member, club=club)
    await rsvps.respond(event, member, "yes")
    rows = await EventMessage.insert(
        EventMessage(event=event, subject="Bring water", body="It will be hot.\nSee you!")
    ).returning(EventMessage.id)
    await outbox.add(
        "message",
        f"message:{rows[0]['id']}:{member}",
        recipient=member,
        event=event,
        club=club,
        payload={"message_id": rows[0]["id"]},
    )
    await send_all(smtp)

    by_subject = {m["Subject"]: m for m in sink.received}
    welcome = by_subject["Welcome to Trail Club"]
    assert "Glad you came." in welcome.get_body(("plain",)).get_content()
    message = next(m for s, m in by_subject.items() if s.startswith("Bring water"))
    body = message.get_body(("plain",)).get_content()
    assert "It will be hot." in body
    assert message["List-Unsubscribe"].startswith("<http://127.0.0.1:8000/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert welcome["List-Unsubscribe"] is None


async def test_signup_mails_carry_the_confirm_link_or_the_login_hint(mail):
    sink, smtp = mail
    member = await helpers.make_member("new@example.org", "Nova")
    await Member.update({Member.email_confirmed: False}).where(Member.id == member)
    await outbox.add(
        "signup_confirm", "signup-confirm:x", recipient=member, payload={"token": "5.123.abc"}
    )
    await outbox.add("signup_existing", "signup-existing:y", recipient=member)
    await send_all(smtp)

    confirm = next(m for m in sink.received if m["Subject"] == "Confirm your email for Steady")
    text = confirm.get_body(("plain",)).get_content()
    assert "http://127.0.0.1:8000/signup/confirm?token=5.123.abc" in text
    existing = next(m for m in sink.received if m["Subject"] == "Your Steady account")
    assert "already have an account" in existing.get_body(("plain",)).get_content()
    assert all(m.get_content_type() == "multipart/alternative" for m in sink.received)


async def test_going_event_mail_is_sent_once_per_row_whatever_reruns(mail):
    sink, smtp = mail
    _, event, member = await setup_event(starts_at=utcnow() + timedelta(days=2))
    await rsvps.respond(event, member, "yes")
    for _ in range(3):
        await send_all(smtp)
    assert len(sink.received) == 1
