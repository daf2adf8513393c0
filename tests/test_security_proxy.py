"""Behind a reverse proxy on another address (TRUSTED_PROXIES), and prod cookies.

`X-Forwarded-For`/`-Proto` are believed from the configured proxies only: the client address
(rate limits) and the scheme (the Origin check, links) come from them; from anyone else those
headers are ignored. Every cookie prod sets is Secure, and a login always starts a new session.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from starlette.types import Receive, Scope, Send

from events.auth import SESSION_COOKIE
from events.cli import proxy_options
from events.settings import ConfigError, load_settings
from tests import helpers
from tests.helpers import PASSWORD
from tests.servers import free_port

PROXY = "127.0.0.3"  # the proxy's address, as the web server sees it
STRANGER = "127.0.0.4"  # any other peer that can reach the web server
PUBLIC = "steady.example"


async def probe(scope: Scope, receive: Receive, send: Send) -> None:
    """What the app is told about the request: client address and scheme."""
    body = f"{scope['client'][0]} {scope['scheme']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body})


def served_by_uvicorn(trusted: str) -> uvicorn.Config:
    """The probe wrapped exactly as `steady web` has uvicorn wrap the app."""
    settings = load_settings({**os.environ, "TRUSTED_PROXIES": trusted})
    config = uvicorn.Config(probe, log_config=None, **proxy_options(settings))
    config.load()
    return config


@pytest.mark.parametrize(
    ("trusted", "peer", "seen"),
    [
        (PROXY, PROXY, "203.0.113.7 https"),
        ("10.0.0.0/8, 127.0.0.0/29", PROXY, "203.0.113.7 https"),
        (PROXY, STRANGER, f"{STRANGER} http"),
        ("127.0.0.1", PROXY, f"{PROXY} http"),  # the default: a proxy elsewhere isn't believed
        ("", PROXY, f"{PROXY} http"),
    ],
)
async def test_forwarded_headers_are_believed_from_trusted_proxies_only(trusted, peer, seen):
    config = served_by_uvicorn(trusted)
    transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://web:8000") as client:
        headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
        response = await client.get("/", headers=headers)
    assert response.text == seen


def test_trusted_proxies_setting() -> None:
    assert load_settings({}).trusted_proxies == "127.0.0.1"
    env = {"TRUSTED_PROXIES": " 10.0.0.2 , 10.1.0.0/16,::1 "}
    assert load_settings(env).trusted_proxies == "10.0.0.2,10.1.0.0/16,::1"
    assert load_settings({"FORWARDED_ALLOW_IPS": "10.0.0.9"}).trusted_proxies == "10.0.0.9"
    assert load_settings({"TRUSTED_PROXIES": "*"}).trusted_proxies == "*"
    for typo in ("10.0.0.300", "proxy.internal", "10.0.0.1/24", "10.0.0.2;10.0.0.3"):
        with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
            load_settings({"TRUSTED_PROXIES": typo})


@pytest.fixture(scope="module")
def proxied_prod_server(migrated_database) -> Iterator[str]:
    """`steady web` in prod for https://steady.example, its proxy on another address."""
    port = free_port()
    env = {
        **os.environ,
        "STEADY_ENV": "prod",
        "BASE_URL": f"https://{PUBLIC}",
        "TRUSTED_PROXIES": PROXY,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "web", "--port", str(port), "--quiet"], env=env
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{url}/healthz", headers={"Host": PUBLIC}, timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def from_address(server: str, address: str) -> httpx.AsyncClient:
    """A client connecting from `address`, sending what a TLS-terminating proxy forwards."""
    return httpx.AsyncClient(
        base_url=server,
        transport=httpx.AsyncHTTPTransport(local_address=address),
        headers={"Host": PUBLIC, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
    )


LOGIN = {"email": "riley@example.org", "password": PASSWORD}


async def test_prod_behind_a_proxy_on_another_address(proxied_prod_server):
    await helpers.make_member(email="riley@example.org")
    # A browser without Fetch Metadata: the Origin check needs the scheme the proxy saw.
    own_origin = {"Origin": f"https://{PUBLIC}"}
    async with from_address(proxied_prod_server, PROXY) as via_proxy:
        evil = await via_proxy.post(
            "/login", data=LOGIN, headers={"Origin": "https://evil.example"}
        )
        assert evil.status_code == 403
        response = await via_proxy.post("/login", data=LOGIN, headers=own_origin)
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]
    # The same headers from a peer that is not the proxy: X-Forwarded-Proto is not believed,
    # so the request is plain http and an https Origin is another origin.
    async with from_address(proxied_prod_server, STRANGER) as stranger:
        refused = await stranger.post("/login", data=LOGIN, headers=own_origin)
        assert refused.status_code == 403
        assert SESSION_COOKIE not in refused.headers.get("set-cookie", "")


async def test_every_cookie_prod_sets_is_secure(proxied_prod_server):
    await helpers.make_member(email="riley@example.org")
    same_origin = {"Sec-Fetch-Site": "same-origin"}
    set_cookies: list[str] = []
    async with from_address(proxied_prod_server, PROXY) as browser:
        for path in ("/", "/login", "/signup", "/help", "/clubs"):
            page = await browser.get(path)
            assert page.status_code == 200
            set_cookies += page.headers.get_list("set-cookie")
        assert set_cookies == [], "signed-out pages set no cookie at all"
        login = await browser.post("/login", data=LOGIN, headers=same_origin)
        assert login.status_code == 303
        set_cookies += login.headers.get_list("set-cookie")
        # httpx keeps a Secure cookie off this plain-http hop; the proxy would pass it on.
        session = {"Cookie": f"{SESSION_COOKIE}={login.cookies[SESSION_COOKIE]}"}
        assert (await browser.get("/account", headers=session)).status_code == 200
        logout = await browser.post("/logout", headers={**same_origin, **session})
        set_cookies += logout.headers.get_list("set-cookie")
    assert len(set_cookies) == 2
    for cookie in set_cookies:
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert "secure" in attributes and "httponly" in attributes, cookie
        assert "samesite=lax" in attributes, cookie


async def test_login_starts_a_new_session_and_ends_the_one_it_was_given(client):
    # Session fixation: a session id planted in the browser before login (by another site, a
    # shared computer) must not become, or stay, the signed-in session.
    member = await helpers.make_member(email="riley@example.org")
    await helpers.login(client, member)
    planted = client.cookies[SESSION_COOKIE]
    response = await helpers.post(client, "/login", LOGIN)
    assert response.status_code == 303
    fresh = response.cookies[SESSION_COOKIE]
    assert fresh != planted
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, fresh)
    assert (await client.get("/account")).status_code == 200
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, planted)
    again = await client.get("/account")
    assert again.status_code == 303 and "/login" in again.headers["location"]
