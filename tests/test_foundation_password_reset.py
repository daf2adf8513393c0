import json

from events.auth import SESSION_COOKIE
from events.tables import Outbox
from tests import helpers
from tests.helpers import PASSWORD, post


async def reset_token() -> str:
    row = await Outbox.select(Outbox.payload).where(Outbox.kind == "password_reset").first()
    return json.loads(row["payload"])["token"]


async def test_reset_answers_the_same_for_known_and_unknown_addresses(client):
    await helpers.make_member(email="riley@example.org")
    known = await post(client, "/password/forgot", {"email": "riley@example.org"})
    unknown = await post(client, "/password/forgot", {"email": "ghost@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert known.text.replace("riley", "") == unknown.text.replace("ghost", "")
    assert await Outbox.count().where(Outbox.kind == "password_reset") == 1


async def test_reset_link_sets_a_new_password_once_and_signs_out_other_devices(
    client, other_client
):
    member = await helpers.make_member(email="riley@example.org")
    await helpers.login(other_client, member)
    assert (await other_client.get("/account")).status_code == 200

    await post(client, "/password/forgot", {"email": "riley@example.org"})
    token = await reset_token()
    form = await client.get("/password/reset", params={"token": token})
    assert form.status_code == 200 and form.headers["referrer-policy"] == "no-referrer"

    short = await post(client, "/password/reset", {"token": token, "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text

    done = await post(
        client, "/password/reset", {"token": token, "password": "a brand new passphrase"}
    )
    assert done.status_code == 303 and SESSION_COOKIE in done.headers["set-cookie"]
    assert (await other_client.get("/account")).status_code == 303  # old session ended

    # Single use: the same link no longer works.
    again = await post(
        client, "/password/reset", {"token": token, "password": "yet another passphrase"}
    )
    assert again.status_code == 410
    await post(client, "/logout")
    old = await post(client, "/login", {"email": "riley@example.org", "password": PASSWORD})
    assert old.status_code == 422
    new = await post(
        client, "/login", {"email": "riley@example.org", "password": "a brand new passphrase"}
    )
    assert new.status_code == 303


async def test_reset_link_expires_after_an_hour(client, time_machine):
    await helpers.make_member(email="riley@example.org")
    time_machine.move_to("2030-01-01 10:00:00+00:00", tick=False)
    await post(client, "/password/forgot", {"email": "riley@example.org"})
    token = await reset_token()
    time_machine.move_to("2030-01-01 11:01:00+00:00", tick=False)
    assert (await client.get("/password/reset", params={"token": token})).status_code == 410


async def test_forged_or_mangled_tokens_are_refused(client):
    member = await helpers.make_member(email="riley@example.org")
    for token in ("", "abc", f"{member}.1.xyz", f"{member}.99999999999.AAAA", "1.2.3.4"):
        response = await post(
            client, "/password/reset", {"token": token, "password": "whatever long pw"}
        )
        assert response.status_code == 410, token
