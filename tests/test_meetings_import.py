"""Importing a Meeting Guide file (#15 item 4): preview first, save on confirm, re-import by
slug, malformed files refused with nothing changed, the round trip, and the command."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import time

from bs4 import BeautifulSoup

from events.tables import Club, Event, EventStatus, Outbox, Rsvp, Series
from events.timefmt import to_local
from tests import helpers
from tests.helpers import post
from tests.meetings_support import make_group, make_weekly, next_weekday, validate_feed

FILE = [
    {
        "name": "Sunday Serenity",
        "slug": "sunday-serenity-14",
        "day": 0,
        "time": "18:00",
        "end_time": "19:30",
        "timezone": "America/Chicago",
        "types": ["O", "D", "LGBTQ", "X", "ZZZ"],
        "location": "Alano Club",
        "address": "123 Main Street",
        "city": "Anytown",
        "state": "IL",
        "postal_code": "62701",
        "country": "US",
        "notes": "Ring buzzer. Meeting is on the 2nd floor.",
    },
    {
        "name": "Early Birds",
        "slug": "early-birds",
        "day": [1, 3, 5],
        "time": "07:00",
        "conference_url": "https://zoom.example/j/123",
        "types": ["C", "BE"],
    },
    {"name": "By appointment", "slug": "appointment"},
    {"name": "Lost in time", "slug": "lost", "day": 2, "time": "19:00", "timezone": "Mars/Olympus"},
    {"name": "No clock", "slug": "no-clock", "day": 2},
]


async def _organizer_club(client, **fields) -> tuple[int, dict]:
    organizer = await helpers.make_member("org@example.org", "Olive")
    club_id = await helpers.make_club(
        slug="intergroup",
        name="Intergroup",
        timezone="America/Chicago",
        organizer=organizer,
        kind="twelve_step",
        **fields,
    )
    await helpers.login(client, organizer)
    return club_id, await Club.select().where(Club.id == club_id).first()


async def _upload(client, data: bytes | str, slug: str = "intergroup"):
    body = data.encode() if isinstance(data, str) else data
    return await client.post(
        f"/clubs/{slug}/meetings/import",
        files={"file": ("meetings.json", body, "application/json")},
        headers={"Sec-Fetch-Site": "same-origin"},
    )


def _cards(html: str) -> dict[str, str]:
    soup = BeautifulSoup(html, "html.parser")
    return {
        li.select_one(".title").get_text(): li.select_one(".meta").get_text()
        for li in soup.select(".import-plan li")
    }


async def test_preview_saves_nothing_then_confirm_creates_weekly_series(client) -> None:
    club_id, _ = await _organizer_club(client)
    preview = await _upload(client, json.dumps(FILE))
    assert preview.status_code == 200
    cards = _cards(preview.text)
    assert cards["Sunday Serenity"].startswith("New weekly meeting")
    assert cards["By appointment"].startswith("Skipped: not weekly")
    assert cards["Lost in time"].startswith("Skipped: unknown time zone 'Mars/Olympus'")
    assert cards["No clock"].startswith("Skipped: missing time")
    assert "ZZZ" in preview.text  # the unknown type is named, not silently lost
    assert await Series.count() == 0 and await Event.count() == 0

    form = BeautifulSoup(preview.text, "html.parser").select_one("form textarea[name=content]")
    done = await post(
        client, "/clubs/intergroup/meetings/import", {"confirm": "1", "content": form.get_text()}
    )
    assert done.status_code == 200 and "2 new" in done.text
    series = {r["source_slug"]: r["id"] for r in await Series.select()}
    assert set(series) == {"sunday-serenity-14", "early-birds"}
    sunday = (
        await Event.select()
        .where(Event.series == series["sunday-serenity-14"])
        .order_by(Event.starts_at)
    )
    assert len(sunday) >= 25
    local = [to_local(e["starts_at"], "America/Chicago") for e in sunday]
    assert {(d.weekday(), d.time()) for d in local} == {(6, time(18, 0))}
    assert sunday[0]["attributes"] == "O D LGBTQ X"
    assert (sunday[0]["location"], sunday[0]["address"]) == ("Alano Club", "123 Main Street")
    birds = await Event.select().where(Event.series == series["early-birds"])
    assert {to_local(e["starts_at"], "America/Chicago").weekday() for e in birds} == {0, 2, 4}
    assert birds[0]["attendance"] == "online" and birds[0]["online_url"].endswith("/123")
    # The club had no place: it takes the file's.
    club = await Club.select(Club.city, Club.region, Club.country).where(Club.id == club_id).first()
    assert club == {"city": "Anytown", "region": "IL", "country": "US"}


async def test_importing_again_updates_by_slug_and_tells_the_people_going(client) -> None:
    await _organizer_club(client)
    await post(
        client,
        "/clubs/intergroup/meetings/import",
        {"confirm": "1", "content": json.dumps(FILE[:2])},
    )
    events_before = await Event.count()
    again = await _upload(client, json.dumps(FILE[:2]))
    cards = _cards(again.text)
    assert cards["Sunday Serenity"].startswith("Already up to date")
    assert (
        "disabled"
        in BeautifulSoup(again.text, "html.parser")
        .select_one('form[action$="/meetings/import"] button')
        .attrs
    )

    member = await helpers.make_member("m@example.org", "Max")
    [first] = (
        await Event.select(Event.id)
        .where(Event.series.source_slug == "early-birds")
        .order_by(Event.starts_at)
        .limit(1)
    )
    await Rsvp.insert(Rsvp(event=first["id"], member=member))
    changed = [dict(FILE[0], name="Sunday Serenity Group"), dict(FILE[1], time="07:30")]
    preview = _cards((await _upload(client, json.dumps(changed))).text)
    assert preview["Sunday Serenity Group"] == "Changes: name · sunday-serenity-14"
    assert preview["Early Birds"].startswith("Changes: day or time")
    await post(
        client,
        "/clubs/intergroup/meetings/import",
        {"confirm": "1", "content": json.dumps(changed)},
    )
    assert await Series.count() == 2
    titles = {
        r["title"]
        for r in await Event.select(Event.title).where(Event.status == EventStatus.scheduled.value)
    }
    assert titles == {"Sunday Serenity Group", "Early Birds"}
    birds = await Event.select().where(
        (Event.series.source_slug == "early-birds") & (Event.status == "scheduled")
    )
    assert {to_local(e["starts_at"], "America/Chicago").time() for e in birds} == {time(7, 30)}
    # The occurrence someone answered is cancelled (with a mail), not silently moved.
    old = await Event.select(Event.status).where(Event.id == first["id"]).first()
    assert old["status"] == EventStatus.cancelled.value
    assert await Outbox.count().where(Outbox.event == first["id"]) == 1
    assert await Event.count() <= events_before + 1


async def test_a_malformed_file_is_refused_with_a_422_and_changes_nothing(client) -> None:
    await _organizer_club(client)
    await post(
        client,
        "/clubs/intergroup/meetings/import",
        {"confirm": "1", "content": json.dumps(FILE[:1])},
    )
    before = [r["title"] for r in await Event.select(Event.title)]
    for bad, words in (
        (b"{not json", "isn't a JSON file"),
        (b'{"name": "x"}', "JSON array of meetings"),
        (b"[1, 2]", "Meeting 1 is not an object"),
        (b"\xff\xfe[", "isn't a JSON file"),
        (b"", "Choose a Meeting Guide JSON file"),
    ):
        response = await _upload(client, bad)
        assert response.status_code == 422, bad
        alert = BeautifulSoup(response.text, "html.parser").select_one('[role="alert"]')
        assert alert is not None and words in alert.get_text(), bad
        assert "Nothing was changed" in alert.get_text() or not bad
    confirm_bad = await post(
        client, "/clubs/intergroup/meetings/import", {"confirm": "1", "content": "[{]"}
    )
    assert confirm_bad.status_code == 422
    assert [r["title"] for r in await Event.select(Event.title)] == before


async def test_only_the_clubs_organizers_may_import(client, other_client) -> None:
    await _organizer_club(client)
    anonymous = await other_client.get("/clubs/intergroup/meetings/import")
    assert anonymous.status_code in (302, 303)
    stranger = await helpers.make_member("s@example.org", "Sam")
    await helpers.login(other_client, stranger)
    refused = await _upload(other_client, json.dumps(FILE))
    assert refused.status_code == 403 and await Series.count() == 0
    assert (await client.get("/clubs/nowhere/meetings/import")).status_code == 404


async def test_round_trip_export_import_export_gives_the_same_meetings(client) -> None:
    source = await make_group("source", name="Source Group")
    await make_weekly(
        source,
        "Step study",
        location="Grace Church",
        address="123 Main St",
        postal_code="11201",
        attributes="C ST EN X",
        attendance="in_person",
        description="Side door.\n\nCoffee after.",
    )
    await make_weekly(
        source,
        "Lunch bunch",
        first=next_weekday(0, "America/New_York"),
        at=time(12, 15),
        extra_days=(2, 4),
        online_url="https://zoom.example/j/5",
        attendance="hybrid",
        location="Library",
        address="9 Elm St",
        latitude=40.5,
        longitude=-73.25,
        attributes="O D S",
    )
    exported = (await client.get("/clubs/source/meetings.json")).json()
    validate_feed(exported)
    organizer = await helpers.make_member("org@example.org", "Olive")
    await helpers.make_club(
        slug="fresh",
        name="Fresh Group",
        timezone="America/New_York",
        organizer=organizer,
        kind="twelve_step",
    )
    await helpers.login(client, organizer)
    done = await post(
        client, "/clubs/fresh/meetings/import", {"confirm": "1", "content": json.dumps(exported)}
    )
    assert done.status_code == 200
    again = (await client.get("/clubs/fresh/meetings.json")).json()
    validate_feed(again)

    def comparable(entries):
        skip = {"url", "updated", "group"}
        return sorted(
            ({k: v for k, v in e.items() if k not in skip} for e in entries),
            key=lambda e: e["slug"],
        )

    assert comparable(again) == comparable(exported)


async def _steady(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "events.cli",
        *args,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    out, _ = await proc.communicate()
    return proc.returncode or 0, out.decode()


async def test_the_command_imports_a_file_and_dry_run_saves_nothing(tmp_path) -> None:
    from events.cli import _import_meetings

    await helpers.make_club(
        slug="cli-group", name="CLI Group", timezone="America/Chicago", kind="twelve_step"
    )
    data = json.dumps(FILE).encode()
    out = await _import_meetings("meetings.json", data, "cli-group", dry_run=True)
    assert "skip      appointment  By appointment  (not weekly" in out
    assert out.endswith("would import: 2 create, 0 change, 0 unchanged, 3 skip")
    assert await Series.count() == 0
    # The real command, once, as an organizer types it.
    path = tmp_path / "meetings.json"
    path.write_bytes(data)
    code, out = await _steady("import-meetings", str(path), "--club", "cli-group")
    assert code == 0 and "imported: 2 create" in out, out
    assert await Series.count() == 2
    out = await _import_meetings("meetings.json", data, "cli-group", dry_run=False)
    assert out.endswith("imported: 0 create, 0 change, 2 unchanged, 3 skip")
    for bad, slug, words in (
        (b"[oops", "cli-group", "Nothing was changed"),
        (data, "nobody", "no club"),
    ):
        try:
            await _import_meetings("meetings.json", bad, slug, dry_run=False)
        except SystemExit as exc:
            assert words in str(exc)
        else:
            raise AssertionError(f"{slug}: no error")
    assert await Series.count() == 2


async def test_the_same_import_confirmed_four_times_at_once_makes_each_series_once(
    live_server,
) -> None:
    import httpx

    from tests.test_rsvps_concurrency import logged_in_phones

    [(organizer, first)] = await logged_in_phones(live_server, 1)
    await helpers.make_club(
        slug="intergroup",
        name="Intergroup",
        timezone="America/Chicago",
        organizer=organizer,
        kind="twelve_step",
    )
    clients = [first] + [
        httpx.AsyncClient(base_url=live_server, cookies=first.cookies, timeout=60) for _ in range(3)
    ]
    form = {"confirm": "1", "content": json.dumps(FILE[:2])}
    try:
        responses = await asyncio.gather(
            *(
                c.post(
                    "/clubs/intergroup/meetings/import",
                    data=form,
                    headers={"Sec-Fetch-Site": "same-origin"},
                )
                for c in clients
            )
        )
    finally:
        for c in clients:
            await c.aclose()
    assert [r.status_code for r in responses] == [200] * 4
    assert sorted(r["source_slug"] for r in await Series.select(Series.source_slug)) == [
        "early-birds",
        "sunday-serenity-14",
    ]
    made = ["2 new" in r.text for r in responses]
    assert made.count(True) == 1  # the others found it done: "unchanged"
    occurrences = [
        (r["series"], r["starts_at"]) for r in await Event.select(Event.series, Event.starts_at)
    ]
    assert len(occurrences) == len(set(occurrences))  # no occurrence made twice
