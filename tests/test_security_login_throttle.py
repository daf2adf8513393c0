"""Login throttling as an attacker and a venue's shared wifi see it (issue 12, finding 6):
nobody can lock a member out by failing on purpose, successes never count, and guessing from
one address or against one account stays bounded."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from events import login_throttle
from events.auth import SESSION_COOKIE
from tests import helpers
from tests.helpers import PASSWORD, post

OWNER = "organizer@example.org"


@pytest.fixture(autouse=True)
def frozen(time_machine) -> None:
    # Fixed windows in Redis: the clock must not cross a window boundary half-way through.
    time_machine.move_to("2030-01-01 10:00:00+00:00", tick=False)


def browser(app: Starlette, ip: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def login(app: Starlette, ip: str, email: str, password: str) -> httpx.Response:
    async with browser(app, ip) as client:
        return await post(client, "/login", {"email": email, "password": password})


async def test_failures_from_many_addresses_do_not_lock_the_owner_out(app):
    await helpers.make_member(OWNER, "Sam")
    home = "198.51.100.7"
    assert (await login(app, home, OWNER, PASSWORD)).status_code == 303  # their usual place

    # The review's attack: 10 wrong passwords from 10 addresses.
    for n in range(10):
        wrong = await login(app, f"203.0.113.{n}", OWNER, f"guess number {n}")
        assert wrong.status_code == 422
    assert (await login(app, home, OWNER, PASSWORD)).status_code == 303
    assert (await login(app, "192.0.2.50", OWNER, PASSWORD)).status_code == 303  # a new place

    # A bigger botnet reaches the account-wide bound: new places wait, home still gets in.
    limit = login_throttle.ACCOUNT_LIMIT[0]
    for n in range(10, limit):
        wrong = await login(app, f"203.0.113.{n}", OWNER, f"guess number {n}")
        assert wrong.status_code == 422
    refused = await login(app, "203.0.113.200", OWNER, "guess number 200")
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) > 0
    assert "reset your password" in refused.text
    assert (await login(app, "203.0.113.201", OWNER, PASSWORD)).status_code == 429
    owner = await login(app, home, OWNER, PASSWORD)
    assert owner.status_code == 303 and SESSION_COOKIE in owner.cookies


async def test_one_guesser_is_stopped_at_their_address_only(app):
    await helpers.make_member(OWNER, "Sam")
    home = "198.51.100.7"
    assert (await login(app, home, OWNER, PASSWORD)).status_code == 303
    attacker = "203.0.113.9"
    limit = login_throttle.PAIR_LIMIT[0]
    statuses = [
        (await login(app, attacker, OWNER, f"guess {n:03}")).status_code for n in range(limit + 2)
    ]
    assert statuses == [422] * limit + [429, 429]
    # Right password from the attacker's address: still waits (no free oracle there).
    assert (await login(app, attacker, OWNER, PASSWORD)).status_code == 429
    # The owner, anywhere else, is not affected.
    assert (await login(app, home, OWNER, PASSWORD)).status_code == 303
    assert (await login(app, "192.0.2.50", OWNER, PASSWORD)).status_code == 303


async def test_members_on_one_shared_wifi_all_get_in(app):
    venue = "198.51.100.23"
    members = [await helpers.make_member(f"m{n}@example.org", f"M{n}") for n in range(15)]
    statuses = [
        (await login(app, venue, f"m{n}@example.org", PASSWORD)).status_code
        for n in range(len(members))
    ]
    assert statuses == [303] * 15
    # And a few typos on the way do not stop the others either.
    for n in range(5):
        assert (await login(app, venue, f"m{n}@example.org", "typo typo typo")).status_code == 422
    assert (await login(app, venue, "m14@example.org", PASSWORD)).status_code == 303


async def test_guessing_many_accounts_from_one_address_is_bounded(app):
    await helpers.make_member(OWNER, "Sam")
    attacker = "203.0.113.66"
    limit = login_throttle.ADDRESS_LIMIT[0]
    statuses = [
        (await login(app, attacker, f"user{n}@example.org", "password123!")).status_code
        for n in range(limit + 1)
    ]
    assert statuses == [422] * limit + [429]
    assert (await login(app, attacker, OWNER, PASSWORD)).status_code == 429
    assert (await login(app, "198.51.100.7", OWNER, PASSWORD)).status_code == 303


async def test_the_limits_reopen_after_the_window(app, time_machine):
    await helpers.make_member(OWNER, "Sam")
    attacker = "203.0.113.9"
    for n in range(login_throttle.PAIR_LIMIT[0]):
        await login(app, attacker, OWNER, f"guess {n:03}")
    assert (await login(app, attacker, OWNER, PASSWORD)).status_code == 429
    time_machine.move_to("2030-01-01 10:05:01+00:00", tick=False)
    assert (await login(app, attacker, OWNER, PASSWORD)).status_code == 303
