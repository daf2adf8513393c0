"""Attributes and attendance in the club and event forms, on cards and event pages, and as
filters on `/`, `/clubs` and the site feed (#15 item 1)."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup

from events.tables import Club, Event
from events.timefmt import utcnow
from tests import helpers
from tests.test_organizer_events import event_form, organizer_setup


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


def ticked(page: BeautifulSoup) -> set[str]:
    return {i["value"] for i in page.select("input[name=attributes][checked]")}


async def test_new_event_form_starts_from_the_club_defaults(client):
    _, club = await organizer_setup(client)
    await Club.update({Club.attributes: "X newcomer-friendly", Club.attendance: "hybrid"}).where(
        Club.id == club
    )
    page = soup(await client.get("/clubs/run-club/events/new"))
    assert ticked(page) == {"X", "newcomer-friendly"}
    assert page.select_one("input[name=attendance][checked]")["value"] == "hybrid"
    # Grouped: each group is a fieldset with a legend; an activity club gets no meeting formats.
    legends = [f.legend.text.strip() for f in page.select(".attribute-groups fieldset")]
    assert "Accessibility" in legends and "Level" in legends and "Format" not in legends


async def test_event_form_saves_ticked_attributes_and_the_mode(client):
    _, _club = await organizer_setup(client)
    day = (utcnow() + timedelta(days=5)).date()
    form = event_form(day, attributes=["X", "level-easy", "S"], attendance="online")
    response = await helpers.post(client, "/clubs/run-club/events/new", form)
    assert response.status_code == 303
    event = await Event.select(Event.id, Event.attributes, Event.attendance).first()
    assert (event["attributes"], event["attendance"]) == ("S X level-easy", "online")

    page = soup(await client.get(f"/events/{event['id']}"))
    facts = {dt.text: dt.find_next_sibling("dd").text for dt in page.select("dl.facts dt")}
    assert facts["How"] == "Online"
    assert facts["Accessibility"] == "Wheelchair access"
    assert facts["Language"] == "Spanish"
    assert facts["Level"] == "Easy"
    assert " X " not in page.select_one("dl.facts").text

    edit = soup(await client.get(f"/events/{event['id']}/edit"))
    assert ticked(edit) == {"X", "level-easy", "S"}
    # Unticking everything is saved as no attributes.
    form = event_form(day, attendance="in_person")
    response = await helpers.post(client, f"/events/{event['id']}/edit", form)
    assert response.status_code == 303
    row = await Event.select(Event.attributes, Event.attendance).first()
    assert (row["attributes"], row["attendance"]) == ("", "in_person")


async def test_bad_codes_and_modes_show_the_form_again(client):
    _, _club = await organizer_setup(client)
    day = (utcnow() + timedelta(days=5)).date()
    form = event_form(day, attributes=["X", "<script>"], attendance="sometimes")
    response = await helpers.post(client, "/clubs/run-club/events/new", form)
    assert response.status_code == 422
    page = soup(response)
    assert page.select_one("#attendance-error").text == "Choose in person, online or hybrid."
    assert "aren't ones we know" in page.select_one("#attributes-error").text
    assert ticked(page) == {"X"}  # what was valid stays ticked
    assert page.select_one("#title")["value"] == "Tuesday run club"
    assert await Event.count() == 0


async def test_club_form_keeps_default_attributes(client):
    organizer = await helpers.make_member("org@example.org", "Sam")
    await helpers.login(client, organizer)
    form = {
        "name": "Tuesday Night Group",
        "slug": "tuesday-night",
        "kind": "twelve_step",
        "activities": "meeting",
        "description": "",
        "timezone": "America/Denver",
        "welcome_message": "",
        "attributes": ["O", "D", "EN", "X"],
        "attendance": "hybrid",
    }
    response = await helpers.post(client, "/clubs/new", form)
    assert response.status_code == 303
    club = await Club.select(Club.attributes, Club.attendance).first()
    assert (club["attributes"], club["attendance"]) == ("O D EN X", "hybrid")
    edit = soup(await client.get("/clubs/tuesday-night/edit"))
    assert ticked(edit) == {"O", "D", "EN", "X"}
    legends = [f.legend.text.strip() for f in edit.select(".attribute-groups fieldset")]
    assert legends[:3] == ["Open or closed", "Format", "Who it is for"]
    cards = soup(await client.get("/clubs"))
    tags = [t.text for t in cards.select(".club-card .tag")]
    assert tags[:5] == ["Hybrid", "Open", "Discussion", "English", "Wheelchair access"]


async def listed_events() -> dict[str, int]:
    club = await helpers.make_club()
    other = await helpers.make_club("support", "Support Group", kind="twelve_step")
    return {
        "ramp": await helpers.make_event(club, "Ramp hike", attributes="X OUT"),
        "online": await helpers.make_event(club, "Zoom chat", attendance="online"),
        "hybrid": await helpers.make_event(
            other, "Hybrid meeting", attendance="hybrid", attributes="S BE X"
        ),
        "plain": await helpers.make_event(other, "Plain meeting", attributes="EN"),
    }


def titles(page: BeautifulSoup) -> set[str]:
    return {t.text.strip() for t in page.select("#event-list .card .title")}


async def test_home_filters_by_attribute_and_attendance(client):
    await listed_events()
    both = soup(await client.get("/?attr=X&attr=S"))
    assert titles(both) == {"Hybrid meeting"}
    assert titles(soup(await client.get("/?attr=X"))) == {"Ramp hike", "Hybrid meeting"}
    # Online includes hybrid events; newcomer-friendly includes newcomer meetings (BE).
    assert titles(soup(await client.get("/?attendance=online"))) == {"Zoom chat", "Hybrid meeting"}
    assert titles(soup(await client.get("/?attr=newcomer-friendly"))) == {"Hybrid meeting"}
    assert titles(soup(await client.get("/?attendance=hybrid"))) == {"Hybrid meeting"}
    # The filter form shows what is on, and links keep the filters.
    page = soup(await client.get("/?attr=X&attr=S&attendance=in_person"))
    assert page.select_one("details.more-filters").has_attr("open")
    assert page.select_one("#language-filter option[selected]")["value"] == "S"
    assert page.select_one("input[name=attr][value=X]").has_attr("checked")
    assert page.select_one("#attendance-filter option[selected]")["value"] == "in_person"
    feed = page.select_one(".feed-link a")["href"]
    assert feed == "/calendar.ics?attr=S+X&attendance=in_person"
    # Cards show labels, never codes.
    card = page.select_one("#event-list .card")
    assert [t.text for t in card.select(".tag")] == [
        "Hybrid",
        "Newcomer meeting",
        "Spanish",
        "Wheelchair access",
    ]


async def test_home_filters_through_htmx_and_ignore_unknown_codes(client):
    await listed_events()
    fragment = await client.get("/?attr=X", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="event-list"')
    assert titles(soup(fragment)) == {"Ramp hike", "Hybrid meeting"}
    odd = await client.get("/?attr=%3Cb%3Ezz&attendance=sometimes")
    assert odd.status_code == 200
    assert "<b>zz" not in odd.text and "&lt;b&gt;zz" not in odd.text
    assert "ones we know; they were ignored" in odd.text
    assert len(titles(soup(odd))) == 4


async def test_clubs_directory_filters_by_club_defaults(client):
    await helpers.make_club("ramp", "Ramp Hikers", attributes="X", attendance="in_person")
    await helpers.make_club("zoom", "Zoom Group", kind="online", attendance="online")
    await helpers.make_club("both", "Both Ways", attributes="S X", attendance="hybrid")
    names = lambda r: {t.text.strip() for t in soup(r).select(".club-card .title")}  # noqa: E731
    assert names(await client.get("/clubs?attr=X")) == {"Ramp Hikers", "Both Ways"}
    assert names(await client.get("/clubs?attendance=online")) == {"Zoom Group", "Both Ways"}
    assert names(await client.get("/clubs?attr=X&attendance=in_person")) == {
        "Ramp Hikers",
        "Both Ways",
    }
    fragment = await client.get("/clubs?attr=S", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="club-list"')
    assert names(fragment) == {"Both Ways"}


async def test_site_feed_takes_the_same_filters(client):
    await listed_events()
    feed = await client.get("/calendar.ics?attr=X&attendance=in_person")
    assert feed.status_code == 200
    assert "SUMMARY:Ramp hike" in feed.text and "SUMMARY:Hybrid meeting" in feed.text
    assert "Zoom chat" not in feed.text and "Plain meeting" not in feed.text
    assert "Wheelchair access" in feed.text  # the calendar's name says what it holds
    everything = await client.get("/calendar.ics")
    assert everything.headers["etag"] != feed.headers["etag"]


async def test_forms_without_the_new_fields_keep_what_is_stored(client):
    _, club = await organizer_setup(client)
    await Club.update({Club.attributes: "X", Club.attendance: "hybrid"}).where(Club.id == club)
    form = {
        "name": "Run Club",
        "kind": "activity",
        "activities": "running",
        "description": "",
        "timezone": "America/Denver",
        "welcome_message": "",
    }
    assert (await helpers.post(client, "/clubs/run-club/edit", form)).status_code == 303
    row = await Club.select(Club.attributes, Club.attendance).first()
    assert (row["attributes"], row["attendance"]) == ("X", "hybrid")

    event = await helpers.make_event(
        club, attributes="OUT", attendance="hybrid", link_for_in_person=True
    )
    day = (utcnow() + timedelta(days=5)).date()
    response = await helpers.post(client, f"/events/{event}/edit", event_form(day))
    assert response.status_code == 303
    row = await Event.select(Event.attributes, Event.attendance, Event.link_for_in_person).first()
    assert row == {"attributes": "OUT", "attendance": "hybrid", "link_for_in_person": True}
