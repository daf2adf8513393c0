"""Finding a sober hike this weekend (#14): search words and synonyms, quick choices, places
(`place=`), and an empty result that names the next match instead of a dead end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from bs4 import BeautifulSoup

from events.services.home import weekend
from events.services.search import words
from tests import helpers

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)  # Monday 7 Dec, 8 am in Denver


@pytest.fixture
def monday():
    with time_machine.travel(NOW, tick=True):
        yield


def titles(html: str) -> list[str]:
    page = BeautifulSoup(html, "html.parser")
    return [t.get_text(strip=True) for t in page.select("#event-list > .cards .title")]


def club_titles(html: str) -> list[str]:
    return [
        t.get_text(strip=True)
        for t in BeautifulSoup(html, "html.parser").select("#club-list .title")
    ]


async def places_and_events() -> dict[str, int]:
    denver = await helpers.make_club(
        slug="trailheads", name="Trailheads", city="Denver", region="CO", country="US"
    )
    london = await helpers.make_club(
        slug="circle",
        name="Recovery Circle",
        timezone="Europe/London",
        city="London",
        country="GB",
        kind="alternative",
    )
    online = await helpers.make_club(slug="check-in", name="Morning Check-in", kind="online")
    return {
        # Wed 9 Dec, 5:30 pm in Denver
        "walk": await helpers.make_event(
            denver, "Wednesday evening walk", datetime(2026, 12, 10, 0, 30, tzinfo=UTC)
        ),
        "summit": await helpers.make_event(
            denver, "Summit: Mount Falcon", datetime(2026, 12, 15, 15, 0, tzinfo=UTC)
        ),
        "circle": await helpers.make_event(
            london,
            "Saturday share",
            datetime(2026, 12, 12, 18, 30, tzinfo=UTC),
            activity="meeting",
            location="Hackney Library",
        ),
        "online": await helpers.make_event(
            online,
            "Morning check-in",
            datetime(2026, 12, 8, 12, 30, tzinfo=UTC),
            activity="meeting",
            online_url="https://meet.example.org/x",
        ),
    }


def test_words_people_type_lose_the_ones_every_event_shares():
    assert words("Sober hike this weekend") == ["hike"]
    assert words("recovery 12-step meeting near me") == ["12-step", "meeting"]
    assert words("sober") == []


def test_this_weekend_is_the_coming_saturday_and_sunday():
    assert weekend(NOW) == (datetime(2026, 12, 12).date(), datetime(2026, 12, 13).date())
    sunday_evening_in_denver = datetime(2026, 12, 14, 2, 0, tzinfo=UTC)
    assert weekend(sunday_evening_in_denver)[1] == datetime(2026, 12, 13).date()


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("sober hike", ["Wednesday evening walk", "Summit: Mount Falcon"]),
        ("hike", ["Wednesday evening walk", "Summit: Mount Falcon"]),
        ("walk", ["Wednesday evening walk", "Summit: Mount Falcon"]),
        ("falcon", ["Summit: Mount Falcon"]),
        ("meeting", ["Morning check-in", "Saturday share"]),
        ("12-step support", ["Morning check-in", "Saturday share"]),
        ("hackney", ["Saturday share"]),
        ("hike london", []),
    ],
)
async def test_search_matches_activities_by_their_everyday_words(client, monday, q, found):
    await places_and_events()
    assert titles((await client.get("/", params={"q": q})).text) == found


async def test_sober_alone_narrows_nothing(client, monday):
    await places_and_events()
    assert len(titles((await client.get("/", params={"q": "sober recovery"})).text)) == 4


async def test_no_hike_this_weekend_names_the_next_one_with_a_link(client, monday):
    ids = await places_and_events()
    saturday, sunday = weekend(NOW)
    response = await client.get("/", params={"q": "sober hike", "from": saturday, "to": sunday})
    page = BeautifulSoup(response.text, "html.parser")
    hint = page.select_one(".hint-next")
    assert hint is not None
    text = " ".join(hint.get_text().split())
    assert text.startswith("No hikes this weekend — the next one is Wed 9 Dec.")
    assert hint.select_one(f'a[href="/events/{ids["walk"]}"]').get_text() == "Wed 9 Dec"
    # The quick choice shows as chosen, and tapping it again clears the dates.
    chip = page.select_one('.chips a[aria-current="true"]')
    assert chip.get_text(strip=True) == "This weekend"
    assert chip["href"] == "/?q=sober+hike"


async def test_nothing_at_all_says_so_without_a_next_date(client, monday):
    await places_and_events()
    saturday, sunday = weekend(NOW)
    params = {"activity": "climbing", "from": saturday, "to": sunday}
    hint = BeautifulSoup((await client.get("/", params=params)).text, "html.parser")
    text = " ".join(hint.select_one(".hint-next").get_text().split())
    assert text.startswith("No climbing sessions this weekend.")


async def test_place_filter_on_home_and_directory(client, monday):
    await places_and_events()
    london = (await client.get("/", params={"place": "london"})).text
    assert titles(london) == ["Saturday share"]
    assert titles((await client.get("/", params={"place": "Online"})).text) == ["Morning check-in"]
    assert titles((await client.get("/", params={"place": "Paris"})).text) == []
    assert club_titles((await client.get("/clubs", params={"place": "London"})).text) == [
        "Recovery Circle"
    ]
    assert club_titles((await client.get("/clubs", params={"place": "online"})).text) == [
        "Morning Check-in"
    ]
    page = BeautifulSoup((await client.get("/clubs")).text, "html.parser")
    options = [o.get_text() for o in page.select("select#place option")]
    assert options == ["Anywhere", "Denver, CO", "London, GB", "Online"]
    # Cards name the city.
    card = page.select_one('a[href="/clubs/trailheads"]').get_text(" ", strip=True)
    assert "Denver, CO" in card
    # The feed takes the same filter.
    feed = (await client.get("/calendar.ics", params={"place": "London"})).text
    assert "Saturday share" in feed and "Wednesday evening walk" not in feed


async def test_quick_choices_keep_the_other_filters(client, monday):
    await places_and_events()
    page = BeautifulSoup((await client.get("/", params={"q": "walk"})).text, "html.parser")
    chips = {
        a.get_text(strip=True): parse_qs(urlsplit(a["href"]).query) for a in page.select(".chips a")
    }
    assert chips["Hiking"] == {"activity": ["hiking"], "q": ["walk"]}
    assert chips["Online"] == {"place": ["online"], "q": ["walk"]}
    assert chips["Denver"] == {"place": ["Denver"], "q": ["walk"]}
    saturday = weekend(NOW)[0]
    sunday = saturday + timedelta(days=1)
    assert chips["This weekend"] == {"q": ["walk"], "from": [str(saturday)], "to": [str(sunday)]}


async def test_a_quick_choice_swaps_the_form_and_list_typing_swaps_the_list(client, monday):
    await places_and_events()
    listing = await client.get(
        "/", params={"place": "London"}, headers={"HX-Request": "true", "HX-Target": "listing"}
    )
    page = BeautifulSoup(listing.text, "html.parser")
    assert page.select_one("#listing form#home-filters") is not None
    assert page.select_one("select#place option[selected]")["value"] == "London"
    typed = await client.get(
        "/", params={"q": "walk"}, headers={"HX-Request": "true", "HX-Target": "event-list"}
    )
    page = BeautifulSoup(typed.text, "html.parser")
    assert page.select_one("form") is None and page.select_one("#event-list") is not None


async def test_a_place_kept_for_people_going_is_never_searched(client, monday):
    club = await helpers.make_club()
    await helpers.make_event(
        club,
        "Quiet meeting",
        datetime(2026, 12, 9, 18, tzinfo=UTC),
        location="12 Secret Lane",
        location_hint="Near the park",
        details_for_attendees_only=True,
    )
    assert titles((await client.get("/", params={"q": "secret lane"})).text) == []
    assert titles((await client.get("/", params={"q": "park"})).text) == ["Quiet meeting"]
