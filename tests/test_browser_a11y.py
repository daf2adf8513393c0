"""Accessibility on a phone: axe-core (WCAG 2.2 AA) on every main page, light and dark, plus
what axe does not check: 44 px touch targets, reflow to 375 px, visible focus, reduced motion.

Every page is loaded once (an audit shared by the module's tests) to keep the suite fast.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.async_api import expect

from events.services.seed import MEMBER_EMAIL, ORGANIZER_EMAIL, seed_demo
from events.tables import Club, Event, Member
from tests import helpers
from tests.browser_support import axe_violations, describe_violations, new_phone, sign_in

pytestmark = pytest.mark.browser

CONTRAST_RULES = ["color-contrast", "link-in-text-block"]
ALL_IMPACTS = {"minor", "moderate", "serious", "critical"}
PHONE_WIDTH = 375

# Controls a thumb must hit: at least 44×44 CSS px (links inside running text are exempt).
SMALL_TARGETS_JS = """
() => [...document.querySelectorAll(
    'button, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), '
    + 'select, textarea, header nav a, .card-link')]
  .filter(el => el.offsetParent !== null)
  .map(el => ({what: el.outerHTML.slice(0, 80), h: el.getBoundingClientRect().height,
               w: el.getBoundingClientRect().width}))
  .filter(box => box.h < 44 || box.w < 44)
"""


@dataclass
class Audit:
    http: dict[str, str] = field(default_factory=dict)
    light: dict[str, str] = field(default_factory=dict)
    dark: dict[str, str] = field(default_factory=dict)
    small_targets: dict[str, list[Any]] = field(default_factory=dict)
    too_wide: dict[str, int] = field(default_factory=dict)
    pages: int = 0


async def demo_pages() -> list[tuple[str | None, str]]:
    """Seed the demo data; the main pages, each with whom to look at it as."""
    await seed_demo()
    organizer = await Member.select(Member.id).where(Member.email == ORGANIZER_EMAIL).first()
    member = await Member.select(Member.id).where(Member.email == MEMBER_EMAIL).first()
    club = (
        await Club.select(Club.id, Club.slug).where(Club.slug == "trailheads-sober-hiking").first()
    )
    event = (
        await Event.select(Event.id)
        .where((Event.club == club["id"]) & Event.capacity.is_not_null())
        .order_by(Event.starts_at)
        .first()
    )
    anonymous, as_member, as_organizer = None, str(member["id"]), str(organizer["id"])
    return [
        (anonymous, "/"),
        (anonymous, "/clubs"),
        (anonymous, "/login"),
        (anonymous, "/signup"),
        (as_member, "/account"),
        (as_member, f"/events/{event['id']}"),
        (as_organizer, f"/clubs/{club['slug']}"),
        (as_organizer, f"/clubs/{club['slug']}/events/new"),
        (as_organizer, f"/events/{event['id']}/attendees"),
    ]


async def check_page(page: Any, url: str, audit: Audit) -> None:
    response = await page.goto(url)
    if response is None or response.status != 200:
        audit.http[url] = f"HTTP {response.status if response else 'no response'}"
        return
    audit.pages += 1
    if violations := await axe_violations(page):
        audit.light[url] = describe_violations(violations)
    if (width := await page.evaluate("document.documentElement.scrollWidth")) > PHONE_WIDTH:
        audit.too_wide[url] = width
    if boxes := await page.evaluate(SMALL_TARGETS_JS):
        audit.small_targets[url] = boxes
    await page.emulate_media(color_scheme="dark")
    assert await page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches")
    if violations := await axe_violations(page, rules=CONTRAST_RULES, impacts=ALL_IMPACTS):
        audit.dark[url] = describe_violations(violations)
    await page.emulate_media(color_scheme="light")


async def check_as(browser: Any, base_url: str, who: str | None, urls: list[str], audit: Audit):
    context = await new_phone(browser, base_url, bypass_csp=True)  # for add_script_tag
    page = await context.new_page()
    if who is not None:
        await sign_in(page, base_url, int(who))
    for url in urls:
        await check_page(page, url, audit)
    await context.close()


@pytest.fixture(scope="module")
async def audit(browser: Any, live_server: str) -> AsyncIterator[Audit]:
    """Load every main page once, as the right person, and record what each check found."""
    await helpers.truncate_all()
    await helpers.flush_redis()
    result = Audit()
    by_person: dict[str | None, list[str]] = {}
    for who, url in await demo_pages():
        by_person.setdefault(who, []).append(url)
    # One tab per person, side by side: axe is CPU-bound in each renderer.
    await asyncio.gather(
        *(check_as(browser, live_server, who, urls, result) for who, urls in by_person.items())
    )
    yield result


def report(found: dict[str, Any]) -> str:
    return "\n\n".join(f"{url}:\n{text}" for url, text in found.items())


async def test_every_main_page_loads(audit):
    assert not audit.http, audit.http
    assert audit.pages == 9


async def test_main_pages_have_no_serious_wcag_violations(audit):
    assert not audit.light, report(audit.light)


async def test_dark_mode_has_enough_contrast(audit):
    assert not audit.dark, report(audit.dark)


async def test_controls_are_44px_touch_targets(audit):
    assert not audit.small_targets, report(audit.small_targets)


async def test_pages_reflow_to_a_375px_phone_without_sideways_scrolling(audit):
    assert not audit.too_wide, f"pages wider than the phone: {audit.too_wide}"


async def test_keyboard_focus_is_visible_and_skip_link_works(phone):
    await phone.goto("/login")
    await phone.keyboard.press("Tab")
    skip = phone.get_by_role("link", name="Skip to content")
    assert await skip.evaluate("el => el === document.activeElement")
    outline = await skip.evaluate("el => getComputedStyle(el).outlineStyle")
    box = await skip.bounding_box()
    assert outline != "none" and box is not None and box["x"] >= 0
    await phone.keyboard.press("Enter")
    await expect(phone.locator("#main")).to_be_focused()


async def test_reduced_motion_turns_off_transitions(phone):
    await phone.emulate_media(reduced_motion="reduce")
    await phone.goto("/login")
    moving = await phone.evaluate(
        "() => [...document.querySelectorAll('*')].map(el => getComputedStyle(el))"
        ".filter(s => parseFloat(s.transitionDuration) > 0 || parseFloat(s.animationDuration) > 0)"
        ".length"
    )
    assert moving == 0


async def test_the_axe_harness_does_catch_violations(phone_axe):
    """Guards the audit above: a broken injection must not pass as 'no violations'."""
    await phone_axe.set_content(
        '<html lang="en"><body><main><h1>Bad page</h1>'
        '<p style="color:#aaa;background:#fff">faint text</p>'
        '<input name="unlabelled"></main></body></html>'
    )
    found = {v["id"] for v in await axe_violations(phone_axe)}
    assert {"color-contrast", "label"} <= found
