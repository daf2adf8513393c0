"""Attacker-style probes of authorization and CSRF.

IDOR: another club's organizer, a plain member and a visitor try every organizer action on
club A's objects by id (and club A's ids through their own club's URLs); nothing changes and
no attendee name leaks. CSRF: every POST route the app has, found by walking `app.routes`,
refuses a request without the token with 403 and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.routing import Route

from events.services import outbox
from events.tables import (
    ALL_TABLES,
    Club,
    Membership,
    Outbox,
    Rsvp,
    VolunteerRole,
    WelcomeNote,
)
from events.timefmt import utcnow
from tests import helpers
from tests.helpers import PASSWORD, post

SECRET_NAME = "Quillon Attendee"


async def world() -> dict[str, Any]:
    org_a = await helpers.make_member("a@example.org", "Org A")
    org_b = await helpers.make_member("b@example.org", "Org B")
    member = await helpers.make_member("m@example.org", SECRET_NAME)
    newcomer = await helpers.make_member("n@example.org", "Newt")
    club_a = await helpers.make_club(organizer=org_a)
    club_b = await helpers.make_club(slug="other-club", name="Other Club", organizer=org_b)
    await Membership.insert(
        Membership(member=member, club=club_a), Membership(member=newcomer, club=club_a)
    )
    event_a = await helpers.make_event(club_a, title="A hike", capacity=10, taken=1)
    event_b = await helpers.make_event(club_b, title="B hike", capacity=10, taken=1)
    rsvp_a = (
        await Rsvp.insert(Rsvp(event=event_a, member=member, status="going")).returning(Rsvp.id)
    )[0]["id"]
    rsvp_b = (
        await Rsvp.insert(Rsvp(event=event_b, member=org_b, status="going")).returning(Rsvp.id)
    )[0]["id"]
    role_a = (
        await VolunteerRole.insert(VolunteerRole(event=event_a, name="Greeter")).returning(
            VolunteerRole.id
        )
    )[0]["id"]
    role_b = (
        await VolunteerRole.insert(VolunteerRole(event=event_b, name="Driver")).returning(
            VolunteerRole.id
        )
    )[0]["id"]
    note = (
        await WelcomeNote.insert(
            WelcomeNote(club=club_a, author=member, newcomer=newcomer, message="Hi Newt")
        ).returning(WelcomeNote.id)
    )[0]["id"]
    failed = await outbox.add(
        "welcome", "welcome:probe", recipient=newcomer, club=club_a
    )  # a failed mail of club A
    await Outbox.update({Outbox.state: "failed"}).where(Outbox.id == failed)
    return dict(
        org_a=org_a,
        org_b=org_b,
        member=member,
        newcomer=newcomer,
        club_a=club_a,
        club_b=club_b,
        event_a=event_a,
        event_b=event_b,
        rsvp_a=rsvp_a,
        rsvp_b=rsvp_b,
        role_a=role_a,
        role_b=role_b,
        note=note,
        failed=failed,
    )


async def snapshot() -> str:
    """Every row of every table (sessions excluded: reading a page extends a session)."""
    parts = []
    for table in ALL_TABLES:
        rows = await Club.raw(f"SELECT * FROM {table._meta.tablename} ORDER BY id")
        parts.append(json.dumps(rows, default=str))
    return "\n".join(parts)


def event_form() -> dict[str, str]:
    day = (utcnow() + timedelta(days=9)).date().isoformat()
    return {
        "title": "Hijacked",
        "starts_at": f"{day}T09:00",
        "ends_at": f"{day}T10:00",
        "location": "Elsewhere",
        "repeat": "none",
        "guests_allowed": "0",
    }


def organizer_actions(w: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Organizer-only requests against club A's objects."""
    a, r, role = w["event_a"], w["rsvp_a"], w["role_a"]
    return [
        ("GET", f"/events/{a}/edit", None),
        ("POST", f"/events/{a}/edit", event_form()),
        ("POST", f"/events/{a}/cancel", {"reason": "nope"}),
        ("GET", f"/events/{a}/attendees", None),
        ("GET", f"/events/{a}/attendees.csv", None),
        ("POST", f"/events/{a}/attendees/{r}/checkin", {}),
        ("POST", f"/events/{a}/attendees/{r}/uncheckin", {}),
        ("POST", f"/events/{a}/message", {"subject": "Spam", "body": "Click here"}),
        ("POST", f"/events/{a}/roles", {"name": "Mole", "spots": "1"}),
        ("POST", f"/events/{a}/roles/{role}/remove", {}),
        ("GET", "/clubs/trail-club/events/new", None),
        ("POST", "/clubs/trail-club/events/new", event_form()),
        ("GET", "/clubs/trail-club/edit", None),
        (
            "POST",
            "/clubs/trail-club/edit",
            {"name": "Pwned", "kind": "activity", "timezone": "UTC"},
        ),
        ("GET", "/clubs/trail-club/team", None),
        ("POST", f"/clubs/trail-club/team/{w['member']}/promote", {}),
        ("POST", f"/clubs/trail-club/team/{w['member']}/remove", {"block": "1"}),
        ("POST", f"/clubs/trail-club/team/{w['org_a']}/step-down", {}),
        ("GET", "/clubs/trail-club/reports", None),
    ]


async def send(
    client: httpx.AsyncClient, method: str, url: str, data: dict[str, Any] | None
) -> httpx.Response:
    if method == "GET":
        return await client.get(url)
    return await post(client, url, data or {})


async def test_other_clubs_organizer_cannot_touch_club_a_by_id(client):
    w = await world()
    await helpers.login(client, w["org_b"])
    before = await snapshot()
    for method, url, data in organizer_actions(w):
        response = await send(client, method, url, data)
        assert response.status_code == 403, (method, url, response.status_code)
        assert SECRET_NAME not in response.text, url
    # Club A's ids smuggled through club B's own URLs.
    cross = [
        f"/events/{w['event_b']}/attendees/{w['rsvp_a']}/checkin",
        f"/events/{w['event_b']}/roles/{w['role_a']}/remove",
        f"/clubs/other-club/team/{w['member']}/remove",
        f"/clubs/other-club/team/{w['member']}/promote",
        f"/outbox/{w['failed']}/retry",
        f"/account/notes/{w['note']}/hide",
        f"/account/notes/{w['note']}/report",
    ]
    for url in cross:
        response = await post(client, url, {"block": "1", "reason": "x"})
        assert response.status_code == 404, (url, response.status_code)
    assert await snapshot() == before
    failed_list = await client.get("/outbox/failed")
    assert "Newt" not in failed_list.text


async def test_members_and_visitors_cannot_use_organizer_tools(client, other_client):
    w = await world()
    await helpers.login(client, w["member"])
    before = await snapshot()
    for method, url, data in organizer_actions(w):
        as_member = await send(client, method, url, data)
        assert as_member.status_code == 403, (method, url, as_member.status_code)
        as_visitor = await send(other_client, method, url, data)
        assert as_visitor.status_code in (303, 403), (method, url, as_visitor.status_code)
        if as_visitor.status_code == 303:
            assert as_visitor.headers["location"].startswith("/login")
        for response in (as_member, as_visitor):
            assert SECRET_NAME not in response.text, url
    assert await snapshot() == before


async def test_attendee_names_are_for_organizers_only(client, other_client):
    w = await world()
    await Rsvp.update({Rsvp.visibility: "hidden"}).where(Rsvp.id == w["rsvp_a"])
    visitor_page = await other_client.get(f"/events/{w['event_a']}")
    assert visitor_page.status_code == 200 and SECRET_NAME not in visitor_page.text
    await helpers.login(client, w["newcomer"])
    member_page = await client.get(f"/events/{w['event_a']}")
    assert SECRET_NAME not in member_page.text
    for url in (f"/events/{w['event_a']}/attendees", f"/events/{w['event_a']}/attendees.csv"):
        assert SECRET_NAME not in (await client.get(url)).text
        assert SECRET_NAME not in (await other_client.get(url)).text
    await helpers.login(client, w["org_a"])
    csv = await client.get(f"/events/{w['event_a']}/attendees.csv")
    assert csv.status_code == 200 and SECRET_NAME in csv.text


async def test_notes_can_only_be_hidden_or_reported_by_their_newcomer(client):
    w = await world()
    for who in ("member", "org_a", "org_b"):  # the author, the organizer, a stranger
        await helpers.login(client, w[who])
        for action in ("hide", "report"):
            response = await post(client, f"/account/notes/{w['note']}/{action}", {"reason": "x"})
            assert response.status_code == 404, (who, action)
    row = await WelcomeNote.select().where(WelcomeNote.id == w["note"]).first()
    assert row["hidden"] is False and row["reported_at"] is None


# ---------------------------------------------------------------- CSRF


def post_routes(application: Starlette) -> list[Route]:
    return [
        r
        for r in application.routes
        if isinstance(r, Route) and r.methods is not None and "POST" in r.methods
    ]


def concrete_path(route: Route, w: dict[str, Any]) -> str:
    values = {
        "id": w["event_a"],
        "slug": "trail-club",
        "rsvp_id": w["rsvp_a"],
        "role_id": w["role_a"],
        "member_id": w["member"],
        "outbox_id": w["failed"],
        "token": "x",
        "thread_id": 1,  # the club board (#19)
        "post_id": 1,
    }
    if route.path.startswith("/account/notes/"):
        values["id"] = w["note"]
        values["action"] = "hide"
    elif route.path.startswith("/clubs/{slug:str}/reports/"):
        values["id"] = 1
    else:
        values["action"] = "remove"
    return route.path_format.format(**{k: values[k] for k in route.param_convertors})


FORM = {
    "email": "a@example.org",
    "password": PASSWORD,
    "display_name": "Mallory",
    "response": "yes",
    "name": "Pwned club",
    "kind": "activity",
    "timezone": "UTC",
    "subject": "Hi",
    "body": "Body",
    "message": "Welcome!",
    "newcomer": "4",
    "confirm": "on",
    "default_visibility": "name",
    "subject_kind": "event",
    "subject_id": "1",
    "reason": "forged",
    "block": "1",
    "allow": "no",
}


CROSS_ORIGIN = [
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is another origin
    {"Sec-Fetch-Site": "cross-site", "HX-Request": "true", "X-CSRFToken": "forged"},
    {"Origin": "https://evil.example"},  # a browser too old for Fetch Metadata
    {"Origin": "null"},
    {"Origin": "http://testserver.evil.example"},
]


async def test_every_post_route_refuses_a_cross_site_request(app, client):
    w = await world()
    await helpers.login(client, w["org_a"])
    routes = post_routes(app)
    assert len(routes) >= 30, "the walk finds the app's POST routes"
    before = await snapshot()
    checked = []
    for route in routes:
        path = concrete_path(route, w)
        if route.path.startswith("/unsubscribe/"):
            # Exempt by design (RFC 8058 one-click from mail providers); needs a signed token.
            response = await client.post(
                path,
                data={"List-Unsubscribe": "One-Click"},
                headers={"Sec-Fetch-Site": "cross-site"},
            )
            assert response.status_code in (400, 404, 410), response.status_code
            continue
        data = {**FORM, **event_form()}
        for headers in CROSS_ORIGIN:
            response = await client.post(path, data=data, headers=headers)
            assert response.status_code == 403, (route.path, headers, response.status_code)
            assert "another website" in response.text
        checked.append(route.path)
    assert await snapshot() == before
    assert len(checked) == len(routes) - 1
    # The same request from the site's own page gets through (the probe is not vacuous), and
    # an old form's token field or header is ignored, not refused.
    ok = await post(client, f"/events/{w['event_a']}/roles", {"name": "Coffee", "spots": "1"})
    assert ok.status_code == 303
    old_form = await client.post(
        f"/events/{w['event_a']}/roles",
        data={"name": "Tea", "spots": "1", "csrftoken": "anything"},
        headers={"Origin": "http://testserver", "X-CSRFToken": "stale"},
    )
    assert old_form.status_code == 303
