"""Phone screenshots for the README (`make screenshots`): 375×812 PNGs of home (light and dark),
an event, a club and the organizer's attendee page, taken in Debian's Chromium from a fresh
`steady web` on demo data (a throwaway SQLite database; Redis from REDIS_URL, else embedded).

    python docs/screenshots.py [--out docs/screenshots] [--base-url http://127.0.0.1:8000]

With --base-url it photographs a server you already run (it must hold the demo data).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from events.services.home import weekend  # noqa: E402
from tests.browser_support import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402
from tests.servers import free_port, wait_until_serving  # noqa: E402

FULL = bool(os.environ.get("SHOTS_FULL"))
DEMO_PASSWORD = "recovery-demo"  # noqa: S105 - the documented demo password


@contextmanager
def demo_server() -> Iterator[str]:
    """`steady web` on a fresh demo database in a temp dir; yields its URL."""
    tmp = Path(tempfile.mkdtemp(prefix="steady-shots-"))
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "STEADY_STATE_DIR": str(tmp / "state"),
        "STEADY_ENV": "dev",
    }
    embedded = None
    if not env.get("REDIS_URL"):
        from events.redis_conn import EmbeddedRedis

        embedded = EmbeddedRedis(tmp / "redis")
        env["REDIS_URL"] = embedded.start()
    steady = [sys.executable, "-m", "events.cli"]
    subprocess.run([*steady, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([*steady, "seed", "--demo"], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([*steady, "web", "--port", str(port), "--quiet"], env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if embedded is not None:
            embedded.stop()


async def log_in(page: Any, email: str) -> None:
    await page.goto("/login")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(DEMO_PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await page.wait_for_load_state()


async def shoot(page: Any, out: Path, name: str, path: str, dark: bool = False) -> Path:
    await page.emulate_media(color_scheme="dark" if dark else "light")
    await page.goto(path)
    await page.wait_for_load_state("networkidle")
    target = out / f"{name}{'-dark' if dark else ''}.png"
    await page.screenshot(path=str(target), full_page=FULL)
    return target


async def take(base_url: str, out: Path, extra: bool) -> list[Path]:
    from playwright.async_api import async_playwright

    taken: list[Path] = []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        # PNGs at 1× keep the files small; the README shows them at phone size anyway.
        phone = {**PHONE, "device_scale_factor": 1}
        anonymous = await browser.new_context(base_url=base_url, **phone)
        page = await anonymous.new_page()
        for dark in (False, True):
            taken.append(await shoot(page, out, "home", "/", dark))
        # A club as a newcomer first sees it: signed out, its events as dated cards.
        taken.append(await shoot(page, out, "club", "/clubs/trailheads-sober-hiking"))
        if extra:
            taken.append(await shoot(page, out, "help", "/help?country=GB"))
            taken.append(await shoot(page, out, "clubs", "/clubs", True))
            taken.append(await shoot(page, out, "new-here", "/new-here"))
            saturday, sunday = weekend(datetime.now(UTC))
            search = f"/?q=sober+hike&from={saturday}&to={sunday}"
            taken.append(await shoot(page, out, "weekend", search))
        member = await browser.new_context(base_url=base_url, **phone)
        page = await member.new_page()
        await log_in(page, "member@example.com")
        await page.goto("/")  # the hike the demo member is going to: its card says so
        going = page.locator(".card-link:has(.badge.ok)", has_text="hike")
        event = await going.first.get_attribute("href")
        taken.append(await shoot(page, out, "event", str(event)))
        if extra:
            taken.append(await shoot(page, out, "club", "/clubs/trailheads-sober-hiking", True))
            taken.append(await shoot(page, out, "event", str(event), True))
        organizer = await browser.new_context(base_url=base_url, **phone)
        page = await organizer.new_page()
        await log_in(page, "organizer@example.com")
        taken.append(await shoot(page, out, "attendees", f"{event}/attendees"))
        if extra:
            taken.append(await shoot(page, out, "attendees", f"{event}/attendees", True))
        await browser.close()
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--base-url", help="photograph this running server instead")
    parser.add_argument("--extra", action="store_true", help="more pages and dark variants")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.base_url:
        taken = asyncio.run(take(args.base_url, args.out, args.extra))
    else:
        with demo_server() as url:
            taken = asyncio.run(take(url, args.out, args.extra))
    for path in taken:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


if __name__ == "__main__":
    main()
