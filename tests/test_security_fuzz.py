"""Property-based fuzzing (Hypothesis) of every form: whatever is posted, the answer is a
2xx/3xx/4xx, never a 5xx, and a refused form changes nothing it should not.

Bounded on purpose (about 25 examples per form, derandomized) so the suite stays fast; the
value strategy mixes random text with known-nasty values (NUL, huge numbers, impossible
dates, markup, 20 000 `[`), and every form also gets fields it does not expect (mass
assignment: `club`, `capacity`, `role`, `member`...)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.forms.event import FIELDS
from events.tables import (
    Club,
    Event,
    EventMessage,
    Member,
    Membership,
    Report,
    Rsvp,
    WelcomeNote,
)
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import PASSWORD, post

FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DAY = (utcnow() + timedelta(days=6)).date().isoformat()
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "a\x00b",
        "0",
        "-1",
        "1",
        "5",
        "99999999999999999999999",
        "1e9",
        "NaN",
        "on",
        "yes",
        "no",
        "none",
        "weekly",
        "monthly",
        "following",
        "hidden",
        "event",
        "member",
        f"{DAY}T09:00",
        f"{DAY}T10:00",
        f"{DAY}",
        "2026-02-30T25:61",
        "9999-12-31T23:59",
        "0001-01-01T00:00",
        "America/Atlantis",
        "../../etc/passwd",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "{{7*7}}",
        "\u202etxt.exe",
        "https://x.example/a",
        "javascript:alert(1)",
        "x" * 301,
        "[" * 20_000,
        "org@example.org",
        "not-an-email",
        PASSWORD,
    ]
)
VALUE = st.one_of(NASTY, st.text(max_size=40), st.text(min_size=100, max_size=700))
EXTRA = ("club", "capacity", "role", "member", "id", "taken", "status", "is_admin", "sequence")


def forms(*fields: str) -> st.SearchStrategy[dict[str, str]]:
    names = dict.fromkeys((*fields, *EXTRA))
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, VALUE))


async def rows(table: Any, *where: Any) -> str:
    query = table.select().order_by(table.id)
    for clause in where:
        query = query.where(clause)
    return json.dumps(await query, default=str)


def ok(status: int, *allowed: int, data: dict[str, str] | None = None) -> None:
    assert status < 500, status
    if data and any("\x00" in v for v in data.values()):
        allowed = (*allowed, 400)  # refused up front: PostgreSQL text cannot hold NUL
    if allowed:
        assert status in allowed, status


async def world(client: Any) -> dict[str, int]:
    org = await helpers.make_member("org@example.org", "Olive")
    member = await helpers.make_member("mia@example.org", "Mia")
    newcomer = await helpers.make_member("new@example.org", "Newt")
    club = await helpers.make_club(organizer=org)
    other_club = await helpers.make_club(slug="other-club", name="Other")
    await Membership.insert(
        Membership(member=member, club=club), Membership(member=newcomer, club=club)
    )
    event = await helpers.make_event(club, capacity=3, guests_allowed=2)
    other_event = await helpers.make_event(other_club, title="Elsewhere")
    return dict(
        org=org,
        member=member,
        newcomer=newcomer,
        club=club,
        other_club=other_club,
        event=event,
        other_event=other_event,
    )


# ---------------------------------------------------------------- accounts


@FUZZ
@given(data=forms("email", "password", "display_name"))
async def test_fuzz_signup(client, data):
    known = await rows(Member, Member.email == "org@example.org")
    count = await Member.count()
    response = await post(client, "/signup", data)
    ok(response.status_code, 303, 422, 429, data=data)
    if response.status_code != 303:
        assert await Member.count() == count
    assert await rows(Member, Member.email == "org@example.org") == known
    assert not await Member.exists().where(
        Member.email_confirmed.eq(True) & (Member.email != "org@example.org")
    ), "sign-up alone never makes a confirmed account"


@FUZZ
@given(data=forms("email", "password", "next"))
async def test_fuzz_login(client, data):
    if not await Member.exists():
        await helpers.make_member("org@example.org", "Olive")
    client.cookies.delete("steady_session")
    response = await post(client, "/login", data)
    ok(response.status_code, 303, 422, 429, data=data)
    right = data.get("email", "").strip().lower() == "org@example.org" and (
        data.get("password") == PASSWORD
    )
    if response.status_code == 303:
        assert right
        assert response.headers["location"].startswith("/")
        assert not response.headers["location"].startswith(("//", "/\\"))
    else:
        assert "steady_session" not in response.cookies


@FUZZ
@given(data=forms("email", "token", "password"))
async def test_fuzz_password_forgot_and_reset(client, data):
    if not await Member.exists():
        await helpers.make_member("org@example.org", "Olive")
    before = await rows(Member)
    forgot = await post(client, "/password/forgot", data)
    ok(forgot.status_code, 200, data=data)
    reset = await post(client, "/password/reset", data)
    ok(reset.status_code, 410, data=data)
    page = await client.get("/password/reset", params={"token": data.get("token", "")})
    ok(page.status_code, 410, data=data)
    assert await rows(Member) == before


# ---------------------------------------------------------------- clubs


@FUZZ
@given(
    data=forms("name", "slug", "kind", "activities", "description", "timezone", "welcome_message")
)
async def test_fuzz_club_new_and_edit(client, data):
    if not await Member.exists():
        await world(client)
    org = (await Member.select(Member.id).where(Member.email == "org@example.org").first())["id"]
    await helpers.login(client, org)
    count = await Club.count()
    created = await post(client, "/clubs/new", data)
    ok(created.status_code, 303, 422, data=data)
    if created.status_code != 303:
        assert await Club.count() == count
    before = await rows(Club, Club.slug == "trail-club")
    edited = await post(client, "/clubs/trail-club/edit", data)
    ok(edited.status_code, 303, 422, data=data)
    after = await rows(Club, Club.slug == "trail-club")
    if edited.status_code != 303:
        assert after == before
    assert (await Club.select(Club.slug).where(Club.slug == "trail-club").first()) is not None
    assert await rows(Club, Club.slug == "other-club") != "[]"


@FUZZ
@given(data=forms("newcomer", "message"))
async def test_fuzz_welcome_note(client, data):
    if not await Member.exists():
        await world(client)
    mia = (await Member.select(Member.id).where(Member.email == "mia@example.org").first())["id"]
    await helpers.login(client, mia)
    count = await WelcomeNote.count()
    response = await post(client, "/clubs/trail-club/welcome", data)
    ok(response.status_code, 303, 403, 409, 422, 429, data=data)
    if response.status_code != 303:
        assert await WelcomeNote.count() == count
    for note in await WelcomeNote.select():
        assert note["author"] == mia and len(note["message"]) <= 500


# ---------------------------------------------------------------- events


EVENT_FIELDS = FIELDS  # every field the event form reads


@FUZZ
@given(data=forms(*EVENT_FIELDS))
async def test_fuzz_event_new_and_edit(client, data):
    if not await Member.exists():
        await world(client)
    org = (await Member.select(Member.id).where(Member.email == "org@example.org").first())["id"]
    await helpers.login(client, org)
    first = (await Event.select(Event.id).order_by(Event.id).first())["id"]
    other = await rows(Event, Event.title == "Elsewhere")
    count = await Event.count()
    created = await post(client, "/clubs/trail-club/events/new", data)
    ok(created.status_code, 303, 422, data=data)
    if created.status_code != 303:
        assert await Event.count() == count
    before = await rows(Event, Event.id == first)
    edited = await post(client, f"/events/{first}/edit", data)
    ok(edited.status_code, 303, 409, 422, data=data)
    if edited.status_code != 303:
        assert await rows(Event, Event.id == first) == before
    # Nothing lands in (or changes) another club, whatever `club` the form claims.
    assert await rows(Event, Event.title == "Elsewhere") == other
    for event in await Event.select(Event.club, Event.description, Event.title):
        assert len(event["description"]) <= 10_000 and len(event["title"]) <= 120


@FUZZ
@given(data=forms("response", "guests", "visibility", "attest"), htmx=st.booleans())
async def test_fuzz_rsvp(client, data, htmx):
    if not await Member.exists():
        await world(client)
    mia = (await Member.select(Member.id).where(Member.email == "mia@example.org").first())["id"]
    await helpers.login(client, mia)
    event = await Event.select().where(Event.title != "Elsewhere").order_by(Event.id).first()
    others = await rows(Rsvp, Rsvp.member != mia)
    response = await post(client, f"/events/{event['id']}/rsvp", data, htmx=htmx)
    ok(response.status_code, 200, 303, 422, 429, data=data)
    assert await rows(Rsvp, Rsvp.member != mia) == others
    row = await Event.select(Event.taken, Event.capacity).where(Event.id == event["id"]).first()
    going = await Rsvp.select().where((Rsvp.event == event["id"]) & (Rsvp.status == "going"))
    assert row["taken"] == sum(1 + r["guests"] for r in going) <= row["capacity"]
    for rsvp in going:
        assert 0 <= rsvp["guests"] <= 2 and rsvp["visibility"] in ("name", "initials", "hidden")


@FUZZ
@given(data=forms("subject", "body", "include_waitlist"))
async def test_fuzz_organizer_message(client, data):
    if not await Member.exists():
        await world(client)
    org = (await Member.select(Member.id).where(Member.email == "org@example.org").first())["id"]
    await helpers.login(client, org)
    event = (await Event.select(Event.id).order_by(Event.id).first())["id"]
    count = await EventMessage.count()
    response = await post(client, f"/events/{event}/message", data)
    ok(response.status_code, 303, 422, 429, data=data)
    if response.status_code != 303:
        assert await EventMessage.count() == count


# ---------------------------------------------------------------- settings and reports


@FUZZ
@given(data=forms("discreet", "reminders", "default_visibility"))
async def test_fuzz_settings(client, data):
    if not await Member.exists():
        await world(client)
    mia = (await Member.select(Member.id).where(Member.email == "mia@example.org").first())["id"]
    await helpers.login(client, mia)
    before = await rows(Member, Member.id == mia)
    others = await rows(Member, Member.id != mia)
    response = await post(client, "/account/settings", data)
    ok(response.status_code, 303, 422, data=data)
    if response.status_code != 303:
        assert await rows(Member, Member.id == mia) == before
    assert await rows(Member, Member.id != mia) == others
    row = await Member.select().where(Member.id == mia).first()
    assert row["email"] == "mia@example.org" and row["deleted_at"] is None


@FUZZ
@given(data=forms("subject_kind", "subject_id", "reason"))
async def test_fuzz_report(client, data):
    if not await Member.exists():
        await world(client)
    mia = (await Member.select(Member.id).where(Member.email == "mia@example.org").first())["id"]
    await helpers.login(client, mia)
    count = await Report.count()
    response = await post(client, "/clubs/trail-club/report", data)
    ok(response.status_code, 200, 404, 422, 429, data=data)
    if response.status_code != 200:
        assert await Report.count() == count
    trail = (await Club.select(Club.id).where(Club.slug == "trail-club").first())["id"]
    for report in await Report.select():
        assert report["club"] == trail and report["subject_kind"] in ("event", "member")
        assert len(report["reason"]) <= 1000


async def test_nul_bytes_are_refused_before_the_database(client):
    ids = await world(client)
    await helpers.login(client, ids["org"])
    before = await rows(Event)
    for url in ("/?q=a%00b", "/calendar.ics?q=%00", "/login?next=/%00"):
        response = await client.get(url)
        assert response.status_code == 400, url
    form = {"title": "a\x00b", "starts_at": f"{DAY}T09:00", "ends_at": f"{DAY}T10:00"}
    for url in ("/clubs/trail-club/events/new", f"/events/{ids['event']}/edit"):
        response = await post(client, url, form)
        assert response.status_code == 400, url
    response = await post(client, "/login", {"email": "org@example.org\x00", "password": "x"})
    assert response.status_code == 400
    assert await rows(Event) == before
