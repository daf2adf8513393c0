"""Check-in on a phone in Chromium: tapping a name marks them as came in place (htmx), the
count follows, a second tap undoes; with JavaScript off the same taps work by full pages."""

from __future__ import annotations

import re
from typing import Any

import pytest

from events.tables import Rsvp
from tests import helpers
from tests.browser_support import marker_survived, set_marker, sign_in

pytestmark = pytest.mark.browser


async def event_with_two_going() -> tuple[int, int, dict[str, int]]:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Sunrise hike")
    ids = {}
    for name in ("Robin", "Kai"):
        member = await helpers.make_member(f"{name.lower()}@example.org", name)
        rows = await Rsvp.insert(
            Rsvp(event=event, member=member, first_time=name == "Kai")
        ).returning(Rsvp.id)
        ids[name] = rows[0]["id"]
    return organizer, event, ids


async def checked_in(rsvp_id: int) -> bool:
    row = await Rsvp.select(Rsvp.checked_in_at).where(Rsvp.id == rsvp_id).first()
    return row["checked_in_at"] is not None


async def test_tap_to_check_in_and_undo_in_place(phone: Any, live_server: str) -> None:
    organizer, event, ids = await event_with_two_going()
    page = phone
    await sign_in(page, live_server, organizer)
    await page.goto(f"/events/{event}/attendees")
    await set_marker(page)
    kai = page.get_by_role("button", name=re.compile(r"Kai"))
    assert await kai.get_attribute("aria-pressed") == "false"
    box = await kai.bounding_box()
    assert box is not None and box["height"] >= 44
    await kai.tap()
    await page.get_by_role("button", name=re.compile(r"Kai.*Came")).wait_for()
    await page.locator("#came-count", has_text="1 checked in of 2 going").wait_for()
    assert await marker_survived(page), "check-in reloaded the whole page"
    assert await checked_in(ids["Kai"]) and not await checked_in(ids["Robin"])
    await page.get_by_role("button", name=re.compile(r"Kai")).tap()
    await page.get_by_role("button", name=re.compile(r"Kai.*Check in")).wait_for()
    await page.locator("#came-count", has_text="0 checked in").wait_for()
    assert not await checked_in(ids["Kai"])


async def test_check_in_without_javascript(phone_nojs: Any, live_server: str) -> None:
    organizer, event, ids = await event_with_two_going()
    page = phone_nojs
    await sign_in(page, live_server, organizer)
    await page.goto(f"/events/{event}/attendees")
    await page.get_by_role("button", name=re.compile(r"Robin")).tap()
    await page.locator("#came-count", has_text="1 checked in of 2 going").wait_for()
    assert await checked_in(ids["Robin"])
