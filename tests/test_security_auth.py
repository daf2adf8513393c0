"""Attacker-style probes of accounts: enumeration through sign-up, login and password reset,
open redirects through `next`, brute force against two app instances sharing Redis, sessions,
and what the browser is allowed to keep (no-store, htmx history cache, Clear-Site-Data)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from urllib.parse import quote

import httpx
import pytest
from bs4 import BeautifulSoup
from starlette.applications import Starlette

from events.app import create_app
from events.auth import SESSION_COOKIE
from events.redis_conn import redis_client
from events.settings import get_settings
from events.tables import Member, Outbox
from tests import helpers
from tests.helpers import PASSWORD, post

KNOWN = "riley@example.org"
UNCONFIRMED = "pending@example.org"
UNKNOWN = "ghost@example.org"


async def accounts() -> None:
    await helpers.make_member(KNOWN, "Riley")
    pending = await helpers.make_member(UNCONFIRMED, "Pat")
    await Member.update({Member.email_confirmed: False}).where(Member.id == pending)


def same_modulo_email(responses: dict[str, httpx.Response]) -> None:
    statuses = {r.status_code for r in responses.values()}
    assert len(statuses) == 1, {k: r.status_code for k, r in responses.items()}
    bodies = {r.text.replace(email, "EMAIL") for email, r in responses.items()}
    assert len(bodies) == 1, "the page differs between known and unknown addresses"
    locations = {r.headers.get("location") for r in responses.values()}
    assert len(locations) == 1
    cookies = {tuple(sorted(r.cookies.keys())) for r in responses.values()}
    assert len(cookies) == 1


# ---------------------------------------------------------------- enumeration


async def test_signup_answers_the_same_for_known_unconfirmed_and_unknown(client):
    await accounts()
    responses = {}
    for email in (KNOWN, UNCONFIRMED, UNKNOWN):
        responses[email] = await post(
            client, "/signup", {"email": email, "display_name": "Sam", "password": PASSWORD}
        )
    same_modulo_email(responses)
    assert responses[KNOWN].headers["location"] == "/signup/sent"
    # The known account was not touched by the stranger's attempt.
    row = await Member.select(Member.display_name).where(Member.email == KNOWN).first()
    assert row["display_name"] == "Riley"
    kinds = sorted(r["kind"] for r in await Outbox.select(Outbox.kind))
    assert kinds == ["signup_confirm", "signup_confirm", "signup_existing"]


@pytest.mark.parametrize("password", ["wrong password 1", PASSWORD])
async def test_login_failures_answer_the_same_for_every_address(client, password):
    await accounts()
    responses = {}
    for email in (UNCONFIRMED, UNKNOWN) + ((KNOWN,) if password != PASSWORD else ()):
        responses[email] = await post(client, "/login", {"email": email, "password": password})
    same_modulo_email(responses)
    assert next(iter(responses.values())).status_code == 422
    assert SESSION_COOKIE not in client.cookies


async def test_password_reset_answers_the_same_even_when_limited(client):
    await accounts()
    responses = {}
    for email in (KNOWN, UNCONFIRMED, UNKNOWN):
        responses[email] = await post(client, "/password/forgot", {"email": email})
    same_modulo_email(responses)
    for _ in range(4):  # past the per-address limit: still the same page
        limited = await post(client, "/password/forgot", {"email": KNOWN})
    assert limited.status_code == 200
    assert limited.text == responses[UNKNOWN].text.replace(UNKNOWN, KNOWN)


# ---------------------------------------------------------------- open redirect

TRICKS = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example",
    "HTTPS://evil.example",
    "https:evil.example",
    "http:/evil.example",
    "https://testserver@evil.example",
    "//testserver.evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "evil.example",
    "@evil.example",
    "%2F%2Fevil.example",
    "%2f%5cevil.example",
    "/events\r\nSet-Cookie: x=1",
    "\u3002evil.example",
    "\uff0f\uff0fevil.example",
]


@pytest.mark.parametrize("target", TRICKS)
async def test_login_next_never_leaves_the_site(client, target):
    # The login page carries `next` in its form: only "/" survives.
    page = await client.get("/login", params={"next": target})
    field = BeautifulSoup(page.text, "html.parser").find("input", {"name": "next"})
    assert field is None or field["value"] == "/"
    member = await helpers.make_member(KNOWN, "Riley")
    done = await post(client, "/login", {"email": KNOWN, "password": PASSWORD, "next": target})
    assert done.status_code == 303 and done.headers["location"] == "/"
    # Already signed in: GET /login?next=... redirects at once.
    await helpers.login(client, member)
    again = await client.get("/login", params={"next": target})
    assert again.headers["location"] == "/"
    # Encoded twice inside the query string.
    raw = await client.get("/login?next=" + quote(quote(target, safe=""), safe=""))
    assert raw.headers["location"] == "/"


async def test_login_redirect_built_by_the_app_keeps_only_local_paths(client):
    response = await client.get("/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount"


# ---------------------------------------------------------------- brute force


@pytest.fixture
async def second_app() -> AsyncIterator[Starlette]:
    """Another web process's worth of app with its own Redis connection. (Its lifespan is not
    run: the database engine is a process-wide object that the first app's pool serves.)"""
    application = create_app(get_settings())
    application.state.redis = redis_client(get_settings().redis_url or "")
    try:
        yield application
    finally:
        await application.state.redis.aclose()


def client_for(application: Starlette, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_login_limit_is_shared_across_app_instances(app, second_app, time_machine):
    time_machine.move_to("2030-01-01 10:00:00+00:00", tick=False)
    await helpers.make_member(KNOWN, "Riley")
    assert app.state.redis is not second_app.state.redis
    statuses = []
    # One guesser at one address (the limit is per account and address: see
    # test_security_login_throttle), alternating instances: only Redis knows the total.
    async with client_for(app, "10.0.0.1") as one, client_for(second_app, "10.0.0.1") as two:
        for n in range(10):
            browser = one if n % 2 else two
            data = {"email": KNOWN, "password": f"guess number {n}"}
            statuses.append((await post(browser, "/login", data)).status_code)
        assert statuses == [422] * 10
        blocked = await post(one, "/login", {"email": KNOWN, "password": PASSWORD})
        assert blocked.status_code == 429 and blocked.headers["retry-after"]
        blocked = await post(two, "/login", {"email": KNOWN, "password": PASSWORD})
        assert blocked.status_code == 429
        assert SESSION_COOKIE not in one.cookies and SESSION_COOKIE not in two.cookies
    # Redis only ever sees digests of the addresses in its keys.
    keys = [k async for k in app.state.redis.scan_iter("rl:*")]
    assert keys and not any(b"riley" in k for k in keys)


async def test_signup_limit_is_shared_across_app_instances(app, second_app, time_machine):
    time_machine.move_to("2030-01-01 10:00:00+00:00", tick=False)
    statuses = []
    async with client_for(app, "10.0.0.9") as one, client_for(second_app, "10.0.0.9") as two:
        for n in range(11):
            data = {"email": f"p{n}@example.org", "display_name": "P", "password": PASSWORD}
            statuses.append((await post(two if n % 2 else one, "/signup", data)).status_code)
    assert statuses[:10] == [303] * 10 and statuses[10] == 429
    assert await Member.count() == 10


# ---------------------------------------------------------------- sessions and the browser


async def test_login_rotates_the_session_and_logout_kills_it_server_side(client, other_client):
    member = await helpers.make_member(KNOWN, "Riley")
    await helpers.login(client, member)
    planted = client.cookies[SESSION_COOKIE]
    done = await post(client, "/login", {"email": KNOWN, "password": PASSWORD})
    cookie = done.headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    fresh = done.cookies[SESSION_COOKIE]
    assert fresh != planted
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, fresh)
    other_client.cookies.set(SESSION_COOKIE, planted)
    assert (await other_client.get("/account")).status_code == 303, "the old session is dead"
    out = await post(client, "/logout")
    assert out.status_code == 303
    clear = out.headers["clear-site-data"]
    assert '"cache"' in clear and '"storage"' in clear
    other_client.cookies.set(SESSION_COOKIE, fresh)
    assert (await other_client.get("/account")).status_code == 303, "logout is server-side"


def htmx_config(html: str) -> dict:
    meta = BeautifulSoup(html, "html.parser").find("meta", {"name": "htmx-config"})
    assert meta is not None
    return json.loads(meta["content"])


async def test_pages_keep_nothing_in_the_browser(client, other_client):
    member = await helpers.make_member(KNOWN, "Riley")
    club = await helpers.make_club(organizer=member)
    event = await helpers.make_event(club)
    await helpers.login(client, member)
    pages = [
        "/",
        f"/events/{event}",
        "/clubs",
        "/clubs/trail-club",
        "/account",
        "/account/settings",
        "/help",
        "/clubs/trail-club/reports",
        "/clubs/trail-club/team",
        f"/events/{event}/attendees",
    ]
    for url in pages:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store", url
        config = htmx_config(response.text)
        assert config["historyCacheSize"] == 0, url
        assert config.get("allowEval") is False
    public = await other_client.get("/")
    assert htmx_config(public.text)["historyCacheSize"] == 0
    csv = await client.get(f"/events/{event}/attendees.csv")
    assert csv.headers["cache-control"] == "no-store"
    export = await client.get("/account/export")
    assert export.headers["cache-control"] == "no-store"
