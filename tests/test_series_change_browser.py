"""Changing a series on a 375 px phone: form, preview (nothing saved), confirm."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

import pytest

from events.tables import Event, Rsvp, Series
from events.timefmt import utcnow
from tests import helpers
from tests.browser_support import axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("SERIES_CHANGE_SHOTS", "")


async def weekly_series(club: int, count: int = 4) -> list[int]:
    first = (utcnow() + timedelta(days=7)).replace(second=0, microsecond=0)
    rows = await Series.insert(
        Series(club=club, repeat="weekly", repeat_until=(first + timedelta(weeks=count - 1)).date())
    ).returning(Series.id)
    return [
        await helpers.make_event(
            club,
            title="Tuesday run club",
            starts_at=first + timedelta(weeks=i),
            series=rows[0]["id"],
        )
        for i in range(count)
    ]


async def no_sideways_scroll(page: Any) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def shoot(page: Any, name: str) -> None:
    if not SHOTS:
        return
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        await page.screenshot(path=f"{SHOTS}/{name}-{scheme}.png", full_page=True)
    await page.emulate_media(color_scheme="light")


async def test_preview_then_confirm_on_a_phone(phone_axe: Any, live_server: str) -> None:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    events = await weekly_series(club)
    ash = await helpers.make_member("ash@example.org", "Ash")
    await Rsvp.insert(Rsvp(event=events[1], member=ash))
    page = phone_axe
    await sign_in(page, live_server, organizer)
    await page.goto(f"/events/{events[0]}")
    await page.get_by_role("link", name="Change the series").tap()
    await page.get_by_role("heading", name="Change the series").wait_for()
    await page.get_by_label("Every two weeks").check()
    await no_sideways_scroll(page)
    await shoot(page, "form")
    assert not (found := await axe_violations(page)), describe_violations(found)
    await page.get_by_role("button", name="Preview the change").tap()
    await page.get_by_role("heading", name="Check the change").wait_for()
    await page.get_by_role("heading", name=re.compile(r"Cancelled: 2 dates, 1 person")).wait_for()
    assert await page.get_by_text("1 person to tell").count() == 1
    await no_sideways_scroll(page)
    await shoot(page, "preview")
    assert not (found := await axe_violations(page)), describe_violations(found)
    # Nothing saved by the preview.
    assert await Event.count().where(Event.status == "cancelled") == 0
    await page.get_by_role("button", name="Save the change").tap()
    await page.get_by_text(re.compile(r"The series is changed: 2 cancelled")).wait_for()
    await shoot(page, "saved")
    statuses = [r["status"] for r in await Event.select(Event.status).order_by(Event.starts_at)]
    assert statuses == ["scheduled", "cancelled", "scheduled", "cancelled"]
