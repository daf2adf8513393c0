"""Restoring a cancelled series date on a 375 px phone (#16 item 2), with and without
JavaScript: the form fits the screen, the button is a comfortable target, and the page
comes back saying "Back on" with the attendee's place kept."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

import pytest

from events.services import rsvps
from events.tables import Event, Rsvp, Series
from events.timefmt import utcnow
from tests import helpers
from tests.browser_support import axe_violations, describe_violations, sign_in

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("STEADY_SHOTS_DIR", "")  # set to keep screenshots (never in git)


async def cancelled_series_date() -> tuple[int, int, int]:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    series = (
        await Series.insert(Series(club=club, repeat_until=utcnow().date())).returning(Series.id)
    )[0]["id"]
    start = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)
    ids = [
        await helpers.make_event(
            club, "Sunrise hike", starts_at=start + timedelta(weeks=i), series=series, capacity=8
        )
        for i in range(2)
    ]
    robin = await helpers.make_member("robin@example.org", "Robin")
    await rsvps.respond(ids[0], robin, "yes")
    await Event.update(
        {Event.status: "cancelled", Event.cancelled_at: utcnow(), Event.sequence: 1}
    ).where(Event.series == series)
    return organizer, ids[0], robin


async def restore_on(page: Any, live_server: str, dark: bool = False) -> None:
    organizer, event, robin = await cancelled_series_date()
    await sign_in(page, live_server, organizer)
    if dark:
        await page.emulate_media(color_scheme="dark")
    await page.goto(f"/events/{event}")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    button = page.get_by_role("button", name="Restore event")
    box = await button.bounding_box()
    assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 375
    if SHOTS:
        await page.screenshot(
            path=f"{SHOTS}/restore-before{'-dark' if dark else ''}.png", full_page=True
        )
    await page.get_by_label("This and the following dates cancelled with it").check()
    await button.tap()
    await page.get_by_text("Back on:").wait_for()
    assert await page.get_by_role("button", name="Restore event").count() == 0
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375
    if SHOTS:
        await page.screenshot(
            path=f"{SHOTS}/restore-after{'-dark' if dark else ''}.png", full_page=True
        )
    statuses = [r["status"] for r in await Event.select(Event.status)]
    assert statuses == ["scheduled", "scheduled"]
    kept = await Rsvp.select(Rsvp.status).where(Rsvp.member == robin).first()
    assert kept["status"] == "going"


async def test_restore_on_a_phone(phone: Any, live_server: str) -> None:
    await restore_on(phone, live_server)


async def test_restore_on_a_phone_without_javascript_in_dark_mode(
    phone_nojs: Any, live_server: str
) -> None:
    await restore_on(phone_nojs, live_server, dark=True)


async def test_restore_panel_has_no_axe_violations(phone_axe: Any, live_server: str) -> None:
    organizer, event, _ = await cancelled_series_date()
    await sign_in(phone_axe, live_server, organizer)
    await phone_axe.goto(f"/events/{event}")
    violations = await axe_violations(phone_axe)
    assert not violations, describe_violations(violations)


async def test_post_again_form_fits_a_phone(phone: Any, live_server: str) -> None:
    organizer, event, _ = await cancelled_series_date()
    await sign_in(phone, live_server, organizer)
    await phone.goto(f"/events/{event}")
    await phone.get_by_role("link", name="Post again").tap()
    await phone.get_by_text("Copied from “Sunrise hike”").wait_for()
    assert await phone.get_by_label("Title").input_value() == "Sunrise hike"
    assert await phone.evaluate("document.documentElement.scrollWidth") <= 375
    for scheme in ("light", "dark"):
        await phone.emulate_media(color_scheme=scheme)
        if SHOTS:
            await phone.screenshot(path=f"{SHOTS}/post-again-{scheme}.png")
