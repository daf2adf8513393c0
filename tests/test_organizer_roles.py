"""Volunteer roles: organizers add them, going members take free spots, full roles refuse,
greeters see who is new."""

from __future__ import annotations

import asyncio

from bs4 import BeautifulSoup

from events.services import events_admin
from events.tables import RoleSignup, Rsvp, RsvpStatus, Visibility, VolunteerRole
from tests import helpers


async def setup(client) -> tuple[int, int]:
    organizer = await helpers.make_member("org@example.org", "Sam")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club)
    await helpers.login(client, organizer)
    return club, event


async def member_going(event: int, name: str, **fields) -> int:
    member = await helpers.make_member(f"{name.lower()}@example.org", name)
    await Rsvp.insert(Rsvp(event=event, member=member, status=RsvpStatus.going.value, **fields))
    return member


async def test_organizer_adds_and_removes_roles(client) -> None:
    _, event = await setup(client)
    response = await helpers.post(
        client, f"/events/{event}/roles", {"name": "Greeter", "spots": "2"}
    )
    assert response.status_code == 303
    role = await VolunteerRole.select().first()
    assert role["name"] == "Greeter" and role["spots"] == 2
    bad = await helpers.post(client, f"/events/{event}/roles", {"name": "", "spots": "0"})
    assert bad.status_code == 422
    assert "Name the role" in bad.text
    page = await client.get(f"/events/{event}")
    assert "Give back: volunteer roles" in page.text and "2 of 2 spots free" in page.text
    removed = await helpers.post(client, f"/events/{event}/roles/{role['id']}/remove")
    assert removed.status_code == 303
    assert await VolunteerRole.count() == 0


async def test_roles_fill_and_refuse_when_full(client, other_client) -> None:
    _, event = await setup(client)
    role_id = await events_admin.add_role(event, "Carpool driver", 1)
    ash = await member_going(event, "Ash")
    await helpers.login(other_client, ash)
    taken = await helpers.post(other_client, f"/events/{event}/roles/{role_id}/take")
    assert taken.status_code == 303
    page = await other_client.get(f"/events/{event}")
    assert "You're on it" in page.text
    bo = await member_going(event, "Bo")
    await helpers.login(other_client, bo)
    refused = await helpers.post(other_client, f"/events/{event}/roles/{role_id}/take")
    assert refused.status_code == 409
    assert "that role is full" in refused.text
    assert await RoleSignup.count() == 1
    # The organizer sees who holds it.
    organizer_page = BeautifulSoup((await client.get(f"/events/{event}")).text, "html.parser")
    assert "Ash" in organizer_page.select_one("#roles").text
    attendees = await client.get(f"/events/{event}/attendees")
    assert "Carpool driver" in attendees.text and "Ash" in attendees.text
    # Ash gives it up; now Bo can take it.
    await helpers.login(other_client, ash)
    await helpers.post(other_client, f"/events/{event}/roles/{role_id}/leave")
    await helpers.login(other_client, bo)
    assert (
        await helpers.post(other_client, f"/events/{event}/roles/{role_id}/take")
    ).status_code == 303
    holders = await RoleSignup.select(RoleSignup.member)
    assert [h["member"] for h in holders] == [bo]


async def test_only_going_members_take_roles(other_client) -> None:
    club = await helpers.make_club()
    event = await helpers.make_event(club)
    role_id = await events_admin.add_role(event, "Coffee", 3)
    member = await helpers.make_member("maybe@example.org", "Maybe")
    await helpers.login(other_client, member)
    response = await helpers.post(other_client, f"/events/{event}/roles/{role_id}/take")
    assert response.status_code == 403
    assert await RoleSignup.count() == 0


async def test_role_of_another_event_is_not_found(client) -> None:
    club, event = await setup(client)
    other_event = await helpers.make_event(club, title="Other")
    role_id = await events_admin.add_role(other_event, "Sweep", 1)
    await member_going(event, "Ash")
    assert (
        await helpers.post(client, f"/events/{event}/roles/{role_id}/remove")
    ).status_code == 404


async def test_concurrent_takers_never_overfill() -> None:
    club = await helpers.make_club()
    event = await helpers.make_event(club)
    role_id = await events_admin.add_role(event, "Hike sweep", 2)
    members = [await member_going(event, f"M{i}") for i in range(6)]
    results = await asyncio.gather(*(events_admin.take_role(event, role_id, m) for m in members))
    assert results.count(events_admin.TakeResult.taken) == 2
    assert results.count(events_admin.TakeResult.full) == 4
    assert await RoleSignup.count() == 2


async def test_greeter_sees_who_is_new(client, other_client) -> None:
    _, event = await setup(client)
    role_id = await events_admin.add_role(event, "Greeter at the trailhead", 1)
    greeter = await member_going(event, "Grace")
    await member_going(event, "Newbie", first_time=True, visibility=Visibility.name.value)
    await member_going(event, "Quiet Person", first_time=True, visibility="initials")
    await member_going(event, "Hidden", first_time=True, visibility=Visibility.hidden.value)
    await member_going(event, "Regular")
    await helpers.login(other_client, greeter)
    before = await other_client.get(f"/events/{event}")
    assert "New faces to welcome" not in before.text
    await helpers.post(other_client, f"/events/{event}/roles/{role_id}/take")
    page = BeautifulSoup((await other_client.get(f"/events/{event}")).text, "html.parser")
    welcome = page.select_one(".newcomers").text
    assert "Newbie" in welcome and "Q.P." in welcome and "Quiet Person" not in welcome
    assert "1 more who prefer" in welcome
    assert "Regular" not in welcome and "Hidden" not in welcome
    # Organizers, who see the attendee list anyway, see the newcomers' names.
    organizer_view = BeautifulSoup((await client.get(f"/events/{event}")).text, "html.parser")
    newcomers = organizer_view.select_one(".newcomers").text
    assert "Quiet Person" in newcomers and "Hidden" in newcomers and "Regular" not in newcomers
