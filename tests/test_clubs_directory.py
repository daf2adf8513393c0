"""The club directory: every kind of group, filters by kind and activity, card facts."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup

from events.tables import Club, Membership
from events.timefmt import utcnow
from tests import helpers


def card_titles(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [t.get_text(strip=True) for t in soup.select("#club-list .card .title")]


async def make(slug: str, name: str, kind: str, activities: str) -> int:
    club = await helpers.make_club(slug, name, kind=kind)
    await Club.update({Club.activities: activities}).where(Club.id == club)
    return club


async def test_directory_lists_every_kind_with_counts_and_next_event(client):
    hikers = await make("hikers", "Front Range Hikers", "activity", "hiking,climbing")
    await make("steps", "Tuesday Step Group", "twelve_step", "meeting")
    await make("smart", "SMART Thursday", "alternative", "meeting")
    for n in range(3):
        member = await helpers.make_member(f"m{n}@example.org", f"M{n}")
        await Membership.insert(Membership(member=member, club=hikers))
    blocked = await helpers.make_member("b@example.org", "B")
    await Membership.insert(Membership(member=blocked, club=hikers, blocked=True))
    soon = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    await helpers.make_event(hikers, "Later hike", starts_at=soon + timedelta(days=5))
    await helpers.make_event(hikers, "Mesa loop", starts_at=soon)
    await helpers.make_event(
        hikers, "Cancelled hike", starts_at=soon - timedelta(days=1), status="cancelled"
    )
    await helpers.make_event(hikers, "Past hike", starts_at=utcnow() - timedelta(days=2))

    response = await client.get("/clubs")

    assert response.status_code == 200
    assert card_titles(response.text) == [
        "Front Range Hikers",
        "SMART Thursday",
        "Tuesday Step Group",
    ]
    soup = BeautifulSoup(response.text, "html.parser")
    card = soup.select("#club-list .card")[0].get_text(" ", strip=True)
    assert "Sober activity club" in card
    assert "hiking, climbing" in card
    assert "Next:" in card and "Mesa loop" in card
    assert "3 members" in card
    steps = soup.select("#club-list .card")[2].get_text(" ", strip=True)
    assert "12-step group" in steps and "No upcoming events" in steps and "0 members" in steps


async def test_filter_by_kind_and_activity_plain_get(client):
    await make("hikers", "Front Range Hikers", "activity", "hiking,climbing")
    await make("climb", "Sober Climbers", "activity", "climbing")
    await make("steps", "Tuesday Step Group", "twelve_step", "meeting")
    await make("online", "Night Owls Online", "online", "meeting")

    by_kind = await client.get("/clubs", params={"kind": "twelve_step"})
    assert card_titles(by_kind.text) == ["Tuesday Step Group"]
    assert '<option value="twelve_step" selected>' in by_kind.text

    by_activity = await client.get("/clubs", params={"activity": "climbing"})
    assert card_titles(by_activity.text) == ["Front Range Hikers", "Sober Climbers"]

    both = await client.get("/clubs", params={"kind": "online", "activity": "meeting"})
    assert card_titles(both.text) == ["Night Owls Online"]

    none = await client.get("/clubs", params={"kind": "coaching"})
    assert card_titles(none.text) == []
    assert "No clubs match these filters" in none.text


async def test_filter_activity_matches_whole_names_only(client):
    await make("runners", "Run Club", "activity", "trail running,running")
    await make("yoga", "Yoga", "activity", "yoga")
    response = await client.get("/clubs", params={"activity": "running"})
    assert card_titles(response.text) == ["Run Club"]
    options = BeautifulSoup(response.text, "html.parser").select("#activity option")
    assert [o["value"] for o in options] == ["", "running", "trail running", "yoga"]


async def test_unknown_filters_are_dropped_with_a_message(client):
    await make("hikers", "Front Range Hikers", "activity", "hiking")
    response = await client.get("/clubs", params={"kind": "bogus", "activity": "knitting%"})
    assert response.status_code == 200
    assert card_titles(response.text) == ["Front Range Hikers"]
    assert "showing all kinds" in response.text
    assert "No clubs list the activity" in response.text


async def test_htmx_filter_returns_only_the_list(client):
    await make("hikers", "Front Range Hikers", "activity", "hiking")
    await make("steps", "Tuesday Step Group", "twelve_step", "meeting")
    response = await client.get(
        "/clubs", params={"activity": "hiking"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="club-list"')
    assert "<html" not in response.text
    assert card_titles(response.text) == ["Front Range Hikers"]
    assert "HX-Request" in response.headers["Vary"]


async def test_unlisted_clubs_stay_out_of_the_directory(client):
    await make("hikers", "Front Range Hikers", "activity", "hiking")
    await helpers.make_club("private", "Private Circle", listed=False)
    response = await client.get("/clubs")
    assert card_titles(response.text) == ["Front Range Hikers"]
