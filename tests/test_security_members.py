"""Who belongs to which club is health information (issue 12, findings 1, 7 and 10).

- No answer tells an outsider whether a person is linked to a club, and no form carries a
  sequential member id: pages give opaque references bound to the viewer and the club.
- Newcomer lists are a greeting tool, not a directory: only newcomers who opted in, only to
  settled members, organizers and greeters, and never with a join date finer than a week.
- A greeter who cancels or leaves loses the role and what it showed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bs4 import BeautifulSoup

from events.services import events_admin
from events.services.greetings import NOTE_REF, REPORT_REF
from events.tables import ClubKind, Membership, Report, RoleSignup, Rsvp, RsvpStatus, WelcomeNote
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import TOKENS as tokens
from tests.helpers import post


async def add_member(club: int, name: str, days_ago: float = 1, **fields: object) -> int:
    member = await helpers.make_member(f"{name.split()[0].lower()}@example.org", name)
    joined = utcnow() - timedelta(days=days_ago)
    await Membership.insert(Membership(member=member, club=club, joined_at=joined, **fields))
    return member


def newcomer_names(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [t.get_text(strip=True) for t in soup.select("#newcomers .newcomer .title")]


# ---------------------------------------------------------------- finding 1: no oracle


async def test_member_reports_answer_alike_whoever_is_in_the_club(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club("aa-tuesday", "Tuesday Group", organizer=organizer)
    other_club = await helpers.make_club("other-club", "Other", organizer=organizer)
    member = await add_member(club, "Alex Member", days_ago=100)
    answered_only = await helpers.make_member("rsvp@example.org", "Rsvp Only")
    event = await helpers.make_event(club)
    await Rsvp.insert(Rsvp(event=event, member=answered_only, status=RsvpStatus.going.value))
    stranger = await helpers.make_member("stranger@example.org", "Stranger")
    prober = await helpers.make_member("prober@example.org", "Prober")
    await helpers.login(client, prober)

    probes = [
        str(member),
        str(answered_only),
        str(stranger),
        "999999",
        # Genuine references, but made for someone else or for another club: no use here.
        tokens.member_ref(REPORT_REF, club, organizer, member),
        tokens.member_ref(REPORT_REF, other_club, prober, member),
        tokens.member_ref(NOTE_REF, club, prober, member),
    ]
    answers = set()
    for subject in probes:
        response = await post(
            client, "/clubs/aa-tuesday/report", {"subject_kind": "member", "subject_id": subject}
        )
        answers.add((response.status_code, response.text))
    assert len(answers) == 1, "every probe must get the very same answer"
    status, text = answers.pop()
    assert status == 200 and "Thank you" in text
    assert await Report.count() == 0

    # A member shown on a page the reporter saw is reported through that page's reference.
    await helpers.login(other_client, organizer)
    page = await other_client.get("/clubs/aa-tuesday")
    assert "Alex Member" not in newcomer_names(page.text)  # settled, not a newcomer
    newbie = await add_member(club, "Nia New", days_ago=2, greetable=True)
    page = await other_client.get("/clubs/aa-tuesday")
    link = BeautifulSoup(page.text, "html.parser").select_one("#newcomers a[href*=report]")
    assert not link["href"].endswith(f"subject_id={newbie}")
    form = await other_client.get(link["href"])
    subject = BeautifulSoup(form.text, "html.parser").select_one("input[name=subject_id]")
    sent = await post(
        other_client,
        "/clubs/aa-tuesday/report",
        {"subject_kind": "member", "subject_id": subject["value"], "reason": "rude"},
    )
    assert sent.status_code == 200 and "Thank you" in sent.text
    rows = await Report.select(Report.subject_kind, Report.subject_id)
    assert rows == [{"subject_kind": "member", "subject_id": newbie}]


async def test_forms_carry_no_member_ids_and_references_cannot_be_replayed(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    await helpers.make_club("other-club", "Other", organizer=organizer)
    await add_member(club, "Val Veteran", days_ago=400)
    ana = await add_member(club, "Ana Anderson", days_ago=300)
    newbie = await add_member(club, "Nia New", days_ago=2)
    await helpers.login(client, ana)

    page = await client.get("/clubs/trail-club")
    card = BeautifulSoup(page.text, "html.parser").select_one("#newcomers .newcomer")
    html = str(card)
    assert re.search(rf"(newcomer|note|subject_id)[-=\"]+{newbie}\b", html) is None, html
    ref = card.select_one("input[name=newcomer]")["value"]
    assert ref != str(newbie)

    # The bare id (the old form) is refused without telling anything about the person.
    bare = await post(client, "/clubs/trail-club/welcome", {"newcomer": newbie, "message": "Hi"})
    assert bare.status_code == 422 and "Choose a newcomer" in bare.text
    # Another member replaying Ana's reference, or Ana in another club: refused alike.
    await helpers.login(other_client, organizer)
    replayed = await post(
        other_client, "/clubs/trail-club/welcome", {"newcomer": ref, "message": "Hi"}
    )
    assert replayed.status_code == 422 and "Choose a newcomer" in replayed.text
    elsewhere = await post(client, "/clubs/other-club/welcome", {"newcomer": ref, "message": "Hi"})
    assert elsewhere.status_code in (403, 422)
    assert await WelcomeNote.count() == 0

    sent = await post(client, "/clubs/trail-club/welcome", {"newcomer": ref, "message": "Hi!"})
    assert sent.status_code == 303
    assert await WelcomeNote.count() == 1


async def test_team_actions_with_odd_member_ids_are_not_found_not_errors(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    await helpers.make_club(organizer=organizer)
    await helpers.login(client, organizer)
    for member_id in ("0", "99999999999999999999999", "2147483648"):
        for action in ("promote", "step-down", "remove"):
            response = await post(client, f"/clubs/trail-club/team/{member_id}/{action}")
            assert response.status_code == 404, (member_id, action)


# ---------------------------------------------------------------- finding 7: not a directory


async def test_only_settled_members_organizers_and_greeters_see_newcomers(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    await add_member(club, "Nia New", days_ago=1)
    fresh = await add_member(club, "Fresh Fay", days_ago=3)
    settled = await add_member(club, "Settled Sam", days_ago=15)

    await helpers.login(client, fresh)
    page = await client.get("/clubs/trail-club")
    assert "Nia New" not in page.text
    assert "two weeks" in page.text
    assert (
        await post(client, "/clubs/trail-club/welcome", {"newcomer": "x", "message": "Hi"})
    ).status_code == 422

    for viewer in (settled, organizer):
        await helpers.login(client, viewer)
        assert "Nia New" in newcomer_names((await client.get("/clubs/trail-club")).text)

    # A newer member who greets at an upcoming event sees the list while going.
    event = await helpers.make_event(club)
    role = await events_admin.add_role(event, "Greeter", 2)
    await helpers.login(client, fresh)
    await post(client, f"/events/{event}/rsvp", {"response": "yes"})
    assert (await post(client, f"/events/{event}/roles/{role}/take")).status_code == 303
    assert "Nia New" in newcomer_names((await client.get("/clubs/trail-club")).text)


async def test_support_group_newcomers_are_listed_only_if_they_opt_in(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    await helpers.make_club(
        "tuesday-aa", "Tuesday Group", organizer=organizer, kind=ClubKind.twelve_step.value
    )
    await helpers.make_club("hikers", "Hikers", organizer=organizer)
    alex = await helpers.make_member("alex@example.org", "Alex")
    await helpers.login(other_client, organizer)

    await helpers.login(client, alex)
    offer = BeautifulSoup((await client.get("/clubs/tuesday-aa")).text, "html.parser")
    assert offer.select_one("form[action$=join] input[name=greet][value=no]").has_attr("checked")
    offer = BeautifulSoup((await client.get("/clubs/hikers")).text, "html.parser")
    assert offer.select_one("form[action$=join] input[name=greet][value=yes]").has_attr("checked")

    # Joining without a choice keeps the kind's default: off for a 12-step group...
    assert (await post(client, "/clubs/tuesday-aa/join")).status_code == 303
    assert "Alex" not in newcomer_names((await other_client.get("/clubs/tuesday-aa")).text)
    # ...on for an activity club.
    assert (await post(client, "/clubs/hikers/join")).status_code == 303
    assert "Alex" in newcomer_names((await other_client.get("/clubs/hikers")).text)

    # Changed later on the club page, both ways.
    assert (await post(client, "/clubs/tuesday-aa/greeting", {"greet": "yes"})).status_code == 303
    assert "Alex" in newcomer_names((await other_client.get("/clubs/tuesday-aa")).text)
    assert (await post(client, "/clubs/tuesday-aa/greeting", {"greet": "no"})).status_code == 303
    assert "Alex" not in newcomer_names((await other_client.get("/clubs/tuesday-aa")).text)
    bad = await post(client, "/clubs/tuesday-aa/greeting", {"greet": "maybe"})
    assert bad.status_code == 422

    # A choice made when joining holds.
    bo = await helpers.make_member("bo@example.org", "Bo")
    await helpers.login(client, bo)
    await post(client, "/clubs/tuesday-aa/join", {"greet": "yes"})
    await post(client, "/clubs/hikers/join", {"greet": "no"})
    assert "Bo" in newcomer_names((await other_client.get("/clubs/tuesday-aa")).text)
    assert "Bo" not in newcomer_names((await other_client.get("/clubs/hikers")).text)


async def test_newcomer_join_date_is_never_finer_than_a_week(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    await add_member(club, "Nia New", days_ago=2)
    await add_member(club, "Mo Month", days_ago=20)
    await helpers.login(client, organizer)
    page = BeautifulSoup((await client.get("/clubs/trail-club")).text, "html.parser")
    metas = [m.get_text(strip=True) for m in page.select("#newcomers .newcomer .meta")]
    assert metas == ["Joined this week", "Joined this month"]
    text = page.select_one("#newcomers").get_text(" ")
    assert not re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b|\b\d{1,2} [A-Z][a-z]{2}\b", text)


async def test_greeter_sees_only_support_group_first_timers_who_opted_in(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(
        "tuesday-aa", "Tuesday Group", organizer=organizer, kind=ClubKind.twelve_step.value
    )
    event = await helpers.make_event(club)
    role = await events_admin.add_role(event, "Greeter", 1)
    greeter = await add_member(club, "Grace Greeter", days_ago=200)
    opted = await add_member(club, "Olive Optin", days_ago=1, greetable=True)
    quiet = await add_member(club, "Quinn Quiet", days_ago=1)
    passerby = await helpers.make_member("passer@example.org", "Pat Passerby")
    for who in (greeter, opted, quiet, passerby):
        first = who != greeter
        await Rsvp.insert(
            Rsvp(
                event=event,
                member=who,
                status=RsvpStatus.going.value,
                first_time=first,
                visibility="name",
            )
        )
    await helpers.login(client, greeter)
    await post(client, f"/events/{event}/roles/{role}/take")
    welcome = BeautifulSoup((await client.get(f"/events/{event}")).text, "html.parser")
    text = welcome.select_one(".newcomers").get_text(" ")
    assert "Olive Optin" in text
    assert "Quinn Quiet" not in text and "Pat Passerby" not in text
    assert "2 more who prefer" in text


# ---------------------------------------------------------------- finding 10: roles go too


async def test_greeter_who_cancels_loses_the_role_and_the_newcomer_list(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club)
    role = await events_admin.add_role(event, "Greeter", 1)
    greeter = await add_member(club, "Grace Greeter", days_ago=200)
    newbie = await add_member(club, "Nia New", days_ago=1)
    await Rsvp.insert(
        Rsvp(event=event, member=newbie, status=RsvpStatus.going.value, first_time=True)
    )
    await helpers.login(client, greeter)
    await post(client, f"/events/{event}/rsvp", {"response": "yes"})
    await post(client, f"/events/{event}/roles/{role}/take")
    assert "New faces to welcome" in (await client.get(f"/events/{event}")).text

    cancelled = await post(client, f"/events/{event}/rsvp", {"response": "no"})
    assert cancelled.status_code == 303
    assert await RoleSignup.count() == 0
    page = await client.get(f"/events/{event}")
    assert "New faces to welcome" not in page.text and "N.N." not in page.text
    assert "1 of 1 spot free" in page.text or "1 of 1 spots free" in page.text


async def test_greeter_who_leaves_the_club_loses_its_roles(client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    other_club = await helpers.make_club("other-club", "Other", organizer=organizer)
    events = [await helpers.make_event(club, title=f"Hike {n}") for n in range(2)]
    elsewhere = await helpers.make_event(other_club)
    greeter = await add_member(club, "Grace Greeter", days_ago=200)
    await helpers.login(client, greeter)
    for event in (*events, elsewhere):
        role = await events_admin.add_role(event, "Greeter", 1)
        await post(client, f"/events/{event}/rsvp", {"response": "yes"})
        assert (await post(client, f"/events/{event}/roles/{role}/take")).status_code == 303
    assert await RoleSignup.count() == 3

    assert (await post(client, "/clubs/trail-club/leave")).status_code == 303
    left = await RoleSignup.select(RoleSignup.role.event.as_alias("event"))
    assert left == [{"event": elsewhere}], "only the other club's role is kept"
    for event in events:
        assert "New faces to welcome" not in (await client.get(f"/events/{event}")).text


async def test_removed_greeter_loses_the_clubs_roles(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club)
    role = await events_admin.add_role(event, "Greeter", 1)
    greeter = await add_member(club, "Grace Greeter", days_ago=200)
    await helpers.login(client, greeter)
    await post(client, f"/events/{event}/rsvp", {"response": "yes"})
    assert (await post(client, f"/events/{event}/roles/{role}/take")).status_code == 303

    await helpers.login(other_client, organizer)
    removed = await post(other_client, f"/clubs/trail-club/team/{greeter}/remove", {"block": "1"})
    assert removed.status_code == 303
    assert await RoleSignup.count() == 0


async def test_newcomer_changes_the_choice_from_the_account_page(client, other_client):
    organizer = await helpers.make_member("org@example.org", "Olu")
    await helpers.make_club(
        "tuesday-aa", "Tuesday Group", organizer=organizer, kind=ClubKind.twelve_step.value
    )
    alex = await helpers.make_member("alex@example.org", "Alex")
    await helpers.login(client, alex)
    await post(client, "/clubs/tuesday-aa/join")
    account = BeautifulSoup((await client.get("/account")).text, "html.parser")
    form = account.select_one(".greeting-choices form[action='/clubs/tuesday-aa/greeting']")
    assert "Tuesday Group: not listed" in form.get_text(" ", strip=True)
    data = {i["name"]: i["value"] for i in form.select("input") if i["name"] != "csrftoken"}
    changed = await post(client, form["action"], data)
    assert changed.status_code == 303 and changed.headers["location"] == "/account#greetings"
    await helpers.login(other_client, organizer)
    assert "Alex" in newcomer_names((await other_client.get("/clubs/tuesday-aa")).text)
