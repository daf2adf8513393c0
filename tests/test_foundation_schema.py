"""Migrations produce exactly the schema the tables describe, on whichever database runs."""

import pytest
from piccolo.constraints import Unique
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine

from events.db import is_unique_violation
from events.tables import (
    ALL_TABLES,
    Membership,
    RoleSignup,
    Rsvp,
    VolunteerRole,
    WelcomeNote,
)
from tests import helpers

UNIQUE_PAIRS = [
    (table, constraint)
    for table in ALL_TABLES
    for constraint in table._meta.constraints
    if isinstance(constraint, Unique)
]

PG_UNIQUE_INDEXES = """
SELECT i.relname AS name, array_agg(a.attname::text ORDER BY k.ord) AS columns
FROM pg_index x
JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_class i ON i.oid = x.indexrelid
CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ord)
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE t.relname = {} AND x.indisunique AND NOT x.indisprimary
GROUP BY i.relname
"""


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


async def unique_indexes(table) -> dict[str, list[str]]:
    """name → columns of each unique index (or unique constraint) of `table` in the database."""
    name = table._meta.tablename
    if isinstance(engine_finder(), PostgresEngine):
        rows = await table.raw(PG_UNIQUE_INDEXES, name)
        return {r["name"]: list(r["columns"]) for r in rows}
    found = {}
    for index in await table.raw(f"PRAGMA index_list({name})"):
        if index["unique"] and index["origin"] != "pk":
            info = await table.raw(f"PRAGMA index_info({index['name']})")
            found[index["name"]] = [c["name"] for c in sorted(info, key=lambda c: c["seqno"])]
    return found


def test_the_unique_pairs_are_declared_on_the_tables():
    declared = {c._meta.name: (t._meta.tablename, c.get_column_names()) for t, c in UNIQUE_PAIRS}
    assert declared == {
        "membership_member_club": ("membership", ["member", "club"]),
        "rsvp_event_member": ("rsvp", ["event", "member"]),
        "welcome_note_once": ("welcome_note", ["club", "author", "newcomer"]),
        "role_signup_once": ("role_signup", ["role", "member"]),
    }


@pytest.mark.parametrize("pair", UNIQUE_PAIRS, ids=lambda p: p[1]._meta.name)
async def test_the_migrated_database_has_each_declared_unique_pair(pair):
    table, constraint = pair
    indexes = await unique_indexes(table)
    assert indexes.get(constraint._meta.name) == constraint.get_column_names()


async def test_one_welcome_note_per_author_newcomer_and_club():
    author = await helpers.make_member()
    newcomer = await helpers.make_member(email="new@example.org")
    club = await helpers.make_club()
    note = {"club": club, "author": author, "newcomer": newcomer, "message": "Welcome!"}
    await WelcomeNote.insert(WelcomeNote(**note))
    with pytest.raises(Exception) as error:
        await WelcomeNote.insert(WelcomeNote(**note))
    assert is_unique_violation(error.value)


async def test_one_signup_per_member_and_volunteer_role():
    member = await helpers.make_member()
    event = await helpers.make_event(await helpers.make_club())
    role = (await VolunteerRole.insert(VolunteerRole(event=event, name="Greeter")))[0]["id"]
    await RoleSignup.insert(RoleSignup(role=role, member=member))
    with pytest.raises(Exception) as error:
        await RoleSignup.insert(RoleSignup(role=role, member=member))
    assert is_unique_violation(error.value)
