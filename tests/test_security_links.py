"""Mailed links that sign someone in work once (issue 12, finding 4), and the pages that mail
them take the same time whether or not the address has an account (finding 13)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import httpx
from bs4 import BeautifulSoup

from events.auth import SESSION_COOKIE
from events.tables import Member, Outbox
from tests import helpers
from tests.helpers import post

SIGNUP = {"email": "new@example.org", "display_name": "Jo", "password": "long enough pw"}


async def mailed_token(kind: str) -> str:
    row = await Outbox.select(Outbox.payload).where(Outbox.kind == kind).first()
    return json.loads(row["payload"])["token"]


def assert_used_page(response: httpx.Response) -> None:
    """A clear 4xx page that says the link was used and offers to log in; no session."""
    assert response.status_code == 410
    assert SESSION_COOKIE not in response.cookies
    page = BeautifulSoup(response.text, "html.parser")
    assert "already used" in page.h1.get_text()
    assert page.find("a", href="/login") is not None


async def test_signup_link_signs_in_once(client, other_client):
    await post(client, "/signup", SIGNUP)
    token = await mailed_token("signup_confirm")
    first = await post(client, "/signup/confirm", {"token": token})
    assert first.status_code == 303 and SESSION_COOKIE in first.cookies

    # The same link from a fresh browser, within its 48 hours: no sign-in.
    again = await post(other_client, "/signup/confirm", {"token": token})
    assert_used_page(again)
    assert "confirmed" in again.text
    assert (await other_client.get("/account")).status_code == 303
    # Opening the link again shows the same, not a "Confirm and sign in" button.
    opened = await other_client.get("/signup/confirm", params={"token": token})
    assert_used_page(opened)
    assert "Confirm and sign in" not in opened.text


async def test_signup_link_used_twice_at_once_signs_in_once(client, other_client):
    await post(client, "/signup", SIGNUP)
    token = await mailed_token("signup_confirm")
    answers = await asyncio.gather(
        post(client, "/signup/confirm", {"token": token}),
        post(other_client, "/signup/confirm", {"token": token}),
    )
    assert sorted(r.status_code for r in answers) == [303, 410]


async def test_reset_link_used_twice_at_once_sets_one_password(app, client, other_client):
    await helpers.make_member(email="riley@example.org")
    await post(client, "/password/forgot", {"email": "riley@example.org"})
    token = await mailed_token("password_reset")
    answers = await asyncio.gather(
        post(client, "/password/reset", {"token": token, "password": "first new passphrase"}),
        post(other_client, "/password/reset", {"token": token, "password": "second passphrase"}),
    )
    assert sorted(r.status_code for r in answers) == [303, 410]
    assert_used_page(next(r for r in answers if r.status_code == 410))
    winner = "first new passphrase" if answers[0].status_code == 303 else "second passphrase"
    loser = "second passphrase" if winner == "first new passphrase" else "first new passphrase"
    transport = httpx.ASGITransport(app=app, client=("10.9.9.9", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as fresh:
        bad = await post(fresh, "/login", {"email": "riley@example.org", "password": loser})
        good = await post(fresh, "/login", {"email": "riley@example.org", "password": winner})
    assert (bad.status_code, good.status_code) == (422, 303)


async def test_reset_link_used_again_says_so_and_offers_login(client, other_client):
    await helpers.make_member(email="riley@example.org")
    await post(client, "/password/forgot", {"email": "riley@example.org"})
    token = await mailed_token("password_reset")
    done = await post(client, "/password/reset", {"token": token, "password": "brand new pass"})
    assert done.status_code == 303
    assert_used_page(
        await post(other_client, "/password/reset", {"token": token, "password": "x" * 12})
    )
    assert_used_page(await other_client.get("/password/reset", params={"token": token}))


# ---------------------------------------------------------------- timing


async def timed_ms(client: httpx.AsyncClient, url: str, form: dict[str, str]) -> float:
    """CPU time the app spends answering: the server-side work, which other processes on a
    busy machine do not blur as they blur wall time."""
    await helpers.flush_redis()  # per-address limits: measure the work, not the refusal
    start = time.process_time()
    response = await client.post(url, data=form)
    elapsed = time.process_time() - start
    assert response.status_code == 200
    return elapsed * 1000


async def test_password_forgot_takes_as_long_for_unknown_addresses(client, time_machine):
    time_machine.move_to("2030-01-01 09:59:00+00:00", tick=False)
    await helpers.make_member(email="riley@example.org")
    known = {"email": "riley@example.org"}
    for n in range(3):  # warm up both paths
        await timed_ms(client, "/password/forgot", known)
        await timed_ms(client, "/password/forgot", {"email": f"warm{n}@example.org"})
    # Interleaved in alternating order, so a busy machine slows both sides alike; medians
    # shrug off pauses. A new second each time: within one second a repeat is a no-op write.
    known_ms: list[float] = []
    unknown_ms: list[float] = []
    for n in range(40):
        time_machine.move_to(f"2030-01-01 10:00:{n:02}+00:00", tick=False)
        unknown = {"email": f"nobody{n}@example.org"}
        pairs = [(known_ms, known), (unknown_ms, unknown)]
        for times, form in pairs if n % 2 else reversed(pairs):
            times.append(await timed_ms(client, "/password/forgot", form))
    a, b = statistics.median(known_ms), statistics.median(unknown_ms)
    assert max(a, b) / min(a, b) < 1.5, f"known {a:.2f} ms, unknown {b:.2f} ms"
    # Mail goes to the account only; the stand-in rows name no one, and the worker skips them.
    rows = await Outbox.select(Outbox.kind, Outbox.recipient, Outbox.to_address, Outbox.payload)
    assert {r["kind"] for r in rows} == {"password_reset", "password_reset_none"}
    for row in rows:
        if row["kind"] == "password_reset_none":
            assert row["recipient"] is None and not row["to_address"] and "nobody" not in str(row)


async def test_signup_does_the_same_work_for_known_and_new_addresses(client, engine, capsys):
    """Hashing dominates sign-up time, so compare the statements each branch runs: the same
    count of reads and writes, whether the address is new, pending or has an account."""
    await helpers.make_member(email="taken@example.org")
    await post(client, "/signup", {**SIGNUP, "email": "pending@example.org"})
    shapes = {}
    for email in ("taken@example.org", "pending@example.org", "fresh@example.org"):
        capsys.readouterr()
        engine.log_queries = True
        try:
            response = await post(client, "/signup", {**SIGNUP, "email": email})
        finally:
            engine.log_queries = False
        assert response.status_code == 303
        statements = [
            line.split()[0].upper()
            for line in capsys.readouterr().out.splitlines()
            if line.split() and line.split()[0].upper() in ("SELECT", "INSERT", "UPDATE", "DELETE")
        ]
        reads = sum(s == "SELECT" for s in statements)
        shapes[email] = (reads, len(statements) - reads)
    assert len(set(shapes.values())) == 1, shapes
    assert await Member.count().where(Member.email == "fresh@example.org") == 1
