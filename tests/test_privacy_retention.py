"""Retention (#16 item 7): each club forgets who came N days after each event (90 for support
groups, 365 for activity clubs), keeping counts for insights; members clear their own past."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from events.tables import (
    ClubKind,
    EventTally,
    Outbox,
    RoleSignup,
    Rsvp,
    RsvpStatus,
    VolunteerRole,
)
from tests import helpers
from tests.helpers import post
from workers.settings import WorkerSettings
from workers.tasks import forget_attendance

NOW = datetime(2030, 6, 20, 12, 0, tzinfo=UTC)


async def answer(event: int, member: int, *, first: bool = False, checked: bool = False) -> None:
    await Rsvp.insert(
        Rsvp(
            event=event,
            member=member,
            status=RsvpStatus.going.value,
            first_time=first,
            checked_in_at=NOW - timedelta(days=200) if checked else None,
        )
    )


async def support_group() -> tuple[int, int, int, list[int]]:
    """A 12-step group with meetings 120, 100 and 40 days ago and one next week. Sam is new
    at the first and back at the second (within 30 days) and third; Kim came once, 100 days
    ago, and has a volunteer role and a sent mail there; both are going next week."""
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club(
        "tuesday-group",
        "Tuesday Group",
        "UTC",
        organizer=organizer,
        kind=ClubKind.twelve_step.value,
    )
    events = [
        await helpers.make_event(club, "Meeting", NOW - timedelta(days=days))
        for days in (120, 100, 40, -7)
    ]
    sam = await helpers.make_member("sam@example.org", "Sam")
    kim = await helpers.make_member("kim@example.org", "Kim")
    await answer(events[0], sam, first=True, checked=True)
    await answer(events[1], sam, checked=True)
    await answer(events[1], kim, first=True, checked=True)
    await answer(events[2], sam)
    await answer(events[3], sam)
    await answer(events[3], kim)
    role = (
        await VolunteerRole.insert(VolunteerRole(event=events[1], name="Greeter")).returning(
            VolunteerRole.id
        )
    )[0]["id"]
    await RoleSignup.insert(RoleSignup(role=role, member=kim))
    await Outbox.insert(
        Outbox(kind="invite", dedupe_key="invite-kim", recipient=kim, event=events[1], state="sent")
    )
    return organizer, sam, kim, events


def numbers(html: str) -> list[list[str]]:
    soup = BeautifulSoup(html, "html.parser")
    return [[c.get_text(strip=True) for c in tr.select("th, td")] for tr in soup.select("tbody tr")]


def past_titles(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [a["href"] for a in soup.select("main ul.cards a.card-link")]


async def test_support_group_forgets_after_90_days_and_insights_keep_the_counts(
    client, other_client, time_machine
):
    time_machine.move_to(NOW, tick=False)
    organizer, sam, kim, events = await support_group()
    await helpers.login(client, organizer)
    before = numbers((await client.get("/clubs/tuesday-group/insights")).text)

    assert await forget_attendance({}) == 2  # the meetings of 120 and 100 days ago
    assert await forget_attendance({}) == 0  # a second run finds nothing new

    left = await Rsvp.select(Rsvp.event, Rsvp.member).order_by(Rsvp.id)
    assert {(r["event"], r["member"]) for r in left} == {
        (events[2], sam),
        (events[3], sam),
        (events[3], kim),
    }
    assert await RoleSignup.count() == 0
    assert await Outbox.count().where(Outbox.event == events[1]) == 0
    tallies = {
        t["event"]: (t["came"], t["first_timers"], t["back_30"], t["back_90"])
        for t in await EventTally.select()
    }
    assert tallies == {events[0]: (1, 1, 1, 1), events[1]: (2, 1, 0, 0)}
    # Insights read the same numbers from the counts.
    after = numbers((await client.get("/clubs/tuesday-group/insights")).text)
    assert after == before
    # Kim's own past: the forgotten meeting is gone; Sam still sees the one of 40 days ago.
    await helpers.login(other_client, kim)
    assert past_titles((await other_client.get("/account/history")).text) == []
    await helpers.login(other_client, sam)
    assert past_titles((await other_client.get("/account/history")).text) == [
        f"/events/{events[2]}"
    ]


async def test_activity_club_keeps_a_year_then_forgets(time_machine):
    time_machine.move_to(NOW, tick=False)
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club("hikers", "Hikers", "UTC", organizer=organizer)
    event = await helpers.make_event(club, "Hike", NOW - timedelta(days=100))
    await answer(event, organizer, first=True)
    assert await forget_attendance({}) == 0
    assert await Rsvp.count() == 1
    time_machine.move_to(NOW + timedelta(days=266), tick=False)  # 366 days after the hike
    assert await forget_attendance({}) == 1
    assert await Rsvp.count() == 0


async def test_organizers_shorten_retention_but_support_groups_never_disable_it(
    client, time_machine
):
    time_machine.move_to(NOW, tick=False)
    organizer, _, _, events = await support_group()
    await helpers.login(client, organizer)
    page = await client.get("/clubs/tuesday-group/retention")
    assert page.status_code == 200 and "90" in page.text
    for value, message in (
        ("never", "Support groups always forget"),
        ("abc", "Enter a number of days"),
        ("400", "it can be shortened, not lengthened"),
        ("3", "from 7 to 90"),
    ):
        refused = await post(client, "/clubs/tuesday-group/retention", {"forget_after_days": value})
        assert refused.status_code == 422, value
        assert message in refused.text
        field = BeautifulSoup(refused.text, "html.parser").select_one("#forget_after_days")
        assert field["value"] == value and field["aria-invalid"] == "true"
    saved = await post(client, "/clubs/tuesday-group/retention", {"forget_after_days": "30"})
    assert saved.status_code == 303
    assert await forget_attendance({}) == 3  # now also the meeting of 40 days ago
    assert await Rsvp.count().where(Rsvp.event == events[2]) == 0


async def test_activity_club_may_keep_forever(client, time_machine):
    time_machine.move_to(NOW, tick=False)
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club("hikers", "Hikers", "UTC", organizer=organizer)
    event = await helpers.make_event(club, "Hike", NOW - timedelta(days=100))
    await answer(event, organizer)
    await helpers.login(client, organizer)
    saved = await post(client, "/clubs/hikers/retention", {"forget_after_days": "never"})
    assert saved.status_code == 303
    time_machine.move_to(NOW + timedelta(days=2000), tick=False)
    assert await forget_attendance({}) == 0
    assert await Rsvp.count() == 1


async def test_member_clears_own_past_after_confirming(client, other_client, time_machine):
    time_machine.move_to(NOW, tick=False)
    _, sam, kim, events = await support_group()
    await helpers.login(client, sam)
    page = await client.get("/account/history")
    assert len(past_titles(page.text)) == 3
    unconfirmed = await post(client, "/account/history", {})
    assert unconfirmed.status_code == 422 and "Tick the box" in unconfirmed.text
    assert await Rsvp.count().where(Rsvp.member == sam) == 4
    done = await post(client, "/account/history", {"confirm": "yes"})
    assert done.status_code == 303
    assert past_titles((await client.get(done.headers["location"])).text) == []
    # Upcoming answers hold places: kept. Kim's past is untouched.
    mine = await Rsvp.select(Rsvp.event).where(Rsvp.member == sam)
    assert [r["event"] for r in mine] == [events[3]]
    assert await Rsvp.count().where(Rsvp.member == kim) == 2


def test_worker_runs_forgetting_as_a_cron_job():
    names = [job.name for job in WorkerSettings.cron_jobs]
    assert "cron:forget_attendance" in names
