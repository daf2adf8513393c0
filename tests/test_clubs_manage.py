"""Creating and editing clubs, and the organizers' team page: only organizers, only of their
own club; a club always keeps at least one organizer."""

from __future__ import annotations

from bs4 import BeautifulSoup

from events.tables import Club, Membership, Role
from tests import helpers

VALID = {
    "name": "Sober Sluggers",
    "slug": "sober-sluggers",
    "kind": "activity",
    "activities": "Softball, baseball, softball",
    "description": "Weekly **softball**. <script>alert(1)</script>",
    "timezone": "America/Chicago",
    "welcome_message": "Welcome! No experience needed.",
}


async def role_of(member: int, club: int) -> str | None:
    row = (
        await Membership.select(Membership.role)
        .where((Membership.member == member) & (Membership.club == club))
        .first()
    )
    return row["role"] if row else None


async def test_new_club_needs_sign_in(client):
    page = await client.get("/clubs/new")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fclubs%2Fnew"
    response = await helpers.post(client, "/clubs/new", VALID)
    assert response.status_code == 303
    assert await Club.count() == 0


async def test_create_club_makes_creator_organizer(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    form = await client.get("/clubs/new")
    assert form.status_code == 200
    assert '<option value="UTC" selected>UTC</option>' in form.text

    response = await helpers.post(client, "/clubs/new", VALID)

    assert response.status_code == 303
    assert response.headers["location"] == "/clubs/sober-sluggers"
    club = await Club.select().where(Club.slug == "sober-sluggers").first()
    assert club["activities"] == "softball,baseball"
    assert club["timezone"] == "America/Chicago"
    assert await role_of(member, club["id"]) == Role.organizer.value
    page = await client.get("/clubs/sober-sluggers")
    assert "<strong>softball</strong>" in page.text
    assert "<script>" not in page.text
    assert "Organized by Riley" in page.text
    assert 'href="/clubs/sober-sluggers/edit"' in page.text


async def test_slug_defaults_to_the_name(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    response = await helpers.post(client, "/clubs/new", {**VALID, "slug": "", "name": "Peak Pals!"})
    assert response.headers["location"] == "/clubs/peak-pals"


async def test_duplicate_slug_shows_the_form_with_a_suggestion(client):
    member = await helpers.make_member()
    await helpers.make_club("sober-sluggers", "Other")
    await helpers.login(client, member)
    response = await helpers.post(client, "/clubs/new", VALID)
    assert response.status_code == 422
    assert "is taken" in response.text
    assert "sober-sluggers-2" in response.text
    soup = BeautifulSoup(response.text, "html.parser")
    assert soup.select_one("#name")["value"] == "Sober Sluggers"
    assert await Club.count() == 1
    again = await helpers.post(client, "/clubs/new", {**VALID, "slug": "sober-sluggers-2"})
    assert again.status_code == 303


async def test_bad_club_form_input_is_422_with_reasons(client):
    member = await helpers.make_member()
    await helpers.login(client, member)
    response = await helpers.post(
        client,
        "/clubs/new",
        {
            **VALID,
            "name": " ",
            "slug": "Bad Slug!",
            "kind": "cult",
            "timezone": "Mars/Olympus",
            "description": "x" * 10_001,
        },
    )
    assert response.status_code == 422
    text = response.text
    assert "Give the club a name." in text
    assert "lower-case letters" in text
    assert "Choose what kind of group" in text
    assert "Choose a time zone" in text
    assert "10,000 characters" in text
    reserved = await helpers.post(client, "/clubs/new", {**VALID, "slug": "new"})
    assert reserved.status_code == 422
    assert await Club.count() == 0


async def test_only_organizers_of_that_club_can_edit(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    other_org = await helpers.make_member("other@example.org", "Pat")
    await helpers.make_club("other-club", "Other Club", organizer=other_org)
    plain_member = await helpers.make_member("m@example.org", "Mo")
    await Membership.insert(Membership(member=plain_member, club=club))

    anonymous = await other_client.get("/clubs/trail-club/edit")
    assert anonymous.status_code == 303

    for intruder in (other_org, plain_member):
        await helpers.login(other_client, intruder)
        assert (await other_client.get("/clubs/trail-club/edit")).status_code == 403
        post = await helpers.post(
            other_client, "/clubs/trail-club/edit", {**VALID, "name": "Hijacked"}
        )
        assert post.status_code == 403
    assert (await Club.select(Club.name).where(Club.id == club).first())["name"] == "Trail Club"

    await helpers.login(client, organizer)
    form = await client.get("/clubs/trail-club/edit")
    assert form.status_code == 200
    assert 'id="slug"' not in form.text  # the address is fixed once created
    response = await helpers.post(
        client,
        "/clubs/trail-club/edit",
        {**VALID, "name": "Trailheads", "slug": "ignored", "welcome_message": "Hi there"},
    )
    assert response.status_code == 303
    row = await Club.select().where(Club.id == club).first()
    assert (row["name"], row["slug"], row["welcome_message"]) == (
        "Trailheads",
        "trail-club",
        "Hi there",
    )

    bad = await helpers.post(client, "/clubs/trail-club/edit", {**VALID, "timezone": "Nowhere"})
    assert bad.status_code == 422
    assert "Choose a time zone" in bad.text


async def team_setup() -> tuple[int, int, int]:
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    member = await helpers.make_member("m@example.org", "Mo")
    await Membership.insert(Membership(member=member, club=club))
    return organizer, club, member


async def test_team_page_and_actions_are_for_this_clubs_organizers(client, other_client):
    organizer, club, member = await team_setup()
    other_org = await helpers.make_member("other@example.org", "Pat")
    await helpers.make_club("other-club", "Other Club", organizer=other_org)

    for intruder in (member, other_org):
        await helpers.login(other_client, intruder)
        assert (await other_client.get("/clubs/trail-club/team")).status_code == 403
        for action in ("promote", "step-down", "remove"):
            response = await helpers.post(other_client, f"/clubs/trail-club/team/{member}/{action}")
            assert response.status_code == 403
    assert await role_of(member, club) == Role.member.value

    await helpers.login(client, organizer)
    page = await client.get("/clubs/trail-club/team")
    assert page.status_code == 200
    assert "Mo" in page.text and "Make co-organizer" in page.text


async def test_promote_then_step_down_hands_over(client):
    organizer, club, member = await team_setup()
    await helpers.login(client, organizer)

    refused = await helpers.post(client, f"/clubs/trail-club/team/{organizer}/step-down")
    assert refused.status_code == 409
    assert "at least one organizer" in refused.text
    assert await role_of(organizer, club) == Role.organizer.value

    promoted = await helpers.post(client, f"/clubs/trail-club/team/{member}/promote")
    assert promoted.status_code == 303
    assert await role_of(member, club) == Role.organizer.value

    stepped = await helpers.post(client, f"/clubs/trail-club/team/{organizer}/step-down")
    assert stepped.status_code == 303
    assert stepped.headers["location"] == "/clubs/trail-club"
    assert await role_of(organizer, club) == Role.member.value
    # No longer an organizer: the team page is closed now.
    assert (await client.get("/clubs/trail-club/team")).status_code == 403


async def test_remove_and_block_a_member(client, other_client):
    organizer, club, member = await team_setup()
    await helpers.login(client, organizer)

    removed = await helpers.post(client, f"/clubs/trail-club/team/{member}/remove")
    assert removed.status_code == 303
    assert await role_of(member, club) is None

    await Membership.insert(Membership(member=member, club=club))
    blocked = await helpers.post(client, f"/clubs/trail-club/team/{member}/remove", {"block": "1"})
    assert blocked.status_code == 303
    await helpers.login(other_client, member)
    rejoin = await helpers.post(other_client, "/clubs/trail-club/join")
    assert rejoin.status_code == 403

    missing = await helpers.post(client, "/clubs/trail-club/team/999999/promote")
    assert missing.status_code == 404


async def test_cannot_remove_the_last_organizer_but_can_remove_a_co_organizer(client):
    organizer, club, member = await team_setup()
    await Membership.update({Membership.role: Role.organizer.value}).where(
        Membership.member == member
    )
    await helpers.login(client, organizer)
    response = await helpers.post(client, f"/clubs/trail-club/team/{member}/remove")
    assert response.status_code == 303
    assert await role_of(member, club) is None
    # The one organizer left cannot be demoted by anyone.
    again = await helpers.post(client, f"/clubs/trail-club/team/{organizer}/step-down")
    assert again.status_code == 409
