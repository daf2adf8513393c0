"""The page cache serves anonymous visitors quickly without ever showing stale counts, a
signed-in member's page, or anything another visitor chose."""

from datetime import datetime, timedelta

import pytest
from piccolo_api.session_auth.tables import SessionsBase

from events.auth import SESSION_COOKIE
from tests import helpers
from tests.helpers import post, wait_for


async def test_second_anonymous_view_is_served_from_cache_as_the_same_bytes(client, other_client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, title="Lake loop", capacity=5)
    first = await client.get(f"/events/{event}")
    again = await client.get(f"/events/{event}")
    assert first.headers["x-page-cache"] == "miss"
    assert again.headers["x-page-cache"] == "hit"
    stranger = await other_client.get(f"/events/{event}")
    assert stranger.headers["x-page-cache"] == "hit"
    # No per-visitor token: every signed-out visitor gets the same bytes and no cookie.
    assert first.content == again.content == stranger.content
    assert "csrftoken" not in first.text
    assert "set-cookie" not in first.headers and "set-cookie" not in stranger.headers


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


async def test_a_lost_subscription_drops_every_kept_page(app, client):
    # A process that stopped hearing about changes can't know what its pages missed: it
    # serves nothing kept while away, and starts empty when it listens again.
    store = app.state.page_store
    await client.get("/clubs")
    assert (await client.get("/clubs")).headers["x-page-cache"] == "hit"
    before = store.epoch
    await app.state.redis.client_kill_filter(_type="pubsub")
    await wait_for(lambda: store.live and store.epoch > before)
    assert (await client.get("/clubs")).headers["x-page-cache"] == "miss"


async def test_errors_and_private_paths_are_not_cached(client):
    # A 404 on a cacheable path, and paths never kept: asked twice, the second is no hit.
    for path in ("/events/999", "/account", "/healthz"):
        await client.get(path)
        again = await client.get(path)
        assert again.headers.get("x-page-cache") != "hit", path


async def test_a_new_visitor_served_from_cache_can_log_in(app, client):
    import httpx

    await helpers.make_member(email="riley@example.org")
    await client.get("/login")  # fills the cache
    transport = httpx.ASGITransport(app=app, client=("127.0.0.9", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fresh:
        page = await fresh.get("/login")
        assert page.headers["x-page-cache"] == "hit"
        response = await post(
            fresh, "/login", {"email": "riley@example.org", "password": helpers.PASSWORD}
        )
        assert response.status_code == 303
        assert fresh.cookies.get(SESSION_COOKIE)


async def organizers_event() -> tuple[int, str]:
    """An event whose organizer's view shows what no visitor may see, and that view's session."""
    organizer = await helpers.make_member(email="org@example.org", display_name="Jordan")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, title="Lake loop", capacity=5)
    session = await SessionsBase.create_session(
        user_id=organizer, expiry_date=datetime.now() + timedelta(days=1)
    )
    return event, session.token


def organizer_view(html: str, event: int) -> bool:
    return f'href="/events/{event}/attendees"' in html


# The Cookie headers of one request, as a client may split or space them, and whether the
# session layer (which reads every header, the last value winning) signs that request in.
SPLIT_COOKIES = [
    (["steady_session={s}", "csrftoken=abc"], True),  # the review's case
    (["csrftoken=abc", "steady_session={s}"], True),
    (["csrftoken=abc", "theme=dark", "steady_session={s}; x=1"], True),
    (["  steady_session = {s} ;csrftoken=abc"], True),
    (["a=1;steady_session={s}", "steady_session={s}"], True),
    (["steady_session={s}; steady_session={s}", "steady_session=junk"], False),
]


@pytest.mark.parametrize(("cookies", "signed_in"), SPLIT_COOKIES)
async def test_a_request_with_a_session_in_any_cookie_header_is_never_kept_or_served(
    app, other_client, cookies, signed_in
):
    import httpx

    event, token = await organizers_event()
    headers = [("cookie", c.format(s=token)) for c in cookies]
    transport = httpx.ASGITransport(app=app, client=("127.0.0.7", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as raw:
        anonymous = await other_client.get(f"/events/{event}")  # a kept anonymous copy
        assert anonymous.headers["x-page-cache"] == "miss"
        saw_organizer_view = False
        for _ in range(2):
            response = await raw.get(f"/events/{event}", headers=headers)
            assert response.status_code == 200
            assert "x-page-cache" not in response.headers
            saw_organizer_view |= organizer_view(response.text, event)
        await helpers.drop_kept_pages()  # drop the anonymous copy: the next render is kept anew
        await raw.get(f"/events/{event}", headers=headers)
    visitor = await other_client.get(f"/events/{event}")
    assert not organizer_view(visitor.text, event)
    assert saw_organizer_view == signed_in, "the probe is signed in when it means to be"


HOSTILE_COOKIES = [
    "csrftoken=Steady",
    "csrftoken=/static/vendor/htmx-2.0.11.min.js",
    'csrftoken=evil"<script>',
    "csrftoken=Need help now?",
    "csrftoken=; __steady_csrftoken__=html",
    "hx-request=true; csrftoken=<title>",
]


@pytest.mark.parametrize("path", ["/help", "/", "/login"])
@pytest.mark.parametrize("cookie", HOSTILE_COOKIES)
async def test_a_visitors_cookies_never_change_what_others_are_served(app, client, path, cookie):
    import httpx

    await helpers.make_event(await helpers.make_club(), title="Lake loop")
    reference = await client.get(path)
    assert reference.headers["x-page-cache"] == "miss"
    await helpers.drop_kept_pages()
    transport = httpx.ASGITransport(app=app, client=("127.0.0.8", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as hostile:
        poisoning = await hostile.get(path, headers={"cookie": cookie})
        assert poisoning.headers["x-page-cache"] == "miss"  # this render is the one kept
    served = await client.get(path)
    assert served.headers["x-page-cache"] == "hit"
    assert served.content == reference.content
