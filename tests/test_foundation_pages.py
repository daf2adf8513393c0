from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup

from events.timefmt import utcnow
from tests import helpers


def soup(response):
    return BeautifulSoup(response.text, "html.parser")


async def two_clubs():
    hikers = await helpers.make_club(slug="hikers", name="Hikers", timezone="America/Denver")
    meeting = await helpers.make_club(
        slug="serenity", name="Serenity Group", timezone="Europe/London", kind="twelve_step"
    )
    soon = (utcnow() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    await helpers.make_event(hikers, title="Ridge hike", starts_at=soon, activity="hiking")
    await helpers.make_event(
        meeting, title="Evening meeting", starts_at=soon + timedelta(days=5), activity="meeting"
    )
    await helpers.make_event(
        hikers, title="Old hike", starts_at=utcnow() - timedelta(days=3), activity="hiking"
    )
    return hikers, meeting


def titles(response):
    return [t.get_text(strip=True) for t in soup(response).select("#event-list .title")]


async def test_home_lists_upcoming_events_in_time_order(client):
    await two_clubs()
    response = await client.get("/")
    assert response.status_code == 200
    assert titles(response) == ["Ridge hike", "Evening meeting"]
    assert response.headers["vary"].startswith("HX-Request")
    page = soup(response)
    assert page.find("main") and page.find("nav") and page.find("footer")
    assert page.select_one('header a[href="/help"]').get_text(strip=True) == "Help now"
    assert page.select_one('footer a[href="/help"]').get_text() == "Need help now?"


async def test_filters_work_as_a_plain_get_form(client):
    await two_clubs()
    assert titles(await client.get("/?activity=meeting")) == ["Evening meeting"]
    assert titles(await client.get("/?club=hikers")) == ["Ridge hike"]
    assert titles(await client.get("/?q=ridge")) == ["Ridge hike"]
    assert titles(await client.get("/?q=serenity")) == ["Evening meeting"]
    later = (utcnow() + timedelta(days=4)).date().isoformat()
    assert titles(await client.get(f"/?from={later}")) == ["Evening meeting"]
    assert titles(await client.get(f"/?to={later}")) == ["Ridge hike"]


async def test_htmx_filter_gets_only_the_list_fragment(client):
    await two_clubs()
    response = await client.get("/?activity=hiking", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="event-list"')
    assert "<html" not in response.text and "<nav" not in response.text
    assert titles(response) == ["Ridge hike"]
    # A history restore must get the full page.
    restore = await client.get(
        "/?activity=hiking", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.text


async def test_bad_query_parameters_get_a_gentle_message(client):
    await two_clubs()
    response = await client.get("/?from=someday&to=2026-13-45&activity=skydiving")
    assert response.status_code == 200
    notices = [n.get_text() for n in soup(response).select(".notice")]
    assert any("From" in n and "date" in n for n in notices)
    assert any("To" in n for n in notices)
    assert any("skydiving" in n for n in notices)
    assert titles(response) == ["Ridge hike", "Evening meeting"]


async def test_times_show_in_the_clubs_zone_with_abbreviation(client):
    club = await helpers.make_club(timezone="America/Denver")
    start = datetime(2031, 7, 5, 13, 0, tzinfo=UTC)  # 07:00 MDT
    event = await helpers.make_event(club, starts_at=start, title="Dawn hike")
    page = await client.get(f"/events/{event}")
    assert "7 am – 9 am MDT" in page.text.replace("\u202f", " ")
    assert "Sat 5 Jul" in page.text


async def test_long_lists_are_paged_at_a_day_boundary(client):
    club = await helpers.make_club(timezone="UTC")
    base = (utcnow() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    for day in range(20):
        for slot in range(2):
            await helpers.make_event(
                club, title=f"E{day:02}-{slot}", starts_at=base + timedelta(days=day, hours=slot)
            )
    first = await client.get("/")
    shown = titles(first)
    assert len(shown) == 30 and shown[-1] == "E14-1"
    later = soup(first).find("a", string="Later events")["href"]
    second = titles(await client.get(later))
    assert second[0] == "E15-0" and len(second) == 10


async def test_unknown_event_and_club_get_the_sites_404_page(client):
    for path in ("/events/999", "/clubs/no-such-club", "/no/such/page", "/events/99999999999"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert "Not found" in response.text or "couldn" in response.text
        assert soup(response).find("nav"), path


async def test_event_page_shows_counts_and_no_names(client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=12, title="Lake loop")
    response = await client.get(f"/events/{event}")
    assert response.status_code == 200
    assert "Lake loop" in response.text
    assert soup(response).find(id="rsvp-panel")


async def test_club_directory_and_page(client):
    await two_clubs()
    directory = await client.get("/clubs")
    names = [t.get_text(strip=True) for t in soup(directory).select(".title")]
    assert names == ["Hikers", "Serenity Group"]
    club = await client.get("/clubs/hikers")
    assert club.status_code == 200
    assert "Ridge hike" in club.text and "Evening meeting" not in club.text


async def test_security_headers_on_every_page(client):
    for path in ("/", "/clubs", "/login", "/nope"):
        response = await client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
        assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"


async def test_pages_are_compressed_and_static_files_cached_forever(client):
    await two_clubs()
    response = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    css = soup(response).find("link", rel="stylesheet")["href"]
    assert "?v=" in css
    static = await client.get(css)
    assert static.status_code == 200
    assert "immutable" in static.headers["cache-control"]


async def test_healthz_reports_database_and_redis(client):
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"db": "ok", "redis": "ok"}


async def test_escaping_of_user_text(client):
    club = await helpers.make_club(name="<script>alert(1)</script>")
    await helpers.make_event(club, title="<img src=x onerror=alert(1)>")
    response = await client.get("/")
    assert "<script>alert(1)</script>" not in response.text
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in response.text
