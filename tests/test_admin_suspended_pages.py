"""A suspended club (#16 item 8) is gone for everyone but stewards: its page, its event pages
and their downloads answer 404 (also to its own organizers and members, and from the page
cache that held them before), and RSVPs to its events are refused without writing anything."""

from __future__ import annotations

from events.services import rsvps
from events.tables import Member, Membership, Outbox, Role, Rsvp
from tests import helpers
from tests.helpers import post


async def test_suspended_club_pages_answer_404_except_to_stewards(client, other_client) -> None:
    steward = await helpers.make_member("sage@example.org", "Sage", steward=True)
    organizer = await helpers.make_member("org@example.org", "Org")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, "Ridge walk")
    member = await helpers.make_member("riley@example.org", "Riley")
    await Membership.insert(Membership(member=member, club=club, role=Role.member.value))
    await rsvps.respond(event, member, "yes")
    paths = ("/clubs/trail-club", f"/events/{event}", f"/events/{event}.ics")
    for path in paths:  # shown (and kept by the page cache) before
        assert (await other_client.get(path)).status_code == 200, path

    await helpers.login(client, steward)
    done = await post(client, f"/admin/clubs/{club}/suspend", {"reason": "Selling supplements"})
    assert done.status_code == 303
    for who in (None, member, organizer):
        if who is not None:
            await helpers.login(other_client, who)
        for path in paths:
            response = await other_client.get(path)
            assert response.status_code == 404, (who, path)
            assert "Ridge walk" not in response.text and "Trail Club" not in response.text
        # The club's own forms are gone too (join, the organizer's event form).
        assert (await post(other_client, "/clubs/trail-club/join")).status_code == 404
        if who is not None:
            assert (await other_client.get("/clubs/trail-club/events/new")).status_code == 404
            assert (await other_client.get(f"/events/{event}/edit")).status_code == 404
    # Stewards still see what they act on.
    assert (await client.get("/clubs/trail-club")).status_code == 200
    assert "Ridge walk" in (await client.get(f"/events/{event}")).text


async def test_rsvps_to_a_suspended_clubs_events_are_refused(client) -> None:
    steward = await helpers.make_member("sage@example.org", "Sage", steward=True)
    club = await helpers.make_club()
    event = await helpers.make_event(club, "Ridge walk", capacity=5)
    member = await helpers.make_member("riley@example.org", "Riley")
    await helpers.login(client, steward)
    await post(client, f"/admin/clubs/{club}/suspend", {"reason": "Selling supplements"})
    outbox_before = await Outbox.count()

    await helpers.login(client, member)
    for htmx in (False, True):
        response = await post(client, f"/events/{event}/rsvp", {"response": "yes"}, htmx=htmx)
        assert response.status_code == 404
    try:
        await rsvps.respond(event, member, "yes")
    except rsvps.RsvpRefused as refused:
        assert refused.status_code == 404
    else:
        raise AssertionError("the service took an RSVP to a suspended club's event")
    assert await Rsvp.count() == 0 and await Outbox.count() == outbox_before
    assert await Member.exists().where(Member.id == member)
