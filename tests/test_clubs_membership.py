"""Joining and leaving a club: page and htmx fragment, the welcome message, the welcome mail's
outbox row, blocked members, and the last organizer who cannot leave."""

from __future__ import annotations

import json

from bs4 import BeautifulSoup

from events.tables import Club, Membership, Outbox, Role
from tests import helpers

WELCOME = "Welcome to Trailheads! Bring water and your own pace."


async def setup_club() -> tuple[int, int]:
    organizer = await helpers.make_member("org@example.org", "Organizer Olu")
    club = await helpers.make_club(organizer=organizer, welcome_message=WELCOME)
    return organizer, club


async def memberships(club: int) -> list[dict]:
    return await Membership.select().where(Membership.club == club).order_by(Membership.id)


async def test_anonymous_visitor_is_asked_to_log_in(client):
    await setup_club()
    page = await client.get("/clubs/trail-club")
    assert page.status_code == 200
    assert "Log in to join" in page.text
    assert "Organizer Olu" in page.text  # organizers' display names are public
    response = await helpers.post(client, "/clubs/trail-club/join")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_join_plain_form_redirects_and_shows_welcome_message(client):
    await setup_club()
    member = await helpers.make_member()
    await helpers.login(client, member)
    before = await client.get("/clubs/trail-club")
    assert WELCOME not in before.text
    assert "Join Trail Club" in before.text

    response = await helpers.post(client, "/clubs/trail-club/join")

    assert response.status_code == 303
    assert response.headers["location"] == "/clubs/trail-club"
    page = await client.get("/clubs/trail-club")
    panel = BeautifulSoup(page.text, "html.parser").select_one("#membership-panel")
    assert panel is not None
    assert "You're a member of Trail Club" in panel.get_text(" ", strip=True)
    assert WELCOME in panel.get_text(" ", strip=True)
    assert "2 members" in page.text
    account = await client.get("/account")
    assert WELCOME in account.text


async def test_join_writes_one_welcome_outbox_row_even_when_repeated(client):
    _, club = await setup_club()
    member = await helpers.make_member()
    await helpers.login(client, member)
    await helpers.post(client, "/clubs/trail-club/join")
    await helpers.post(client, "/clubs/trail-club/join")
    rows = await Outbox.select().where(Outbox.kind == "welcome")
    assert len(rows) == 1
    assert rows[0]["recipient"] == member and rows[0]["club"] == club
    assert rows[0]["dedupe_key"].startswith(f"welcome:{club}:{member}:")
    assert json.loads(rows[0]["payload"]) == {}
    assert len(await memberships(club)) == 2


async def test_rejoining_after_leaving_is_a_new_welcome(client):
    await setup_club()
    member = await helpers.make_member()
    await helpers.login(client, member)
    await helpers.post(client, "/clubs/trail-club/join")
    await helpers.post(client, "/clubs/trail-club/leave")
    await helpers.post(client, "/clubs/trail-club/join")
    keys = {r["dedupe_key"] for r in await Outbox.select().where(Outbox.kind == "welcome")}
    assert len(keys) == 2


async def test_join_and_leave_with_htmx_swap_the_panel(client):
    _, club = await setup_club()
    member = await helpers.make_member()
    await helpers.login(client, member)

    joined = await helpers.post(client, "/clubs/trail-club/join", htmx=True)

    assert joined.status_code == 200
    assert joined.text.lstrip().startswith('<section id="membership-panel"')
    assert "<html" not in joined.text
    assert WELCOME in joined.text
    assert 'hx-post="/clubs/trail-club/leave"' in joined.text

    left = await helpers.post(client, "/clubs/trail-club/leave", htmx=True)

    assert left.status_code == 200
    assert "You left the club." in left.text
    assert 'hx-post="/clubs/trail-club/join"' in left.text
    assert all(m["member"] != member for m in await memberships(club))


async def test_leave_plain_form_and_leaving_twice_is_harmless(client):
    _, club = await setup_club()
    member = await helpers.make_member()
    await helpers.login(client, member)
    await helpers.post(client, "/clubs/trail-club/join")
    first = await helpers.post(client, "/clubs/trail-club/leave")
    second = await helpers.post(client, "/clubs/trail-club/leave")
    assert first.status_code == 303 and second.status_code == 303
    page = await client.get("/clubs/trail-club")
    assert "Join Trail Club" in page.text
    assert len(await memberships(club)) == 1


async def test_last_organizer_cannot_leave(client):
    organizer, club = await setup_club()
    await helpers.login(client, organizer)

    plain = await helpers.post(client, "/clubs/trail-club/leave")
    assert plain.status_code == 409
    assert "only organizer" in plain.text

    fragment = await helpers.post(client, "/clubs/trail-club/leave", htmx=True)
    assert fragment.status_code == 422
    assert "only organizer" in fragment.text
    assert [m["role"] for m in await memberships(club)] == [Role.organizer.value]


async def test_an_organizer_can_leave_when_another_remains(client):
    organizer, club = await setup_club()
    other = await helpers.make_member("co@example.org", "Co")
    await Membership.insert(Membership(member=other, club=club, role=Role.organizer.value))
    await helpers.login(client, organizer)
    response = await helpers.post(client, "/clubs/trail-club/leave")
    assert response.status_code == 303
    assert [m["member"] for m in await memberships(club)] == [other]


async def test_blocked_member_cannot_rejoin(client):
    _, club = await setup_club()
    member = await helpers.make_member()
    await Membership.insert(Membership(member=member, club=club, blocked=True))
    await helpers.login(client, member)
    page = await client.get("/clubs/trail-club")
    assert "removed you from this club" in page.text
    response = await helpers.post(client, "/clubs/trail-club/join")
    assert response.status_code == 403
    leave = await helpers.post(client, "/clubs/trail-club/leave")
    assert leave.status_code == 303
    rows = await memberships(club)
    assert [(m["member"], m["blocked"]) for m in rows if m["member"] == member] == [(member, True)]
    assert await Outbox.count().where(Outbox.kind == "welcome") == 0


async def test_unknown_club_is_404(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    assert (await client.get("/clubs/nope")).status_code == 404
    assert (await helpers.post(client, "/clubs/nope/join")).status_code == 404
    assert await Club.count() == 0
