"""Who sees who is going: counts for everyone; for people going, fellow attendees as each
chose (display name, initials, or nothing); never emails."""

from bs4 import BeautifulSoup

from events.db import write_transaction
from events.services.attendees import initials
from events.tables import Rsvp
from tests import helpers
from tests.helpers import post


def also_going(html: str) -> str | None:
    heading = BeautifulSoup(html, "html.parser").find(id="fellows-heading")
    return heading.find_parent("section").get_text(" ", strip=True) if heading else None


async def going_event():
    organizer = await helpers.make_member("org@example.org", "Organizer")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, capacity=10, taken=3)
    people = {}
    for email, name, visibility in (
        ("ash@example.org", "Ash Moreno", "name"),
        ("bo@example.org", "Bo Chen", "initials"),
        ("cy@example.org", "Cy Private", "hidden"),
    ):
        people[name] = await helpers.make_member(email, name)
        async with write_transaction():
            await Rsvp.insert(
                Rsvp(event=event, member=people[name], status="going", visibility=visibility)
            )
    return event, people


def test_initials():
    assert initials("Jordan Q") == "J.Q."
    assert initials("alex") == "A."
    assert initials("  ") == "?"


async def test_people_going_see_each_other_as_each_chose(client):
    event, people = await going_event()
    await helpers.login(client, people["Ash Moreno"])
    text = also_going((await client.get(f"/events/{event}")).text)
    assert text is not None
    assert "B.C." in text and "1 other" in text
    assert "Bo Chen" not in text and "Cy Private" not in text and "Ash Moreno" not in text
    assert "@" not in text


async def test_visitors_and_people_not_going_see_counts_only(client, other_client):
    event, _ = await going_event()
    anonymous = await other_client.get(f"/events/{event}")
    assert also_going(anonymous.text) is None
    assert "3 going" in anonymous.text
    for name in ("Ash Moreno", "Bo Chen", "Cy Private", "A.M.", "B.C."):
        assert name not in anonymous.text
    outsider = await helpers.make_member("dee@example.org", "Dee")
    await helpers.login(client, outsider)
    assert also_going((await client.get(f"/events/{event}")).text) is None


async def test_a_member_changes_what_others_see_from_the_panel(client, other_client):
    event, people = await going_event()
    await helpers.login(client, people["Bo Chen"])
    response = await post(
        client, f"/events/{event}/rsvp", {"response": "yes", "visibility": "name"}, htmx=True
    )
    assert response.status_code == 200
    row = (
        await Rsvp.select(Rsvp.visibility, Rsvp.status)
        .where((Rsvp.event == event) & (Rsvp.member == people["Bo Chen"]))
        .first()
    )
    assert row == {"visibility": "name", "status": "going"}
    await helpers.login(other_client, people["Ash Moreno"])
    assert "Bo Chen" in also_going((await other_client.get(f"/events/{event}")).text)


async def test_a_new_rsvp_takes_the_profile_default(client):
    event, _ = await going_event()
    newcomer = await helpers.make_member("eve@example.org", "Eve", default_visibility="hidden")
    await helpers.login(client, newcomer)
    await post(client, f"/events/{event}/rsvp", {"response": "yes"})
    row = await Rsvp.select(Rsvp.visibility).where(Rsvp.member == newcomer).first()
    assert row["visibility"] == "hidden"


async def test_a_first_rsvp_with_a_visibility_choice_keeps_it(client):
    event, _ = await going_event()
    member = await helpers.make_member("fay@example.org", "Fay")
    await helpers.login(client, member)
    response = await post(
        client, f"/events/{event}/rsvp", {"response": "yes", "visibility": "name"}
    )
    assert response.status_code == 303
    row = await Rsvp.select(Rsvp.visibility, Rsvp.status).where(Rsvp.member == member).first()
    assert row == {"visibility": "name", "status": "going"}
