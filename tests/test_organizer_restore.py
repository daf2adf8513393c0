"""Restoring a cancelled event (#16 item 2): places kept, SEQUENCE up, one REQUEST per person
who was going or waitlisted (through the outbox, a real worker and SMTP), "Back on" on the
page and in the feeds, and no overbooking when RSVPs race the restore."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from events.services import rsvps
from events.services.calendar import BACK_ON
from events.tables import Event, Membership, Outbox, Role, Rsvp, Series
from events.timefmt import utcnow
from tests import helpers
from tests.feeds_support import all_parsers_agree
from tests.test_rsvps_concurrency import logged_in_phones, warm_up
from tests.test_workers_invites import mail, send_all, uid  # noqa: F401  (mail: a fixture)
from tests.workers_support import calendar_part, text_of

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


async def club_with_organizer(client: httpx.AsyncClient) -> tuple[int, int]:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    await helpers.login(client, organizer)
    return organizer, club


async def answer(event: int, name: str) -> int:
    member = await helpers.make_member(f"{name.lower()}@example.org", name)
    await rsvps.respond(event, member, "yes")
    return member


async def statuses(event: int) -> dict[int, str]:
    rows = await Rsvp.select(Rsvp.member, Rsvp.status).where(Rsvp.event == event)
    return {int(r["member"]): r["status"] for r in rows}


async def test_restore_keeps_places_and_mails_each_attendee_once(client, other_client, mail):  # noqa: F811
    sink, smtp = mail
    _, club = await club_with_organizer(client)
    event = await helpers.make_event(club, title="Saturday hike", capacity=2)
    ash, bo, cy = [await answer(event, n) for n in ("Ash", "Bo", "Cy")]
    dee = await helpers.make_member("dee@example.org", "Dee")
    await rsvps.respond(event, dee, "no")
    before = await statuses(event)
    assert before == {ash: "going", bo: "going", cy: "waitlisted", dee: "not_going"}
    await send_all(smtp)

    cancelled = await helpers.post(client, f"/events/{event}/cancel", {"reason": "Storm"})
    assert cancelled.status_code == 303
    await send_all(smtp)
    cancels = [m for m in sink.received if calendar_part(m)[0] == "CANCEL"]
    assert sorted(m["To"] for m in cancels) == [
        "ash@example.org",
        "bo@example.org",
        "cy@example.org",
    ]
    # Cancelling keeps every RSVP and the counters.
    assert await statuses(event) == before
    sent_before = len(sink.received)
    cancel_seq = {m["To"]: _sequence(m) for m in cancels}

    restored = await helpers.post(client, f"/events/{event}/restore")
    assert restored.status_code == 303 and restored.headers["location"] == f"/events/{event}"
    row = await Event.select().where(Event.id == event).first()
    assert row["status"] == "scheduled" and row["cancelled_at"] is None
    assert row["restored_at"] is not None and row["cancel_reason"] == ""
    assert (row["taken"], row["waitlisted"]) == (2, 1)
    assert await statuses(event) == before

    # A double submit restores nothing more.
    again = await helpers.post(client, f"/events/{event}/restore")
    assert again.status_code == 409
    await send_all(smtp)
    await send_all(smtp)
    new = sink.received[sent_before:]
    assert sorted(m["To"] for m in new) == ["ash@example.org", "bo@example.org", "cy@example.org"]
    for message in new:
        method, _ = calendar_part(message)
        assert method == "REQUEST"
        assert message["Subject"].startswith("Back on: Saturday hike")
        assert "back on" in text_of(message)
        parsed = all_parsers_agree(_calendar_bytes(message))[uid(event)]
        assert parsed.status == "CONFIRMED"
        assert parsed.sequence > cancel_seq[message["To"]]
    waitlisted = next(m for m in new if m["To"] == "cy@example.org")
    assert "on the waitlist" in text_of(waitlisted)

    page = await other_client.get(f"/events/{event}")
    assert page.status_code == 200 and "Back on:" in page.text and "Cancelled:" not in page.text
    feed = await other_client.get(f"/events/{event}.ics")
    parsed = all_parsers_agree(feed.content)[uid(event)]
    assert parsed.status == "CONFIRMED" and parsed.summary == "Saturday hike"
    assert BACK_ON.split(":")[0] in feed.text.replace("\r\n ", "")
    club_feed = await other_client.get("/clubs/trail-club/calendar.ics")
    assert "Back on" in club_feed.text.replace("\r\n ", "")
    # Cancelled again, the page and feed say so and no longer say "Back on".
    await helpers.post(client, f"/events/{event}/cancel", {"reason": "Storm again"})
    page = await other_client.get(f"/events/{event}")
    assert "Back on:" not in page.text and "Cancelled:" in page.text


def _calendar_bytes(message) -> bytes:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            raw = part.get_payload(decode=True)
            assert isinstance(raw, bytes)
            # As the calendar client sees it: the mail's line ends are CRLF on the wire.
            return raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    raise AssertionError("no calendar part")


def _sequence(message) -> int:
    return all_parsers_agree(_calendar_bytes(message))[uid_of(message)].sequence


def uid_of(message) -> str:
    _, cal = calendar_part(message)
    return str(cal.walk("VEVENT")[0]["UID"])


async def test_restore_following_brings_back_those_cancelled_together(client) -> None:
    _, club = await club_with_organizer(client)
    series = (
        await Series.insert(Series(club=club, repeat_until=utcnow().date())).returning(Series.id)
    )[0]["id"]
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    ids = [
        await helpers.make_event(club, starts_at=start + timedelta(weeks=i), series=series)
        for i in range(4)
    ]
    # The second date was cancelled on its own first; then the first "and following".
    await helpers.post(client, f"/events/{ids[1]}/cancel", {"reason": "Holiday"})
    await helpers.post(client, f"/events/{ids[0]}/cancel", {"scope": "following"})
    restored = await helpers.post(client, f"/events/{ids[0]}/restore", {"scope": "following"})
    assert restored.status_code == 303
    rows = await Event.select(Event.id, Event.status, Event.cancel_reason).order_by(Event.starts_at)
    assert [r["status"] for r in rows] == ["scheduled", "cancelled", "scheduled", "scheduled"]
    assert rows[1]["cancel_reason"] == "Holiday"
    page = await client.get(f"/events/{ids[1]}")
    assert "Restore event" in page.text and "This and the following dates" in page.text


async def test_restore_refused_once_started_and_for_non_organizers(client, other_client) -> None:
    _, club = await club_with_organizer(client)
    started = await helpers.make_event(
        club, starts_at=utcnow() - timedelta(minutes=5), status="cancelled", sequence=1
    )
    response = await helpers.post(client, f"/events/{started}/restore")
    assert response.status_code == 409 and "already started" in response.text
    assert (await Event.select(Event.status).where(Event.id == started).first())[
        "status"
    ] == "cancelled"
    assert "Restore event" not in (await client.get(f"/events/{started}")).text

    later = await helpers.make_event(club, status="cancelled", sequence=1)
    member = await helpers.make_member("riley@example.org", "Riley")
    await Membership.insert(Membership(member=member, club=club, role=Role.member.value))
    await helpers.login(other_client, member)
    refused = await helpers.post(other_client, f"/events/{later}/restore")
    assert refused.status_code == 403
    assert "Restore event" not in (await other_client.get(f"/events/{later}")).text
    assert await Outbox.count() == 0


@pytest.fixture
async def phones(live_server: str) -> AsyncIterator[list[tuple[int, httpx.AsyncClient]]]:
    opened = await logged_in_phones(live_server, 13)
    yield opened
    for _, phone in opened:
        await phone.aclose()


async def test_restore_racing_rsvps_cannot_overbook(phones) -> None:
    """Three places kept for the three going; twelve newcomers tap "yes" while the organizer
    restores. Each tap is refused (still cancelled) or waitlisted (restored and full)."""
    (organizer, organizer_phone), *others = phones
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, capacity=3)
    kept = [member for member, _ in others[:3]]
    for member in kept:
        await rsvps.respond(event, member, "yes")
    cancelled = await organizer_phone.post(f"/events/{event}/cancel", headers=SAME_ORIGIN)
    assert cancelled.status_code == 303
    tappers = others[3:]
    await asyncio.gather(*(warm_up(p) for _, p in phones))
    start = asyncio.Event()

    async def go(request):
        await start.wait()
        return await request

    tasks = [
        asyncio.create_task(
            go(organizer_phone.post(f"/events/{event}/restore", headers=SAME_ORIGIN))
        )
    ] + [
        asyncio.create_task(
            go(
                phone.post(
                    f"/events/{event}/rsvp",
                    data={"response": "yes"},
                    headers={**SAME_ORIGIN, "HX-Request": "true"},
                )
            )
        )
        for _, phone in tappers
    ]
    await asyncio.sleep(0)
    start.set()
    responses = await asyncio.gather(*tasks)
    assert responses[0].status_code == 303
    assert {r.status_code for r in responses[1:]} <= {200, 422}
    row = (
        await Event.select(Event.taken, Event.waitlisted, Event.status)
        .where(Event.id == event)
        .first()
    )
    assert row["status"] == "scheduled" and row["taken"] == 3
    now = await statuses(event)
    assert all(now[m] == "going" for m in kept)
    newcomers = [now.get(m) for m, _ in tappers]
    assert "going" not in newcomers
    assert row["waitlisted"] == newcomers.count("waitlisted")
    accepted_after = [r.status_code for r in responses[1:]].count(200)
    assert accepted_after == newcomers.count("waitlisted")
