"""A member's main paths on a phone (375×812, touch), end to end in Chromium against a real
`steady web`: sign up through the mailed link, log in, join a club, RSVP with one tap (the panel
updates in place), cancel, an organizer posts an event, and RSVP with JavaScript off."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from events.tables import Event, Membership, Outbox, Rsvp, RsvpStatus
from events.timefmt import to_local, utcnow
from tests import helpers
from tests.browser_support import marker_survived, path_of, set_marker, sign_in

pytestmark = pytest.mark.browser

GOING = re.compile(r"i'?m going|count me in|^going$|^rsvp$", re.I)
CANCEL = re.compile(r"can'?t go|not going|cancel( my)? rsvp", re.I)


def rsvp_panel(page: Any) -> Any:
    return page.get_by_role("region", name=re.compile(r"going|rsvp", re.I))


async def expect_focus_within(region: Any) -> None:
    """Keyboard and screen-reader users keep their place when htmx swaps a panel.

    Flaky when read once (`make flakes`, PostgreSQL run): htmx focuses the new `[autofocus]`
    element in a settle task a moment after the swapped text is visible, so the check waits
    for focus to arrive (Playwright's expect retries until its timeout)."""
    await expect(region.locator(":focus")).to_have_count(1)


async def rsvp_status(event_id: int, member_id: int) -> str | None:
    row = (
        await Rsvp.select(Rsvp.status)
        .where((Rsvp.event == event_id) & (Rsvp.member == member_id))
        .first()
    )
    return row["status"] if row else None


async def test_sign_up_by_mailed_link_then_log_in_and_join_a_club(phone, live_server):
    organizer = await helpers.make_member("org@example.org", "Sam")
    await helpers.make_club(organizer=organizer, welcome_message="Bring water and layers.")
    page = phone

    await page.goto("/signup")
    await page.get_by_label("Display name").fill("Jordan")
    await page.get_by_label("Email").fill("jordan@example.org")
    await page.get_by_label(re.compile("^Password")).fill("a long enough password")
    await page.get_by_role("button", name="Sign up").tap()
    await page.get_by_role("heading", name=re.compile("check your email", re.I)).wait_for()

    mail = await Outbox.select(Outbox.payload).where(Outbox.kind == "signup_confirm").first()
    assert mail is not None, "sign-up wrote no confirmation mail"
    payload = mail["payload"]
    token = (payload if isinstance(payload, dict) else json.loads(payload))["token"]
    await page.goto(f"/signup/confirm?token={token}")
    await page.get_by_role("button", name=re.compile("confirm", re.I)).tap()
    await page.wait_for_url(lambda url: path_of(url) == "/account")
    await page.locator("header details.menu summary").tap()  # Log out is in the menu
    await page.get_by_role("button", name="Log out").tap()
    await page.get_by_role("link", name="Log in").first.wait_for()

    await page.goto("/login?next=/clubs/trail-club")
    await page.get_by_label("Email").fill("jordan@example.org")
    await page.get_by_label("Password").fill("a long enough password")
    await page.get_by_role("button", name="Log in").tap()
    await page.wait_for_url(lambda url: path_of(url) == "/clubs/trail-club")

    await set_marker(page)
    await page.get_by_role("button", name=re.compile(r"^Join\b")).tap()
    await page.get_by_text(re.compile("You're a member of Trail Club")).wait_for()
    await page.get_by_text("Bring water and layers.").wait_for()
    assert await marker_survived(page), "joining reloaded the whole page"
    await expect_focus_within(page.get_by_role("region", name="Membership"))
    assert await Membership.count().where(Membership.club.slug == "trail-club") == 2


async def test_one_tap_rsvp_updates_the_panel_in_place_and_cancel(phone, live_server):
    member = await helpers.make_member()
    club = await helpers.make_club()
    event = await helpers.make_event(club, title="Sunrise hike", capacity=8)
    page = phone
    await sign_in(page, live_server, member)
    await page.goto(f"/events/{event}")
    panel = rsvp_panel(page)
    await panel.get_by_text("0 going").wait_for()
    await set_marker(page)

    await panel.get_by_role("button", name=GOING).tap()
    await panel.get_by_text(re.compile("You're going")).first.wait_for()
    await panel.get_by_text(re.compile(r"1 going · 7 places left")).wait_for()
    assert await marker_survived(page), "the RSVP reloaded the whole page"
    await expect_focus_within(panel)  # the swap must not drop keyboard focus
    assert path_of(page.url) == f"/events/{event}"
    assert await rsvp_status(event, member) == RsvpStatus.going.value

    await panel.get_by_text(re.compile("^Change guests")).tap()  # behind a disclosure now (#14)
    await panel.get_by_role("button", name=CANCEL).tap()
    await panel.get_by_text(re.compile("can't go", re.I)).first.wait_for()
    await panel.get_by_text(re.compile(r"0 going")).wait_for()
    assert await marker_survived(page)
    await expect_focus_within(panel)
    assert await rsvp_status(event, member) == RsvpStatus.not_going.value
    assert await Outbox.count().where(Outbox.kind.is_in(["invite", "cancel"])) == 2


async def test_rsvp_works_with_javascript_off(phone_nojs, live_server):
    member = await helpers.make_member()
    club = await helpers.make_club()
    event = await helpers.make_event(club, title="Evening walk", capacity=5)
    page = phone_nojs
    await sign_in(page, live_server, member)
    await page.goto(f"/events/{event}")
    panel = rsvp_panel(page)

    async with page.expect_navigation():
        await panel.get_by_role("button", name=GOING).tap()
    assert path_of(page.url).startswith(f"/events/{event}")
    await panel.get_by_text(re.compile("You're going")).first.wait_for()
    await panel.get_by_text(re.compile(r"1 going · 4 places left")).wait_for()
    assert await rsvp_status(event, member) == RsvpStatus.going.value

    await panel.get_by_text(re.compile("^Change guests")).tap()  # behind a disclosure now (#14)
    async with page.expect_navigation():
        await panel.get_by_role("button", name=CANCEL).tap()
    await panel.get_by_text(re.compile(r"0 going")).wait_for()
    assert await rsvp_status(event, member) == RsvpStatus.not_going.value


async def test_organizer_posts_an_event_from_a_phone(phone, live_server):
    organizer = await helpers.make_member("org@example.org", "Sam")
    await helpers.make_club(organizer=organizer)
    page = phone
    await sign_in(page, live_server, organizer)
    start = to_local(utcnow() + timedelta(days=4), "America/Denver").replace(
        hour=9, minute=0, second=0, microsecond=0
    )

    await page.goto("/clubs/trail-club/events/new")
    await page.get_by_label("Title").fill("Bear Lake loop")
    await page.get_by_label(re.compile("^Activity")).fill("hiking")
    await page.get_by_label(re.compile("^Starts")).fill(start.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label(re.compile("^Ends")).fill(
        (start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    )
    await page.get_by_label("Place", exact=True).fill("Bear Lake trailhead")
    await page.get_by_label(re.compile("^Places")).fill("10")
    await page.get_by_label(re.compile("^Description")).fill("An easy **loop** for all paces.")
    await page.get_by_role("button", name="Post event").tap()

    await page.get_by_role("heading", name="Bear Lake loop", level=1).wait_for()
    assert re.fullmatch(r"/events/\d+", path_of(page.url)), page.url
    await page.get_by_text("Bear Lake trailhead").wait_for()
    await page.locator("strong", has_text="loop").wait_for()
    row = await Event.select(Event.starts_at, Event.capacity).where(Event.title == "Bear Lake loop")
    assert len(row) == 1 and row[0]["capacity"] == 10
    assert to_local(row[0]["starts_at"], "America/Denver").hour == 9
