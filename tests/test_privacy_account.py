import json

from events.tables import DevMail, Member, Membership, Outbox, Rsvp, WelcomeNote
from tests import helpers
from tests.helpers import PASSWORD, post


async def test_settings_page_saves_discreet_reminders_and_visibility(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    page = await client.get("/account/settings")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    saved = await post(
        client, "/account/settings", {"discreet": "on", "default_visibility": "hidden"}
    )
    assert saved.status_code == 303
    row = await Member.select().where(Member.id == member).first()
    assert row["discreet"] is True
    assert row["reminders"] is False  # unticked box
    assert row["default_visibility"] == "hidden"


async def test_settings_refuse_unknown_visibility(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    response = await post(client, "/account/settings", {"default_visibility": "everyone"})
    assert response.status_code == 422
    row = await Member.select(Member.default_visibility).where(Member.id == member).first()
    assert row["default_visibility"] == "initials"


async def test_export_holds_my_data_and_nobody_elses(client):
    me = await helpers.make_member(email="me@example.org", display_name="Me")
    other = await helpers.make_member(email="other@example.org", display_name="Other")
    club = await helpers.make_club(organizer=other)
    event = await helpers.make_event(club, title="Lake hike")
    await Rsvp.insert(Rsvp(event=event, member=me), Rsvp(event=event, member=other))
    await helpers.login(client, me)
    response = await client.get("/account/export")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["profile"]["email"] == "me@example.org"
    assert "password_hash" not in data["profile"]
    assert [r["event"] for r in data["rsvps"]] == ["Lake hike"]
    assert "other@example.org" not in response.text


async def test_delete_account_erases_personal_data_and_keeps_counts(client, other_client):
    me = await helpers.make_member(email="me@example.org", display_name="Jordan Q")
    organizer = await helpers.make_member(email="org@example.org", display_name="Org")
    club = await helpers.make_club(organizer=organizer)
    await Membership.insert(Membership(member=me, club=club))
    event = await helpers.make_event(club, capacity=5, taken=1)
    await Rsvp.insert(Rsvp(event=event, member=me, status="going"))
    await WelcomeNote.insert(WelcomeNote(club=club, author=organizer, newcomer=me, message="Hi!"))
    await DevMail.insert(DevMail(to_address="me@example.org", subject="old", message="old"))
    await helpers.login(client, me)
    await helpers.login(other_client, me)

    refused = await post(client, "/account/delete", {"password": "wrong password!"})
    assert refused.status_code == 422
    assert (await Member.select(Member.email).where(Member.id == me).first())[
        "email"
    ] == "me@example.org"

    done = await post(client, "/account/delete", {"password": PASSWORD, "confirm": "on"})
    assert done.status_code == 200
    assert "deleted" in done.text

    row = await Member.select().where(Member.id == me).first()
    dump = json.dumps({k: str(v) for k, v in row.items()})
    assert "me@example.org" not in dump and "Jordan" not in dump
    assert row["deleted_at"] is not None
    # Counts stay right for the organizer.
    assert await Rsvp.count().where((Rsvp.event == event) & (Rsvp.status == "going")) == 1
    assert not await WelcomeNote.exists().where(WelcomeNote.newcomer == me)
    assert not await Membership.exists().where(Membership.member == me)
    assert not await DevMail.exists().where(DevMail.to_address == "me@example.org")
    # Every session is gone, on every device.
    assert (await other_client.get("/account")).status_code == 303
    # One confirmation mail, addressed to the old address.
    confirmation = await Outbox.select().where(Outbox.kind == "account_deleted")
    assert [r["to_address"] for r in confirmation] == ["me@example.org"]
    # The old credentials no longer work.
    login = await post(client, "/login", {"email": "me@example.org", "password": PASSWORD})
    assert login.status_code == 422


async def test_last_organizer_must_hand_over_before_deleting(client):
    me = await helpers.make_member()
    await helpers.make_club(organizer=me, name="Only Me Club")
    await helpers.login(client, me)
    page = await client.get("/account/delete")
    assert "Only Me Club" in page.text
    response = await post(client, "/account/delete", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 409
    assert (await Member.select(Member.deleted_at).where(Member.id == me).first())[
        "deleted_at"
    ] is None


async def test_privacy_pages_need_login(client):
    for path in ("/account/settings", "/account/export", "/account/delete"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login")


async def test_pages_for_signed_in_members_are_never_stored(client):
    member = await helpers.make_member()
    club = await helpers.make_club()
    event = await helpers.make_event(club)
    anonymous = await client.get(f"/events/{event}")
    assert "no-store" not in anonymous.headers.get("cache-control", "")
    await helpers.login(client, member)
    for path in ("/", f"/events/{event}", "/clubs", "/account"):
        response = await client.get(path)
        assert response.headers["cache-control"] == "no-store", path
