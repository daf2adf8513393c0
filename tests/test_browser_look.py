"""The phone look (#14) in Chromium at 375×812: a one-row header with "Help now" and a menu that
opens without JavaScript, no sideways scrolling at 100 % and 200 % text, dated cards on club
pages, no serious axe findings in light or dark mode, search that finds a sober hike (or says when
the next one is), the place filter with and without JavaScript, and crisis lines per country."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from events.services.home import weekend
from events.services.seed import MEMBER_EMAIL, ORGANIZER_EMAIL, seed_demo
from events.tables import Club, Event, Member
from events.timefmt import to_utc, utcnow
from tests import helpers
from tests.browser_support import (
    axe_violations,
    describe_violations,
    marker_survived,
    new_phone,
    path_of,
    set_marker,
    sign_in,
)

pytestmark = pytest.mark.browser

WIDTH = 375
DATED = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}")
TIMED = re.compile(r"\d{1,2}(:\d\d)?\u202f(am|pm) [A-Z]{2,5}")

HEADER_ROWS_JS = """() => {
  const items = [...document.querySelectorAll('header.site nav > *')]
    .filter(el => el.offsetParent !== null);
  return new Set(items.map(el => Math.round(el.getBoundingClientRect().top / 20))).size;
}"""


async def text_at(page: Any, percent: int) -> None:
    """Text zoom as a phone's font-size setting does it: the root font size (CSSOM, which the
    site's CSP allows)."""
    await page.evaluate(f"document.documentElement.style.fontSize = '{percent}%'")


async def demo() -> dict[str, Any]:
    await seed_demo()
    people = {
        r["email"]: r["id"]
        for r in await Member.select(Member.id, Member.email).where(
            Member.email.is_in([MEMBER_EMAIL, ORGANIZER_EMAIL])
        )
    }
    hike = (
        await Event.select(Event.id)
        .where(Event.club.slug == "trailheads-sober-hiking")
        .order_by(Event.starts_at)
        .first()
    )
    return {
        "member": people[MEMBER_EMAIL],
        "organizer": people[ORGANIZER_EMAIL],
        "event": f"/events/{hike['id']}",
        "clubs": [r["slug"] for r in await Club.select(Club.slug)],
    }


@pytest.fixture
async def seeded() -> dict[str, Any]:
    return await demo()


async def test_header_is_one_row_at_375px_and_at_200_percent_text(phone, live_server, seeded):
    for who in (None, seeded["member"]):
        if who:
            await sign_in(phone, live_server, who)
        for url in ("/", "/clubs/self-empowerment-circle", seeded["event"]):
            await phone.goto(url)
            await expect(phone.locator("header .help-now")).to_be_visible()
            assert await phone.evaluate(HEADER_ROWS_JS) == 1, (who, url)
            await text_at(phone, 200)
            assert await phone.evaluate(HEADER_ROWS_JS) == 1, (who, url, "200 %")
            assert await phone.evaluate("document.documentElement.scrollWidth") <= WIDTH
            await text_at(phone, 100)


async def test_the_menu_opens_without_javascript(phone_nojs, live_server, seeded):
    await sign_in(phone_nojs, live_server, seeded["member"])
    await phone_nojs.goto("/")
    menu = phone_nojs.locator("header details.menu")
    await expect(menu.get_by_role("button", name="Log out")).to_be_hidden()
    await menu.locator("summary").tap()
    await expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    await menu.get_by_role("link", name="Clubs").tap()
    await phone_nojs.wait_for_url(lambda url: path_of(url) == "/clubs")


async def test_no_main_page_scrolls_sideways_at_100_or_200_percent_text(
    browser, live_server, seeded
):
    pages = {
        None: ["/", "/clubs", "/help", "/help?country=GB", "/new-here", "/?q=sober+hike"],
        seeded["member"]: ["/", seeded["event"], "/clubs/trailheads-sober-hiking", "/account"],
        seeded["organizer"]: [f"{seeded['event']}/attendees", "/clubs/new"],
    }
    too_wide: dict[str, int] = {}
    for who, urls in pages.items():
        context = await new_phone(browser, live_server)
        page = await context.new_page()
        if who:
            await sign_in(page, live_server, who)
        for url in urls:
            await page.goto(url)
            for percent in (100, 200):
                await text_at(page, percent)
                width = await page.evaluate("document.documentElement.scrollWidth")
                if width > WIDTH:
                    too_wide[f"{url} at {percent} %"] = width
        await context.close()
    assert not too_wide, too_wide


async def test_every_event_card_on_a_club_page_carries_a_date(phone, seeded):
    for slug in seeded["clubs"]:
        await phone.goto(f"/clubs/{slug}")
        whens = await phone.locator("main .cards .card .when").all_inner_texts()
        cards = await phone.locator("main .cards .card").count()
        assert cards and len(whens) == cards, slug
        for when in whens:
            assert DATED.search(when) and TIMED.search(when), (slug, when)
    # The hiking club's weekly walk is one card, its dates behind "All dates".
    await phone.goto("/clubs/trailheads-sober-hiking")
    walk = phone.locator(".card.series", has_text="Wednesday evening walk")
    await expect(walk).to_have_count(1)
    await expect(walk.locator(".when")).to_contain_text(re.compile(r"^Every Wednesday, 5:30"))
    await walk.get_by_text(re.compile(r"^All dates")).tap()
    await expect(walk.locator(".series-dates li").first).to_be_visible()
    assert await walk.locator(".series-dates li").count() > 10


@pytest.fixture
async def axe_page(browser, live_server) -> AsyncIterator[Any]:
    context = await new_phone(browser, live_server, bypass_csp=True)  # to inject axe-core
    yield await context.new_page()
    await context.close()


async def test_changed_pages_have_no_serious_axe_findings_light_or_dark(
    axe_page, live_server, seeded
):
    found: dict[str, str] = {}

    async def audit(urls: list[str]) -> None:
        for url in urls:
            await axe_page.goto(url)
            for scheme in ("light", "dark"):
                await axe_page.emulate_media(color_scheme=scheme)
                if violations := await axe_violations(axe_page):
                    found[f"{url} ({scheme})"] = describe_violations(violations)
            await axe_page.emulate_media(color_scheme="light")

    await audit(["/", "/clubs", "/help?country=GB", "/new-here", "/?q=climbing&from=2026-01-03"])
    await axe_page.locator("header details.menu summary").click()
    if violations := await axe_violations(axe_page):
        found["menu open"] = describe_violations(violations)
    await sign_in(axe_page, live_server, seeded["member"])
    await audit(["/", "/clubs/trailheads-sober-hiking", seeded["event"]])
    assert not found, "\n\n".join(f"{k}:\n{v}" for k, v in found.items())


async def test_no_hike_this_weekend_points_to_the_next_one(phone):
    club = await helpers.make_club(slug="trailheads", name="Trailheads")
    saturday, sunday = weekend(utcnow())
    wednesday = sunday + timedelta(days=3)
    starts = to_utc(datetime.combine(wednesday, time(17, 30)), "America/Denver")
    hike = await helpers.make_event(club, "Wednesday evening walk", starts)
    await helpers.make_event(club, "Board games", starts - timedelta(days=4), activity="social")
    await phone.goto("/")
    await phone.get_by_label("Search events").fill("sober hike")
    await phone.get_by_label("Search events").press("Enter")
    await expect(phone.locator("#event-list .card .title")).to_have_text(["Wednesday evening walk"])
    await set_marker(phone)
    await phone.locator(".chips").get_by_role("link", name="This weekend").tap()
    hint = phone.locator(".hint-next")
    day = wednesday.strftime("%a %-d %b")
    await expect(hint).to_contain_text(f"No hikes this weekend — the next one is {day}")
    assert await marker_survived(phone), "the quick choice reloaded the page"
    # htmx pushes the URL around the swap: wait for it rather than read it once.
    await phone.wait_for_url(lambda url: f"from={saturday}" in url and "q=sober+hike" in url)
    await hint.get_by_role("link", name=day, exact=True).tap()
    await phone.wait_for_url(lambda url: path_of(url) == f"/events/{hike}")


async def test_place_filter_without_javascript(phone_nojs, seeded):
    await phone_nojs.goto("/")
    await phone_nojs.get_by_text("More filters").tap()
    await phone_nojs.get_by_label("Place").select_option("London")
    await phone_nojs.get_by_role("button", name="Show events").tap()
    await phone_nojs.wait_for_url(re.compile(r"place=London"))
    titles = await phone_nojs.locator("#event-list .card .title").all_inner_texts()
    assert titles and set(titles) == {"Recovery circle"}
    await phone_nojs.goto("/clubs")
    await phone_nojs.get_by_label("Place").select_option("online")
    await phone_nojs.get_by_role("button", name="Search").tap()
    await expect(phone_nojs.locator("#club-list .title")).to_have_text(
        ["Morning Check-in (Online)"]
    )


async def test_place_filter_with_javascript_updates_in_place(phone, seeded):
    await phone.goto("/")
    await set_marker(phone)
    await phone.locator(".chips").get_by_role("link", name="London").tap()
    await expect(phone.locator(".chips a[aria-current=true]")).to_have_text("London")
    titles = phone.locator("#event-list .card .title")
    await expect(titles.first).to_have_text("Recovery circle")
    assert set(await titles.all_inner_texts()) == {"Recovery circle"}
    assert await phone.get_by_label("Place").input_value() == "London"
    assert "place=London" in phone.url
    assert await marker_survived(phone), "the place choice reloaded the page"
    await phone.locator(".chips").get_by_role("link", name="Online").tap()
    await expect(titles.first).to_have_text("Morning check-in")
    assert await marker_survived(phone)


async def test_crisis_lines_follow_the_country_of_the_club(phone, seeded):
    await phone.goto("/clubs/self-empowerment-circle")
    await phone.locator("header").get_by_role("link", name="Help now").tap()
    await phone.wait_for_url(re.compile(r"/help\?country=GB$"))
    samaritans = phone.get_by_role("link", name="Call 116 123")
    await expect(samaritans).to_have_attribute("href", "tel:116123")
    await expect(phone.get_by_role("link", name="Text SHOUT to 85258")).to_have_attribute(
        "href", "sms:85258?body=SHOUT"
    )
    await expect(phone.get_by_role("link", name="Call 988")).to_have_count(0)

    await phone.goto("/clubs/trailheads-sober-hiking")
    await phone.locator("header").get_by_role("link", name="Help now").tap()
    await expect(phone.get_by_role("link", name="Call 988")).to_have_attribute("href", "tel:988")
    await expect(phone.get_by_role("link", name="Text 988")).to_have_attribute("href", "sms:988")
    await expect(phone.get_by_role("link", name="Text HOME to 741741")).to_be_visible()
    samhsa = phone.locator('a[href="tel:18006624357"] .nowrap')
    for percent in (100, 200):
        await text_at(phone, percent)
        # One line box: "1-800-" never ends a line.
        assert await samhsa.evaluate("el => el.getClientRects().length") == 1, percent
