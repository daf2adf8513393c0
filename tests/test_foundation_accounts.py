import json
from urllib.parse import parse_qs, urlsplit

import pytest

from events.auth import SESSION_COOKIE, safe_next
from events.tables import Member, Outbox
from tests import helpers
from tests.helpers import PASSWORD, post

SIGNUP = {"email": "New@Example.org", "display_name": " Jo  ", "password": "long enough pw"}


async def confirm_link_for(email: str) -> str:
    member = await Member.select(Member.id).where(Member.email == email).first()
    row = (
        await Outbox.select(Outbox.payload)
        .where((Outbox.recipient == member["id"]) & (Outbox.kind == "signup_confirm"))
        .first()
    )
    return json.loads(row["payload"])["token"]


async def test_signup_finishes_through_the_mailed_link(client):
    response = await post(client, "/signup", SIGNUP)
    assert response.status_code == 303
    assert response.headers["location"] == "/signup/sent"
    member = await Member.select().where(Member.email == "new@example.org").first()
    assert member["display_name"] == "Jo"
    assert member["email_confirmed"] is False
    assert member["password_hash"].startswith("scrypt$")
    assert PASSWORD not in member["password_hash"]

    # Not signed in, and cannot log in before confirming.
    assert (await client.get("/account")).status_code == 303
    login = await post(client, "/login", {"email": "new@example.org", "password": "long enough pw"})
    assert login.status_code == 422

    token = await confirm_link_for("new@example.org")
    page = await client.get("/signup/confirm", params={"token": token})
    assert page.status_code == 200
    assert "Confirm and sign in" in page.text
    # A mail scanner's GET changes nothing.
    assert (await Member.select(Member.email_confirmed).first())["email_confirmed"] is False

    confirmed = await post(client, "/signup/confirm", {"token": token})
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == "/account"
    account = await client.get("/account")
    assert account.status_code == 200
    assert "Hi, Jo" in account.text


async def test_signup_with_a_known_email_answers_exactly_like_a_new_one(client, other_client):
    await helpers.make_member(email="taken@example.org", display_name="Owner")
    known = await post(client, "/signup", {**SIGNUP, "email": "taken@example.org"})
    new = await post(other_client, "/signup", SIGNUP)
    assert (known.status_code, known.headers["location"]) == (
        new.status_code,
        new.headers["location"],
    )
    owner = await Member.select().where(Member.email == "taken@example.org").first()
    assert owner["display_name"] == "Owner"  # nothing about the account changed
    kinds = {r["kind"] for r in await Outbox.select(Outbox.kind)}
    assert kinds == {"signup_existing", "signup_confirm"}


async def test_only_the_newest_confirmation_link_works(client):
    await post(client, "/signup", SIGNUP)
    first = await confirm_link_for("new@example.org")
    await Outbox.delete(force=True)
    await post(client, "/signup", {**SIGNUP, "password": "another long pw"})
    second = await confirm_link_for("new@example.org")
    assert (await post(client, "/signup/confirm", {"token": first})).status_code == 410
    assert (await post(client, "/signup/confirm", {"token": second})).status_code == 303


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("password", "short", "at least 10 characters"),
        ("email", "not-an-email", "email address"),
        ("display_name", "   ", "display name"),
        ("display_name", "x" * 61, "to 60 characters"),
    ],
)
async def test_signup_bad_input_shows_the_form_again_with_the_reason(client, field, value, message):
    response = await post(client, "/signup", {**SIGNUP, field: value})
    assert response.status_code == 422
    assert message in response.text
    assert 'aria-invalid="true"' in response.text
    assert not await Member.exists()


async def test_login_and_logout(client):
    member = await helpers.make_member(email="riley@example.org")
    response = await post(client, "/login", {"email": "RILEY@example.org ", "password": PASSWORD})
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    old_token = client.cookies.get(SESSION_COOKIE)
    assert (await client.get("/account")).status_code == 200

    out = await post(client, "/logout")
    assert out.status_code == 303
    assert (await client.get("/account")).status_code == 303
    # The old cookie is dead on the server, not just deleted in this browser.
    client.cookies.set(SESSION_COOKIE, old_token)
    assert (await client.get("/account")).status_code == 303
    assert member


async def test_wrong_password_and_unknown_email_get_the_same_answer(client):
    await helpers.make_member(email="riley@example.org")
    wrong = await post(
        client, "/login", {"email": "riley@example.org", "password": "nope nope nope"}
    )
    unknown = await post(
        client, "/login", {"email": "ghost@example.org", "password": "nope nope nope"}
    )
    assert wrong.status_code == unknown.status_code == 422
    assert "match an account" in wrong.text and "match an account" in unknown.text


async def test_login_is_rate_limited(client, time_machine):
    # Frozen clock: the fixed window must not roll over half-way through the test.
    time_machine.move_to("2030-01-01 10:00:00+00:00", tick=False)
    await helpers.make_member(email="riley@example.org")
    statuses = [
        (
            await post(
                client, "/login", {"email": "riley@example.org", "password": f"guess {i:05}"}
            )
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [422] * 10
    assert statuses[10:] == [429, 429]
    # Even the right password waits out the limit.
    right = await post(client, "/login", {"email": "riley@example.org", "password": PASSWORD})
    assert right.status_code == 429


async def test_login_returns_to_next_only_on_this_site(client):
    await helpers.make_member(email="riley@example.org")
    response = await post(
        client, "/login", {"email": "riley@example.org", "password": PASSWORD, "next": "/events/3"}
    )
    assert response.headers["location"] == "/events/3"
    await post(client, "/logout")
    response = await post(
        client,
        "/login",
        {"email": "riley@example.org", "password": PASSWORD, "next": "//evil.example"},
    )
    assert response.headers["location"] == "/"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example", "/\\evil.example", "javascript:alert(1)", ""],
)
def test_safe_next_refuses_other_sites(target):
    assert safe_next(target) == "/"


async def test_cross_site_login_post_is_refused(client):
    # Login CSRF: another site signing the visitor in to an account it controls.
    await helpers.make_member(email="riley@example.org")
    response = await client.post(
        "/login",
        data={"email": "riley@example.org", "password": PASSWORD},
        headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


async def test_account_page_needs_login_and_comes_back(client):
    response = await client.get("/account")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/account"]


async def test_account_page_is_not_cached(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    response = await client.get("/account")
    assert response.headers["cache-control"] == "no-store"
