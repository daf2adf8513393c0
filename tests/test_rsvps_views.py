"""POST /events/{id}/rsvp (fragment vs page, rules, double submit) and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bs4 import BeautifulSoup

from events.tables import Event, Outbox, Rsvp
from events.timefmt import utcnow
from tests import helpers


async def setup_event(**fields) -> tuple[int, int, int]:
    organizer = await helpers.make_member("org@example.org", "Olive")
    club = await helpers.make_club(organizer=organizer)
    event = await helpers.make_event(club, **fields)
    return organizer, club, event


def panel(html: str) -> BeautifulSoup:
    found = BeautifulSoup(html, "html.parser").find(id="rsvp-panel")
    assert found is not None
    return found


async def test_logged_out_rsvp_goes_to_login_and_back(client):
    _, _, event = await setup_event()
    response = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=%2Fevents%2F{event}"
    htmx = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"}, htmx=True)
    assert htmx.headers["HX-Redirect"] == f"/login?next=/events/{event}"
    assert await Rsvp.count() == 0


async def test_plain_post_redirects_and_page_shows_status(client):
    _, _, event = await setup_event(capacity=5)
    member = await helpers.make_member()
    await helpers.login(client, member)
    response = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/events/{event}"
    page = await client.get(f"/events/{event}")
    assert "<html" in page.text
    section = panel(page.text)
    assert section.select_one(".success-text").get_text() == "You're going"
    assert "1 going · 4 places left" in section.text
    assert section["hx-target"] == "this" and section["hx-swap"] == "outerHTML"
    assert section.find("form")["hx-post"] == f"/events/{event}/rsvp"


async def test_htmx_post_answers_only_the_panel(client):
    _, _, event = await setup_event(capacity=1)
    first, second = (
        await helpers.make_member("a@example.org", "Ash"),
        await helpers.make_member("b@example.org", "Bo"),
    )
    await helpers.login(client, first)
    await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    client.cookies.clear()
    await helpers.login(client, second)
    response = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"}, htmx=True)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.strip().startswith('<section id="rsvp-panel"')
    section = panel(response.text)
    assert "waitlist: number 1 in line" in section.text
    assert "1 going · no places left · 1 on the waitlist" in section.text
    # Counts only: no names of people going.
    assert "Ash" not in response.text
    assert response.headers["vary"].startswith("HX-Request")


async def test_public_page_shows_counts_never_names(client, other_client):
    _, _, event = await setup_event(capacity=3)
    member = await helpers.make_member("a@example.org", "Quinn Unique")
    await helpers.login(client, member)
    await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    page = await other_client.get(f"/events/{event}")
    assert "Quinn Unique" not in page.text
    section = panel(page.text)
    assert "1 going · 2 places left" in section.text
    assert section.find("a", href=f"/login?next=/events/{event}") is not None


async def test_double_submit_makes_one_rsvp_and_one_outbox_row(client):
    _, _, event = await setup_event()
    member = await helpers.make_member()
    await helpers.login(client, member)
    for _ in range(2):
        response = await helpers.post(
            client, f"/events/{event}/rsvp", {"response": "yes"}, htmx=True
        )
        assert response.status_code == 200
    assert await Rsvp.count().where(Rsvp.event == event) == 1
    assert await Outbox.count().where(Outbox.recipient == member) == 1


async def test_rule_refusals_show_a_message_with_422(client):
    _, club, past = await setup_event(starts_at=utcnow() - timedelta(hours=1))
    cancelled = await helpers.make_event(club, status="cancelled")
    closed = await helpers.make_event(club, rsvp_deadline=utcnow() - timedelta(minutes=5))
    no_guests = await helpers.make_event(club)
    member = await helpers.make_member()
    await helpers.login(client, member)
    cases = [
        (past, {"response": "yes"}, "already started"),
        (cancelled, {"response": "yes"}, "was cancelled"),
        (closed, {"response": "yes"}, "deadline"),
        (no_guests, {"response": "yes", "guests": "2"}, "doesn't take guests"),
        (no_guests, {"response": "yes", "guests": "two"}, "whole number"),
        (no_guests, {"response": "maybe"}, "Choose whether"),
    ]
    for event, form, message in cases:
        for htmx in (False, True):
            response = await helpers.post(client, f"/events/{event}/rsvp", form, htmx=htmx)
            assert response.status_code == 422, (event, form)
            assert message in panel(response.text).find(class_="error").text
            assert ("<html" in response.text) is not htmx
    assert await Rsvp.count() == 0
    assert await Outbox.count() == 0


async def test_attestation_must_be_ticked(client):
    _, _, event = await setup_event(attestation="I have been sober for 48 hours")
    member = await helpers.make_member()
    await helpers.login(client, member)
    refused = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    assert refused.status_code == 422
    assert "48 hours" in panel(refused.text).text
    ok = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes", "attest": "on"})
    assert ok.status_code == 303
    row = await Rsvp.select(Rsvp.attested).first()
    assert row["attested"] is True


async def test_cancel_from_the_panel_promotes_first_in_line(client, other_client):
    _, _, event = await setup_event(capacity=1)
    going = await helpers.make_member("a@example.org", "Ash")
    waiting = await helpers.make_member("b@example.org", "Bo")
    await helpers.login(client, going)
    await helpers.login(other_client, waiting)
    await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    await helpers.post(other_client, f"/events/{event}/rsvp", {"response": "yes"})
    response = await helpers.post(client, f"/events/{event}/rsvp", {"response": "no"}, htmx=True)
    assert "Your RSVP is cancelled" in response.text
    page = await other_client.get(f"/events/{event}")
    assert panel(page.text).select_one(".success-text").get_text() == "You're going"


async def csv_rows(client, event: int) -> list[list[str]]:
    response = await client.get(f"/events/{event}/attendees.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.text)))


async def test_csv_export_for_organizers(client):
    organizer, _, event = await setup_event(capacity=1, guests_allowed=2)
    names = ['=HYPERLINK("http://x")', "+Plus", 'Ash, the "hiker"', "@at", "-minus"]
    ids = [await helpers.make_member(f"m{i}@example.org", n) for i, n in enumerate(names)]
    from events.services import rsvps

    await rsvps.respond(event, ids[0], "yes", guests=0)
    await rsvps.respond(event, ids[1], "yes", guests=2)
    await rsvps.respond(event, ids[2], "yes")
    await rsvps.respond(event, ids[3], "no")
    await helpers.login(client, organizer)
    response = await client.get(f"/events/{event}/attendees.csv")
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    assert response.headers["cache-control"] == "no-store"
    rows = await csv_rows(client, event)
    # The contract's four columns, then `attendance` appended (#15).
    assert rows[0] == ["name", "status", "guests", "rsvp_at", "attendance"]
    assert [r[:3] for r in rows[1:]] == [
        ['\'=HYPERLINK("http://x")', "going", "0"],
        ["'+Plus", "waitlisted", "2"],
        ['Ash, the "hiker"', "waitlisted", "0"],
        ["'@at", "not going", "0"],
    ]
    for row in rows[1:]:
        assert row[3].endswith("+00:00") and "T" in row[3]
        assert row[4] == "in_person"


async def test_csv_export_refused_to_others(client, other_client):
    _, _, event = await setup_event()
    member = await helpers.make_member()
    await helpers.login(client, member)
    assert (await client.get(f"/events/{event}/attendees.csv")).status_code == 403
    anonymous = await other_client.get(f"/events/{event}/attendees.csv")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    # An organizer of another club gets nothing either.
    other_org = await helpers.make_member("o2@example.org", "Other")
    await helpers.make_club("other-club", "Other", organizer=other_org)
    client.cookies.clear()
    await helpers.login(client, other_org)
    assert (await client.get(f"/events/{event}/attendees.csv")).status_code == 403
    assert await Event.count() == 1


async def test_waitlisted_member_sees_one_waiting_card(client):
    # Issue #14: joining a full event showed "It's full right now…" and then "You're on the
    # waitlist…" one after the other. One card says it, with an icon, both with and without htmx.
    _, _, event = await setup_event(capacity=1)
    first, second, third = (
        await helpers.make_member("a@example.org", "Ash"),
        await helpers.make_member("b@example.org", "Bo"),
        await helpers.make_member("c@example.org", "Cy"),
    )
    await helpers.login(client, first)
    await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    client.cookies.clear()
    await helpers.login(client, second)
    htmx = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"}, htmx=True)
    client.cookies.clear()
    await helpers.login(client, third)
    plain = await helpers.post(client, f"/events/{event}/rsvp", {"response": "yes"})
    assert plain.status_code == 303
    page = await client.get(plain.headers["location"])
    for html, place in ((htmx.text, 1), (page.text, 2)):
        section = panel(html)
        waiting = section.select(".waiting-card")
        assert len(waiting) == 1 and waiting[0].get("role") == "status"
        assert waiting[0].select_one(".icon-wait[aria-hidden=true]") is not None
        title = waiting[0].select_one(".waiting-text").get_text()
        assert title == f"You're on the waitlist: number {place} in line"
        whole = BeautifulSoup(html, "html.parser").get_text()
        assert "It's full right now" not in whole
        assert whole.count("on the waitlist: number") == 1
