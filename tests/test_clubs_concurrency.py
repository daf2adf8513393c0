"""Membership rules under concurrent requests: double joins write one row and one welcome,
two organizers stepping down at once leave the club one organizer."""

from __future__ import annotations

import asyncio

import pytest

from events.services import clubs
from events.tables import Membership, Outbox, Role
from tests import helpers


async def test_simultaneous_joins_make_one_membership_and_one_welcome():
    club = await helpers.make_club()
    member = await helpers.make_member()
    results = await asyncio.gather(*(clubs.join(member, club) for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]
    assert await Membership.count().where(Membership.member == member) == 1
    assert await Outbox.count().where(Outbox.kind == "welcome") == 1


async def test_two_organizers_stepping_down_at_once_keep_one():
    first = await helpers.make_member("a@example.org", "A")
    second = await helpers.make_member("b@example.org", "B")
    club = await helpers.make_club(organizer=first)
    await Membership.insert(Membership(member=second, club=club, role=Role.organizer.value))

    results = await asyncio.gather(
        clubs.step_down(first, club, first),
        clubs.step_down(second, club, second),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, clubs.ClubError)]
    assert len(refused) == 1 and refused[0].status == 409
    assert [r for r in results if isinstance(r, BaseException) and r not in refused] == []
    organizers = await Membership.count().where(
        (Membership.club == club) & (Membership.role == Role.organizer.value)
    )
    assert organizers == 1


@pytest.mark.parametrize("action", ["leave", "remove"])
async def test_last_organizer_protection_holds_under_races(action):
    first = await helpers.make_member("a@example.org", "A")
    second = await helpers.make_member("b@example.org", "B")
    club = await helpers.make_club(organizer=first)
    await Membership.insert(Membership(member=second, club=club, role=Role.organizer.value))
    if action == "leave":
        calls = [clubs.leave(first, club), clubs.leave(second, club)]
    else:
        calls = [clubs.remove(first, club, second), clubs.remove(second, club, first)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert sum(isinstance(r, clubs.ClubError) for r in results) == 1
    organizers = await Membership.count().where(
        (Membership.club == club) & (Membership.role == Role.organizer.value)
    )
    assert organizers == 1
