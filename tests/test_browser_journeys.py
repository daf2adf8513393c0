"""Two journeys of #14 on a 375×812 phone in Chromium against a real `steady web`, asserting
what a person sees at each step:

- the newcomer: an event → "Log in to RSVP" → "Create an account" → sign up → the link from
  the mail (sent over a real SMTP server) → confirm → back on the event, signed in → "I'm
  going" → the success card with "Add to calendar";
- the organizer: create a club → "Post an event" from the club page (weekly) → edit one date
  → cancel it after a confirmation page; a flash message after each step.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.async_api import expect

from events.tables import Club, Event, EventStatus, Membership, Rsvp, RsvpStatus
from events.timefmt import to_local, utcnow
from tests import helpers
from tests.browser_support import (
    SHOTS,
    axe_violations,
    describe_violations,
    flash,
    no_sideways_scroll,
    path_of,
    shot,
    sign_in,
)
from tests.workers_support import send_queued_mail, text_of

pytestmark = pytest.mark.browser


async def test_newcomer_signs_up_from_an_event_and_says_im_going(phone, live_server):
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(
        club,
        "Saturday sunrise hike",
        capacity=8,
        location="Chautauqua Park, Boulder",
        what_to_bring="Water and layers",
        first_timer_note="First time? Say hi to Sam at the start.",
    )
    page = phone

    await page.goto(f"/events/{event}")
    await page.get_by_role("heading", name="What to expect").wait_for()
    await page.get_by_text("First time? Say hi to Sam at the start.").wait_for()
    await no_sideways_scroll(page)
    await shot(page, "event-signed-out")
    await page.get_by_role("link", name="Log in to RSVP").tap()
    await page.get_by_role("heading", name="Log in to RSVP to Saturday sunrise hike").wait_for()
    await page.get_by_role("link", name="Create an account").tap()
    await page.get_by_text(re.compile("straight back to Saturday sunrise hike")).wait_for()

    await page.get_by_label("Display name").fill("Jordan")
    await page.get_by_label("Email").fill("jordan@example.org")
    await page.get_by_label(re.compile("^Password")).fill("a long enough password")
    await page.get_by_role("button", name="Sign up").tap()
    await page.get_by_role("heading", name="Check your email").wait_for()
    await page.get_by_text("jordan@example.org").wait_for()
    await expect(page.get_by_role("button", name="Send the link again")).to_be_visible()
    await shot(page, "check-your-email")

    sink = await send_queued_mail(lambda box: bool(box.to("jordan@example.org")))
    (mail,) = sink.to("jordan@example.org")
    link = re.search(r"https?://\S+/signup/confirm\?\S+", text_of(mail))
    assert link, text_of(mail)
    await page.goto(path_of(link.group(0)))
    await page.get_by_role("button", name=re.compile("confirm", re.I)).tap()

    await page.wait_for_url(lambda u: path_of(u) == f"/events/{event}")
    await expect(flash(page)).to_have_text("Welcome — you're signed in.")
    await page.get_by_role("link", name="Account").wait_for()
    panel = page.locator("#rsvp-panel")
    await panel.get_by_role("button", name="I'm going").tap()

    card = panel.locator(".success-card")
    await expect(card).to_be_visible()
    await expect(card.locator(".success-text")).to_have_text("You're going")
    await expect(card.locator(".icon-ok")).to_have_text("✓")  # an icon, never colour alone
    google = card.get_by_role("link", name="Add to Google Calendar")
    href = await google.get_attribute("href")
    assert href and href.startswith(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Saturday%20sunrise%20hike"
    )
    assert re.search(r"&dates=\d{8}T\d{6}Z/\d{8}T\d{6}Z", href)
    ics = card.get_by_role("link", name=re.compile(r"^Download \.ics"))
    assert await ics.get_attribute("href") == f"/events/{event}.ics"
    # Guests and privacy wait behind "Change"; nothing offers to subscribe to one event.
    await expect(panel.get_by_label("Other people going see")).to_be_hidden()
    assert await page.locator("a[href^='webcal']").count() == 0
    await no_sideways_scroll(page)
    await shot(page, "event-going")
    if SHOTS:  # and the two columns of a desktop screen
        await page.set_viewport_size({"width": 1280, "height": 900})
        await shot(page, "event-going-desktop")
        await page.set_viewport_size({"width": 375, "height": 812})
    background = await card.evaluate("e => getComputedStyle(e).backgroundColor")
    notice = await page.evaluate(
        "() => getComputedStyle(document.documentElement).getPropertyValue('--warn-bg')"
    )
    assert background not in ("", notice.strip())
    member = (await Rsvp.select(Rsvp.member, Rsvp.status).first()) or {}
    assert member.get("status") == RsvpStatus.going.value


async def test_organizer_creates_a_club_posts_weekly_edits_one_date_and_cancels(phone, live_server):
    organizer = await helpers.make_member("org@example.org", "Sam")
    page = phone
    await sign_in(page, live_server, organizer)

    await page.goto("/account")
    await page.get_by_role("link", name="Start a club").tap()
    await page.get_by_label("Name", exact=True).fill("Dawn Walkers")
    zone = page.get_by_label(re.compile("^Time zone"))
    # The browser's zone (the phone is set to America/Denver) was picked, in the common group.
    await expect(zone).to_have_value("America/Denver")
    await shot(page, "club-form")
    await page.get_by_role("button", name="Create club").tap()

    await page.wait_for_url(lambda u: path_of(u) == "/clubs/dawn-walkers")
    await expect(flash(page)).to_contain_text("Your club is ready")
    club = await Club.select(Club.id, Club.timezone).first()
    assert club["timezone"] == "America/Denver"
    await no_sideways_scroll(page)
    await shot(page, "club-new")
    await page.get_by_role("link", name="Post an event").tap()

    start = to_local(utcnow() + timedelta(days=3), "America/Denver").replace(
        hour=7, minute=0, second=0, microsecond=0
    )
    until = (start + timedelta(days=21)).date()
    await page.get_by_label("Title").fill("Sunrise walk")
    await page.get_by_label(re.compile("^Starts")).fill(start.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label(re.compile("^Ends")).fill(
        (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    await page.get_by_label("How often").select_option("weekly")
    await page.get_by_label(re.compile("^Until")).fill(until.isoformat())
    await page.get_by_label("Place", exact=True).fill("Chautauqua Park, Boulder")
    await page.get_by_label(re.compile("^Meeting point")).fill("By the ranger cottage")
    await page.get_by_label("A note for first-timers").fill("We walk slowly and chat.")
    await page.get_by_role("button", name="Post event").tap()

    await expect(flash(page)).to_have_text("Your event is posted: 4 dates.")
    await page.get_by_role("heading", name="Sunrise walk", level=1).wait_for()
    await page.get_by_text("By the ranger cottage").wait_for()
    ids = [r["id"] for r in await Event.select(Event.id).order_by(Event.starts_at)]
    assert len(ids) == 4 and path_of(page.url) == f"/events/{ids[0]}"

    # Edit only the second date: an hour later.
    await page.goto(f"/events/{ids[1]}")
    await page.get_by_role("link", name="Edit").tap()
    second_start = to_local(
        (await Event.select(Event.starts_at).where(Event.id == ids[1]).first())["starts_at"],
        "America/Denver",
    )
    moved = second_start.replace(hour=8)
    await page.get_by_label(re.compile("^Starts")).fill(moved.strftime("%Y-%m-%dT%H:%M"))
    await page.get_by_label(re.compile("^Ends")).fill(
        (moved + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    await (
        page.get_by_role("group", name="This event repeats. Change…")
        .get_by_label("Only this date")
        .check()
    )
    await page.get_by_role("button", name="Save changes").tap()
    await expect(flash(page)).to_contain_text("Your changes are saved.")
    starts = {
        r["id"]: to_local(r["starts_at"], "America/Denver").hour
        for r in await Event.select(Event.id, Event.starts_at)
    }
    assert starts == {ids[0]: 7, ids[1]: 8, ids[2]: 7, ids[3]: 7}

    # Cancel it: the event page's button asks first; nothing happens until "Yes".
    await page.get_by_role("link", name="Cancel event").tap()
    await page.get_by_role("heading", name="Cancel this event?").wait_for()
    await shot(page, "cancel-confirm")
    row = await Event.select(Event.status).where(Event.id == ids[1]).first()
    assert row["status"] == EventStatus.scheduled.value
    await page.get_by_label(re.compile("^Reason")).fill("Trail closed for repairs.")
    await page.get_by_role("button", name="Yes, cancel the event").tap()

    await page.wait_for_url(lambda u: path_of(u) == f"/events/{ids[1]}")
    await expect(flash(page)).to_contain_text("The event is cancelled.")
    await expect(page.locator(".state-cancelled .state-text")).to_have_text(
        "This event was cancelled: Trail closed for repairs."
    )
    await no_sideways_scroll(page)
    await shot(page, "event-cancelled")
    statuses = [r["status"] for r in await Event.select(Event.status).order_by(Event.starts_at)]
    assert statuses == ["scheduled", "cancelled", "scheduled", "scheduled"]
    assert await Membership.count() == 1


async def test_new_pages_pass_axe_in_light_and_dark(phone_axe, live_server):
    """The success card, the cancelled state, the cancel confirmation and the club form."""
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    going = await helpers.make_event(
        club, "Lake loop", capacity=5, what_to_bring="Water", first_timer_note="Say hi."
    )
    cancelled = await helpers.make_event(
        club, "River walk", status="cancelled", cancel_reason="Flooded path!"
    )
    page = phone_axe
    await sign_in(page, live_server, organizer)
    await page.goto(f"/events/{going}")
    await page.locator("#rsvp-panel").get_by_role("button", name="I'm going").tap()
    await page.locator(".success-card").wait_for()
    for path in (None, f"/events/{cancelled}", f"/events/{going}/cancel", "/clubs/new"):
        if path:
            await page.goto(path)
        for scheme in ("light", "dark"):
            await page.emulate_media(color_scheme=scheme)
            found = await axe_violations(page)
            assert not found, f"{path or 'success card'} ({scheme}):\n{describe_violations(found)}"
