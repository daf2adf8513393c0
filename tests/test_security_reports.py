"""Reports to a club's organizers: members report an event or a member, organizers of THAT
club (only) read and resolve them, note reports from /account show up too."""

from __future__ import annotations

from bs4 import BeautifulSoup

from events.services.greetings import REPORT_REF
from events.tables import Membership, Report, WelcomeNote
from tests import helpers
from tests.helpers import TOKENS as tokens
from tests.helpers import post


async def setup() -> dict[str, int]:
    org = await helpers.make_member("org@example.org", "Olive")
    member = await helpers.make_member("member@example.org", "Mia")
    troll = await helpers.make_member("troll@example.org", "Trent")
    other_org = await helpers.make_member("other@example.org", "Otto")
    club = await helpers.make_club(organizer=org)
    other_club = await helpers.make_club(slug="other-club", name="Other", organizer=other_org)
    await Membership.insert(
        Membership(member=member, club=club), Membership(member=troll, club=club)
    )
    event = await helpers.make_event(club, title="Sunrise hike")
    other_event = await helpers.make_event(other_club, title="Other hike")
    return dict(
        org=org,
        member=member,
        troll=troll,
        other_org=other_org,
        club=club,
        other_club=other_club,
        event=event,
        other_event=other_event,
    )


async def test_member_reports_event_from_event_page_and_organizer_resolves(client, other_client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    page = await client.get(f"/events/{ids['event']}")
    form = BeautifulSoup(page.text, "html.parser").find("form", action="/clubs/trail-club/report")
    assert form is not None, "the event page offers a Report form"
    assert not form.find("input", {"name": "csrftoken"}), "no per-visitor token in pages"
    assert not form.find_parent(id="rsvp-panel")

    sent = await post(
        client,
        "/clubs/trail-club/report",
        {"subject_kind": "event", "subject_id": ids["event"], "reason": "Unsafe <b>route</b>"},
    )
    assert sent.status_code == 200 and "Thank you" in sent.text
    again = await post(
        client, "/clubs/trail-club/report", {"subject_kind": "event", "subject_id": ids["event"]}
    )
    assert again.status_code == 200
    assert await Report.count() == 1, "a repeated report of the same thing files one row"

    await helpers.login(other_client, ids["org"])
    team = await other_client.get("/clubs/trail-club/team")
    assert 'href="/clubs/trail-club/reports"' in team.text
    listing = await other_client.get("/clubs/trail-club/reports")
    assert listing.status_code == 200
    assert "Sunrise hike" in listing.text and "Unsafe &lt;b&gt;route&lt;/b&gt;" in listing.text
    assert listing.headers["cache-control"] == "no-store"
    report_id = (await Report.select(Report.id).first())["id"]
    done = await post(other_client, f"/clubs/trail-club/reports/{report_id}/resolve")
    assert done.status_code == 303
    assert (await Report.select(Report.resolved).first())["resolved"] is True
    assert "No open reports" in (await other_client.get("/clubs/trail-club/reports")).text


async def test_member_report_and_note_report_listed_for_organizers(client, other_client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    sent = await post(
        client,
        "/clubs/trail-club/report",
        {
            "subject_kind": "member",
            # The opaque reference a page showed this member (never a bare member id).
            "subject_id": tokens.member_ref(REPORT_REF, ids["club"], ids["member"], ids["troll"]),
            "reason": "Rude at the trailhead",
        },
    )
    assert sent.status_code == 200
    note = (
        await WelcomeNote.insert(
            WelcomeNote(
                club=ids["club"], author=ids["troll"], newcomer=ids["member"], message="go away"
            )
        ).returning(WelcomeNote.id)
    )[0]["id"]
    reported = await post(client, f"/account/notes/{note}/report", {"reason": "mean"})
    assert reported.status_code == 303
    await helpers.login(other_client, ids["org"])
    text = (await other_client.get("/clubs/trail-club/reports")).text
    assert "Trent" in text and "Rude at the trailhead" in text
    assert "Welcome note" in text and "go away" in text


async def test_report_form_refuses_bad_input_without_writing(client):
    ids = await setup()
    await helpers.login(client, ids["member"])
    self_ref = tokens.member_ref(REPORT_REF, ids["club"], ids["member"], ids["member"])
    cases = [
        ({"subject_kind": "club", "subject_id": ids["event"]}, 422),
        ({"subject_kind": "event", "subject_id": "x"}, 404),
        # An event of another club cannot be reported through this club.
        ({"subject_kind": "event", "subject_id": ids["other_event"]}, 404),
        # A bare member id is no reference: the same "thank you" as a real one, nothing filed.
        ({"subject_kind": "member", "subject_id": ids["other_org"]}, 200),
        ({"subject_kind": "member", "subject_id": self_ref}, 422),
        ({"subject_kind": "event", "subject_id": ids["event"], "reason": "x" * 1001}, 422),
    ]
    for data, status in cases:
        response = await post(client, "/clubs/trail-club/report", data)
        assert response.status_code == status, data
    assert await Report.count() == 0


async def test_report_needs_sign_in_and_is_rate_limited(client, other_client):
    ids = await setup()
    anon = await post(other_client, "/clubs/trail-club/report", {"subject_kind": "event"})
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
    await helpers.login(client, ids["member"])
    statuses = []
    for n in range(11):
        response = await post(
            client,
            "/clubs/trail-club/report",
            {"subject_kind": "event", "subject_id": ids["event"], "reason": f"r{n}"},
        )
        statuses.append(response.status_code)
    assert statuses[-1] == 429 and set(statuses[:10]) == {200}


async def test_only_this_clubs_organizers_see_and_resolve_reports(client, other_client):
    ids = await setup()
    report = (
        await Report.insert(
            Report(
                club=ids["club"],
                reporter=ids["member"],
                subject_kind="event",
                subject_id=ids["event"],
                reason="secret reason",
            )
        ).returning(Report.id)
    )[0]["id"]
    anon = await other_client.get("/clubs/trail-club/reports")
    assert anon.status_code == 303 and "secret" not in anon.text
    for who in ("member", "troll", "other_org"):
        await helpers.login(client, ids[who])
        page = await client.get("/clubs/trail-club/reports")
        assert page.status_code == 403 and "secret reason" not in page.text, who
        resolved = await post(client, f"/clubs/trail-club/reports/{report}/resolve")
        assert resolved.status_code == 403, who
    # The other club's organizer, on their own club's URL with this club's report id.
    cross = await post(client, f"/clubs/other-club/reports/{report}/resolve")
    assert cross.status_code == 404
    assert "secret reason" not in (await client.get("/clubs/other-club/reports")).text
    assert (await Report.select(Report.resolved).first())["resolved"] is False


async def test_members_can_report_a_newcomer_from_the_club_page(client):
    from datetime import timedelta

    from events.tables import Membership
    from events.timefmt import utcnow

    organizer = await helpers.make_member("org2@example.org", "Org")
    club = await helpers.make_club(slug="hikers", organizer=organizer)
    me = await helpers.make_member("me2@example.org", "Me")
    newcomer = await helpers.make_member("new2@example.org", "Newbie")
    await Membership.insert(
        Membership(member=me, club=club, joined_at=utcnow() - timedelta(days=60)),
        Membership(member=newcomer, club=club, joined_at=utcnow() - timedelta(days=1)),
    )
    await helpers.login(client, me)
    page = await client.get("/clubs/hikers")
    ref = tokens.member_ref(REPORT_REF, club, me, newcomer)
    link = f"/clubs/hikers/report?subject_kind=member&amp;subject_id={ref}"
    assert link in page.text
    form = await client.get(link.replace("&amp;", "&"))
    assert form.status_code == 200
    assert "Newbie" in form.text or "member" in form.text
