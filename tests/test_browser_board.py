"""The club board on a phone (#19): the board, a thread with the crisis box, and a locked
thread pass axe (WCAG 2.2 AA) in light and dark and fit 375 px; it works without JavaScript."""

from __future__ import annotations

import os
from typing import Any

import pytest

from events.services import board
from events.tables import Membership
from tests import helpers
from tests.browser_support import axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("BOARD_SHOTS", "")  # a folder to keep screenshots in, when set


async def look(page: Any, url: str, name: str) -> None:
    await page.goto(url)
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        assert describe_violations(await axe_violations(page)) == "", (url, scheme)
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, (url, width)
        if SHOTS:
            await page.screenshot(path=f"{SHOTS}/{name}-{scheme}.png", full_page=True)


async def test_board_and_thread_on_a_phone(phone_axe, live_server):
    org = await helpers.make_member("org@example.org", "Olive Organizer")
    member = await helpers.make_member("mia@example.org", "Mia Member")
    club = await helpers.make_club(organizer=org, board=True)
    await Membership.insert(Membership(member=member, club=club))
    for title in ("Trail snacks that travel well", "Rides to Saturday's hike"):
        await board.start_thread(club, org, title, "Share yours!", "name")
    thread = await board.start_thread(
        club, member, "Rough week", "Honestly scared of a **relapse** this weekend.", "initials"
    )
    await board.reply(thread, org, "Thank you for saying it. Call me any time.", "name")
    await sign_in(phone_axe, live_server, member)
    await look(phone_axe, "/clubs/trail-club/board", "board")
    await look(phone_axe, f"/clubs/trail-club/board/{thread}?posted=1", "thread-crisis")
    assert await phone_axe.locator(".crisis-box").count() == 1
    await board.set_locked(thread, True)
    await look(phone_axe, f"/clubs/trail-club/board/{thread}", "thread-locked")


async def test_posting_works_without_javascript(phone_nojs, live_server):
    member = await helpers.make_member("mia@example.org", "Mia Member")
    await helpers.make_club(organizer=member, board=True)
    await sign_in(phone_nojs, live_server, member)
    await phone_nojs.goto("/clubs/trail-club/board/new")
    await phone_nojs.fill("#title", "Hello")
    await phone_nojs.fill("#body", "First post")
    await phone_nojs.check("input[value=initials]")
    await phone_nojs.click("button[type=submit]:has-text('Post')")
    await phone_nojs.wait_for_url("**/board/*")
    assert await phone_nojs.locator(".board-posts strong").first.inner_text() == "M.M."
