"""The RSVP service: capacity, waitlist order, promotion, guests, outbox rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.db import write_transaction
from events.services import rsvps
from events.tables import Event, Outbox, Rsvp
from events.timefmt import utcnow
from tests import helpers


async def members(count: int) -> list[int]:
    return [await helpers.make_member(f"m{i}@example.org", f"Member {i}") for i in range(count)]


async def status_of(event_id: int, member_id: int) -> str | None:
    row = (
        await Rsvp.select(Rsvp.status)
        .where((Rsvp.event == event_id) & (Rsvp.member == member_id))
        .first()
    )
    return row["status"] if row else None


async def taken(event_id: int) -> int:
    row = await Event.select(Event.taken).where(Event.id == event_id).first()
    return int(row["taken"])


async def outbox_rows(member_id: int) -> list[dict]:
    return (
        await Outbox.select(Outbox.kind, Outbox.payload)
        .where(Outbox.recipient == member_id)
        .order_by(Outbox.id)
    )


async def test_full_event_waitlists_and_cancel_promotes_first_in_line():
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=2)
    a, b, c, d = await members(4)
    for m in (a, b, c, d):
        await rsvps.respond(event, m, "yes")
    assert [await status_of(event, m) for m in (a, b, c, d)] == [
        "going",
        "going",
        "waitlisted",
        "waitlisted",
    ]
    assert await rsvps.waitlist_position(event, d) == 2
    outcome = await rsvps.respond(event, a, "no")
    assert outcome.promoted == [c]
    assert await status_of(event, c) == "going"
    assert await rsvps.waitlist_position(event, d) == 1
    assert await taken(event) == 2
    assert [r["kind"] for r in await outbox_rows(a)] == ["invite", "cancel"]
    kinds = [(r["kind"], r["payload"]) for r in await outbox_rows(c)]
    assert [k for k, _ in kinds] == ["invite", "invite"]
    assert "TENTATIVE" in kinds[0][1] and "ACCEPTED" in kinds[1][1]


async def test_guests_that_do_not_fit_wait_and_first_who_fits_goes():
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=3, guests_allowed=3)
    a, b, c = await members(3)
    assert (await rsvps.respond(event, a, "yes", guests=1)).status == "going"
    # Needs 4 places, only 1 left: waits.
    assert (await rsvps.respond(event, b, "yes", guests=3)).status == "waitlisted"
    # Fits in the last place even though b is ahead: b's party does not fit.
    assert (await rsvps.respond(event, c, "yes")).status == "going"
    assert await taken(event) == 3
    # a leaves (2 places free): b needs 4, still waits.
    assert (await rsvps.respond(event, a, "no")).promoted == []
    assert await status_of(event, b) == "waitlisted"
    # b brings fewer guests: now fits and is promoted.
    outcome = await rsvps.respond(event, b, "yes", guests=1)
    assert outcome.status == "going"
    assert await taken(event) == 3


async def test_yes_no_yes_goes_to_back_of_line():
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=1)
    a, b, c = await members(3)
    for m in (a, b, c):
        await rsvps.respond(event, m, "yes")
    await rsvps.respond(event, b, "no")
    await rsvps.respond(event, b, "yes")
    assert await rsvps.waitlist_position(event, c) == 1
    assert await rsvps.waitlist_position(event, b) == 2


async def test_raised_capacity_fills_from_waitlist_in_order():
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=1)
    a, b, c, d = await members(4)
    for m in (a, b, c, d):
        await rsvps.respond(event, m, "yes")
    async with write_transaction():
        await Event.update({Event.capacity: 3}).where(Event.id == event)
        promoted = await rsvps.fill_from_waitlist(event)
    assert promoted == [b, c]
    assert await taken(event) == 3
    assert await status_of(event, d) == "waitlisted"


async def test_repeated_answer_changes_nothing():
    club = await helpers.make_club()
    event = await helpers.make_event(club)
    (a,) = await members(1)
    first = await rsvps.respond(event, a, "yes")
    again = await rsvps.respond(event, a, "yes")
    assert (first.changed, again.changed) == (True, False)
    assert await Rsvp.count().where(Rsvp.event == event) == 1
    assert len(await outbox_rows(a)) == 1
    # A real later change writes a new row.
    await rsvps.respond(event, a, "no")
    await rsvps.respond(event, a, "yes")
    assert [r["kind"] for r in await outbox_rows(a)] == ["invite", "cancel", "invite"]


async def test_more_guests_than_fit_keeps_the_place():
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=2, guests_allowed=2)
    a, b = await members(2)
    await rsvps.respond(event, a, "yes")
    await rsvps.respond(event, b, "yes")
    with pytest.raises(rsvps.RsvpRefused, match="still going"):
        await rsvps.respond(event, a, "yes", guests=2)
    assert await status_of(event, a) == "going"
    assert await taken(event) == 2


@pytest.mark.parametrize(
    ("fields", "response", "message"),
    [
        ({"status": "cancelled"}, "yes", "cancelled"),
        ({"starts_at": utcnow() - timedelta(hours=1)}, "yes", "started"),
        ({"rsvp_deadline": utcnow() - timedelta(minutes=1)}, "yes", "deadline"),
        ({"guests_allowed": 1}, "yes", "up to 1 guest"),
    ],
)
async def test_rules_refuse(fields, response, message):
    club = await helpers.make_club()
    event = await helpers.make_event(club, **fields)
    (a,) = await members(1)
    with pytest.raises(rsvps.RsvpRefused, match=message):
        await rsvps.respond(event, a, response, guests=2)
    assert await Rsvp.count() == 0


async def test_no_after_deadline_still_frees_the_place():
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=1)
    a, b = await members(2)
    await rsvps.respond(event, a, "yes")
    await rsvps.respond(event, b, "yes")
    await Event.update({Event.rsvp_deadline: utcnow() - timedelta(minutes=1)}).where(
        Event.id == event
    )
    assert (await rsvps.respond(event, a, "no")).promoted == [b]
