"""Dated cards (#14): every card shows its date; a series is one card on its club's page and in
the directory ("Every Wednesday, 5:30 pm MST · next Wed 9 Dec", "All dates"); the home list keeps
each occurrence in date order; a club's own page doesn't repeat its name; clubs give a place."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from bs4 import BeautifulSoup

from events.tables import Club, Event, Series
from tests import helpers

NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
WEEKDAY_DATE = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
)


@pytest.fixture
def monday():
    with time_machine.travel(NOW, tick=True):
        yield


async def weekly_walks(club: int, weeks: int = 6) -> list[int]:
    rows = await Series.insert(
        Series(club=club, repeat="weekly", repeat_until=date(2027, 2, 1))
    ).returning(Series.id)
    first = datetime(2026, 12, 10, 0, 30, tzinfo=UTC)  # Wed 9 Dec, 5:30 pm MST
    return [
        await helpers.make_event(
            club, "Wednesday evening walk", first + timedelta(weeks=n), series=rows[0]["id"]
        )
        for n in range(weeks)
    ]


def text(node) -> str:
    """The node's text with runs of ASCII white space as one space (the narrow no-break space
    between a time and am/pm is kept: it is what stops "5:30" and "pm" parting)."""
    return re.sub(r"[ \t\r\n]+", " ", node.get_text(" ")).strip()


async def test_a_weekly_series_is_one_card_with_all_its_dates(client, monday):
    club = await helpers.make_club(city="Denver", region="CO", country="US")
    walks = await weekly_walks(club)
    summit = await helpers.make_event(club, "Summit hike", datetime(2026, 12, 12, 15, tzinfo=UTC))
    page = BeautifulSoup((await client.get("/clubs/trail-club")).text, "html.parser")
    cards = page.select("main ul.cards > li.card")
    assert [c.select_one(".title").get_text() for c in cards] == [
        "Wednesday evening walk",
        "Summit hike",
    ]
    series = cards[0]
    assert text(series.select_one(".when")) == "Every Wednesday, 5:30\u202fpm MST · next Wed 9 Dec"
    assert series.select_one(".card-link")["href"] == f"/events/{walks[0]}"
    dates = series.select("details.series-dates li a")
    assert [a["href"] for a in dates] == [f"/events/{w}" for w in walks]
    assert text(dates[1]) == "Wed 16 Dec, 5:30\u202fpm MST"
    assert text(series.select_one("details summary")) == "All dates (6)"
    assert text(cards[1].select_one(".when")) == "Sat 12 Dec, 8\u202fam MST"
    assert cards[1].select_one(".card-link")["href"] == f"/events/{summit}"
    # Its own page doesn't repeat the club's name on each card; it says where the club is.
    assert all("Trail Club" not in text(c) for c in cards)
    assert "Denver, CO" in text(page.select_one("main > p.meta"))


async def test_every_card_carries_weekday_date_and_time_with_zone(client, monday):
    club = await helpers.make_club()
    await weekly_walks(club, 3)
    await helpers.make_event(club, "Summit hike", datetime(2026, 12, 12, 15, tzinfo=UTC))
    for url in ("/", "/clubs/trail-club"):
        page = BeautifulSoup((await client.get(url)).text, "html.parser")
        cards = page.select("main ul.cards > li.card")
        assert cards, url
        for card in cards:
            when = text(card.select_one(".when"))
            assert re.search(r"\d{1,2}(:\d\d)?\u202f(am|pm) M[SD]T", when), (url, when)
            assert WEEKDAY_DATE.search(when.split("next ")[-1]), (url, when)


async def test_home_lists_each_occurrence_in_date_order(client, monday):
    club = await helpers.make_club()
    await weekly_walks(club, 3)
    await helpers.make_event(club, "Summit hike", datetime(2026, 12, 12, 15, tzinfo=UTC))
    page = BeautifulSoup((await client.get("/")).text, "html.parser")
    whens = [text(w) for w in page.select("#event-list .card .when")]
    assert whens == [
        "Wed 9 Dec, 5:30\u202fpm MST",
        "Sat 12 Dec, 8\u202fam MST",
        "Wed 16 Dec, 5:30\u202fpm MST",
        "Wed 23 Dec, 5:30\u202fpm MST",
    ]
    # Elsewhere the club is named on each card.
    assert "Trail Club" in text(page.select_one("#event-list .card"))


async def test_directory_card_shows_city_and_the_series_rhythm(client, monday):
    club = await helpers.make_club(city="Denver", region="CO", country="US")
    await weekly_walks(club, 2)
    card = BeautifulSoup((await client.get("/clubs")).text, "html.parser").select_one(".club-card")
    assert "Denver, CO" in text(card)
    assert "Every Wednesday, 5:30\u202fpm MST · next Wed 9 Dec" in text(card)


async def test_a_cancelled_card_says_so_with_an_icon(client, monday):
    club = await helpers.make_club()
    await helpers.make_event(
        club, "Summit hike", datetime(2026, 12, 12, 15, tzinfo=UTC), status="cancelled"
    )
    card = BeautifulSoup((await client.get("/")).text, "html.parser").select_one(".card")
    badge = card.select_one(".badge.stop")
    assert badge is not None and text(badge) == "Cancelled"
    assert badge.select_one("svg use")["href"] == "#i-x"
    assert "places left" not in text(card)


async def test_club_form_saves_where_the_club_meets(client):
    organizer = await helpers.make_member()
    await helpers.login(client, organizer)
    form = {
        "name": "London Circle",
        "kind": "alternative",
        "timezone": "Europe/London",
        "city": " London ",
        "region": "",
        "country": "gb",
    }
    response = await helpers.post(client, "/clubs/new", form)
    assert response.status_code == 303
    club = await Club.select(Club.city, Club.region, Club.country).first()
    assert club == {"city": "London", "region": "", "country": "GB"}
    page = BeautifulSoup((await client.get("/clubs/london-circle/edit")).text, "html.parser")
    assert page.select_one("#city")["value"] == "London"
    assert page.select_one("#country")["value"] == "GB"
    bad = await helpers.post(
        client, "/clubs/london-circle/edit", {**form, "country": "United Kingdom"}
    )
    assert bad.status_code == 422
    assert "two-letter country code" in bad.text
    assert (await Club.select(Club.country).first())["country"] == "GB"
    assert await Event.count() == 0
