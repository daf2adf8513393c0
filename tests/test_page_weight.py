"""Page weight on a weak phone connection: the first visit to `/` costs at most 60 KB on the
wire (HTML, CSS, htmx, icon, manifest: each compressed, headers included), and every later page
at most 15 KB of HTML, because the CSS and script are cached by then. Measured on demo data."""

from __future__ import annotations

from html.parser import HTMLParser

import httpx
import pytest

from events.services.seed import seed_demo
from events.tables import Club, Event

KB = 1024
FIRST_LOAD_BUDGET = 60 * KB
LATER_PAGE_BUDGET = 15 * KB
GZIP = {"Accept-Encoding": "gzip"}


class Subresources(HTMLParser):
    """What a browser fetches on first load: stylesheets, scripts, icons, the manifest."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        rel = (a.get("rel") or "").split()
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        elif tag == "link" and {"stylesheet", "icon", "manifest"} & set(rel) and a.get("href"):
            self.urls.append(a["href"] or "")
        elif tag == "img" and a.get("src"):
            self.urls.append(a["src"] or "")


def wire_bytes(response: httpx.Response) -> int:
    """Bytes on the wire: the (compressed) body as sent, plus the status line and headers."""
    head = len(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\r\n")
    head += sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 2
    return head + response.num_bytes_downloaded


@pytest.fixture
async def demo() -> dict[str, str]:
    await seed_demo()
    club = await Club.select(Club.id, Club.slug).order_by(Club.id).first()
    event = await Event.select(Event.id).where(Event.club == club["id"]).first()
    return {"event": f"/events/{event['id']}", "club": f"/clubs/{club['slug']}"}


async def get(client: httpx.AsyncClient, url: str) -> httpx.Response:
    response = await client.get(url, headers=GZIP)
    assert response.status_code == 200, url
    return response


async def test_first_load_of_home_is_at_most_60_kb(client, demo):
    home = await get(client, "/")
    assert home.headers["content-encoding"] == "gzip"
    parser = Subresources()
    parser.feed(home.text)
    assert any(".css" in u for u in parser.urls) and any(".js" in u for u in parser.urls)
    sizes = {"/": wire_bytes(home)}
    for url in parser.urls:
        assert url.startswith("/") and not url.startswith("//"), f"third-party request: {url}"
        asset = await get(client, url)
        sizes[url] = wire_bytes(asset)
        assert "immutable" in asset.headers.get("cache-control", ""), url
        if asset.headers["content-type"].startswith(("text/", "application/javascript")):
            assert asset.headers.get("content-encoding") == "gzip", url
        if ".css" in url:
            assert "@font-face" not in asset.text, "no web fonts"
    total = sum(sizes.values())
    assert total <= FIRST_LOAD_BUDGET, f"{total} bytes on first load: {sizes}"


async def test_later_pages_are_at_most_15_kb_of_html_each(client, demo):
    over = {}
    for url in (demo["event"], "/clubs", demo["club"], "/login"):
        response = await get(client, url)
        assert response.headers["content-type"].startswith("text/html")
        if (size := wire_bytes(response)) > LATER_PAGE_BUDGET:
            over[url] = f"{size} bytes ({len(response.content)} unzipped)"
    assert not over, over
