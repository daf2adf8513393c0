"""Feeds over HTTP: conditional GETs, the private member feed, its token and reset, links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import unquote

import icalendar
from bs4 import BeautifulSoup

from events.db import write_transaction
from events.tables import Event, Member, Rsvp
from tests import helpers
from tests.feeds_support import all_parsers_agree
from tests.helpers import feed_token

UID = "event-{}@127.0.0.1"


async def test_304_on_etag_and_on_date_and_200_after_a_change(client) -> None:
    club = await helpers.make_club()
    event_id = await helpers.make_event(club, "Hike")
    for url in ("/calendar.ics", "/clubs/trail-club/calendar.ics", f"/events/{event_id}.ics"):
        first = await client.get(url)
        etag, modified = first.headers["etag"], first.headers["last-modified"]
        assert etag.startswith('"') and not etag.startswith("W/")
        same = await client.get(url, headers={"If-None-Match": etag})
        assert same.status_code == 304 and same.content == b""
        assert same.headers["etag"] == etag
        listed = await client.get(url, headers={"If-None-Match": f'"nope", W/{etag}'})
        assert listed.status_code == 304
        by_date = await client.get(url, headers={"If-Modified-Since": modified})
        assert by_date.status_code == 304
        stale_date = format_datetime(datetime.now(UTC) - timedelta(days=400), usegmt=True)
        assert (await client.get(url, headers={"If-Modified-Since": stale_date})).status_code == 200
        assert (await client.get(url, headers={"If-Modified-Since": "garbage"})).status_code == 200
        # A non-matching ETag wins over a matching date (RFC 9110).
        both = await client.get(
            url, headers={"If-None-Match": '"old"', "If-Modified-Since": modified}
        )
        assert both.status_code == 200 and both.content == first.content

    later = datetime.now(UTC) + timedelta(minutes=5)
    before = await client.get("/calendar.ics")
    async with write_transaction():
        await Event.update(
            {Event.title: "Hike (new trail)", Event.sequence: 1, Event.updated_at: later}
        ).where(Event.id == event_id)
    after = await client.get(
        "/calendar.ics",
        headers={
            "If-None-Match": before.headers["etag"],
            "If-Modified-Since": before.headers["last-modified"],
        },
    )
    assert after.status_code == 200 and b"Hike (new trail)" in after.content
    assert after.headers["etag"] != before.headers["etag"]
    assert (
        await client.get(
            "/calendar.ics", headers={"If-Modified-Since": before.headers["last-modified"]}
        )
    ).status_code == 200
    # A new event shows up for date-based revalidators too.
    await helpers.make_event(club, "Another hike")
    newer = await client.get("/calendar.ics", headers={"If-None-Match": after.headers["etag"]})
    assert newer.status_code == 200 and b"Another hike" in newer.content


async def test_event_download_and_headers(client) -> None:
    club = await helpers.make_club()
    event_id = await helpers.make_event(club, "Hike")
    response = await client.get(f"/events/{event_id}.ics")
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["content-disposition"] == f'attachment; filename="event-{event_id}.ics"'
    assert response.headers["cache-control"].startswith("public")
    feed = await client.get("/calendar.ics")
    assert feed.headers["content-disposition"] == "inline"
    cal = icalendar.Calendar.from_ical(response.content)
    assert "METHOD" not in cal and "X-WR-CALNAME" not in cal
    assert list(all_parsers_agree(response.content)) == [UID.format(event_id)]
    page = await client.get(f"/events/{event_id}")
    assert page.status_code == 200  # the page route still answers beside the .ics route


async def _private_setup() -> dict[str, int]:
    club = await helpers.make_club(kind="twelve_step", name="Tuesday Night Group")
    riley = await helpers.make_member("riley@example.org", "Riley")
    sam = await helpers.make_member("sam@example.org", "Sam Other")
    going = await helpers.make_event(
        club,
        "Big Book study",
        location="Church hall, 4 Oak Road",
        location_hint="Near Oak Park",
        online_url="https://meet.example/room-42",
        details_for_attendees_only=True,
    )
    waiting = await helpers.make_event(
        club,
        "Step study",
        location="Hall B",
        location_hint="Downtown",
        details_for_attendees_only=True,
    )
    declined = await helpers.make_event(club, "Speaker night")
    other = await helpers.make_event(club, "Sam's meeting")
    await Rsvp.insert(
        Rsvp(event=going, member=riley, status="going"),
        Rsvp(event=waiting, member=riley, status="waitlisted"),
        Rsvp(event=declined, member=riley, status="not_going"),
        Rsvp(event=other, member=sam, status="going"),
        Rsvp(event=going, member=sam, status="going"),
    )
    return {
        "riley": riley,
        "sam": sam,
        "going": going,
        "waiting": waiting,
        "declined": declined,
        "other": other,
    }


async def test_private_feed_holds_only_my_events_without_people(client) -> None:
    ids = await _private_setup()
    url = f"/me/calendar/{feed_token(ids['riley'], 1)}.ics"
    response = await client.get(url)
    assert response.status_code == 200
    assert response.headers["cache-control"].startswith("private")
    events = all_parsers_agree(response.content)
    assert set(events) == {UID.format(ids["going"]), UID.format(ids["waiting"])}
    assert events[UID.format(ids["going"])].status == "CONFIRMED"
    assert events[UID.format(ids["waiting"])].status == "TENTATIVE"
    body = response.content
    for secret in (b"example.org", b"Riley", b"Sam", b"ATTENDEE", b"ORGANIZER"):
        assert secret not in body, secret
    # Going: the exact place and link; waitlisted: only the hint.
    assert b"Church hall" in body and b"room-42" in body
    assert b"Hall B" not in body and b"LOCATION:Downtown" in body
    assert b"Tuesday Night Group" in body
    same = await client.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert same.status_code == 304
    # Moving off the waitlist changes the feed.
    await Rsvp.update(
        {Rsvp.status: "going", Rsvp.updated_at: datetime.now(UTC) + timedelta(minutes=1)}
    ).where((Rsvp.member == ids["riley"]) & (Rsvp.event == ids["waiting"]))
    moved = await client.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert moved.status_code == 200
    assert all_parsers_agree(moved.content)[UID.format(ids["waiting"])].status == "CONFIRMED"


async def test_discreet_members_get_neutral_titles(client) -> None:
    ids = await _private_setup()
    await Member.update({Member.discreet: True}).where(Member.id == ids["riley"])
    body = (await client.get(f"/me/calendar/{feed_token(ids['riley'], 1)}.ics")).content
    events = all_parsers_agree(body)
    assert all(
        e.summary.startswith("Steady: ") and e.summary.endswith(" meetup") for e in events.values()
    )
    for revealing in (b"Tuesday Night Group", b"Big Book", b"Step study", b"12-step", b"twelve"):
        assert revealing not in body, revealing
    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["NAME"]) == "Steady: my events"


async def test_tokens_unknown_404_reset_410(client) -> None:
    ids = await _private_setup()
    old = f"/me/calendar/{feed_token(ids['riley'], 1)}.ics"
    assert (await client.get(old)).status_code == 200
    assert (await client.get("/me/calendar/nonsense.ics")).status_code == 404
    tampered = feed_token(ids["riley"], 1)[:-2] + "xx"
    assert (await client.get(f"/me/calendar/{tampered}.ics")).status_code == 404
    assert (await client.get(f"/me/calendar/{feed_token(99999, 1)}.ics")).status_code == 404

    # Reset needs a signed-in member and a request from the site's own page.
    anonymous = await helpers.post(client, "/account/calendar/reset")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await helpers.login(client, ids["riley"])
    page = await client.get("/account")
    soup = BeautifulSoup(page.text, "html.parser")
    section = soup.find(id="calendar")
    assert section is not None
    shown = section.find("input", id="calendar-url")["value"]
    assert shown == f"http://127.0.0.1:8000{old}"
    hrefs = [a["href"] for a in section.find_all("a")]
    assert f"webcal://127.0.0.1:8000{old}" in hrefs
    google = next(h for h in hrefs if h.startswith("https://calendar.google.com/"))
    assert unquote(google.split("cid=", 1)[1]) == f"webcal://127.0.0.1:8000{old}"

    cross_site = await client.post(
        "/account/calendar/reset", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross_site.status_code == 403
    reset = await helpers.post(client, "/account/calendar/reset")
    assert reset.status_code == 303 and reset.headers["location"].startswith("/account")
    assert (await client.get(old)).status_code == 410
    new = f"/me/calendar/{feed_token(ids['riley'], 2)}.ics"
    assert (await client.get(new)).status_code == 200
    after = await client.get(reset.headers["location"])
    assert f"http://127.0.0.1:8000{new}" in after.text and "new calendar link" in after.text
    # The htmx form gets the section back in place, with the newest link.
    swapped = await helpers.post(client, "/account/calendar/reset", htmx=True)
    assert swapped.status_code == 200 and 'id="calendar"' in swapped.text
    assert feed_token(ids["riley"], 3) in swapped.text
    assert "<html" not in swapped.text
    # Someone else's feed is untouched.
    assert (await client.get(f"/me/calendar/{feed_token(ids['sam'], 1)}.ics")).status_code == 200


async def test_club_page_offers_subscriptions_and_event_page_adds_one_event(client) -> None:
    club = await helpers.make_club()
    event_id = await helpers.make_event(club, "Hike")
    feed = "/clubs/trail-club/calendar.ics"
    soup = BeautifulSoup((await client.get("/clubs/trail-club")).text, "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert feed in hrefs
    assert f"webcal://127.0.0.1:8000{feed}" in hrefs
    assert f"webcal:http://127.0.0.1:8000{feed}" in hrefs  # Outlook's form
    google = next(
        h for h in hrefs if h.startswith("https://calendar.google.com/calendar/render?cid=")
    )
    assert unquote(google.split("cid=", 1)[1]) == f"webcal://127.0.0.1:8000{feed}"
    assert (await client.get(feed)).status_code == 200

    # A single event is never "subscribed to": the going member's card adds that one event.
    member = await helpers.make_member()
    await helpers.login(client, member)
    await helpers.post(client, f"/events/{event_id}/rsvp", {"response": "yes"})
    soup = BeautifulSoup((await client.get(f"/events/{event_id}")).text, "html.parser")
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert not [h for h in hrefs if h.startswith("webcal") or "cid=" in h]
    card = soup.select_one(".success-card")
    links = {a.get_text(" ", strip=True): a["href"] for a in card.find_all("a")}
    assert links["Download .ics (Apple, Outlook)"] == f"/events/{event_id}.ics"
    assert links["Add to Google Calendar"].startswith(
        "https://calendar.google.com/calendar/render?action=TEMPLATE&text=Hike&dates="
    )
    assert (await client.get(f"/events/{event_id}.ics")).status_code == 200


def test_access_log_hides_private_feed_tokens() -> None:
    import logging

    from events.views.feeds import RedactFeedTokens

    token = feed_token(7, 1)
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", f"/me/calendar/{token}.ics", "1.1", 200),
        None,
    )
    assert RedactFeedTokens().filter(record)
    assert token not in record.getMessage() and "/me/calendar/[token].ics" in record.getMessage()
    assert logging.getLogger("uvicorn.access").filters  # installed when the views load
