"""The page cache serves anonymous visitors quickly without ever showing stale counts or
someone else's CSRF token."""

import re

from events.pagecache import VERSION_KEY
from tests import helpers
from tests.helpers import post

TOKEN_IN_FORM = re.compile(r'name="csrftoken" value="([^"]+)"')


async def test_second_anonymous_view_is_served_from_cache_with_own_token(client, other_client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, title="Lake loop", capacity=5)
    first = await client.get(f"/events/{event}")
    again = await client.get(f"/events/{event}")
    assert first.headers["x-page-cache"] == "miss"
    assert again.headers["x-page-cache"] == "hit"
    assert again.text == first.text
    stranger = await other_client.get(f"/events/{event}")
    assert stranger.headers["x-page-cache"] == "hit"
    # Each visitor's page carries the token of their own cookie, never the first visitor's.
    # (The token appears in the htmx headers on <body>; forms carry it too.)
    assert client.cookies["csrftoken"] in first.text
    assert other_client.cookies["csrftoken"] in stranger.text
    assert client.cookies["csrftoken"] not in stranger.text


async def test_an_rsvp_drops_cached_pages_everywhere(client, other_client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, title="Lake loop", capacity=5)
    before = await other_client.get(f"/events/{event}")
    assert "0 going" in before.text
    member = await helpers.make_member()
    await helpers.login(client, member)
    assert (await post(client, f"/events/{event}/rsvp", {"response": "yes"})).status_code == 303
    after = await other_client.get(f"/events/{event}")
    assert after.headers["x-page-cache"] == "miss"
    assert "1 going" in after.text


async def test_signed_in_pages_are_never_cached(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    for _ in range(2):
        response = await client.get("/")
        assert "x-page-cache" not in response.headers
        assert response.headers["cache-control"] == "no-store"


async def test_a_fresh_redis_starts_a_new_version(app, client):
    await client.get("/clubs")
    assert (await client.get("/clubs")).headers["x-page-cache"] == "hit"
    await app.state.redis.delete(VERSION_KEY)
    assert (await client.get("/clubs")).headers["x-page-cache"] == "miss"


async def test_errors_and_private_paths_are_not_cached(client):
    for path in ("/events/999", "/account", "/healthz"):
        await client.get(path)
        assert "x-page-cache" not in (await client.get(path)).headers or (
            (await client.get(path)).headers["x-page-cache"] == "miss"
        )


async def test_a_new_visitor_served_from_cache_gets_a_working_csrf_cookie(app, client):
    import httpx

    await helpers.make_member(email="riley@example.org")
    await client.get("/login")  # fills the cache
    transport = httpx.ASGITransport(app=app, client=("127.0.0.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fresh:
        page = await fresh.get("/login")
        assert page.headers["x-page-cache"] == "hit"
        token = fresh.cookies["csrftoken"]
        assert TOKEN_IN_FORM.search(page.text).group(1) == token
        response = await fresh.post(
            "/login",
            data={"email": "riley@example.org", "password": helpers.PASSWORD, "csrftoken": token},
        )
        assert response.status_code == 303
