"""The "Done when" journeys of #14 on a 375×812 phone in Chromium against a real `steady web`,
asserting what a person sees; mail goes through a real SMTP server and the real worker:

- the newcomer from the home page: "This weekend" → the hike → "Log in to RSVP" → sign up →
  the mailed link → back on the event, signed in → "I'm going" → "Add to Google Calendar"
  for that one event;
- the member: join a club → a longer-standing member's welcome note arrives by mail → RSVP
  with a guest → cancel → the member on the waitlist is told "A place opened up";
- the organizer at the door: message everyone going → check someone in → cancel the event
  after a confirmation page → everyone going is told.

STEADY_SHOTS=/tmp/some-dir saves light and dark screenshots of the key screens.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import expect

from events.services import rsvps
from events.services.home import weekend
from events.tables import Event, EventStatus, Membership, Role, Rsvp, RsvpStatus
from events.timefmt import to_local, to_utc, utcnow
from tests import helpers
from tests.browser_support import (
    flash,
    new_phone,
    no_sideways_scroll,
    path_of,
    shot,
    sign_in,
)
from tests.workers_support import send_queued_mail, text_of

pytestmark = pytest.mark.browser

# Westward zones to fall back on late on a Sunday, when Denver's weekend has no future left.
ZONES = ("America/Denver", "Pacific/Honolulu", "Etc/GMT+12")


def weekend_hike_start(now: datetime) -> tuple[str, datetime]:
    """A club zone and a start on this weekend (as the home page's "This weekend" reckons it)
    that is still ahead, whatever day and hour the suite runs."""
    saturday, sunday = weekend(now)
    for zone in ZONES:
        for day, hour in ((saturday, 9), (sunday, 9), (sunday, 18)):
            start = to_utc(datetime.combine(day, time(hour)), zone)
            if start > now + timedelta(minutes=10):
                return zone, start
        soon = (now + timedelta(minutes=15)).replace(second=0, microsecond=0)
        if to_local(soon, zone).date() == sunday:
            return zone, soon
    pytest.skip("the last minutes of the weekend everywhere: no weekend start is left")


def utc_stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%SZ")


async def mail_out(until: Callable[[Any], bool]) -> Any:
    """The worker's mail, once `until(mailbox)` holds (see send_queued_mail)."""
    return await send_queued_mail(until)


async def test_newcomer_finds_this_weekends_hike_from_home_and_says_im_going(phone, live_server):
    now = utcnow()
    zone, start = weekend_hike_start(now)
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(
        slug="trailheads", name="Trailheads", timezone=zone, organizer=organizer
    )
    hike = await helpers.make_event(
        club, "Sober sunrise hike", start, capacity=8, location="Chautauqua Park"
    )
    _, sunday = weekend(now)
    weekday = to_utc(datetime.combine(sunday + timedelta(days=2), time(18)), zone)
    await helpers.make_event(club, "Tuesday board games", weekday, activity="social")
    page = phone

    await page.goto("/")
    await page.get_by_role("heading", name="Sober things to do, with people who get it").wait_for()
    titles = page.locator("#event-list .card .title")
    await expect(titles).to_have_text(["Sober sunrise hike", "Tuesday board games"])
    await no_sideways_scroll(page)
    await shot(page, "home")
    await page.locator(".chips").get_by_role("link", name="This weekend").tap()
    await expect(titles).to_have_text(["Sober sunrise hike"])
    await shot(page, "home-this-weekend")
    await page.locator("#event-list .card", has_text="Sober sunrise hike").locator("a").tap()

    await page.wait_for_url(lambda u: path_of(u) == f"/events/{hike}")
    await page.get_by_role("link", name="Log in to RSVP").tap()
    await page.get_by_role("heading", name="Log in to RSVP to Sober sunrise hike").wait_for()
    await page.get_by_role("link", name="Create an account").tap()
    await page.get_by_label("Display name").fill("Jordan")
    await page.get_by_label("Email").fill("jordan@example.org")
    await page.get_by_label(re.compile("^Password")).fill("a long enough password")
    await page.get_by_role("button", name="Sign up").tap()
    await page.get_by_role("heading", name="Check your email").wait_for()

    (mail,) = (await mail_out(lambda box: bool(box.to("jordan@example.org")))).to(
        "jordan@example.org"
    )
    link = re.search(r"https?://\S+/signup/confirm\?\S+", text_of(mail))
    assert link, text_of(mail)
    await page.goto(path_of(link.group(0)))
    await page.get_by_role("button", name=re.compile("confirm", re.I)).tap()

    await page.wait_for_url(lambda u: path_of(u) == f"/events/{hike}")
    await expect(flash(page)).to_have_text("Welcome — you're signed in.")
    await page.get_by_role("heading", name="Sober sunrise hike", level=1).wait_for()
    panel = page.locator("#rsvp-panel")
    await panel.get_by_role("button", name="I'm going").tap()

    card = panel.locator(".success-card")
    await expect(card.locator(".success-text")).to_have_text("You're going")
    await expect(card).to_contain_text("1 going · 7 places left")
    google = card.get_by_role("link", name="Add to Google Calendar")
    await expect(google).to_be_visible()
    href = await google.get_attribute("href") or ""
    parts = urlsplit(href)
    query = parse_qs(parts.query)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    assert query["action"] == ["TEMPLATE"] and query["text"] == ["Sober sunrise hike"]
    # This one date, not a feed: its own start and end, and a way back to its page.
    assert query["dates"] == [f"{utc_stamp(start)}/{utc_stamp(start + timedelta(hours=2))}"]
    assert query["details"][0].endswith(f"/events/{hike}")
    assert query["location"] == ["Chautauqua Park"]
    await no_sideways_scroll(page)
    await shot(page, "hike-going")
    row = await Rsvp.select(Rsvp.status).where(Rsvp.event == hike).first()
    assert row and row["status"] == RsvpStatus.going.value


async def test_member_joins_is_welcomed_brings_a_guest_cancels_and_the_waitlist_moves_up(
    browser, phone, live_server
):
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer, welcome_message="Bring water.")
    robin = await helpers.make_member("robin@example.org", "Robin")
    await Membership.insert(
        Membership(
            member=robin, club=club, role=Role.member.value, joined_at=utcnow() - timedelta(30)
        )
    )
    alex = await helpers.make_member("alex@example.org", "Alex")
    await Membership.insert(Membership(member=alex, club=club, role=Role.member.value))
    hike = await helpers.make_event(club, "Saturday hike", capacity=3, guests_allowed=1)
    await rsvps.respond(hike, alex, "yes")
    await helpers.drop_kept_pages()
    jordan = await helpers.make_member("jordan@example.org", "Jordan")
    page = phone
    await sign_in(page, live_server, jordan)

    # Jordan joins, keeping the "list me as a newcomer" default.
    await page.goto("/clubs/trail-club")
    await page.get_by_role("button", name="Join Trail Club").tap()
    await page.get_by_text("You're a member of Trail Club.").wait_for()
    await page.get_by_text("Bring water.").wait_for()
    await no_sideways_scroll(page)
    await shot(page, "club-joined")

    # Robin, a member for a month, sees Jordan among the newcomers and sends a note.
    robin_context = await new_phone(browser, live_server)
    try:
        other = await robin_context.new_page()
        await sign_in(other, live_server, robin)
        await other.goto("/clubs/trail-club")
        newcomers = other.get_by_role("region", name="Welcome our newcomers")
        card = newcomers.get_by_role("listitem").filter(has_text="Jordan")
        await card.get_by_label("Note to Jordan").fill("Glad you're here! Walk with me.")
        await shot(other, "club-newcomers")
        await card.get_by_role("button", name="Send welcome").tap()
        await newcomers.get_by_text("You welcomed Jordan.").wait_for()

        mailed = (
            await mail_out(
                lambda box: any(
                    m["Subject"].startswith("A welcome note") for m in box.to("jordan@example.org")
                )
            )
        ).to("jordan@example.org")
        notes = [m for m in mailed if m["Subject"] == "A welcome note from Robin in Trail Club"]
        assert len(notes) == 1, [m["Subject"] for m in mailed]
        assert "Glad you're here! Walk with me." in text_of(notes[0])

        # Jordan says yes with a guest: the last two places.
        await page.get_by_role("link", name=re.compile("Saturday hike")).first.tap()
        await page.wait_for_url(lambda u: path_of(u) == f"/events/{hike}")
        # No place given yet: the page says so rather than "Online" for an in-person hike.
        await expect(page.locator("dt:text-is('Where') + dd")).to_have_text("Not announced yet")
        panel = page.locator("#rsvp-panel")
        await panel.get_by_label(re.compile("^Guests")).select_option("1")
        await panel.get_by_role("button", name="I'm going").tap()
        card = panel.locator(".success-card")
        await expect(card.locator(".success-text")).to_have_text("You're going with 1 guest")
        await expect(card).to_contain_text("3 going · no places left")
        await shot(page, "hike-going-with-guest")

        # Robin is too late: the waitlist, and the page says what happens next.
        await other.goto(f"/events/{hike}")
        await other.locator("#rsvp-panel").get_by_role("button", name="Join the waitlist").tap()
        waiting = other.locator("#rsvp-panel .waiting-card[role=status]")
        await expect(waiting.locator(".waiting-text")).to_have_text(
            "You're on the waitlist: number 1 in line"
        )
        await expect(waiting).to_contain_text("If a place frees up, you move up automatically")
        await expect(other.locator("#rsvp-panel")).not_to_contain_text("It's full right now")
        await shot(other, "hike-waitlisted")
    finally:
        await robin_context.close()

    # Jordan can't make it after all; Robin moves up.
    await panel.get_by_text("Change guests, who sees me, or cancel").tap()
    await panel.get_by_role("button", name="Can't go after all").tap()
    await panel.get_by_text("You said you can't go.").wait_for()
    # Two places freed: Robin takes one off the waitlist.
    await expect(panel.locator(".counts")).to_have_text("2 going · 1 place left")
    await no_sideways_scroll(page)
    await shot(page, "hike-cancelled-rsvp")

    mailed = (
        await mail_out(
            lambda box: any(
                m["Subject"].startswith("A place opened up") for m in box.to("robin@example.org")
            )
        )
    ).to("robin@example.org")
    subjects = [m["Subject"] for m in mailed]
    promoted = [m for m in mailed if m["Subject"].startswith("A place opened up: you're going")]
    assert len(promoted) == 1, subjects
    assert "Saturday hike" in promoted[0]["Subject"]
    assert "A place opened up: you're going." in text_of(promoted[0])
    statuses = {r["member"]: r["status"] for r in await Rsvp.select(Rsvp.member, Rsvp.status)}
    assert statuses == {alex: "going", jordan: "not_going", robin: "going"}


async def test_organizer_messages_attendees_checks_in_at_the_door_and_cancels(phone, live_server):
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    hike = await helpers.make_event(club, "Sunrise hike", capacity=10, location="Bear Lake")
    going = {}
    for name in ("Robin", "Kai"):
        member = await helpers.make_member(f"{name.lower()}@example.org", name)
        await Membership.insert(Membership(member=member, club=club, role=Role.member.value))
        await rsvps.respond(hike, member, "yes")
        going[name] = member
    await Rsvp.update({Rsvp.first_time: True}).where(Rsvp.member == going["Kai"])
    await helpers.drop_kept_pages()
    page = phone
    await sign_in(page, live_server, organizer)

    await page.goto(f"/events/{hike}")
    await page.get_by_role("link", name="Attendees").tap()
    await page.get_by_role("heading", name="Attendees", level=1).wait_for()
    await page.get_by_role("heading", name="Going · 2 people").wait_for()
    await page.get_by_role("button", name=re.compile("Kai.*first time")).wait_for()

    # A message to everyone going: the page says it is on its way, where the form was.
    await page.get_by_label("Subject").fill("Meet at the north lot")
    await page.get_by_label("Message", exact=True).fill(
        "The south lot is closed today. See you at 7."
    )
    await page.get_by_role("button", name="Send message").tap()
    sent = page.locator("#messages .flash[role=status]")
    await expect(sent).to_have_text("✓Your message is on its way.")
    await expect(sent).to_be_in_viewport()
    # The address is the plain page: a reload doesn't say "sent" again.
    await expect(page).to_have_url(re.compile(r"/attendees(#messages)?$"))
    await page.locator(".sent-messages").get_by_text("Meet at the north lot").wait_for()
    await shot(page, "attendees-message-sent")

    # At the door: Kai arrives.
    await page.get_by_role("button", name=re.compile("Kai")).tap()
    await page.get_by_role("button", name=re.compile(r"Kai.*Came")).wait_for()
    await expect(page.locator("#came-count")).to_have_text("1 checked in of 2 going")
    await no_sideways_scroll(page)
    await shot(page, "attendees-checked-in")

    # Rain: cancel, after a page that asks first.
    await page.get_by_role("link", name="Sunrise hike").first.tap()
    await page.get_by_role("link", name="Cancel event").tap()
    await page.get_by_role("heading", name="Cancel this event?").wait_for()
    row = await Event.select(Event.status).where(Event.id == hike).first()
    assert row["status"] == EventStatus.scheduled.value  # nothing happened yet
    await page.get_by_label(re.compile("^Reason")).fill("Thunderstorms on the ridge.")
    await page.get_by_role("button", name="Yes, cancel the event").tap()
    await page.wait_for_url(lambda u: path_of(u) == f"/events/{hike}")
    await expect(flash(page)).to_contain_text("The event is cancelled.")
    await expect(page.locator(".state-cancelled .state-text")).to_have_text(
        "This event was cancelled: Thunderstorms on the ridge."
    )
    await shot(page, "event-cancelled-by-organizer")

    sink = await mail_out(
        lambda box: all(
            any(m["Subject"].startswith("Cancelled:") for m in box.to(f"{n.lower()}@example.org"))
            for n in going
        )
    )
    for name in going:
        subjects = [m["Subject"] for m in sink.to(f"{name.lower()}@example.org")]
        assert "Meet at the north lot" in " ".join(subjects), subjects
        assert any(s.startswith("Cancelled: Sunrise hike") for s in subjects), subjects
    assert not sink.to("org@example.org")


def test_the_newcomers_weekend_hike_is_ahead_and_on_the_weekend_at_any_hour():
    """The first journey's data holds whatever day and hour the suite runs (every quarter hour
    of a week; only the last quarter hour of the weekend everywhere has nothing left)."""
    monday = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)
    skipped = 0
    for quarter in range(7 * 24 * 4):
        now = monday + timedelta(minutes=15 * quarter)
        try:
            zone, start = weekend_hike_start(now)
        except pytest.skip.Exception:
            skipped += 1
            continue
        assert start > now + timedelta(minutes=5), now
        assert to_local(start, zone).date() in weekend(now), now
    assert skipped <= 1
