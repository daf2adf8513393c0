"""Migrations produce exactly the schema the tables describe, on whichever database runs."""

import pytest

from events.db import is_unique_violation
from events.tables import ALL_TABLES, Membership, Rsvp
from tests import helpers


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t._meta.tablename)
async def test_every_column_exists_after_migrations(table):
    assert await table.table_exists()
    # Selecting every declared column fails if a migration forgot one.
    await table.select(*table._meta.columns).limit(1)


async def test_one_rsvp_per_member_and_event():
    member = await helpers.make_member()
    club = await helpers.make_club()
    event = await helpers.make_event(club)
    await Rsvp.insert(Rsvp(event=event, member=member))
    with pytest.raises(Exception) as error:
        await Rsvp.insert(Rsvp(event=event, member=member))
    assert is_unique_violation(error.value)


async def test_one_membership_per_member_and_club():
    member = await helpers.make_member()
    club = await helpers.make_club()
    await Membership.insert(Membership(member=member, club=club))
    with pytest.raises(Exception) as error:
        await Membership.insert(Membership(member=member, club=club))
    assert is_unique_violation(error.value)


async def test_times_come_back_in_utc():
    from datetime import UTC, datetime

    from events.tables import Event

    club = await helpers.make_club()
    start = datetime(2027, 7, 3, 13, 0, tzinfo=UTC)
    event = await helpers.make_event(club, starts_at=start)
    row = await Event.select(Event.starts_at).where(Event.id == event).first()
    assert row["starts_at"] == start
    assert row["starts_at"].utcoffset().total_seconds() == 0
