""" "Post again" (#16 item 3) and idempotent creating (#16 item 4): the copy's date moves to
the same weekday after today at the same wall-clock time (also across a DST change), and one
form key creates one event or series however often, and however concurrently, it is posted."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
import time_machine
from bs4 import BeautifulSoup

from events.recurrence import nth_weekday
from events.services.copies import next_same_weekday
from events.tables import Event, FormKey, Membership, Role, Series
from events.timefmt import to_local, utcnow
from tests import helpers
from tests.test_organizer_events import event_form, organizer_setup
from tests.test_rsvps_concurrency import logged_in_phones, warm_up

DENVER = ZoneInfo("America/Denver")
NEXT = utcnow().year + 1
SPRING = nth_weekday(NEXT, 3, 6, 2)  # second Sunday of March: Denver springs forward
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def inputs(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    return {str(i["name"]): str(i.get("value", "")) for i in soup.select("form input[name]")}


def test_next_same_weekday_is_after_today_and_the_original() -> None:
    tuesday, wednesday = date(2030, 1, 1), date(2030, 1, 2)
    assert next_same_weekday(date(2029, 12, 25), wednesday) == date(2030, 1, 8)
    assert next_same_weekday(date(2029, 12, 26), tuesday) == wednesday
    assert next_same_weekday(date(2029, 12, 25), tuesday) == date(2030, 1, 8)  # not today
    assert next_same_weekday(tuesday, tuesday) == date(2030, 1, 8)
    # An event still to come is posted again the week after it.
    assert next_same_weekday(date(2030, 1, 3), tuesday) == date(2030, 1, 10)
    assert next_same_weekday(date(2031, 6, 3), tuesday) == date(2031, 6, 10)


async def test_post_again_across_spring_forward_keeps_the_wall_clock(client) -> None:
    # Friday before the change, at noon in Denver (MST, UTC-7).
    friday = SPRING - timedelta(days=2)
    with time_machine.travel(
        datetime.combine(friday, datetime.min.time(), DENVER) + timedelta(hours=12), tick=False
    ):
        await organizer_setup(client)
        club = (await Membership.select(Membership.club).first())["club"]
        # A Tuesday run in January (MST) at 18:30, with a deadline the day before.
        january = nth_weekday(NEXT, 1, 1, 2)
        start = datetime.combine(january, datetime.min.time(), DENVER) + timedelta(
            hours=18, minutes=30
        )
        source = await helpers.make_event(
            club,
            title="Tuesday run",
            starts_at=start,
            hours=1.5,
            rsvp_deadline=start - timedelta(days=1),
            capacity=12,
            location="Boulder Creek path",
        )
        page = await client.get(f"/clubs/run-club/events/new?copy={source}")
        assert page.status_code == 200
        form = inputs(page.text)
        tuesday = SPRING + timedelta(days=2)  # the first Tuesday after today, now in MDT
        assert form["starts_at"] == f"{tuesday.isoformat()}T18:30"
        assert form["ends_at"] == f"{tuesday.isoformat()}T20:00"
        assert form["rsvp_deadline"] == f"{(tuesday - timedelta(days=1)).isoformat()}T18:30"
        assert form["title"] == "Tuesday run" and form["capacity"] == "12"
        assert form["location"] == "Boulder Creek path"
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", form["form_key"])
        assert "Copied from “Tuesday run”, moved to the next Tuesday" in page.text
        posted = await helpers.post(client, "/clubs/run-club/events/new", form)
        assert posted.status_code == 303
        copy = await Event.select().where(Event.id != source).first()
        local = to_local(copy["starts_at"], "America/Denver")
        assert (local.date(), local.strftime("%H:%M")) == (tuesday, "18:30")
        assert local.utcoffset() == timedelta(hours=-6)  # MDT, while the source was MST
        page = await client.get(f"/events/{source}")
        assert f'href="/clubs/run-club/events/new?copy={source}"' in page.text


async def test_post_again_only_from_this_club(client) -> None:
    await organizer_setup(client)
    elsewhere = await helpers.make_club(slug="other", name="Other")
    foreign = await helpers.make_event(elsewhere)
    response = await client.get(f"/clubs/run-club/events/new?copy={foreign}")
    assert response.status_code == 404
    assert "Saturday hike" not in response.text


async def test_retried_post_lands_on_the_event_it_created(client) -> None:
    await organizer_setup(client)
    form = inputs((await client.get("/clubs/run-club/events/new")).text)
    key = form["form_key"]
    day = utcnow().date() + timedelta(days=9)
    data = event_form(day, repeat="weekly", repeat_until=(day + timedelta(weeks=3)).isoformat())
    data["form_key"] = key
    first = await helpers.post(client, "/clubs/run-club/events/new", data)
    second = await helpers.post(client, "/clubs/run-club/events/new", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert await Series.count() == 1 and await Event.count() == 4
    # A bad form keeps its key, so fixing and sending it still creates once.
    bad = await helpers.post(
        client, "/clubs/run-club/events/new", {**data, "title": "", "form_key": "k" * 32}
    )
    assert bad.status_code == 422 and inputs(bad.text)["form_key"] == "k" * 32
    # A new form (new key) is a new event.
    fresh = {
        **event_form(day),
        "form_key": inputs((await client.get("/clubs/run-club/events/new")).text)["form_key"],
    }
    assert fresh["form_key"] != key
    third = await helpers.post(client, "/clubs/run-club/events/new", fresh)
    assert third.headers["location"] != first.headers["location"]
    assert await Event.count() == 5 and await FormKey.count() == 2


@pytest.fixture
async def organizer_phones(live_server: str) -> AsyncIterator[list[tuple[int, httpx.AsyncClient]]]:
    opened = await logged_in_phones(live_server, 1)
    # The same signed-in browser tapping many times: one session, many connections.
    member, first = opened[0]
    extra = []
    for _ in range(7):
        phone = httpx.AsyncClient(base_url=live_server, timeout=60)
        for name, value in first.cookies.items():
            phone.cookies.set(name, value)
        extra.append((member, phone))
    phones = [opened[0], *extra]
    yield phones
    for _, phone in phones:
        await phone.aclose()


async def test_concurrent_double_posts_create_one_series(organizer_phones) -> None:
    member = organizer_phones[0][0]
    await helpers.make_club(slug="run-club", name="Run Club", organizer=member)
    await asyncio.gather(*(warm_up(p) for _, p in organizer_phones))
    day = utcnow().date() + timedelta(days=6)
    data = event_form(day, repeat="weekly", repeat_until=(day + timedelta(weeks=2)).isoformat())
    data["form_key"] = "same-key-from-one-form-0123456789"
    start = asyncio.Event()

    async def tap(phone: httpx.AsyncClient) -> httpx.Response:
        await start.wait()
        return await phone.post("/clubs/run-club/events/new", data=data, headers=SAME_ORIGIN)

    tasks = [asyncio.create_task(tap(p)) for _, p in organizer_phones]
    await asyncio.sleep(0)
    start.set()
    responses = await asyncio.gather(*tasks)
    assert [r.status_code for r in responses] == [303] * len(organizer_phones)
    assert len({r.headers["location"] for r in responses}) == 1
    assert await Series.count() == 1 and await Event.count() == 3
    first = await Event.select(Event.id).order_by(Event.starts_at).first()
    assert responses[0].headers["location"] == f"/events/{first['id']}"
    assert await FormKey.count() == 1
    assert (await Membership.select(Membership.role).first())["role"] == Role.organizer.value
