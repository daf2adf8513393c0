"""Welcome notes: who sees newcomers, who may send a note, the limits, and the newcomer's own
controls (hide, report, turn greetings off)."""

from __future__ import annotations

from datetime import timedelta

from bs4 import BeautifulSoup

from events.services.greetings import NOTE_REF
from events.tables import Member, Membership, Report, WelcomeNote
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import TOKENS as tokens


async def add_member(club: int, email: str, name: str, days_ago: float = 1, **fields) -> int:
    member = await helpers.make_member(email, name)
    joined = utcnow() - timedelta(days=days_ago)
    await Membership.insert(Membership(member=member, club=club, joined_at=joined, **fields))
    return member


async def setup_club() -> dict[str, int]:
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    old = await add_member(club, "old@example.org", "Veteran Val", days_ago=400)
    newbie = await add_member(club, "new@example.org", "Newcomer Nia", days_ago=2)
    return {"organizer": organizer, "club": club, "old": old, "newbie": newbie}


def ref(ids: dict[str, int], viewer: str | int, newcomer: object) -> str:
    """The opaque `newcomer` value the club page gives `viewer` for a member id."""
    viewer_id = ids[viewer] if isinstance(viewer, str) else viewer
    if not isinstance(newcomer, int):
        return str(newcomer)
    return tokens.member_ref(NOTE_REF, ids["club"], viewer_id, newcomer)


def newcomer_names(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [t.get_text(strip=True) for t in soup.select("#newcomers .newcomer .title")]


async def test_members_see_recent_newcomers_who_allow_greetings(client):
    ids = await setup_club()
    await add_member(ids["club"], "month@example.org", "Month Mo", days_ago=31)
    await add_member(ids["club"], "quiet@example.org", "Quiet Quinn", days_ago=3)
    await Member.update({Member.allow_greetings: False}).where(Member.email == "quiet@example.org")
    await add_member(ids["club"], "blocked@example.org", "Blocked Bo", blocked=True)
    await helpers.login(client, ids["old"])

    page = await client.get("/clubs/trail-club")

    assert newcomer_names(page.text) == ["Newcomer Nia"]
    form = BeautifulSoup(page.text, "html.parser").select_one("#newcomers form")
    assert form["action"] == "/clubs/trail-club/welcome"
    # An opaque reference made for this viewer, never the sequential member id.
    assert form.select_one("input[name=newcomer]")["value"] == ref(ids, "old", ids["newbie"])
    assert form.select_one("textarea[name=message]")["maxlength"] == "500"

    # The newcomer does not see themself in the list.
    await helpers.login(client, ids["newbie"])
    own = await client.get("/clubs/trail-club")
    assert "Newcomer Nia" not in newcomer_names(own.text)


async def test_newcomers_are_invisible_to_anonymous_visitors_and_non_members(client):
    ids = await setup_club()
    await helpers.make_club("other-club", "Other Club", organizer=None)
    outsider = await helpers.make_member("out@example.org", "Outsider")
    blocked = await add_member(ids["club"], "b@example.org", "Blocked Bo", blocked=True)

    anonymous = await client.get("/clubs/trail-club")
    assert anonymous.status_code == 200
    assert "Newcomer Nia" not in anonymous.text
    assert 'id="newcomers"' not in anonymous.text

    for viewer in (outsider, blocked):
        await helpers.login(client, viewer)
        page = await client.get("/clubs/trail-club")
        assert "Newcomer Nia" not in page.text
        assert 'id="newcomers"' not in page.text


async def test_member_sends_a_note_and_only_the_newcomer_reads_it(client, other_client):
    ids = await setup_club()
    await helpers.login(client, ids["old"])
    response = await helpers.post(
        client,
        "/clubs/trail-club/welcome",
        {
            "newcomer": ref(ids, "old", ids["newbie"]),
            "message": "So glad you're here. See you Saturday!",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/clubs/trail-club#newcomers"
    page = await client.get("/clubs/trail-club")
    assert "You welcomed Newcomer Nia." in page.text

    author_account = await client.get("/account")
    assert "See you Saturday" not in author_account.text

    await helpers.login(other_client, ids["newbie"])
    account = await other_client.get("/account")
    notes = BeautifulSoup(account.text, "html.parser").select("#notes .welcome-note")
    assert len(notes) == 1
    text = notes[0].get_text(" ", strip=True)
    assert "So glad you're here. See you Saturday!" in text
    assert "Veteran Val" in text and "Trail Club" in text


async def test_note_with_htmx_swaps_the_newcomer_card(client):
    ids = await setup_club()
    await helpers.login(client, ids["old"])
    response = await helpers.post(
        client,
        "/clubs/trail-club/welcome",
        {"newcomer": ref(ids, "old", ids["newbie"]), "message": "Welcome!"},
        htmx=True,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith(
        f'<li class="card newcomer" id="newcomer-{ref(ids, "old", ids["newbie"])}"'
    )
    assert "You welcomed Newcomer Nia." in response.text

    again = await helpers.post(
        client,
        "/clubs/trail-club/welcome",
        {"newcomer": ref(ids, "old", ids["newbie"]), "message": "Welcome again!"},
        htmx=True,
    )
    assert again.status_code == 422
    assert "already welcomed" in again.text


async def test_note_limits_and_who_counts_as_a_newcomer(client):
    ids = await setup_club()
    await helpers.login(client, ids["organizer"])

    async def send(newcomer: object, message: str) -> tuple[int, str]:
        r = await helpers.post(
            client,
            "/clubs/trail-club/welcome",
            {"newcomer": ref(ids, "organizer", newcomer), "message": message},
        )
        return r.status_code, r.text

    status, text = await send(ids["newbie"], "x" * 501)
    assert status == 422 and "Keep it to 500 characters" in text
    assert "x" * 501 in text  # the draft is kept for editing
    status, text = await send(ids["newbie"], "   ")
    assert status == 422 and "Write a few words first." in text
    status, text = await send(ids["old"], "Hi")
    assert status == 422 and "a newcomer of this club" in text
    status, text = await send(ids["organizer"], "Hi me")
    assert status == 422
    status, text = await send("abc", "Hi")
    assert status == 422 and "Choose a newcomer" in text
    outsider = await helpers.make_member("out@example.org", "Outsider")
    status, _ = await send(outsider, "Hi")
    assert status == 422
    assert await WelcomeNote.count() == 0

    status, _ = await send(ids["newbie"], "y" * 500)
    assert status == 303
    status, text = await send(ids["newbie"], "Another one")
    assert status == 409 and "already welcomed" in text
    assert await WelcomeNote.count() == 1


async def test_only_signed_in_members_may_send(client):
    ids = await setup_club()
    anonymous = await helpers.post(
        client, "/clubs/trail-club/welcome", {"newcomer": str(ids["newbie"]), "message": "Hi"}
    )
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login")

    outsider = await helpers.make_member("out@example.org", "Outsider")
    await helpers.login(client, outsider)
    response = await helpers.post(
        client,
        "/clubs/trail-club/welcome",
        {"newcomer": ref(ids, outsider, ids["newbie"]), "message": "Hi"},
    )
    assert response.status_code == 403
    assert await WelcomeNote.count() == 0


async def test_notes_are_rate_limited_per_author(client):
    ids = await setup_club()
    newcomers = [await add_member(ids["club"], f"n{i}@example.org", f"New {i}") for i in range(10)]
    await helpers.login(client, ids["old"])
    for newcomer in newcomers:
        ok = await helpers.post(
            client,
            "/clubs/trail-club/welcome",
            {"newcomer": ref(ids, "old", newcomer), "message": "Hi!"},
        )
        assert ok.status_code == 303
    limited = await helpers.post(
        client,
        "/clubs/trail-club/welcome",
        {"newcomer": ref(ids, "old", ids["newbie"]), "message": "Hi!"},
    )
    assert limited.status_code == 429
    assert "a lot of notes" in limited.text
    assert await WelcomeNote.count() == 10


async def make_note(ids: dict[str, int], message: str = "Welcome, friend") -> int:
    rows = await WelcomeNote.insert(
        WelcomeNote(club=ids["club"], author=ids["old"], newcomer=ids["newbie"], message=message)
    ).returning(WelcomeNote.id)
    return int(rows[0]["id"])


async def test_newcomer_hides_a_note_and_nobody_else_can(client, other_client):
    ids = await setup_club()
    note = await make_note(ids)
    await helpers.login(other_client, ids["old"])
    stranger = await helpers.post(other_client, f"/account/notes/{note}/hide")
    assert stranger.status_code == 404
    assert (await WelcomeNote.select().where(WelcomeNote.id == note).first())["hidden"] is False

    await helpers.login(client, ids["newbie"])
    response = await helpers.post(client, f"/account/notes/{note}/hide")
    assert response.status_code == 303
    account = await client.get("/account")
    assert "Welcome, friend" not in account.text


async def test_newcomer_reports_a_note_to_the_organizers(client, other_client):
    ids = await setup_club()
    note = await make_note(ids, "buy my stuff")
    await helpers.login(other_client, ids["organizer"])
    stranger = await helpers.post(other_client, f"/account/notes/{note}/report")
    assert stranger.status_code == 404
    assert await Report.count() == 0

    await helpers.login(client, ids["newbie"])
    response = await helpers.post(client, f"/account/notes/{note}/report", htmx=True)
    assert response.status_code == 200
    assert "organizers will look at this note" in response.text
    await helpers.post(client, f"/account/notes/{note}/report")
    reports = await Report.select()
    assert len(reports) == 1
    assert (reports[0]["club"], reports[0]["reporter"]) == (ids["club"], ids["newbie"])
    assert (reports[0]["subject_kind"], reports[0]["subject_id"]) == ("note", note)
    assert "buy my stuff" not in (await client.get("/account")).text


async def test_newcomer_turns_greetings_off_and_on(client, other_client):
    ids = await setup_club()
    await helpers.login(client, ids["newbie"])
    account = await client.get("/account")
    assert "Turn off welcome notes" in account.text
    off = await helpers.post(client, "/account/greetings", {"allow": "no"})
    assert off.status_code == 303
    assert "Turn on welcome notes" in (await client.get("/account")).text

    await helpers.login(other_client, ids["old"])
    page = await other_client.get("/clubs/trail-club")
    assert newcomer_names(page.text) == []
    refused = await helpers.post(
        other_client,
        "/clubs/trail-club/welcome",
        {"newcomer": ref(ids, "old", ids["newbie"]), "message": "Hi"},
    )
    assert refused.status_code == 422

    await helpers.post(client, "/account/greetings")  # no choice given: toggles
    page = await other_client.get("/clubs/trail-club")
    assert newcomer_names(page.text) == ["Newcomer Nia"]
