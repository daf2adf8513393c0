"""Capacity under real concurrency: many members tap RSVP at once against `steady web`
(a separate process on the test database, SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from piccolo_api.session_auth.tables import SessionsBase

from events.auth import SESSION_COOKIE
from events.tables import Event, Member, Outbox, Rsvp
from tests import helpers


async def logged_in_phones(base_url: str, count: int) -> list[tuple[int, httpx.AsyncClient]]:
    """Members with sessions created directly (as tests.helpers.login does), in bulk: one
    insert each for members and sessions keeps set-up fast on a disk that fsyncs."""
    rows = await Member.insert(
        *[
            Member(
                email=f"p{i}@example.org",
                display_name=f"Phone {i}",
                password_hash="unused",
                email_confirmed=True,
            )
            for i in range(count)
        ]
    ).returning(Member.id)
    member_ids = [int(r["id"]) for r in rows]
    expiry = datetime.now() + timedelta(days=14)
    sessions = [
        SessionsBase(
            token=secrets.token_urlsafe(32),
            user_id=m,
            expiry_date=expiry,
            max_expiry_date=expiry + timedelta(days=30),
        )
        for m in member_ids
    ]
    await SessionsBase.insert(*sessions)
    phones = []
    for member_id, session in zip(member_ids, sessions, strict=True):
        client = httpx.AsyncClient(base_url=base_url, timeout=60)
        client.cookies.set(SESSION_COOKIE, session.token)
        phones.append((member_id, client))
    return phones


async def warm_up(client: httpx.AsyncClient) -> None:
    """A real page first, as a browser would (also opens the connection)."""
    response = await client.get("/help")
    assert response.status_code == 200


async def tap(client: httpx.AsyncClient, event_id: int, start: asyncio.Event, **form: str):
    await start.wait()
    return await client.post(
        f"/events/{event_id}/rsvp",
        data=form,
        headers={"HX-Request": "true", "Sec-Fetch-Site": "same-origin"},
    )


@pytest.fixture
async def phones(live_server: str) -> AsyncIterator[list[tuple[int, httpx.AsyncClient]]]:
    opened = await logged_in_phones(live_server, 50)
    yield opened
    for _, client in opened:
        await client.aclose()


async def fire(phones, event_id: int, forms: list[dict[str, str]]) -> list[httpx.Response]:
    # Warm connections right before the burst (idle keep-alives time out).
    await asyncio.gather(*(warm_up(client) for _, client in {id(p): p for p in phones}.values()))
    start = asyncio.Event()
    tasks = [
        asyncio.create_task(tap(client, event_id, start, **form))
        for (_, client), form in zip(phones, forms, strict=False)
    ]
    await asyncio.sleep(0)  # let every task reach the gate
    start.set()
    return await asyncio.gather(*tasks)


async def test_fifty_taps_for_ten_places(phones):
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=10)
    responses = await fire(phones, event, [{"response": "yes"}] * 50)
    assert [r.status_code for r in responses] == [200] * 50

    rows = (
        await Rsvp.select(Rsvp.id, Rsvp.member, Rsvp.status, Rsvp.queued_at)
        .where(Rsvp.event == event)
        .order_by(Rsvp.queued_at)
    )
    statuses = [r["status"] for r in rows]
    assert statuses.count("going") == 10
    assert statuses.count("waitlisted") == 40
    # Arrival order: the ten who got places came first; the line is in the order of arrival
    # (rows are written in the order the serialized transactions ran).
    assert statuses == ["going"] * 10 + ["waitlisted"] * 40
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    event_row = await Event.select(Event.taken, Event.waitlisted).where(Event.id == event).first()
    assert (event_row["taken"], event_row["waitlisted"]) == (10, 40)
    invites = await Outbox.select(Outbox.payload).where(Outbox.kind == "invite")
    partstats = sorted(json.loads(p["payload"])["partstat"] for p in invites)
    assert partstats == ["ACCEPTED"] * 10 + ["TENTATIVE"] * 40

    clients = dict(phones)
    first_in_line = rows[10]["member"]
    second_in_line = rows[11]["member"]
    panel = await clients[second_in_line].get(f"/events/{event}", headers={"HX-Request": "true"})
    assert "number 2 in line" in panel.text

    # A going member cancels: the first in line gets the place, everyone else moves up.
    leaving = rows[3]["member"]
    response = await clients[leaving].post(
        f"/events/{event}/rsvp",
        data={"response": "no"},
        headers={"HX-Request": "true", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 200
    promoted = await Rsvp.select(Rsvp.status).where(
        (Rsvp.event == event) & (Rsvp.member == first_in_line)
    )
    assert promoted[0]["status"] == "going"
    page = await clients[second_in_line].get(f"/events/{event}")
    assert "number 1 in line" in page.text
    counters = await Event.select(Event.taken, Event.waitlisted).where(Event.id == event).first()
    assert (counters["taken"], counters["waitlisted"]) == (10, 39)
    kinds = await Outbox.select(Outbox.kind, Outbox.payload).where(
        Outbox.recipient == first_in_line
    )
    assert [k["kind"] for k in kinds] == ["invite", "invite"]


async def test_concurrent_guests_and_double_taps_keep_counts_exact(phones):
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=10, guests_allowed=2)
    # 25 members each tap twice at the same moment, with 0, 1 or 2 guests.
    forms = [{"response": "yes", "guests": str(i % 3)} for i in range(25)]
    doubled = [p for p in phones[:25] for _ in (0, 1)]
    responses = await fire(doubled, event, [f for f in forms for _ in (0, 1)])
    assert {r.status_code for r in responses} == {200}

    rows = await Rsvp.select(Rsvp.member, Rsvp.status, Rsvp.guests).where(Rsvp.event == event)
    assert len(rows) == 25  # one row per member despite the double taps
    assert await Outbox.count() == 25  # and one invite each
    going = sum(1 + r["guests"] for r in rows if r["status"] == "going")
    counters = await Event.select(Event.taken, Event.waitlisted).where(Event.id == event).first()
    taken = counters["taken"]
    assert going == taken <= 10
    assert counters["waitlisted"] == sum(r["status"] == "waitlisted" for r in rows)
    # Nobody waits who would fit in the places left.
    free = 10 - taken
    assert all(1 + r["guests"] > free for r in rows if r["status"] == "waitlisted")


async def test_hybrid_taps_keep_in_person_places_exact_and_online_open(phones):
    """#15: 40 in-person and 10 online taps at once on a hybrid event with 10 places."""
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=10, attendance="hybrid")
    forms = [
        {"response": "yes", "attendance": "online" if i % 5 == 0 else "in_person"}
        for i in range(50)
    ]
    responses = await fire(phones, event, forms)
    assert [r.status_code for r in responses] == [200] * 50

    rows = await Rsvp.select(Rsvp.status, Rsvp.attendance).where(Rsvp.event == event)
    seen = sorted((r["attendance"], r["status"]) for r in rows)
    assert seen.count(("in_person", "going")) == 10
    assert seen.count(("in_person", "waitlisted")) == 30
    assert seen.count(("online", "going")) == 10  # online has no cap: every tap got in
    counters = await Event.select(Event.taken, Event.waitlisted, Event.online_taken).where(
        Event.id == event
    )
    assert counters[0] == {"taken": 10, "waitlisted": 30, "online_taken": 10}

    # Ten going in person switch online at once: ten in line move up, exactly once each.
    clients = dict(phones)
    going = await Rsvp.select(Rsvp.member).where(
        (Rsvp.event == event) & (Rsvp.status == "going") & (Rsvp.attendance == "in_person")
    )
    switching = [(r["member"], clients[r["member"]]) for r in going]
    responses = await fire(switching, event, [{"response": "yes", "attendance": "online"}] * 10)
    assert [r.status_code for r in responses] == [200] * 10
    rows = await Rsvp.select(Rsvp.status, Rsvp.attendance).where(Rsvp.event == event)
    seen = sorted((r["attendance"], r["status"]) for r in rows)
    assert seen.count(("in_person", "going")) == 10
    assert seen.count(("in_person", "waitlisted")) == 20
    assert seen.count(("online", "going")) == 20
    counters = await Event.select(Event.taken, Event.waitlisted, Event.online_taken).where(
        Event.id == event
    )
    assert counters[0] == {"taken": 10, "waitlisted": 20, "online_taken": 20}
    invites = await Outbox.select(Outbox.payload).where(Outbox.kind == "invite")
    partstats = [json.loads(p["payload"])["partstat"] for p in invites]
    # 10 first places + 10 online + 10 switches + 10 promotions; 30 joined the line.
    assert sorted(partstats) == ["ACCEPTED"] * 40 + ["TENTATIVE"] * 30
