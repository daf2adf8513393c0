"""What a page or an RSVP costs in SQL statements (issue 13): a small constant, whatever the
number of events, members, RSVPs, roles, messages or notes. Counted on real requests, with the
session lookup (events.auth) counted apart from the page's own statements."""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta

from bs4 import BeautifulSoup
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine
from piccolo_api.session_auth.tables import SessionsBase

from events.auth import SESSION_COOKIE, SESSION_IDLE, SESSION_MAX
from events.services import pages, rsvps
from events.tables import (
    Event,
    EventMessage,
    Member,
    Membership,
    Outbox,
    RoleSignup,
    Rsvp,
    VolunteerRole,
    WelcomeNote,
)
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import post
from tests.sql_count import count_statements, describe


def own(statements: list[str]) -> list[str]:
    """Without the session lookup's statements (events.auth: its sessions table)."""
    return [s for s in statements if "sessions" not in s]


def is_postgres() -> bool:
    return isinstance(engine_finder(), PostgresEngine)


async def add_people(club: int, event: int, count: int, start: int) -> list[int]:
    """`count` more members of the club, going to the event (half of them first-timers who
    joined last week and would like a welcome)."""
    if not count:
        return []
    rows = await Member.insert(
        *[
            Member(
                email=f"p{start + i}@example.org",
                display_name=f"Person {start + i}",
                password_hash="!",
                email_confirmed=True,
            )
            for i in range(count)
        ]
    ).returning(Member.id)
    ids = [int(r["id"]) for r in rows]
    now = utcnow()
    await Membership.insert(
        *[
            Membership(
                member=m,
                club=club,
                joined_at=now - timedelta(days=3 if i % 2 else 40),
                greetable=True,
            )
            for i, m in enumerate(ids)
        ]
    )
    await Rsvp.insert(
        *[
            Rsvp(event=event, member=m, status="going", visibility="name", first_time=bool(i % 2))
            for i, m in enumerate(ids)
        ]
    )
    await Event.update({Event.taken: Event.taken + count}).where(Event.id == event)
    return ids


async def add_club_events(club: int, count: int) -> None:
    if not count:
        return
    start = utcnow() + timedelta(days=5)
    await Event.insert(
        *[
            Event(
                club=club,
                title=f"Walk {i}",
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i + 1),
            )
            for i in range(count)
        ]
    )


async def add_roles_and_messages(event: int, viewer: int, people: list[int], count: int) -> None:
    if not count:
        return
    roles = await VolunteerRole.insert(
        *[VolunteerRole(event=event, name=f"Carpool {i}", spots=3) for i in range(count)]
    ).returning(VolunteerRole.id)
    await RoleSignup.insert(
        *[RoleSignup(role=int(r["id"]), member=m) for r in roles for m in people[:2]]
    )
    messages = await EventMessage.insert(
        *[EventMessage(event=event, subject=f"Note {i}", body="See you") for i in range(count)]
    ).returning(EventMessage.id)
    await Outbox.insert(
        *[
            Outbox(
                kind="message",
                dedupe_key=f"message:{int(m['id'])}:{viewer}",
                recipient=viewer,
                event=event,
            )
            for m in messages
        ]
    )


async def add_notes(club: int, newcomer: int, authors: list[int]) -> None:
    if not authors:
        return
    await WelcomeNote.insert(
        *[WelcomeNote(club=club, author=a, newcomer=newcomer, message="Welcome!") for a in authors]
    )


async def setup() -> dict[str, int]:
    organizer = await helpers.make_member("org@example.org", "Sam Organizer")
    viewer = await helpers.make_member("viewer@example.org", "Riley")
    club = await helpers.make_club(organizer=organizer)
    await Membership.insert(
        Membership(member=viewer, club=club, joined_at=utcnow() - timedelta(days=20))
    )
    event = await helpers.make_event(club, "Saturday hike", details_for_attendees_only=True)
    await rsvps.respond(event, viewer, "yes")
    greeter = await VolunteerRole.insert(
        VolunteerRole(event=event, name="Greeter", spots=2)
    ).returning(VolunteerRole.id)
    await RoleSignup.insert(RoleSignup(role=int(greeter[0]["id"]), member=viewer))
    return {"organizer": organizer, "viewer": viewer, "club": club, "event": event}


async def login(client, member_id: int) -> None:
    """A session as events.auth.start_session makes it (14 days idle), so the lookup does not
    also extend it, which it does at most once a day."""
    session = await SessionsBase.create_session(
        user_id=member_id,
        expiry_date=datetime.now() + SESSION_IDLE,
        max_expiry_date=datetime.now() + SESSION_MAX,
    )
    client.cookies.set(SESSION_COOKIE, session.token)


async def count_get(client, url: str) -> list[str]:
    with count_statements() as statements:
        response = await client.get(url)
    assert response.status_code == 200, response.text
    return statements


async def test_event_page_statements_stay_few_as_the_event_fills(client, other_client):
    ids = await setup()
    url = f"/events/{ids['event']}"
    await login(client, ids["viewer"])
    await login(other_client, ids["organizer"])
    people = await add_people(ids["club"], ids["event"], 3, 0)
    await add_roles_and_messages(ids["event"], ids["viewer"], people, 1)

    counts = []
    for grow in (0, 40):
        people += await add_people(ids["club"], ids["event"], grow, len(people))
        await add_roles_and_messages(ids["event"], ids["viewer"], people, grow // 10)
        member = await count_get(client, url)
        organizer = await count_get(other_client, url)
        with count_statements() as anonymous:
            await pages.event_page(ids["event"], None)
        counts.append((len(own(member)), len(own(organizer)), len(anonymous)))
        # The whole signed-in request, session lookup included (2 statements today).
        assert len(member) <= 4, describe(member)
        assert len(organizer) <= 4, describe(organizer)

    assert counts[0] == counts[1], counts
    assert counts[0] == (2, 2, 2), counts

    # Every panel the counts cover was really there: the viewer is going and greets.
    page = BeautifulSoup((await client.get(url)).text, "html.parser")
    assert "Also going" in page.text and "Person 42" in page.text
    assert "New faces to welcome" in page.text and "Person 41" in page.text
    assert "Messages from the organizers" in page.text and "Note 3" in page.text
    assert len(page.select(".role-list > li")) == 6  # the greeter and 5 carpools
    assert page.select_one("#rsvp-panel .success-text").get_text() == "You're going"


async def test_anonymous_event_page_is_one_statement_without_roles(client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=5)
    with count_statements() as statements:
        page = await pages.event_page(event, None)
    assert page is not None and page.rsvp.places_left == 5
    assert len(statements) == 1, describe(statements)
    # No such event: one statement, no page.
    with count_statements() as statements:
        assert await pages.event_page(event + 1, None) is None
    assert len(statements) == 1


async def test_club_page_statements_stay_few_as_the_club_grows(client, other_client):
    ids = await setup()
    url = "/clubs/trail-club"
    await login(client, ids["viewer"])
    await login(other_client, ids["organizer"])
    people: list[int] = []
    counts = []
    for grow in (4, 40):
        people += await add_people(ids["club"], ids["event"], grow, len(people))
        await add_club_events(ids["club"], grow)
        await add_notes(ids["club"], people[1], [ids["viewer"]] if grow == 4 else [])
        member = await count_get(client, url)
        organizer = await count_get(other_client, url)
        with count_statements() as anonymous:
            await pages.club_page(helpers.TOKENS, "trail-club", None)
        counts.append((len(own(member)), len(own(organizer)), len(anonymous)))
    assert counts[0] == counts[1], counts
    assert counts[0] == (3, 3, 3), counts

    page = BeautifulSoup((await client.get(url)).text, "html.parser")
    cards = page.select("#newcomers li.newcomer")
    assert len(cards) == 22  # the people who joined last week and would like a welcome
    assert "You welcomed Person 1." in page.text
    assert "46 members" in page.text


async def test_newer_member_with_a_greeter_role_sees_newcomers_in_the_same_statements(client):
    ids = await setup()
    await Membership.update({Membership.joined_at: utcnow() - timedelta(days=2)}).where(
        Membership.member == ids["viewer"]
    )
    await add_people(ids["club"], ids["event"], 4, 0)
    await login(client, ids["viewer"])
    statements = await count_get(client, "/clubs/trail-club")
    assert len(own(statements)) == 3, describe(statements)
    page = BeautifulSoup((await client.get("/clubs/trail-club")).text, "html.parser")
    assert len(page.select("#newcomers li.newcomer")) == 2
    # Without the greeter role, a member of two days sees no one.
    await RoleSignup.delete().where(RoleSignup.member == ids["viewer"])
    page = BeautifulSoup((await client.get("/clubs/trail-club")).text, "html.parser")
    assert not page.select("#newcomers li.newcomer")
    assert "Once you've been part of the club for two weeks" in page.text


async def test_account_page_is_one_statement_whatever_it_lists(client):
    ids = await setup()
    await login(client, ids["viewer"])
    people: list[int] = []
    counts = []
    for grow in (2, 30):
        people += await add_people(ids["club"], ids["event"], grow, len(people))
        await add_notes(ids["club"], ids["viewer"], people[-grow:])
        for n in range(grow // 10):
            club = await helpers.make_club(slug=f"club-{grow}-{n}", name=f"Club {grow} {n}")
            await Membership.insert(Membership(member=ids["viewer"], club=club))
            await rsvps.respond(await helpers.make_event(club), ids["viewer"], "yes")
        statements = await count_get(client, "/account")
        counts.append(len(own(statements)))
    assert counts == [1, 1], counts
    page = BeautifulSoup((await client.get("/account")).text, "html.parser")
    assert len(page.select("li.welcome-note")) == 32
    assert len(page.select("#rsvps-heading + ul li.card")) == 4


async def test_rsvp_yes_and_no_are_a_handful_of_statements(client):
    organizer = await helpers.make_member("org@example.org", "Sam")
    member = await helpers.make_member()
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, capacity=10)
    await login(client, member)
    # The row lock is a statement of its own on PostgreSQL (see rsvps._locked_facts).
    limit = 7 if is_postgres() else 6
    for answer, shown in (("yes", "You're going"), ("no", "You said you can't go")):
        with count_statements() as statements:
            response = await post(client, f"/events/{event}/rsvp", {"response": answer}, htmx=True)
        assert shown in response.text
        mine = own(statements)
        assert mine[0].startswith("BEGIN") and mine[-1] == "COMMIT", describe(statements)
        assert len(mine) <= limit, describe(statements)
        assert not any("COUNT(" in s.upper() for s in mine), describe(statements)
    # The panel came from the counters written in the change: 0 going, nobody waiting.
    assert "0 going · 10 places left" in response.text


async def test_waitlisted_count_is_kept_on_the_event(client):
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=1, guests_allowed=2)
    a, b, c, d = [await helpers.make_member(f"m{i}@example.org", f"M {i}") for i in range(4)]

    async def counters() -> tuple[int, int]:
        row = await Event.select(Event.taken, Event.waitlisted).where(Event.id == event).first()
        rows = await Rsvp.select(Rsvp.status, Rsvp.guests).where(Rsvp.event == event)
        going = sum(1 + r["guests"] for r in rows if r["status"] == "going")
        waiting = sum(r["status"] == "waitlisted" for r in rows)
        assert (row["taken"], row["waitlisted"]) == (going, waiting)
        return going, waiting

    for m in (a, b, c):
        await rsvps.respond(event, m, "yes")
    assert await counters() == (1, 2)
    outcome = await rsvps.respond(event, d, "yes", guests=2)
    assert (outcome.panel.waitlisted, outcome.panel.position) == (3, 3)
    assert await counters() == (1, 3)
    await rsvps.respond(event, c, "no")  # leaves the line
    assert await counters() == (1, 2)
    outcome = await rsvps.respond(event, a, "no")  # b moves up
    assert outcome.promoted == [b]
    assert await counters() == (1, 1)
    await Event.update({Event.capacity: 5}).where(Event.id == event)
    await rsvps.respond(event, b, "no")  # frees a place: d's party of 3 fits now
    assert await counters() == (3, 0)

    await login(client, c)
    await rsvps.respond(event, c, "yes")
    await rsvps.respond(event, a, "yes")
    await rsvps.respond(event, b, "yes")
    page = await client.get(f"/events/{event}")
    assert "5 going · no places left · 1 on the waitlist" in page.text
    assert await counters() == (5, 1)


async def test_migration_counts_the_waitlist_of_existing_events():
    club = await helpers.make_club()
    event = await helpers.make_event(club, capacity=1)
    for i in range(3):
        await rsvps.respond(event, await helpers.make_member(f"m{i}@example.org"), "yes")
    await Event.update({Event.waitlisted: 0}).where(Event.id == event)
    migration = importlib.import_module(
        "events.piccolo_migrations.events_2026_12_01t22_00_08_000000"
    )
    await engine_finder().run_ddl(migration.BACKFILL)
    row = await Event.select(Event.waitlisted).where(Event.id == event).first()
    assert row["waitlisted"] == 2
