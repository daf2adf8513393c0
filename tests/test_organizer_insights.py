"""Club insights (#16 item 6): per month and per series, events held, who came, first-timers
and first-timers back within 30 and 90 days; counts from the database, organizers only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from events.tables import Membership, Role, Rsvp, RsvpStatus, Series
from tests import helpers
from tests.sql_count import describe, request_statements

NOW = datetime(2030, 6, 20, 12, 0, tzinfo=UTC)


async def club_with_history() -> tuple[int, int, list[int]]:
    """An organizer, a club in UTC, and in 2030: a weekly series (Mar 1, Mar 8, Apr 19) and a
    one-off (May 10). Ann is new on Mar 1 and back Mar 8 (within 30 days); Ben is new on
    Mar 1 and back only Apr 19 (within 90); Cy is new on Mar 8 and never back. On Apr 19 only
    the checked-in count: Ann is going but not checked in."""
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club("insight-club", "Insight Club", "UTC", organizer=organizer)
    series = (
        await Series.insert(Series(club=club, repeat="weekly", repeat_until=NOW.date())).returning(
            Series.id
        )
    )[0]["id"]
    days = [datetime(2030, 3, 1, 18, tzinfo=UTC), datetime(2030, 3, 8, 18, tzinfo=UTC)]
    days.append(datetime(2030, 4, 19, 18, tzinfo=UTC))
    events = [await helpers.make_event(club, "Thursday circle", d, series=series) for d in days]
    events.append(await helpers.make_event(club, "Picnic", datetime(2030, 5, 10, 12, tzinfo=UTC)))
    ann = await helpers.make_member("ann@example.org", "Ann")
    ben = await helpers.make_member("ben@example.org", "Ben")
    cy = await helpers.make_member("cy@example.org", "Cy")

    async def came(event: int, member: int, first: bool = False, checked: bool = False) -> None:
        await Rsvp.insert(
            Rsvp(
                event=event,
                member=member,
                status=RsvpStatus.going.value,
                first_time=first,
                checked_in_at=NOW if checked else None,
            )
        )

    await came(events[0], ann, first=True)
    await came(events[0], ben, first=True)
    await came(events[1], ann)
    await came(events[1], cy, first=True)
    await came(events[2], ben, checked=True)
    await came(events[2], ann)  # going, not checked in, at an event with check-ins: not counted
    await came(events[3], ann)
    return organizer, club, events


def table_rows(html: str, caption: str) -> list[list[str]]:
    soup = BeautifulSoup(html, "html.parser")
    table = next(t for t in soup.select("table") if caption in t.caption.get_text())
    return [
        [c.get_text(strip=True) for c in tr.select("th, td")] for tr in table.select("tbody tr")
    ]


async def test_months_and_series_count_comers_first_timers_and_returns(client, time_machine):
    time_machine.move_to(NOW, tick=False)
    organizer, _, _ = await club_with_history()
    await helpers.login(client, organizer)
    response = await client.get("/clubs/insight-club/insights")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    months = table_rows(response.text, "Per month")
    assert months == [
        ["May 2030", "1", "1", "0", "0", "0"],
        ["Apr 2030", "1", "1", "0", "0", "0"],
        ["Mar 2030", "2", "4", "3", "1", "2"],
    ]
    assert table_rows(response.text, "Per series") == [
        ["Thursday circle", "3", "5", "3", "1", "2"],
        ["One-off events", "1", "1", "0", "0", "0"],
    ]
    svg = BeautifulSoup(response.text, "html.parser").select_one("svg[role=img]")
    assert svg is not None and svg.title is not None
    assert len(svg.select("rect.bar")) == 3
    # No names on the page: counts only.
    assert "Ann" not in response.text and "Ben" not in response.text


async def test_csv_has_the_same_numbers(client, time_machine):
    time_machine.move_to(NOW, tick=False)
    organizer, _, _ = await club_with_history()
    await helpers.login(client, organizer)
    response = await client.get("/clubs/insight-club/insights.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["group", "period", "events", "came", "first_timers", "back_30", "back_90"]
    assert ["month", "Mar 2030", "2", "4", "3", "1", "2"] in rows
    assert ["series", "Thursday circle", "3", "5", "3", "1", "2"] in rows


async def test_only_organizers_see_insights(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club("insight-club", "Insight Club", "UTC", organizer=organizer)
    member = await helpers.make_member("m@example.org", "Mo")
    await Membership.insert(Membership(member=member, club=club, role=Role.member.value))
    await helpers.login(client, member)
    for path in ("/clubs/insight-club/insights", "/clubs/insight-club/insights.csv"):
        # The same answer as every other organizer page (the attendee list, the team page).
        assert (await client.get(path)).status_code == 403
        assert (await client.get("/clubs/insight-club/team")).status_code == 403
        anonymous = await other_client.get(path)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


async def test_insights_page_runs_a_fixed_number_of_statements(client, time_machine):
    time_machine.move_to(NOW, tick=False)
    organizer, club, _ = await club_with_history()
    await helpers.login(client, organizer)
    _, few = await request_statements(client, "GET", "/clubs/insight-club/insights")
    # Ten times the events and people: still the same statements.
    for week in range(30):
        event = await helpers.make_event(club, "More", NOW - timedelta(days=week + 1))
        for person in range(3):
            member = await helpers.make_member(f"p{week}-{person}@example.org", "P")
            await Rsvp.insert(Rsvp(event=event, member=member, first_time=person == 0))
    response, many = await request_statements(client, "GET", "/clubs/insight-club/insights")
    assert response.status_code == 200
    own = [s for s in many if "sessions" not in s]
    # The club, the organizer check, and one statement for every count on the page.
    assert len(own) == 3, describe(own)
    assert len([s for s in few if "sessions" not in s]) == len(own)


async def test_no_events_yet_says_so(client):
    organizer = await helpers.make_member("org@example.org", "Org")
    await helpers.make_club("insight-club", "Insight Club", "UTC", organizer=organizer)
    await helpers.login(client, organizer)
    response = await client.get("/clubs/insight-club/insights")
    assert "No events held yet" in response.text
