"""Cost that stays bounded as the data grows: the feeds, `/clubs` and `/` hold a bounded
amount whatever the number of events and clubs, in the same number of SQL statements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin

import icalendar
import pytest
import time_machine
from bs4 import BeautifulSoup

from events.db import write_transaction
from events.redis_conn import redis_client
from events.services import feeds as feed_svc
from events.services.home import CLUB_MENU_MAX, home_page
from events.settings import get_settings
from events.tables import Club, Event, Membership, Rsvp
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import feed_token
from tests.sql_count import count_statements, describe

MB = 1_000_000
# Commas are escaped in iCalendar text: about 2.8 KB per VEVENT, so 800 events make 2 MB.
LONG = "Bring water, a snack, a hat, " * 50


async def forget_feed_renders() -> None:
    """Cold renders: drop the feeds' render cache (kept in Redis under each ETag)."""
    redis = redis_client(get_settings().redis_url or "")
    try:
        keys = [k async for k in redis.scan_iter("steady:feed:*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def grow_events(club: int, count: int, *, first_in_days: float, every_hours: float) -> None:
    """`count` events, one every `every_hours` from `first_in_days` (negative: in the past)."""
    start = (utcnow() + timedelta(days=first_in_days)).replace(second=0, microsecond=0)
    batch = []
    for n in range(count):
        begins = start + timedelta(hours=every_hours * n)
        batch.append(
            Event(
                club=club,
                title=f"Grown {n:04}",
                activity="hiking",
                starts_at=begins,
                ends_at=begins + timedelta(hours=1),
                description=LONG,
            )
        )
    async with write_transaction():
        for first in range(0, len(batch), 200):
            await Event.insert(*batch[first : first + 200])


async def grow_clubs(count: int, prefix: str = "grown") -> list[int]:
    async with write_transaction():
        rows = await Club.insert(
            *(
                Club(
                    slug=f"{prefix}-{n:04}",
                    name=f"{prefix.title()} Club {n:04}",
                    activities="hiking",
                )
                for n in range(count)
            )
        ).returning(Club.id)
    return [int(r["id"]) for r in rows]


def vevents(body: bytes) -> list[icalendar.Event]:
    return icalendar.Calendar.from_ical(body).walk("VEVENT")


async def session_cost(client) -> int:
    """Statements a signed-in request runs before any page's own (the session lookup)."""
    await client.get("/help")  # the first request may slide the session's expiry
    return (await cold_get(client, "/help"))[1]


async def cold_get(client, url: str) -> tuple[bytes, int]:
    """The body and the statement count of a request no cache answers."""
    await forget_feed_renders()
    await helpers.drop_kept_pages()  # the page cache starts afresh
    with count_statements() as found:
        response = await client.get(url)
    assert response.status_code == 200, url
    return response.content, len(found)


# ---------------------------------------------------------------- feeds


async def test_feeds_stay_under_a_megabyte_nearest_events_first(client) -> None:
    club = await helpers.make_club()
    await grow_events(club, 3, first_in_days=1, every_hours=24)
    member = await helpers.make_member()
    private = f"/me/calendar/{feed_token(member, 1)}.ics"
    urls = ("/calendar.ics", "/clubs/trail-club/calendar.ics", private)
    small = {url: await cold_get(client, url) for url in urls}

    await grow_events(club, 900, first_in_days=0.5, every_hours=3)  # 112 days of events
    await grow_events(club, 200, first_in_days=-25, every_hours=2)  # the last 16 days
    going = await Event.select(Event.id).where(Event.club == club)
    async with write_transaction():
        await Rsvp.insert(*(Rsvp(event=e["id"], member=member) for e in going))

    for url in urls:
        body, count = await cold_get(client, url)
        assert len(body) < MB, (url, len(body))
        found = vevents(body)
        titles = {str(e["SUMMARY"]) for e in found}
        # Upcoming events come first, nearest first; then the latest that ended.
        assert "Grown 0000" in titles and "Grown 0050" in titles, url
        assert "Grown 0899" not in titles, url
        assert len(found) <= feed_svc.UPCOMING_LIMIT + feed_svc.RECENT_LIMIT
        assert count == small[url][1], url
        # Conditional GETs still work on a bounded feed.
        first = await client.get(url)
        again = await client.get(url, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304, url


async def test_a_feed_keeps_recent_events_when_upcoming_ones_fill_it(client) -> None:
    club = await helpers.make_club()
    await grow_events(club, 600, first_in_days=1, every_hours=6)
    await helpers.make_event(club, "Last week's hike", utcnow() - timedelta(days=7))
    await helpers.make_event(club, "Two months ago", utcnow() - timedelta(days=60))
    titles = {str(e["SUMMARY"]) for e in vevents((await client.get("/calendar.ics")).content)}
    assert "Last week's hike" in titles and "Two months ago" not in titles
    assert "Grown 0000" in titles and "Grown 0599" not in titles


async def test_the_size_bound_holds_whatever_the_events_weigh(client, monkeypatch) -> None:
    monkeypatch.setattr(feed_svc, "MAX_BYTES", 60_000)
    club = await helpers.make_club()
    await grow_events(club, 100, first_in_days=1, every_hours=24)  # about 280 KB of events
    await helpers.make_event(club, "Yesterday's hike", utcnow() - timedelta(days=1))
    body = (await client.get("/calendar.ics")).content
    titles = [str(e["SUMMARY"]) for e in vevents(body)]
    assert len(body) < 60_000
    assert titles[:3] == ["Grown 0000", "Grown 0001", "Grown 0002"]  # upcoming first
    assert "Grown 0099" not in titles and "Yesterday's hike" not in titles


async def test_feed_rows_reads_in_two_statements_whatever_the_size() -> None:
    club = await helpers.make_club()
    await grow_events(club, 2, first_in_days=1, every_hours=24)
    selection = feed_svc.FeedSelection(key="test")
    with count_statements() as few:
        small = await feed_svc.feed_rows(selection)
    await grow_events(club, 700, first_in_days=-20, every_hours=2)
    with count_statements() as many:
        large = await feed_svc.feed_rows(selection)
    assert len(few) == len(many) == 2, describe(many)
    assert len(small.rows) == 2
    assert len(large.rows) == feed_svc.UPCOMING_LIMIT + feed_svc.RECENT_LIMIT
    assert all(isinstance(r, feed_svc.FeedRow) for r in large.rows)
    assert [r.starts_at for r in large.rows] == sorted(r.starts_at for r in large.rows)
    # The probe that answers conditional GETs summarises exactly those rows.
    assert await selection.fingerprint(utcnow()) == large.fingerprint


# ---------------------------------------------------------------- /clubs


def cards(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [t.get_text(strip=True) for t in soup.select("#club-list .card .title")]


def link(html: str, rel: str) -> str | None:
    found = BeautifulSoup(html, "html.parser").select_one(f'#club-list a[rel="{rel}"]')
    return str(found["href"]) if found else None


async def test_clubs_directory_pages_by_fifty_with_plain_links(client) -> None:
    small_ids = await grow_clubs(3)
    viewer = await helpers.make_member()
    await helpers.login(client, viewer)  # signed-in pages are never served from a cache
    session = await session_cost(client)
    small, small_count = await cold_get(client, "/clubs")
    assert small_count - session == 4
    assert len(cards(small.decode())) == 3 and link(small.decode(), "next") is None

    ids = small_ids + await grow_clubs(257, prefix="more")
    await Membership.insert(*(Membership(member=viewer, club=c) for c in ids))
    for club in ids[:60]:
        await helpers.make_event(club, "Next hike")
    body, count = await cold_get(client, "/clubs")
    assert count == small_count
    assert len(body) < 60_000

    seen: list[str] = []
    url: str | None = "/clubs"
    pages = 0
    while url:
        page = (await client.get(url)).text
        shown = cards(page)
        assert 0 < len(shown) <= 50
        seen += shown
        pages += 1
        url = link(page, "next") and urljoin("http://testserver/clubs", link(page, "next"))
    assert pages == 6 and len(seen) == 260 and len(set(seen)) == 260
    assert seen == sorted(seen)
    last = (await client.get("/clubs?page=6")).text
    assert link(last, "prev") == "/clubs?page=5" and "1 member" in last


async def test_clubs_search_narrows_and_keeps_filters_across_pages(client) -> None:
    await grow_clubs(120)
    await Club.insert(Club(slug="peak", name="Peak Climbers", activities="climbing"))
    found = (await client.get("/clubs", params={"q": "climb"})).text
    assert cards(found) == ["Peak Climbers"]
    first = (await client.get("/clubs", params={"q": "grown", "activity": "hiking"})).text
    assert link(first, "next") == "/clubs?q=grown&activity=hiking&page=2"
    odd = await client.get("/clubs", params={"page": "x1"})
    assert odd.status_code == 200 and "showing page 1" in odd.text


# ---------------------------------------------------------------- home


async def test_home_page_reads_in_three_statements_whatever_is_shown() -> None:
    # A page ends at a local day's end; pinned at 08:00 in Denver so that the 7.5 hours of
    # events the page holds fall in one day whatever the hour the suite runs.
    with time_machine.travel(datetime(2027, 3, 3, 15, 0, tzinfo=UTC), tick=False):
        await _home_page_statements()


async def _home_page_statements() -> None:
    club = await helpers.make_club()
    await grow_events(club, 3, first_in_days=1, every_hours=24)
    with count_statements() as few:
        small = await home_page({}, None)
    await grow_clubs(CLUB_MENU_MAX + 40)
    await grow_events(club, 500, first_in_days=1, every_hours=0.25)
    member = await helpers.make_member()
    with count_statements() as many:
        large = await home_page({"activity": "hiking"}, member)
    assert len(few) == len(many) == 3, describe(many)
    assert sum(len(events) for _, events in small.days) == 3 and small.more is None
    assert sum(len(events) for _, events in large.days) == 30 and large.more is not None
    assert large.clubs == ()  # too many clubs for a menu: search finds them instead


async def test_home_statements_do_not_grow_with_the_data(client) -> None:
    club = await helpers.make_club()
    await grow_events(club, 3, first_in_days=1, every_hours=24)
    member = await helpers.make_member()
    await helpers.login(client, member)
    session = await session_cost(client)
    _, small_count = await cold_get(client, "/")
    await grow_clubs(300)
    await grow_events(club, 2000, first_in_days=1, every_hours=0.2)
    large, count = await cold_get(client, "/")
    assert count == small_count == session + 3  # the session lookup, then the read model
    menu = BeautifulSoup(large, "html.parser").select("select#club option")
    assert len(menu) <= CLUB_MENU_MAX + 1  # the menu does not grow with the clubs


async def test_later_events_walks_a_busy_day_without_repeats(client) -> None:
    club = await helpers.make_club(timezone="UTC")
    start = (utcnow() + timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    for n in range(75):  # 75 events on one day: more than two pages
        await helpers.make_event(club, f"Slot {n:02}", start + timedelta(minutes=10 * n))
    await helpers.make_event(club, "Next day", start + timedelta(days=1))
    seen: list[str] = []
    url: str | None = "/"
    while url:
        soup = BeautifulSoup((await client.get(url)).text, "html.parser")
        seen += [t.get_text(strip=True) for t in soup.select("#event-list .card .title")]
        more = soup.find("a", string="Later events")
        url = str(more["href"]) if more else None
        assert len(seen) < 200, "paging does not end"
    assert seen == [f"Slot {n:02}" for n in range(75)] + ["Next day"]


@pytest.mark.parametrize("answer", ["going", "not_going"])
async def test_home_marks_the_viewers_own_events(client, answer) -> None:
    club = await helpers.make_club()
    event = await helpers.make_event(club, "Lake loop")
    member = await helpers.make_member()
    await Rsvp.insert(Rsvp(event=event, member=member, status=answer))
    anonymous = BeautifulSoup((await client.get("/")).text, "html.parser").get_text()
    await helpers.login(client, member)
    mine = BeautifulSoup((await client.get("/")).text, "html.parser").get_text()
    assert "You're going" not in anonymous
    assert ("You're going" in mine) == (answer == "going")
