"""Posting, editing and cancelling events and series through the organizer's forms."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bs4 import BeautifulSoup

from events.recurrence import nth_weekday
from events.tables import Event, EventStatus, Outbox, Rsvp, RsvpStatus, Series
from events.timefmt import to_local, utcnow
from tests import helpers

NEXT = utcnow().year + 1
DENVER_SPRING = nth_weekday(NEXT, 3, 6, 2)  # second Sunday of March
DENVER_FALL = nth_weekday(NEXT, 11, 6, 1)  # first Sunday of November
LONDON_SPRING = nth_weekday(NEXT, 3, 6, 5)  # last Sunday of March
LONDON_FALL = nth_weekday(NEXT, 10, 6, 5)  # last Sunday of October


def event_form(day: date, start: str = "18:30", end: str = "20:00", **fields: str) -> dict:
    data = {
        "title": "Tuesday run club",
        "activity": "running",
        "starts_at": f"{day.isoformat()}T{start}",
        "ends_at": f"{day.isoformat()}T{end}",
        "location": "Boulder Creek path",
        "online_url": "",
        "capacity": "",
        "description": "Easy pace. **Everyone** welcome.",
        "repeat": "none",
        "repeat_until": "",
        "guests_allowed": "0",
    }
    data.update(fields)
    return data


async def organizer_setup(client, tz: str = "America/Denver") -> tuple[int, int]:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(
        slug="run-club", name="Run Club", timezone=tz, organizer=organizer
    )
    await helpers.login(client, organizer)
    return organizer, club


async def going(event_id: int, name: str, status: str = RsvpStatus.going.value) -> int:
    member = await helpers.make_member(f"{name.lower()}@example.org", name)
    await Rsvp.insert(Rsvp(event=event_id, member=member, status=status))
    return member


async def outbox_rows(kind: str) -> list[dict]:
    rows = await Outbox.select().where(Outbox.kind == kind).order_by(Outbox.id)
    for row in rows:
        if isinstance(row["payload"], str):
            row["payload"] = json.loads(row["payload"])
    return rows


async def test_organizer_posts_one_event(client) -> None:
    _, club = await organizer_setup(client)
    page = await client.get("/clubs/run-club/events/new")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    day = utcnow().date() + timedelta(days=10)
    response = await helpers.post(
        client, "/clubs/run-club/events/new", event_form(day, capacity="12")
    )
    assert response.status_code == 303
    event = await Event.select().first()
    assert response.headers["location"] == f"/events/{event['id']}"
    assert event["club"] == club and event["capacity"] == 12 and event["series"] is None
    assert to_local(event["starts_at"], "America/Denver").strftime("%H:%M") == "18:30"
    shown = await client.get(f"/events/{event['id']}")
    assert "<strong>Everyone</strong>" in shown.text
    assert f'href="/events/{event["id"]}/attendees"' in shown.text


async def test_invalid_form_is_422_with_message_and_values_kept(client) -> None:
    await organizer_setup(client)
    day = utcnow().date() + timedelta(days=10)
    response = await helpers.post(
        client,
        "/clubs/run-club/events/new",
        event_form(day, start="20:00", end="19:00", capacity="0", title="Keep me"),
    )
    assert response.status_code == 422
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#ends_at-error").text == "The end must be after the start."
    assert "whole number" in soup.select_one("#capacity-error").text
    assert soup.select_one("#title")["value"] == "Keep me"
    assert soup.select_one("#capacity")["aria-invalid"] == "true"
    assert await Event.count() == 0


async def test_dst_gap_via_the_form_is_422(client) -> None:
    await organizer_setup(client, tz="Europe/London")
    response = await helpers.post(
        client,
        "/clubs/run-club/events/new",
        event_form(LONDON_SPRING, start="01:30", end="03:00"),
    )
    assert response.status_code == 422
    assert "doesn&#39;t exist in Europe/London" in response.text


async def test_weekly_series_keeps_wall_clock_across_spring_forward(client) -> None:
    await organizer_setup(client)
    first = DENVER_SPRING - timedelta(days=19)  # a Tuesday three weeks before
    until = DENVER_SPRING + timedelta(days=16)
    response = await helpers.post(
        client,
        "/clubs/run-club/events/new",
        event_form(first, repeat="weekly", repeat_until=until.isoformat()),
    )
    assert response.status_code == 303
    events = await Event.select().order_by(Event.starts_at)
    assert len(events) == 6
    assert len({e["series"] for e in events}) == 1 and events[0]["series"] is not None
    series = await Series.select().first()
    assert series["repeat"] == "weekly" and series["repeat_until"] == until
    local = [to_local(e["starts_at"], "America/Denver") for e in events]
    assert {x.strftime("%a %H:%M") for x in local} == {"Tue 18:30"}
    utc_hours = [e["starts_at"].astimezone(UTC).hour for e in events]
    assert utc_hours == [1, 1, 1, 0, 0, 0]  # MST then MDT
    assert all(e["ends_at"] - e["starts_at"] == timedelta(minutes=90) for e in events)


async def test_monthly_series_is_same_nth_weekday_in_london(client) -> None:
    await organizer_setup(client, tz="Europe/London")
    # Second Tuesday of each month, across the October fall-back.
    first = nth_weekday(NEXT, 9, 1, 2)
    response = await helpers.post(
        client,
        "/clubs/run-club/events/new",
        event_form(
            first,
            start="19:00",
            end="21:00",
            repeat="monthly",
            repeat_until=date(NEXT, 12, 31).isoformat(),
        ),
    )
    assert response.status_code == 303
    events = await Event.select().order_by(Event.starts_at)
    local = [to_local(e["starts_at"], "Europe/London") for e in events]
    assert [x.month for x in local] == [9, 10, 11, 12]
    assert all(x.weekday() == 1 and 8 <= x.day <= 14 and x.hour == 19 for x in local)
    assert [e["starts_at"].astimezone(UTC).hour for e in events] == [18, 18, 19, 19]


async def make_series(client, count: int = 4) -> list[dict]:
    first = utcnow().date() + timedelta(days=7)
    await helpers.post(
        client,
        "/clubs/run-club/events/new",
        event_form(
            first,
            repeat="weekly",
            repeat_until=(first + timedelta(days=7 * (count - 1))).isoformat(),
        ),
    )
    return await Event.select().order_by(Event.starts_at)


async def test_edit_one_occurrence_moves_only_it_and_tells_its_attendees(client) -> None:
    await organizer_setup(client)
    events = await make_series(client)
    second = events[1]
    riley = await going(second["id"], "Riley")
    await going(second["id"], "Jo", RsvpStatus.waitlisted.value)
    await going(second["id"], "Kim", RsvpStatus.not_going.value)
    await going(events[2]["id"], "Other")
    form = await client.get(f"/events/{second['id']}/edit")
    assert 'name="scope" value="following"' in form.text
    day = to_local(second["starts_at"], "America/Denver").date() + timedelta(days=1)
    response = await helpers.post(
        client,
        f"/events/{second['id']}/edit",
        event_form(day, start="07:00", end="08:00", scope="one"),
    )
    assert response.status_code == 303
    after = await Event.select().order_by(Event.id)
    moved = after[1]
    assert to_local(moved["starts_at"], "America/Denver").strftime("%H:%M") == "07:00"
    assert moved["sequence"] == 1 and moved["updated_at"] > second["updated_at"]
    assert [e["sequence"] for e in after] == [0, 1, 0, 0]
    assert after[2]["starts_at"] == events[2]["starts_at"]
    rows = await outbox_rows("update")
    assert len(rows) == 2  # going + waitlisted; not going and other events untouched
    assert {r["event"] for r in rows} == {second["id"]}
    assert all(r["payload"] == {"sequence": 1} for r in rows)
    assert riley in {r["recipient"] for r in rows}
    # The same save again changes nothing attendees see: no new sequence, no new mail.
    await helpers.post(
        client, f"/events/{second['id']}/edit", event_form(day, start="07:00", end="08:00")
    )
    assert (await Event.select(Event.sequence).where(Event.id == second["id"]).first())[
        "sequence"
    ] == 1
    assert len(await outbox_rows("update")) == 2


async def test_edit_this_and_following(client) -> None:
    await organizer_setup(client)
    events = await make_series(client)
    for event in events:
        await going(event["id"], f"Member{event['id']}")
    second_day = to_local(events[1]["starts_at"], "America/Denver").date()
    response = await helpers.post(
        client,
        f"/events/{events[1]['id']}/edit",
        event_form(
            second_day, start="19:00", end="20:30", title="Run club (new time)", scope="following"
        ),
    )
    assert response.status_code == 303
    after = await Event.select().order_by(Event.starts_at)
    assert after[0]["title"] == "Tuesday run club" and after[0]["sequence"] == 0
    for old, new in zip(events[1:], after[1:], strict=True):
        assert new["title"] == "Run club (new time)" and new["sequence"] == 1
        assert new["starts_at"] - old["starts_at"] == timedelta(minutes=30)
        assert new["ends_at"] - new["starts_at"] == timedelta(minutes=90)
    assert {r["event"] for r in await outbox_rows("update")} == {e["id"] for e in events[1:]}


async def test_cancel_one_keeps_it_visible_and_writes_cancel_rows(client) -> None:
    await organizer_setup(client)
    events = await make_series(client, count=3)
    target = events[0]
    a = await going(target["id"], "Ash")
    b = await going(target["id"], "Bo", RsvpStatus.waitlisted.value)
    await going(target["id"], "Cy", RsvpStatus.not_going.value)
    response = await helpers.post(
        client, f"/events/{target['id']}/cancel", {"reason": "Trail closed by snow"}
    )
    assert response.status_code == 303
    event = await Event.select().where(Event.id == target["id"]).first()
    assert event["status"] == EventStatus.cancelled.value
    assert event["cancel_reason"] == "Trail closed by snow"
    assert event["cancelled_at"] is not None and event["sequence"] == 1
    assert (await Event.count().where(Event.status == "cancelled")) == 1
    rows = await outbox_rows("cancel")
    assert {r["recipient"] for r in rows} == {a, b}
    assert all(r["payload"]["sequence"] == 1 for r in rows)
    page = await client.get(f"/events/{target['id']}")
    heading = BeautifulSoup(page.text, "html.parser").h1
    assert heading is not None and heading.get_text() == "Cancelled: Tuesday run club"
    assert "Trail closed by snow" in page.text
    # A double submit cancels nothing more and mails no one twice.
    await helpers.post(client, f"/events/{target['id']}/cancel", {"reason": "again"})
    assert len(await outbox_rows("cancel")) == 2
    # Editing a cancelled event is refused.
    day = to_local(target["starts_at"], "America/Denver").date()
    refused = await helpers.post(client, f"/events/{target['id']}/edit", event_form(day))
    assert refused.status_code == 409


async def test_cancel_this_and_following(client) -> None:
    await organizer_setup(client)
    events = await make_series(client, count=4)
    response = await helpers.post(
        client, f"/events/{events[2]['id']}/cancel", {"scope": "following"}
    )
    assert response.status_code == 303
    statuses = [e["status"] for e in await Event.select().order_by(Event.starts_at)]
    assert statuses == ["scheduled", "scheduled", "cancelled", "cancelled"]


async def test_raising_capacity_promotes_the_waitlist(client) -> None:
    await organizer_setup(client)
    day = utcnow().date() + timedelta(days=5)
    await helpers.post(client, "/clubs/run-club/events/new", event_form(day, capacity="1"))
    event = await Event.select().first()
    await going(event["id"], "First")
    await Event.update({Event.taken: 1}).where(Event.id == event["id"])
    waiting = await going(event["id"], "Second", RsvpStatus.waitlisted.value)
    response = await helpers.post(
        client, f"/events/{event['id']}/edit", event_form(day, capacity="2")
    )
    assert response.status_code == 303
    row = await Rsvp.select(Rsvp.status).where(Rsvp.member == waiting).first()
    assert row["status"] == RsvpStatus.going.value


async def test_only_this_clubs_organizers(client, other_client) -> None:
    await organizer_setup(client)
    day = utcnow().date() + timedelta(days=5)
    await helpers.post(client, "/clubs/run-club/events/new", event_form(day))
    event = await Event.select().first()
    # An organizer of another club, and a plain member of this one.
    rival = await helpers.make_member("rival@example.org", "Rival")
    await helpers.make_club(slug="other", name="Other", organizer=rival)
    await helpers.login(other_client, rival)
    eid = event["id"]
    attempts = [
        ("get", f"/events/{eid}/edit", None),
        ("post", f"/events/{eid}/edit", event_form(day, title="Hijacked")),
        ("post", f"/events/{eid}/cancel", {}),
        ("get", f"/events/{eid}/attendees", None),
        ("post", f"/events/{eid}/message", {"subject": "x", "body": "y"}),
        ("post", f"/events/{eid}/roles", {"name": "Greeter", "spots": "1"}),
        ("get", "/clubs/run-club/events/new", None),
        ("post", "/clubs/run-club/events/new", event_form(day)),
    ]
    for method, url, data in attempts:
        if method == "get":
            response = await other_client.get(url)
        else:
            response = await helpers.post(other_client, url, data)
        assert response.status_code == 403, url
    after = await Event.select().first()
    assert after["title"] == "Tuesday run club" and after["status"] == "scheduled"
    assert await Event.count() == 1
    assert f'href="/events/{eid}/edit"' not in (await other_client.get(f"/events/{eid}")).text


async def test_signed_out_is_sent_to_login(other_client) -> None:
    club = await helpers.make_club()
    event = await helpers.make_event(club)
    response = await other_client.get(f"/events/{event}/attendees")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    assert (await other_client.get("/clubs/trail-club/events/new")).status_code == 303
    assert (await other_client.get("/events/999999/edit")).status_code == 303


async def test_missing_event_is_404_for_organizers(client) -> None:
    await organizer_setup(client)
    assert (await client.get("/events/999999/edit")).status_code == 404
    assert (await client.get("/clubs/nope/events/new")).status_code == 404


async def test_markdown_description_is_sanitized(client) -> None:
    await organizer_setup(client)
    day = utcnow().date() + timedelta(days=5)
    await helpers.post(
        client,
        "/clubs/run-club/events/new",
        event_form(
            day,
            description="<script>alert(1)</script> [x](javascript:alert(1)) "
            "<img src=x onerror=alert(1)> [ok](https://example.org)",
        ),
    )
    event = await Event.select().first()
    page = await client.get(f"/events/{event['id']}")
    section = BeautifulSoup(page.text, "html.parser").select_one(".description")
    assert section.find_all(["script", "img"]) == []
    for tag in section.find_all(True):
        assert not [a for a in tag.attrs if a.startswith("on")]
        assert "javascript" not in tag.get("href", "")
    description = str(section)
    assert 'href="https://example.org"' in description


def test_series_dates_cover_dst_both_zones() -> None:
    # Guard the test data: each change falls on a Sunday in the coming year.
    for day in (DENVER_SPRING, DENVER_FALL, LONDON_SPRING, LONDON_FALL):
        assert day is not None and day.weekday() == 6
    assert datetime.now(UTC).date() < DENVER_SPRING
