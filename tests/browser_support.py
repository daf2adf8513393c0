"""Playwright fixtures for the browser tests: Debian's Chromium on a phone-sized touch screen.

Test modules import the fixtures they use from here. The async API is used because the tests
run inside pytest-asyncio's session event loop (the sync API refuses a running loop).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from piccolo_api.session_auth.tables import SessionsBase

from events.auth import SESSION_COOKIE

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
PHONE: dict[str, Any] = {
    "viewport": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "locale": "en-US",
    "timezone_id": "America/Denver",
}
AXE = next(Path(__file__).parent.joinpath("vendor").glob("axe-core-*.min.js"))
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
TIMEOUT_MS = 15_000  # generous: a busy CI machine slows Chromium (make flakes runs one round so)


def require_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            "Debian's Chromium is not installed at /usr/bin/chromium "
            "(run .ci/install-browser, or apt-get install -y chromium)"
        )


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Any]:
    require_chromium()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_phone(browser: Any, base_url: str, **options: Any) -> Any:
    context = await browser.new_context(base_url=base_url, **{**PHONE, **options})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
async def phone(browser: Any, live_server: str) -> AsyncIterator[Any]:
    """A fresh page in a phone-sized, touch, JavaScript-enabled browser context."""
    context = await new_phone(browser, live_server)
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
async def phone_axe(browser: Any, live_server: str) -> AsyncIterator[Any]:
    """A phone page for accessibility checks. It bypasses the site's CSP only so that
    add_script_tag can inject axe-core inline; the site itself is unchanged."""
    context = await new_phone(browser, live_server, bypass_csp=True)
    page = await context.new_page()
    yield page
    await context.close()


@pytest.fixture
async def phone_nojs(browser: Any, live_server: str) -> AsyncIterator[Any]:
    """The same phone with JavaScript turned off: every page must still work."""
    context = await new_phone(browser, live_server, java_script_enabled=False)
    page = await context.new_page()
    yield page
    await context.close()


async def sign_in(page: Any, base_url: str, member_id: int) -> None:
    """Give the page's browser a session for `member_id` (the login form has its own test)."""
    now = datetime.now()
    session = await SessionsBase.create_session(
        user_id=member_id, expiry_date=now + timedelta(days=1), max_expiry_date=now + timedelta(2)
    )
    await page.context.add_cookies(
        [{"name": SESSION_COOKIE, "value": session.token, "url": base_url}]
    )


async def set_marker(page: Any) -> None:
    """Mark the current document; a full page load forgets the mark, an htmx swap keeps it."""
    await page.evaluate("window.__steadyMarker = 'still here'")


async def marker_survived(page: Any) -> bool:
    return bool(await page.evaluate("window.__steadyMarker === 'still here'"))


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [", ".join(map(str, node["target"])) for node in v["nodes"][:5]]
        summary = (v["nodes"][0].get("failureSummary") or "").replace("\n", " ")[:300]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets} — {summary}")
    return "\n".join(lines)


async def axe_violations(
    page: Any, *, rules: list[str] | None = None, impacts: set[str] = BLOCKING_IMPACTS
) -> list[dict[str, Any]]:
    """Run axe-core on the page; return the violations of the given impacts."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    else:
        options["runOnly"] = {"type": "tag", "values": AXE_TAGS}
    result = await page.evaluate(
        "async (options) => JSON.stringify((await axe.run(document, options)).violations)",
        options,
    )
    violations: list[dict[str, Any]] = json.loads(result)
    return [v for v in violations if v.get("impact") in impacts]


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


# Screenshots for a person to look at (not in git): set STEADY_SHOTS=/tmp/some-dir.
SHOTS = os.environ.get("STEADY_SHOTS", "")


async def shot(page: Any, name: str) -> None:
    """A full-page screenshot in light and in dark mode, when STEADY_SHOTS names a folder."""
    if SHOTS:
        # Playwright makes the folder when it is missing.
        await page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)
        await page.emulate_media(color_scheme="dark")
        await page.screenshot(path=f"{SHOTS}/{name}-dark.png", full_page=True)
        await page.emulate_media(color_scheme="light")


def flash(page: Any) -> Any:
    """The flash message a page shows after an action (role=status)."""
    return page.locator("main > .flash[role=status] .flash-text")


async def no_sideways_scroll(page: Any, width: int = 375) -> None:
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{path_of(page.url)} scrolls sideways ({scroll}px)"
