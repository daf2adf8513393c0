"""Changing a series "this and following" (#16): preview, then confirm; mails, feeds, races."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import httpx
import pytest

from events.services.series_change import CANCEL_REASON
from events.tables import Event, EventStatus, Outbox, Rsvp, RsvpStatus, Series
from events.timefmt import to_local, utcnow
from tests import helpers
from tests.feeds_support import all_parsers_agree
from tests.test_organizer_events import event_form, going, organizer_setup, outbox_rows
from tests.test_rsvps_concurrency import logged_in_phones, tap, warm_up
from tests.workers_support import calendar_part, drain, smtp_server, transport

TZ = "America/Denver"


async def weekly_series(client, count: int = 6, **fields: str) -> list[dict]:
    first = utcnow().date() + timedelta(days=7)
    until = (first + timedelta(days=7 * (count - 1))).isoformat()
    response = await helpers.post(
        client,
        "/clubs/run-club/events/new",
        event_form(first, repeat="weekly", repeat_until=until, **fields),
    )
    assert response.status_code == 303
    return await Event.select().order_by(Event.starts_at)


def local_day(event: dict) -> date:
    return to_local(event["starts_at"], TZ).date()


def change_form(event: dict, repeat: str = "weekly", **fields: str) -> dict[str, str]:
    data = {
        "repeat": repeat,
        "first_day": local_day(event).isoformat(),
        "start_time": "18:30",
        "repeat_until": "",
    }
    data.update(fields)
    return data


async def send_all() -> list:
    with smtp_server() as (sink, url):
        smtp = transport(url)
        try:
            await drain({"mailer": smtp})
        finally:
            await smtp.close()
    return sink.received


async def test_preview_counts_what_changes_and_saves_nothing(client) -> None:
    await organizer_setup(client)
    events = await weekly_series(client)
    for event in events[1:]:
        await going(event["id"], f"M{event['id']}")
    await going(events[2]["id"], "Wait", RsvpStatus.waitlisted.value)
    await going(events[2]["id"], "Nope", RsvpStatus.not_going.value)
    page = await client.get(f"/events/{events[1]['id']}")
    assert f'href="/events/{events[1]["id"]}/series"' in page.text
    form = await client.get(f"/events/{events[1]['id']}/series")
    assert form.status_code == 200 and 'value="weekly" checked' in form.text
    until = (local_day(events[-1]) + timedelta(days=14)).isoformat()
    preview = await helpers.post(
        client,
        f"/events/{events[1]['id']}/series/preview",
        change_form(events[1], "biweekly", repeat_until=until),
    )
    assert preview.status_code == 200
    text = " ".join(preview.text.split())
    # Kept: 2nd, 4th, 6th; cancelled: 3rd (2 people: going + waitlisted) and 5th (1 person).
    assert "0 added, 0 moved, 2 cancelled, 3 unchanged" not in text  # until adds one more
    assert "1 added, 0 moved, 2 cancelled, 3 unchanged" in text
    assert "Cancelled: 2 dates, 3 people" in text
    assert "2 people to tell" in text and "1 person to tell" in text
    after = await Event.select().order_by(Event.starts_at)
    assert after == events
    assert await Outbox.count() == 0


async def test_weekly_to_biweekly_cancels_every_other_and_mails_once(client) -> None:
    await organizer_setup(client)
    events = await weekly_series(client)
    ash = await going(events[1]["id"], "Ash")
    bo = await going(events[1]["id"], "Bo", RsvpStatus.waitlisted.value)
    kim = await going(events[2]["id"], "Kim")
    until = local_day(events[-1]).isoformat()
    form = change_form(events[0], "biweekly", repeat_until=until)
    response = await helpers.post(client, f"/events/{events[0]['id']}/series", form)
    assert response.status_code == 303
    after = await Event.select().order_by(Event.starts_at)
    assert [e["status"] for e in after] == ["scheduled", "cancelled"] * 3
    assert after[1]["cancel_reason"] == CANCEL_REASON and after[1]["sequence"] == 1
    assert after[2]["sequence"] == 0  # kept as it was, Kim still going
    assert await Rsvp.exists().where((Rsvp.member == kim) & (Rsvp.status == "going"))
    series = await Series.select().first()
    assert series["repeat"] == "biweekly"
    rows = await outbox_rows("cancel")
    assert sorted(r["recipient"] for r in rows) == sorted([ash, bo])
    # A double submit changes nothing and mails no one twice.
    again = await helpers.post(client, f"/events/{events[0]['id']}/series", form)
    assert again.status_code == 303
    assert len(await outbox_rows("cancel")) == 2
    mails = await send_all()
    assert sorted(m["To"] for m in mails) == ["ash@example.org", "bo@example.org"]
    for mail in mails:
        method, cal = calendar_part(mail)
        assert method == "CANCEL"
        assert str(cal.walk("VEVENT")[0]["UID"]).startswith(f"event-{events[1]['id']}@")
    # The cancelled date stays in the event's feed as cancelled.
    feed = await client.get(f"/events/{events[1]['id']}.ics")
    (parsed,) = all_parsers_agree(feed.content).values()
    assert parsed.status == "CANCELLED" and parsed.sequence == 1


async def test_extending_the_end_date_adds_dates(client) -> None:
    await organizer_setup(client)
    events = await weekly_series(client, count=3, capacity="8")
    until = local_day(events[-1]) + timedelta(days=14)
    response = await helpers.post(
        client,
        f"/events/{events[1]['id']}/series",
        change_form(events[1], repeat_until=until.isoformat()),
    )
    assert response.status_code == 303
    after = await Event.select().order_by(Event.starts_at)
    assert [local_day(e) for e in after] == [
        local_day(events[0]) + timedelta(days=7 * i) for i in range(5)
    ]
    new = after[-1]
    assert new["capacity"] == 8 and new["taken"] == 0 and new["title"] == events[0]["title"]
    assert to_local(new["starts_at"], TZ).strftime("%H:%M") == "18:30"
    # From the 2nd date on: a series of its own; the first keeps the old one, ending before.
    assert after[0]["series"] != after[1]["series"] == new["series"]
    old = await Series.select().where(Series.id == after[0]["series"]).first()
    assert old["repeat_until"] == local_day(events[0]) + timedelta(days=6)
    assert await Outbox.count() == 0  # nobody's date moved or went away


async def test_moving_the_time_keeps_rsvps_and_bumps_sequence(client) -> None:
    await organizer_setup(client)
    events = await weekly_series(client, count=2, capacity="5")
    riley = await going(events[0]["id"], "Riley")
    await Event.update({Event.taken: 1}).where(Event.id == events[0]["id"])
    form = change_form(
        events[0], start_time="19:15", repeat_until=local_day(events[-1]).isoformat()
    )
    response = await helpers.post(client, f"/events/{events[0]['id']}/series", form)
    assert response.status_code == 303
    moved = await Event.select().where(Event.id == events[0]["id"]).first()
    assert moved["sequence"] == 1 and moved["taken"] == 1
    assert to_local(moved["starts_at"], TZ).strftime("%H:%M") == "19:15"
    assert moved["ends_at"] - moved["starts_at"] == timedelta(minutes=90)
    assert await Rsvp.exists().where((Rsvp.member == riley) & (Rsvp.status == "going"))
    (mail,) = await send_all()
    assert mail["To"] == "riley@example.org"
    for part in mail.walk():
        if part.get_content_type() == "text/calendar":
            body = part.get_payload(decode=True)
    # The mail parser hands back LF line ends; the wire form had CRLF.
    (parsed,) = all_parsers_agree(body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")).values()
    assert parsed.sequence == 1 and parsed.status == "CONFIRMED"
    assert parsed.start == moved["starts_at"]


async def test_bad_input_is_a_422_with_the_form_kept(client, other_client) -> None:
    await organizer_setup(client)
    events = await weekly_series(client, count=3)
    before = local_day(events[1]) - timedelta(days=1)
    for bad in (
        {"repeat_until": before.isoformat()},
        {"repeat": "daily", "repeat_until": before.isoformat()},
        {"start_time": "25:99", "repeat_until": "2027-01-01"},
        {"first_day": "yesterday", "repeat_until": "soon"},
    ):
        response = await helpers.post(
            client, f"/events/{events[1]['id']}/series/preview", change_form(events[1], **bad)
        )
        assert response.status_code == 422
        assert 'role="alert"' in response.text
        assert f'value="{bad["repeat_until"]}"' in response.text
    confirm = await helpers.post(
        client,
        f"/events/{events[1]['id']}/series",
        change_form(events[1], repeat_until=before.isoformat()),
    )
    assert confirm.status_code == 422
    assert await Event.select().order_by(Event.starts_at) == events
    # Another member can't see or use it.
    stranger = await helpers.make_member("stranger@example.org", "Lee")
    await helpers.login(other_client, stranger)
    assert (await other_client.get(f"/events/{events[1]['id']}/series")).status_code == 403
    refused = await helpers.post(
        other_client,
        f"/events/{events[1]['id']}/series",
        change_form(events[1], "biweekly", repeat_until=local_day(events[-1]).isoformat()),
    )
    assert refused.status_code == 403


@pytest.fixture
async def phones(live_server: str):
    opened = await logged_in_phones(live_server, 24)
    yield opened
    for _, phone in opened:
        await phone.aclose()


async def test_change_racing_rsvps_keeps_capacity_exact(client, phones, live_server) -> None:
    """12 phones tap a kept (moved) date of 5 places and 12 a dropped date while the organizer
    saves weekly → biweekly: the kept date has exactly 5 going, the dropped one tells exactly
    those who got in before it was cancelled."""
    organizer, _ = await organizer_setup(client)
    events = await weekly_series(client, count=4, capacity="5")
    kept, dropped = events[2]["id"], events[1]["id"]
    async with httpx.AsyncClient(base_url=live_server, timeout=60) as org:
        for name, value in client.cookies.items():
            org.cookies.set(name, value)
        await asyncio.gather(*(warm_up(p) for _, p in phones), warm_up(org))
        start = asyncio.Event()
        taps = [
            asyncio.create_task(tap(p, kept if i % 2 else dropped, start, response="yes"))
            for i, (_, p) in enumerate(phones)
        ]

        async def change() -> httpx.Response:
            await start.wait()
            form = change_form(
                events[0],
                "biweekly",
                start_time="19:00",
                repeat_until=local_day(events[-1]).isoformat(),
            )
            return await org.post(
                f"/events/{events[0]['id']}/series",
                data=form,
                headers={"Sec-Fetch-Site": "same-origin"},
            )

        changing = asyncio.create_task(change())
        await asyncio.sleep(0)
        start.set()
        answers = await asyncio.gather(*taps)
        assert (await changing).status_code == 303
    assert {r.status_code for r in answers} <= {200, 409, 422}
    kept_row = await Event.select().where(Event.id == kept).first()
    assert kept_row["status"] == "scheduled" and kept_row["sequence"] == 1
    rows = await Rsvp.select().where(Rsvp.event == kept)
    going_rows = [r for r in rows if r["status"] == "going"]
    assert len(rows) == 12 and len(going_rows) == 5 == kept_row["taken"]
    assert kept_row["waitlisted"] == 7
    dropped_row = await Event.select().where(Event.id == dropped).first()
    assert dropped_row["status"] == EventStatus.cancelled.value
    attending = {
        r["member"]
        for r in await Rsvp.select().where(Rsvp.event == dropped)
        if r["status"] in ("going", "waitlisted")
    }
    told = {r["recipient"] for r in await outbox_rows("cancel") if r["event"] == dropped}
    # Whoever got in before the change is told once; nobody got in after it.
    assert told == attending
    assert len(await outbox_rows("cancel")) == len(attending)
    assert organizer not in told


async def test_new_weekday_and_monthly_moves_matching_dates_and_cancels_the_rest(client) -> None:
    await organizer_setup(client)
    events = await weekly_series(client, count=6)
    # Every date moves a day later; monthly from there keeps the same nth weekday.
    first = local_day(events[0]) + timedelta(days=1)
    sam = await going(events[0]["id"], "Sam2")
    form = change_form(
        events[0],
        "monthly",
        first_day=first.isoformat(),
        repeat_until=(first + timedelta(days=40)).isoformat(),
    )
    preview = await helpers.post(client, f"/events/{events[0]['id']}/series/preview", form)
    assert preview.status_code == 200
    response = await helpers.post(client, f"/events/{events[0]['id']}/series", form)
    assert response.status_code == 303
    after = await Event.select().order_by(Event.starts_at)
    scheduled = [local_day(e) for e in after if e["status"] == "scheduled"]
    nth = (first.day - 1) // 7 + 1
    assert scheduled[0] == first and scheduled[0].weekday() == first.weekday()
    assert all(
        d.weekday() == first.weekday() and (d.day - 1) // 7 + 1 in (nth, 5) for d in scheduled
    )
    assert len(scheduled) == 2
    moved = await Event.select().where(Event.id == events[0]["id"]).first()
    assert moved["sequence"] == 1 and local_day(moved) == first
    assert await Rsvp.exists().where((Rsvp.member == sam) & (Rsvp.event == events[0]["id"]))
    assert [r["recipient"] for r in await outbox_rows("update")] == [sam]
