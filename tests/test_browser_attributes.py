"""#15 in Chromium on a phone: the attribute filters with JavaScript off (a plain GET) and on
(htmx swaps the list in place), and a hybrid RSVP chosen "online" with one tap."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from events.tables import Rsvp
from tests import helpers
from tests.browser_support import marker_survived, path_of, set_marker, sign_in

pytestmark = pytest.mark.browser


async def two_events() -> None:
    club = await helpers.make_club()
    await helpers.make_event(club, "Ramp hike", attributes="X OUT")
    await helpers.make_event(club, "Stairs hike", attributes="OUT")


async def test_filters_without_javascript(phone_nojs, live_server):
    await two_events()
    page = phone_nojs
    await page.goto("/")
    await page.get_by_text("More filters").tap()  # the full form is behind it (#14)
    await page.get_by_text("Access, language and more").tap()
    await page.get_by_label("Wheelchair access").check()
    await page.get_by_role("button", name="Show events").tap()
    await page.wait_for_url("**/?*attr=X*")
    cards = page.locator("#event-list .card .title")
    await expect(cards).to_have_text(["Ramp hike"])
    await expect(page.locator("#event-list .card .tag").nth(1)).to_have_text("Wheelchair access")


async def test_filters_through_htmx_keep_the_page(phone, live_server):
    await two_events()
    page = phone
    await page.goto("/")
    await set_marker(page)
    await page.get_by_text("More filters").tap()  # the full form is behind it (#14)
    await page.get_by_text("Access, language and more").tap()
    await page.get_by_label("Wheelchair access").check()
    await expect(page.locator("#event-list .card .title")).to_have_text(["Ramp hike"])
    assert await marker_survived(page)
    await page.wait_for_url("**/?*attr=X*")
    await page.get_by_label("How").select_option("online")
    await expect(page.locator("#event-list .empty")).to_contain_text("No events match")
    assert "attendance=online" in path_of(page.url)
    assert await marker_survived(page)


async def test_hybrid_rsvp_online_in_one_tap(phone, live_server):
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, "Hybrid meeting", capacity=1, attendance="hybrid")
    member = await helpers.make_member()
    await sign_in(phone, live_server, member)
    page = phone
    await page.goto(f"/events/{event}")
    await set_marker(page)
    panel = page.locator("#rsvp-panel")
    group = panel.get_by_role("group", name="In person or online?")
    await group.get_by_label("Online").check()
    await panel.get_by_role("button", name="I'm going").tap()
    # The success card (#14 flows) says how.
    await expect(panel.locator(".success-text")).to_have_text("You're going online")
    await expect(panel.locator(".counts")).to_contain_text("0 in person · 1 online")
    assert await marker_survived(page)
    row = await Rsvp.select(Rsvp.status, Rsvp.attendance).first()
    assert (row["status"], row["attendance"]) == ("going", "online")
